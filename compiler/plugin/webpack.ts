/**
 * `wengert/webpack`: the wengert bundler plugin (unplugin.ts) for Webpack.
 *
 *   // webpack.config.js
 *   import wengert from 'wengert/webpack';
 *   export default { entry: './src/main.ts', plugins: [wengert()] };
 *
 * Importing `./model.grad` (or `./model.grad.ts`) then generates the
 * derivatives of `./model.ts` on the fly; see docs/build.md, "Bundler plugins".
 */
import { createWebpackPlugin } from 'unplugin';
import { unpluginFactory } from './unplugin.ts';

export type { WengertPluginOptions } from './unplugin.ts';

export default createWebpackPlugin(unpluginFactory);
