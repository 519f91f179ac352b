import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^wengert\/compiler$/, replacement: here('./compiler/index.ts') },
      { find: /^wengert\/build$/, replacement: here('./compiler/build/index.ts') },
      { find: /^wengert$/, replacement: here('./runtime/index.ts') },
    ],
  },
  // Node 20 cannot run standard decorators and the transformer lowers only legacy ones;
  // `differentiable` works either way (it changes nothing at run time).
  oxc: { decorator: { legacy: true } },
  test: {
    include: ['test/**/*.test.ts'],
    // Generated test projects and fixtures hold no tests of ours.
    exclude: ['**/node_modules/**', 'test/.generated/**', 'test/fixtures/**', 'dist/**'],
    // Builds dist/ when it is older than the sources (CLI and tspc tests run it).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The global teardown type-checks every generated file of the run (a few seconds; more on a busy machine).
    teardownTimeout: 120_000,
  },
});
