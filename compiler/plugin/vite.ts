/**
 * `wengert/vite`: the wengert bundler plugin (unplugin.ts) for Vite.
 *
 *   // vite.config.ts
 *   import wengert from 'wengert/vite';
 *   export default { plugins: [wengert()] };
 *
 * Importing `./model.grad` (or `./model.grad.ts`) then generates the
 * derivatives of `./model.ts` on the fly; see docs/build.md, "Bundler plugins".
 */
import { createVitePlugin } from 'unplugin';
import { unpluginFactory } from './unplugin.ts';

export type { WengertPluginOptions } from './unplugin.ts';

export default createVitePlugin(unpluginFactory);
