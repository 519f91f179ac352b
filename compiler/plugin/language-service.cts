/**
 * The CommonJS entry of `wengert/language-service` (compiled to
 * dist/compiler/plugin/language-service.cjs). tsserver loads plugins with
 * require() and calls the module itself as a function, while this package
 * is an ES module whose plugin is the default export of
 * language-service.ts: this file require()s that module (Node >= 20.19
 * loads ES modules that way) and exports its `init` as the module.
 */
import implementation = require('./language-service.ts');

export = implementation.default;
