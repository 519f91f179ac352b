// The module graph of the build roots (compiler/build/callgraph.ts), and
// `build(['lib.ts'])` rebuilding the callers of the files it was given:
// a caller's generated code follows its callee's derivative interface, so a
// stale caller would compute wrong numbers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { build } from '../../compiler/build/build.ts';
import { buildRoots, interfaceKey, ModuleGraph, relativeSpecifiers, resolveSpecifier } from '../../compiler/build/callgraph.ts';
import { makeTempDir, removeDir, writeFiles } from './helpers/temp.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** The options the compiler uses without a tsconfig, written as one, so the project folder is the build root. */
const tsconfig = JSON.stringify({
  compilerOptions: {
    strict: true,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    allowImportingTsExtensions: true,
    noEmit: true,
  },
});

function project(files: Record<string, string>): string {
  const dir = makeTempDir({ 'tsconfig.json': tsconfig, ...files });
  dirs.push(dir);
  return dir;
}

/** `g(x, y) = x² y` with the given tag line. */
function libSource(tag: string): string {
  return `${tag}\nexport function g(x: number, y: number) {\n  return x * x * y;\n}\n`;
}

/** `h(x) = g(x, 3) + x`, importing g from `from`. */
function mainSource(from: string): string {
  return `import { g } from '${from}';\n\n/** @differentiable */\nexport function h(x: number) {\n  return g(x, 3) + x;\n}\n`;
}

/** Runs the build in `dir` with its printed lines captured. */
function buildIn(dir: string, paths: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const result = build(paths, { cwd: dir, log: (l) => out.push(l), logError: (l) => err.push(l) });
  return { result, out: out.join('\n'), err: err.join('\n') };
}

/** Imports a module fresh (each test has its own folder, so the module cache never holds an older version). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function load(dir: string, file: string): Promise<any> {
  return import(/* @vite-ignore */ path.join(dir, file));
}

function centralDifference(f: (x: number) => number, x: number, step = 1e-5): number {
  return (f(x + step) - f(x - step)) / (2 * step);
}

describe('the module graph', () => {
  test('reads import, export-from, export-star, import type and import() specifiers that point at files', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { T } from '../types.js';",
      "export { b } from './b';",
      "export * from './c.mts';",
      "import * as fs from 'node:fs';",
      "import { tape } from 'wengert';",
      "const lazy = () => import('./lazy.ts');",
    ].join('\n');
    expect(relativeSpecifiers(text)).toEqual(['./a.ts', '../types.js', './b', './c.mts', './lazy.ts']);
  });

  test('resolves specifiers like the project does', () => {
    const known = new Set(['/p/lib.ts', '/p/mod.mts', '/p/view.tsx', '/p/util/index.ts', '/p/sub/deep.ts']);
    const from = '/p/main.ts';
    expect(resolveSpecifier('./lib', from, known)).toBe('/p/lib.ts');
    expect(resolveSpecifier('./lib.js', from, known)).toBe('/p/lib.ts');
    expect(resolveSpecifier('./lib.ts', from, known)).toBe('/p/lib.ts');
    expect(resolveSpecifier('./mod.mjs', from, known)).toBe('/p/mod.mts');
    expect(resolveSpecifier('./mod.mts', from, known)).toBe('/p/mod.mts');
    expect(resolveSpecifier('./view.js', from, known)).toBe('/p/view.tsx');
    expect(resolveSpecifier('./util', from, known)).toBe('/p/util/index.ts');
    expect(resolveSpecifier('../lib.ts', '/p/sub/deep.ts', known)).toBe('/p/lib.ts');
    expect(resolveSpecifier('./missing', from, known)).toBeUndefined();
    expect(resolveSpecifier('./lib.grad.ts', from, known)).toBeUndefined();
    expect(resolveSpecifier('wengert', from, known)).toBeUndefined();
  });

  test('follows re-exports, ignores unresolvable imports, and terminates on cycles', () => {
    const dir = project({
      'lib.ts': "import { helper } from './cycle-a.ts';\nexport const g = 1;\n",
      'index.ts': "export { g } from './lib.ts';\nexport * from './util';\n",
      'util/index.ts': 'export const u = 2;\n',
      'main.ts': "import { g } from './index.js';\nimport { nope } from './missing.ts';\nimport ts from 'typescript';\n",
      'cycle-a.ts': "import { b } from './cycle-b.ts';\nexport const helper = 1;\n",
      'cycle-b.ts': "import { helper } from './cycle-a.ts';\nimport { g } from './lib.ts';\nexport const b = 1;\n",
      'node_modules/pkg/index.ts': "import { g } from '../../lib.ts';\n",
      'lib.grad.ts': "import { g } from './lib.ts';\n",
    });
    const file = (name: string) => path.join(dir, name);
    const graph = new ModuleGraph([dir]).refresh();

    expect(graph.files().map((f) => path.relative(dir, f))).toEqual([
      'cycle-a.ts',
      'cycle-b.ts',
      'index.ts',
      'lib.ts',
      'main.ts',
      path.join('util', 'index.ts'),
    ]);
    expect(graph.importsOf(file('main.ts'))).toEqual([file('index.ts')]);
    expect(graph.importsOf(file('index.ts'))).toEqual([file('lib.ts'), file('util/index.ts')]);
    expect(graph.importersOf(file('lib.ts'))).toEqual([file('cycle-b.ts'), file('index.ts')]);

    const dependents = graph.dependentsOf([file('lib.ts')]);
    const shown = dependents.map((d) => `${path.relative(dir, d.file)} via ${path.relative(dir, d.via)}`);
    // The cycle lib -> cycle-a -> cycle-b -> lib visits each file once; lib itself is not its own dependent.
    expect(shown).toEqual(['cycle-b.ts via lib.ts', 'index.ts via lib.ts', 'cycle-a.ts via cycle-b.ts', 'main.ts via index.ts']);
    expect(graph.dependentsOf([file('util/index.ts')]).map((d) => path.relative(dir, d.file))).toEqual(['index.ts', 'main.ts']);
  });

  test('refresh picks up edited, added and deleted files', () => {
    const dir = project({ 'lib.ts': 'export const g = 1;\n', 'main.ts': 'export const h = 2;\n' });
    const file = (name: string) => path.join(dir, name);
    const graph = new ModuleGraph([dir]).refresh();
    expect(graph.importersOf(file('lib.ts'))).toEqual([]);

    writeFiles(dir, { 'main.ts': "import { g } from './lib';\nexport const h = g;\n" });
    graph.refresh([file('main.ts')]);
    expect(graph.importersOf(file('lib.ts'))).toEqual([file('main.ts')]);

    // A new lib/index.ts does not win over lib.ts; once lib.ts is gone, './lib' means the folder.
    writeFiles(dir, { 'lib/index.ts': 'export const g = 3;\n' });
    graph.refresh();
    expect(graph.importsOf(file('main.ts'))).toEqual([file('lib.ts')]);
    fs.unlinkSync(file('lib.ts'));
    graph.refresh();
    expect(graph.importsOf(file('main.ts'))).toEqual([file('lib/index.ts')]);
    expect(graph.interfaceKeyOf(file('lib.ts'))).toBeUndefined();
  });

  test('the interface key ignores bodies of functions with a declared return type, and nothing else', () => {
    const key = (text: string) => interfaceKey('lib.ts', text);
    const typed = (body: string, tag = '/** @differentiable wrt(x, y) */') =>
      `${tag}\nexport function g(x: number, y: number): number {\n  return ${body};\n}\n`;
    const base = key(typed('x * x * y'));
    expect(key(typed('x * y * y'))).toBe(base);
    expect(key(typed('x * x * y', '/** @differentiable wrt(x) */'))).not.toBe(base);
    expect(key(typed('x * x * y', '/** a plain function */'))).not.toBe(base);
    expect(key(typed('x * x * y').replace('y: number)', 'y: Float64Array)'))).not.toBe(base);
    expect(key(typed('x * x * y').replace('): number', '): [number, number]'))).not.toBe(base);

    // Without a return type the result type is inferred from the body, so the body counts.
    const inferred = (body: string) => `export function g(x: number, y: number) {\n  return ${body};\n}\n`;
    expect(key(inferred('x * y'))).not.toBe(key(inferred('[x, y]')));
    const arrow = (body: string) => `export const g = (x: number): number => ${body};\n`;
    expect(key(arrow('x * 2'))).toBe(key(arrow('x * 3')));
  });

  test('build roots: the folder of the nearest tsconfig.json, else the working directory', () => {
    const dir = project({ 'src/lib.ts': 'export const g = 1;\n', 'pkg/tsconfig.json': tsconfig, 'pkg/a/b.ts': '' });
    const noConfig = makeTempDir({ 'lib.ts': '' });
    dirs.push(noConfig);
    expect(buildRoots(['src/lib.ts'], undefined, dir)).toEqual([dir]);
    expect(buildRoots(['pkg/a/b.ts', 'src'], undefined, dir)).toEqual([dir, path.join(dir, 'pkg')]);
    expect(buildRoots(['pkg'], undefined, dir)).toEqual([path.join(dir, 'pkg')]);
    expect(buildRoots(['lib.ts'], undefined, noConfig)).toEqual([noConfig]);
    expect(buildRoots(['src/lib.ts'], 'pkg/tsconfig.json', dir)).toEqual([path.join(dir, 'pkg')]);
  });

  test('reading 400 files takes well under a second', () => {
    const files: Record<string, string> = {};
    for (let k = 0; k < 400; k++) {
      const previous = k === 0 ? '' : `import { f${k - 1} } from './m${k - 1}.ts';\n`;
      files[`m${k}.ts`] = `${previous}/** @differentiable */\nexport function f${k}(x: number): number {\n  return x * ${k};\n}\n`;
    }
    const dir = project(files);
    const started = performance.now();
    const graph = new ModuleGraph([dir]).refresh();
    const ms = performance.now() - started;
    expect(graph.dependentsOf([path.join(dir, 'm0.ts')])).toHaveLength(399);
    console.log(`[callgraph] 400 files read in ${Math.round(ms)} ms`);
    expect(ms).toBeLessThan(1000);
  });
});

describe("build(['lib.ts']) rebuilds the callers of lib.ts", () => {
  test('when the wrt list of g shrinks, main.grad.ts is rebuilt and grad_h is right', async () => {
    const dir = project({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */'), 'main.ts': mainSource('./lib.ts') });
    expect(buildIn(dir, ['.']).result.exitCode).toBe(0);
    const mainGrad = path.join(dir, 'main.grad.ts');
    const before = fs.readFileSync(mainGrad, 'utf8');

    writeFiles(dir, { 'lib.ts': libSource('/** @differentiable wrt(x) */') });
    const { result, out, err } = buildIn(dir, ['lib.ts']);
    expect(err).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.callers).toEqual([path.join(dir, 'main.ts')]);
    expect(result.written).toContain(mainGrad);
    expect(out).toContain('rebuilt caller main.ts: it imports lib.ts');
    expect(fs.readFileSync(mainGrad, 'utf8')).not.toBe(before);

    const main = await load(dir, 'main.ts');
    const grad = await load(dir, 'main.grad.ts');
    // h(x) = 3x² + x, h'(2) = 6·2 + 1 = 13.
    expect(grad.grad_h(2)).toBeCloseTo(13, 12);
    expect(grad.grad_h(2)).toBeCloseTo(centralDifference(main.h, 2), 6);
  });

  test('when g loses its tag, main.ts gets a located error and the build exits 1', () => {
    const dir = project({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */'), 'main.ts': mainSource('./lib.ts') });
    expect(buildIn(dir, ['.']).result.exitCode).toBe(0);

    writeFiles(dir, { 'lib.ts': libSource('/** g, no longer differentiable */') });
    const { result, err } = buildIn(dir, ['lib.ts']);
    expect(result.exitCode).toBe(1);
    expect(result.callers).toEqual([path.join(dir, 'main.ts')]);
    expect(err).toMatch(/^main\.ts:5:\d+: error: .*\bg\b/m);
    expect(result.removed).toEqual([path.join(dir, 'lib.grad.ts')]);
  });

  test('a caller that imports g through a barrel index.ts is rebuilt', () => {
    const dir = project({
      'lib.ts': libSource('/** @differentiable wrt(x, y) */'),
      'index.ts': "export { g } from './lib.ts';\n",
      'main.ts': mainSource('./index.ts'),
    });
    expect(buildIn(dir, ['.']).result.exitCode).toBe(0);
    const mainGrad = path.join(dir, 'main.grad.ts');
    const before = fs.readFileSync(mainGrad, 'utf8');

    writeFiles(dir, { 'lib.ts': libSource('/** @differentiable wrt(x) */') });
    const { result, out } = buildIn(dir, ['lib.ts']);
    expect(result.exitCode).toBe(0);
    expect(result.callers).toEqual([path.join(dir, 'main.ts')]);
    expect(result.sources).toEqual([path.join(dir, 'lib.ts'), path.join(dir, 'main.ts')]);
    expect(out).toContain('rebuilt caller main.ts: it imports index.ts');
    // Only the text is checked: the generated main.grad.ts imports g's derivatives from
    // './index.grad.ts' (the barrel), which the compiler does not write, so it cannot be run.
    expect(result.written).toContain(mainGrad);
    expect(fs.readFileSync(mainGrad, 'utf8')).not.toBe(before);
  });

  test('a chain a -> b -> c: building c rebuilds b and a, and grad_a is right', async () => {
    const dir = project({
      'c.ts': '/** @differentiable wrt(x, y) */\nexport function c(x: number, y: number): number {\n  return x * x * y;\n}\n',
      'b.ts': "import { c } from './c.ts';\n\n/** @differentiable */\nexport function b(x: number): number {\n  return c(x, 2) + x;\n}\n",
      'a.ts': "import { b } from './b.ts';\n\n/** @differentiable */\nexport function a(x: number): number {\n  return b(x) * x;\n}\n",
      'plain.ts': "import { a } from './a.ts';\nexport const value = a(1);\n",
    });
    expect(buildIn(dir, ['.']).result.exitCode).toBe(0);

    writeFiles(dir, { 'c.ts': fs.readFileSync(path.join(dir, 'c.ts'), 'utf8').replace('wrt(x, y)', 'wrt(x)') });
    const { result, out } = buildIn(dir, ['c.ts']);
    expect(result.exitCode).toBe(0);
    // plain.ts imports a.ts but holds no differentiable function: not compiled.
    expect(result.callers).toEqual([path.join(dir, 'b.ts'), path.join(dir, 'a.ts')]);
    expect(out).toContain('rebuilt caller b.ts: it imports c.ts');
    expect(out).toContain('rebuilt caller a.ts: it imports b.ts');

    const a = await load(dir, 'a.ts');
    const grad = await load(dir, 'a.grad.ts');
    // a(x) = (2x² + x)·x = 2x³ + x², a'(2) = 6·4 + 2·2 = 28.
    expect(grad.grad_a(2)).toBeCloseTo(28, 12);
    expect(grad.grad_a(2)).toBeCloseTo(centralDifference(a.a, 2), 5);
  });
});
