/**
 * The runtime entry point (`import ... from 'wengert'`, dist/runtime/index.js)
 * never loads the compiler: an application that bundles its generated
 * derivatives gets the runtime only, not `typescript` or `ts-morph`.
 *
 * The check bundles the XOR example (examples/xor/model.ts and the
 * model.grad.ts that `wengert build` writes beside it) with esbuild for the
 * browser, `wengert` resolved to the built runtime in dist/, and reads the
 * metafile: which files went in, which imports stayed outside. A second
 * bundle, of every export of `wengert`, gets the same checks for code that
 * uses the whole runtime.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const exampleDir = path.join(root, 'examples', 'xor');
const runtimeEntry = path.join(root, 'dist', 'runtime', 'index.js');

/** Upper bound on a minified bundle: the example with the runtime, or the whole runtime. */
const maxBundleBytes = 200_000;

/** Resolves the bare specifier `wengert` to the package's built runtime, as an installed package would. */
const wengertToDist: esbuild.Plugin = {
  name: 'wengert-to-dist',
  setup(build) {
    build.onResolve({ filter: /^wengert$/ }, () => ({ path: runtimeEntry }));
  },
};

interface BundleSummary {
  /** Files that went into the bundle, relative to the repository root. */
  inputs: string[];
  /** Imports esbuild left outside the bundle. */
  externalImports: string[];
  bytes: number;
}

/** Bundles `contents` (an entry module in `resolveDir`) minified for the browser. */
async function bundle(contents: string, resolveDir: string): Promise<BundleSummary> {
  const result = await esbuild.build({
    stdin: { contents, resolveDir, sourcefile: 'entry.ts', loader: 'ts' },
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [wengertToDist],
  });
  return {
    inputs: Object.keys(result.metafile.inputs),
    externalImports: Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path)),
    bytes: result.outputFiles.reduce((total, file) => total + file.contents.byteLength, 0),
  };
}

function compilerInputs(inputs: string[]): string[] {
  return inputs.filter((p) => p.includes('typescript') || p.includes('ts-morph') || p.includes('compiler/'));
}

describe('bundling generated code with the runtime', () => {
  let example: BundleSummary;

  beforeAll(async () => {
    const generate = spawnSync(process.execPath, ['bin/wengert.js', 'build', 'examples/xor'], { cwd: root, encoding: 'utf8' });
    if (generate.status !== 0) {
      throw new Error(`wengert build examples/xor failed (exit ${generate.status}):\n${generate.stdout}${generate.stderr}`);
    }
    example = await bundle("export * from './model.grad.ts';\nexport * from './model.ts';\n", exampleDir);
  });

  test('the bundle holds the example, its generated file and the built runtime', () => {
    expect(example.inputs).toContain('examples/xor/model.ts');
    expect(example.inputs).toContain('examples/xor/model.grad.ts');
    expect(example.inputs).toContain('dist/runtime/index.js');
    expect(example.inputs.filter((p) => p.startsWith('runtime/'))).toEqual([]);
  });

  test('nothing from typescript, ts-morph or the compiler goes in', () => {
    expect(compilerInputs(example.inputs)).toEqual([]);
    expect(example.inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
  });

  test('no import is left outside the bundle', () => {
    expect(example.externalImports).toEqual([]);
  });

  test(`the minified bundle is under ${maxBundleBytes} bytes`, () => {
    console.log(`bundle of examples/xor with the wengert runtime: ${example.bytes} bytes (minified, ${example.inputs.length} inputs)`);
    expect(example.bytes).toBeLessThan(maxBundleBytes);
  });
});

describe('bundling every export of the runtime', () => {
  let wholeRuntime: BundleSummary;

  beforeAll(async () => {
    wholeRuntime = await bundle("export * from 'wengert';\n", root);
  });

  test(`has no compiler input, no external import, and is under ${maxBundleBytes} bytes`, () => {
    console.log(`bundle of every export of wengert: ${wholeRuntime.bytes} bytes (minified, ${wholeRuntime.inputs.length} inputs)`);
    expect(wholeRuntime.inputs).toContain('dist/runtime/index.js');
    expect(compilerInputs(wholeRuntime.inputs)).toEqual([]);
    expect(wholeRuntime.externalImports).toEqual([]);
    expect(wholeRuntime.bytes).toBeLessThan(maxBundleBytes);
  });
});
