#!/usr/bin/env node
// The `wengert` command. It runs the compiled CLI in dist/, which
// `npm install` builds (the `prepare` script runs `npm run build`).
import { fileURLToPath } from 'node:url';

const cliUrl = new URL('../dist/compiler/cli.js', import.meta.url);

let cli;
try {
  cli = await import(cliUrl.href);
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(fileURLToPath(cliUrl))) {
    process.stderr.write('wengert: dist/compiler/cli.js is missing; run `npm run build` in the wengert package first\n');
    process.exit(2);
  }
  throw error;
}

process.exitCode = await cli.main(process.argv);
