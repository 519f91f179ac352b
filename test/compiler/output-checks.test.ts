/**
 * The build vouches for its output: generated text that does not parse is
 * an internal error located at the source function (nothing is written);
 * `inspect` prints exactly what the build writes, custom derivatives
 * included; and a caller left stale by a change of its callee's interface
 * fails to type-check instead of computing a wrong value.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { compileFiles, inspectFunction } from '../../compiler/index.ts';
import { checkEmitted } from '../../compiler/pipeline.ts';
import { build } from '../../compiler/build/build.ts';
import { typecheck } from '../helpers/typecheck.ts';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wengert-output-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const lib = (wrt: string) => `
/** @differentiable wrt(${wrt}) */
export function g(x: number, y: number): number {
  return x * x * y;
}
`;

const main = `
import { g } from './lib.ts';

/** @differentiable */
export function h(x: number): number {
  return g(x, 3) + x;
}
`;

describe('generated text is parsed before it is returned', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('checkEmitted names the line and column of a syntax error', () => {
    const problems = checkEmitted('export function f(o: number, do: number) {}\n', '/x/model.grad.ts');
    expect(problems[0]).toMatch(/^model\.grad\.ts:1:\d+: /);
    expect(checkEmitted('export const ok = 1;\n', '/x/model.grad.ts')).toEqual([]);
  });

  test('output that does not parse is an internal error at the source function, and no file is produced', async () => {
    const printer = await import('../../compiler/emit/printer.ts');
    vi.spyOn(printer, 'printStatements').mockReturnValue('export function broken( {');
    const dir = project({ 'lib.ts': lib('x, y') });
    const result = compileFiles([path.join(dir, 'lib.ts')]);
    expect(result.files).toEqual([]);
    expect(result.diagnostics).toHaveLength(1);
    const d = result.diagnostics[0]!;
    expect(d.line).toBe(3); // export function g(...), the function whose file it is
    expect(d.message).toMatch(/^internal error: the generated lib\.grad\.ts does not parse \(lib\.grad\.ts:\d+:\d+: .*\); please report this with the source of g$/);
    expect(d.hint).toMatch(/not written/);
  });
});

describe('inspect prints what the build writes', () => {
  test('a function with a custom derivative: its generated code, not a derivative of its body', () => {
    const dir = project({
      'model.ts': `
/** @differentiable */
export function softplus(x: number): number {
  return Math.log(1 + Math.exp(x));
}

/** @derivative vjp(softplus) */
export function softplusPullback(x: number, dy: number): number {
  return dy / (1 + Math.exp(-x));
}
`,
    });
    const file = path.join(dir, 'model.ts');
    const printed = inspectFunction(file, 'softplus');
    const written = compileFiles([file]).files[0]!.text;
    expect(printed).toMatch(/custom derivatives \(softplusPullback\)/);
    const section = printed.slice(printed.indexOf('// ---- softplus'));
    expect(written).toContain(section);
    expect(section).toMatch(/softplusPullback\(x, dy\)/);
  });

  test('a derived function: the Wengert list, then its section of the generated file', () => {
    const dir = project({ 'lib.ts': lib('x, y') });
    const file = path.join(dir, 'lib.ts');
    const printed = inspectFunction(file, 'g');
    expect(printed).toMatch(/^== Wengert list of g ==/);
    const section = printed.slice(printed.indexOf('// ---- g'));
    expect(compileFiles([file]).files[0]!.text).toContain(section);
  });
});

describe('a stale caller fails to type-check instead of computing a wrong value', () => {
  test("main.grad.ts built against g's old wrt list does not type-check once g's derivatives change", () => {
    const dir = project({ 'lib.ts': lib('x, y'), 'main.ts': main, 'tsconfig.json': fs.readFileSync('test/fixtures/tspc-project/tsconfig.json', 'utf8') });
    const logs: string[] = [];
    const quiet = { log: (l: string) => logs.push(l), logError: (l: string) => logs.push(l), cwd: dir };
    expect(build(['lib.ts', 'main.ts'], quiet).exitCode).toBe(0);
    const staleCaller = fs.readFileSync(path.join(dir, 'main.grad.ts'), 'utf8');
    // g now differentiates x only; rebuild lib.ts alone without its callers, then put the stale caller back.
    fs.writeFileSync(path.join(dir, 'lib.ts'), lib('x'));
    expect(build(['lib.ts'], { ...quiet, rebuildCallers: false }).exitCode).toBe(0);
    fs.writeFileSync(path.join(dir, 'main.grad.ts'), staleCaller);
    const errors = typecheck([path.join(dir, 'main.grad.ts')]).filter((e) => e.startsWith('main.grad.ts'));
    expect(errors.length).toBeGreaterThan(0);
  });
});
