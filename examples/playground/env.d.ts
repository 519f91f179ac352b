/**
 * Types for what Vite gives the page: `?raw` imports and import.meta.hot
 * (vite/client), and the highlight.js language module, which ships
 * without a declaration.
 */
/// <reference types="vite/client" />

declare module 'highlight.js/lib/languages/typescript' {
  import type { LanguageFn } from 'highlight.js';
  const typescript: LanguageFn;
  export default typescript;
}
