/**
 * `wengert/rollup`: the wengert bundler plugin (unplugin.ts) for Rollup.
 *
 *   // rollup.config.js
 *   import wengert from 'wengert/rollup';
 *   export default { input: 'src/main.ts', plugins: [wengert()] };
 *
 * Importing `./model.grad` (or `./model.grad.ts`) then generates the
 * derivatives of `./model.ts` on the fly; see docs/build.md, "Bundler plugins".
 */
import { createRollupPlugin } from 'unplugin';
import { unpluginFactory } from './unplugin.ts';

export type { WengertPluginOptions } from './unplugin.ts';

export default createRollupPlugin(unpluginFactory);
