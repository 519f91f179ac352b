/**
 * `wengert/esbuild`: the wengert bundler plugin (unplugin.ts) for esbuild.
 *
 *   import wengert from 'wengert/esbuild';
 *   await esbuild.build({ entryPoints: ['src/main.ts'], bundle: true, plugins: [wengert()] });
 *
 * Importing `./model.grad` (or `./model.grad.ts`) then generates the
 * derivatives of `./model.ts` on the fly; see docs/build.md, "Bundler plugins".
 */
import { createEsbuildPlugin } from 'unplugin';
import { unpluginFactory } from './unplugin.ts';

export type { WengertPluginOptions } from './unplugin.ts';

export default createEsbuildPlugin(unpluginFactory);
