/**
 * Vite configuration of the playground: the wengert plugin generates
 * model.grad.ts from model.ts on the fly (and on every change), `wengert`
 * resolves to this repository's runtime sources, and `vite build` writes
 * the static site to out/playground/.
 *
 * In a project of your own the plugin comes from the package:
 *   import wengert from 'wengert/vite';
 * This example imports it from source so that it runs without `npm run build`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';
import wengert from '../../compiler/plugin/vite.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repositoryFile = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));

/** The playground's configuration with its page files in `root` (a copy of this folder works too: the tests use one). */
export function playgroundConfig(root: string = here): UserConfig {
  return {
    root,
    base: './',
    plugins: [wengert()],
    resolve: { alias: [{ find: /^wengert$/, replacement: repositoryFile('runtime/index.ts') }] },
    optimizeDeps: { include: ['highlight.js/lib/core', 'highlight.js/lib/languages/typescript'] },
    build: { outDir: repositoryFile('out/playground'), emptyOutDir: true, target: 'es2022' },
    clearScreen: false,
  };
}

export default defineConfig(playgroundConfig());
