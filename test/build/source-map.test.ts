// Source maps from model.grad.ts to model.ts: the map decodes (with
// source-map-js's consumer) to the primal lines the generated code derives
// from; the build writes it beside the generated file, links it from the
// last line, and removes it with the generated file; and Node's own
// --enable-source-maps reports a throw inside generated code at model.ts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { SourceMapConsumer } from 'source-map-js';
import { describe, expect, test } from 'vitest';
import { build } from '../../compiler/build/build.ts';
import { removeSourceMap, writeSourceMap } from '../../compiler/build/safe-write.ts';
import { lineSourceMap } from '../../compiler/emit/source-map.ts';
import { compileSourceText } from '../../compiler/pipeline.ts';
import { repoRoot, tempProjects, writeFiles } from './helpers/temp.ts';
import { plainSource } from './helpers/sources.ts';

const project = tempProjects();

/** Builds `dir` quietly; returns the result. */
function buildIn(dir: string) {
  const printed: string[] = [];
  const result = build(['.'], { cwd: dir, log: (l) => printed.push(l), logError: (l) => printed.push(l) });
  return { result, printed };
}

/** A loop over several lines: line numbers are given in the comments (1-based). */
const loopSource = [
  '/**', //                                          1
  ' * Sum of sin(x^i), i = 1..n.', //                 2
  ' * @differentiable', //                             3
  ' */', //                                            4
  'export function f(x: number, n: number): number {', // 5
  '  let s = 0;', //                                   6
  '  let p = 1;', //                                   7
  '  for (let i = 0; i < n; i++) {', //                8
  '    p = p * x;', //                                 9
  '    s = s + Math.sin(p);', //                      10
  '  }', //                                           11
  '  return s;', //                                   12
  '}', //                                             13
  '', //                                              14
  '/** @differentiable */', //                        15
  'export function g(x: number, y: number): number {', // 16
  '  const a = x * y;', //                            17
  '  const b = Math.exp(a)', //                       18
  '    + a * a;', //                                  19
  '  return b / y;', //                               20
  '}', //                                             21
  '',
].join('\n');

/** The generated text and a consumer of its map. */
function compiled(source = loopSource) {
  const { files, diagnostics } = compileSourceText('model.ts', source);
  expect(diagnostics).toEqual([]);
  const file = files[0]!;
  expect(file.map).toBeDefined();
  const consumer = new SourceMapConsumer(JSON.parse(file.map!));
  const lines = file.text.split('\n');
  /** The primal line of the generated line that is `statement` (trimmed), searched from the header of `fn` on. */
  const primalLineOf = (statement: string, fn: string): number | null => {
    const start = lines.findIndex((l) => l.startsWith(`export function ${fn}(`));
    expect(start).toBeGreaterThanOrEqual(0);
    const index = lines.findIndex((l, i) => i >= start && l.trim() === statement);
    expect(index, `${statement} in ${fn}`).toBeGreaterThan(start);
    return primalLineAt(index + 1);
  };
  const primalLineAt = (generatedLine: number): number | null => {
    const text = lines[generatedLine - 1]!;
    const position = consumer.originalPositionFor({ line: generatedLine, column: text.length - text.trimStart().length });
    if (position.line !== null) expect(position.source).toBe('model.ts');
    return position.line;
  };
  return { file, lines, consumer, primalLineOf, primalLineAt };
}

describe('the source map of a generated file', () => {
  test('is version 3, for model.grad.ts, with model.ts as its only source', () => {
    const map = JSON.parse(compiled().file.map!) as { version: number; file: string; sources: string[] };
    expect(map.version).toBe(3);
    expect(map.file).toBe('model.grad.ts');
    expect(map.sources).toEqual(['model.ts']);
  });

  test('maps statements of valueAndVjp_f and jvp_f to the primal lines of a multi-line loop', () => {
    const { primalLineOf } = compiled();
    // Reverse mode: the loop, the recorded body, the return.
    expect(primalLineOf('while (i < n) {', 'valueAndVjp_f')).toBe(8);
    expect(primalLineOf('const value = s;', 'valueAndVjp_f')).toBe(12);
    expect(primalLineOf('for (let trip = controlTapeBuf[--controlTapeTop]!; trip > 0; trip--) {', 'valueAndVjp_f')).toBe(8);
    // Forward mode has one comment per source line.
    expect(primalLineOf('dp = x * dp + p * dx;', 'jvp_f')).toBe(9);
    expect(primalLineOf('const dt1 = Math.cos(p) * dp;', 'jvp_f')).toBe(10);
    expect(primalLineOf('return [s, ds];', 'jvp_f')).toBe(12);
    // A statement over two source lines maps to each part's own line.
    expect(primalLineOf('const t2 = a * a;', 'jvp_g')).toBe(19);
    expect(primalLineOf('const t1 = Math.exp(a);', 'jvp_g')).toBe(18);
  });

  test('maps function headers and the wrappers to the declaration line, and leaves the header and imports unmapped', () => {
    const { lines, primalLineAt } = compiled();
    const headerOf = (fn: string) => lines.findIndex((l) => l.startsWith(`export function ${fn}(`)) + 1;
    for (const fn of ['jvp_f', 'valueAndVjp_f', 'vjp_f', 'grad_f', 'valueAndGrad_f']) expect(primalLineAt(headerOf(fn)), fn).toBe(5);
    for (const fn of ['jvp_g', 'valueAndVjp_g', 'grad_g']) expect(primalLineAt(headerOf(fn)), fn).toBe(16);
    expect(primalLineAt(headerOf('grad_f') + 1)).toBe(5);
    const firstFunction = lines.findIndex((l) => l.startsWith('// ---- f (model.ts:5) ----'));
    expect(firstFunction).toBeGreaterThan(0);
    for (let line = 1; line <= firstFunction; line++) expect(primalLineAt(line), lines[line - 1]).toBeNull();
  });

  test('maps every line of a function into the source lines of that function', () => {
    const { lines, primalLineAt } = compiled();
    const gStart = lines.findIndex((l) => l.startsWith('// ---- g ('));
    lines.forEach((text, index) => {
      const line = primalLineAt(index + 1);
      if (line === null) return;
      const [first, last] = index < gStart ? [5, 13] : [16, 21];
      expect(line, `generated line ${index + 1}: ${text}`).toBeGreaterThanOrEqual(first);
      expect(line, `generated line ${index + 1}: ${text}`).toBeLessThanOrEqual(last);
    });
  });

  test('maps to the first non-blank column of the primal line, from the first non-blank column of the generated one', () => {
    const { lines, consumer } = compiled();
    const index = lines.findIndex((l) => l.trim() === 'dp = x * dp + p * dx;');
    const column = lines[index]!.length - lines[index]!.trimStart().length;
    expect(consumer.originalPositionFor({ line: index + 1, column })).toMatchObject({ line: 9, column: 4 });
  });

  test('ignores comments that name another file, and a range maps to its first line', () => {
    const text = ['// ---- f (model.ts:3) ----', 'export function jvp_f() {', '  // model.ts:7-9', '  a();', '  // other.ts:40', '  b();', '}', ''].join('\n');
    const consumer = new SourceMapConsumer(JSON.parse(lineSourceMap(text, { generatedFile: 'model.grad.ts', sourceFile: 'model.ts' })));
    const at = (line: number) => consumer.originalPositionFor({ line, column: 2 }).line;
    expect(consumer.originalPositionFor({ line: 2, column: 0 }).line).toBe(3);
    expect(at(4)).toBe(7);
    expect(at(6)).toBe(7);
  });
});

describe('the build writes the map', () => {
  const source = '/** @differentiable */\nexport function sq(x: number): number {\n  const y = x * x;\n  return y * x;\n}\n';

  test('beside model.grad.ts, which ends with its sourceMappingURL, and the written module still computes the gradient', async () => {
    const dir = project({ 'model.ts': source });
    const { result } = buildIn(dir);
    expect(result.exitCode).toBe(0);
    expect(result.written).toEqual([path.join(dir, 'model.grad.ts')]);
    const text = fs.readFileSync(path.join(dir, 'model.grad.ts'), 'utf8');
    expect(text.trimEnd().split('\n').at(-1)).toBe('//# sourceMappingURL=model.grad.ts.map');
    const map = JSON.parse(fs.readFileSync(path.join(dir, 'model.grad.ts.map'), 'utf8')) as { file: string; sources: string[] };
    expect(map).toMatchObject({ file: 'model.grad.ts', sources: ['model.ts'] });
    const consumer = new SourceMapConsumer(map as never);
    const lines = text.split('\n');
    const index = lines.findIndex((l) => l.trim() === 'const y = x * x;');
    expect(consumer.originalPositionFor({ line: index + 1, column: 2 }).line).toBe(3);

    const grad = (await import(/* @vite-ignore */ path.join(dir, 'model.grad.ts'))) as { grad_sq(x: number): number };
    const h = 1e-5;
    const central = ((1.5 + h) ** 3 - (1.5 - h) ** 3) / (2 * h);
    expect(grad.grad_sq(1.5)).toBeCloseTo(3 * 1.5 ** 2, 12);
    expect(grad.grad_sq(1.5)).toBeCloseTo(central, 6);
  });

  test('leaves an up-to-date map alone and rewrites a stale one', () => {
    const dir = project({ 'model.ts': source });
    buildIn(dir);
    const mapPath = path.join(dir, 'model.grad.ts.map');
    const past = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(mapPath, past, past);
    expect(buildIn(dir).result.unchanged).toEqual([path.join(dir, 'model.grad.ts')]);
    expect(fs.statSync(mapPath).mtimeMs).toBe(past.getTime());

    // Indenting the source moves its columns only: the generated text is the same, its map is not.
    writeFiles(dir, { 'model.ts': source.replace('  const y', '    const y') });
    const before = fs.readFileSync(mapPath, 'utf8');
    expect(buildIn(dir).result.unchanged).toEqual([path.join(dir, 'model.grad.ts')]);
    expect(fs.readFileSync(mapPath, 'utf8')).not.toBe(before);
  });

  test('removes the map with a stale generated file, and with the generated file of a deleted source', () => {
    const dir = project({ 'model.ts': source, 'other.ts': source.replace('sq', 'cube') });
    buildIn(dir);
    expect(fs.existsSync(path.join(dir, 'model.grad.ts.map'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'other.grad.ts.map'))).toBe(true);

    writeFiles(dir, { 'model.ts': plainSource });
    fs.unlinkSync(path.join(dir, 'other.ts'));
    const { result } = buildIn(dir);
    expect(result.removed.sort()).toEqual([path.join(dir, 'model.grad.ts'), path.join(dir, 'other.grad.ts')]);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.ts']);
  });

  test('never overwrites a .map it did not write, and writes none beside a hand-written file', () => {
    const dir = project({ 'model.ts': source, 'model.grad.ts.map': 'my own notes\n' });
    const { result } = buildIn(dir);
    expect(result.exitCode).toBe(1);
    expect(result.diagnostics.map((d) => d.message).join('\n')).toContain('this file was not written by wengert');
    expect(fs.readFileSync(path.join(dir, 'model.grad.ts.map'), 'utf8')).toBe('my own notes\n');

    const handWritten = project({ 'model.grad.ts': 'export const mine = 1;\n' });
    const map = lineSourceMap('', { generatedFile: 'model.grad.ts', sourceFile: 'model.ts' });
    expect(writeSourceMap(path.join(handWritten, 'model.grad.ts'), map).kind).toBe('refused');
    expect(fs.existsSync(path.join(handWritten, 'model.grad.ts.map'))).toBe(false);
    fs.writeFileSync(path.join(handWritten, 'model.grad.ts.map'), map);
    expect(removeSourceMap(path.join(handWritten, 'model.grad.ts')).kind).toBe('refused');
    expect(fs.existsSync(path.join(handWritten, 'model.grad.ts.map'))).toBe(true);
  });
});

describe('stack traces through generated code', () => {
  const tensorSource = [
    "import { Tensor, add, mul, sum, tanh } from 'wengert';", // 1
    '', //                                                       2
    '/**', //                                                    3
    ' * A few tanh layers with shared weights.', //              4
    ' * @differentiable wrt(w)', //                              5
    ' */', //                                                    6
    'export function loss(w: Tensor, x: Tensor, steps: number): number {', // 7
    '  let h = x;', //                                           8
    '  for (let i = 0; i < steps; i++) {', //                    9
    '    const z = mul(h, w);', //                              10
    '    h = tanh(z);', //                                      11
    '  }', //                                                   12
    '  const total = add(h, x);', //                            13
    '  return sum(total) as number;', //                        14
    '}', //                                                     15
    '',
  ].join('\n');

  // Shapes [3] and [4] do not broadcast: mul throws inside the generated code.
  const mainSource = `import { zeros } from 'wengert';
import { grad_loss, jvp_loss } from './model.grad.ts';

const stacks: string[] = [];
const runs = [() => jvp_loss(zeros([3]), zeros([4]), 2, zeros([3])), () => grad_loss(zeros([3]), zeros([4]), 2)];
for (const run of runs) {
  try {
    run();
  } catch (error) {
    stacks.push(String((error as Error).stack));
  }
}
console.log(JSON.stringify(stacks));
`;

  /** A project whose `wengert` import resolves to this package (dist/), built. */
  function builtTensorProject(): string {
    const dir = project({ 'model.ts': tensorSource, 'main.ts': mainSource });
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'wengert'), 'junction');
    const { result, printed } = buildIn(dir);
    expect(result.exitCode, printed.join('\n')).toBe(0);
    return dir;
  }

  test('vitest maps a throw inside jvp_loss to model.ts', async () => {
    const dir = builtTensorProject();
    const { zeros } = await import('wengert');
    const grad = (await import(/* @vite-ignore */ path.join(dir, 'model.grad.ts'))) as { jvp_loss(...args: unknown[]): unknown };
    let stack = '';
    try {
      grad.jvp_loss(zeros([3]), zeros([4]), 2, zeros([3]));
    } catch (error) {
      stack = String((error as Error).stack);
    }
    expect(stack).toContain('cannot be broadcast together');
    expect(stack).toContain(`${path.join(dir, 'model.ts')}:10:`);
  });

  test('Node --enable-source-maps reports a shape mismatch thrown inside generated code at model.ts', () => {
    const dir = builtTensorProject();

    // The generated line of the throwing statement, and the primal line the map gives it.
    const text = fs.readFileSync(path.join(dir, 'model.grad.ts'), 'utf8').split('\n');
    const consumer = new SourceMapConsumer(JSON.parse(fs.readFileSync(path.join(dir, 'model.grad.ts.map'), 'utf8')));
    const inReverse = text.findIndex((l, i) => i > text.findIndex((h) => h.startsWith('export function valueAndVjp_loss(')) && l.trim() === 'const z = mul(h, w);');
    // (At the statement's own column: a lifetime scope's try block indents it.)
    const reverseLine = consumer.originalPositionFor({ line: inReverse + 1, column: text[inReverse]!.indexOf('const') }).line!;
    // The reverse sweep records lines 9-11 as one block, which maps to the loop's line.
    expect(reverseLine).toBe(9);

    // esbuild composes the generated file's map into the bundle's, as bundlers do.
    const bundle = path.join(dir, 'out', 'main.mjs');
    buildSync({ entryPoints: [path.join(dir, 'main.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, sourcemap: 'linked', logLevel: 'silent' });
    const ran = spawnSync(process.execPath, ['--enable-source-maps', bundle], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(ran.status, ran.stderr).toBe(0);
    const [forward, reverse] = JSON.parse(ran.stdout) as [string, string];
    const model = path.join(dir, 'model.ts').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(forward).toContain('mul: shapes [4] and [3] cannot be broadcast together');
    expect(forward).toMatch(new RegExp(`at jvp_loss \\(${model}:10:5\\)`));
    expect(reverse).toMatch(new RegExp(`at valueAndVjp_loss \\(${model}:${reverseLine}:\\d+\\)`));
    expect(reverse).toMatch(new RegExp(`at grad_loss \\(${model}:7:1\\)`));
    expect(`${forward}\n${reverse}`).not.toContain('model.grad.ts');
  });
});
