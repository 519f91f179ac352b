/**
 * The IR verifier (compiler/ir/verify.ts) between the passes of the
 * pipeline: every differentiable function of the golden cases
 * (test/compiler/golden/cases.ts) and of the examples is lowered, verified,
 * and verified again after each analysis (activity, recording), which must
 * also leave the IR as they found it. And the verifier itself: a
 * deliberately broken IR is reported with a message naming the problem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, test } from 'vitest';
import { analyzeActivity } from '../../compiler/analysis/activity.ts';
import { analyzeRecording } from '../../compiler/analysis/recording.ts';
import { CompileError, formatDiagnostic } from '../../compiler/frontend/diagnostics.ts';
import { Lowerer } from '../../compiler/frontend/lower.ts';
import { num, varOp, type IRFunction, type Loc, type Stmt } from '../../compiler/ir/ir.ts';
import { verify } from '../../compiler/ir/verify.ts';
import { caseSourcePaths, differentiableFunctions, goldenCases } from './golden/cases.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const examplesDir = path.join(repoRoot, 'examples');

/** The example sources with differentiable functions: examples/<name>/model.ts and examples/adbench/*.ts. */
function exampleSources(): string[] {
  const models = fs
    .readdirSync(examplesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(examplesDir, e.name, 'model.ts'))
    .filter((p) => fs.existsSync(p));
  const adbenchDir = path.join(examplesDir, 'adbench');
  const adbench = fs
    .readdirSync(adbenchDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.grad.ts'))
    .map((f) => path.join(adbenchDir, f))
    .filter((p) => fs.readFileSync(p, 'utf8').includes('@differentiable'));
  return [...models, ...adbench].sort();
}

/** What the verifier says about `fn`: its problems, or [] when it passes. */
function verifierProblems(fn: IRFunction): string[] {
  try {
    verify(fn);
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

/**
 * Runs the IR passes of the pipeline on every differentiable function of
 * `paths` with the verifier after each, and returns one line per problem
 * (`name after pass: message`), and the names of the functions checked.
 */
function verifyBetweenPasses(paths: string[]): { checked: string[]; problems: string[] } {
  const checked: string[] = [];
  const problems: string[] = [];
  for (const { annotated, sourceFile, custom } of differentiableFunctions(paths)) {
    // A function with custom derivatives is never lowered: its body is not differentiated.
    if (custom) continue;
    let ir: IRFunction;
    try {
      ir = new Lowerer(annotated, sourceFile).lowerBody();
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      problems.push(`${annotated.name} does not lower: ${formatDiagnostic(e.diagnostic)}`);
      continue;
    }
    const report = (pass: string) => problems.push(...verifierProblems(ir).map((m) => `${annotated.name} after ${pass}: ${m}`));
    report('lowering');
    const lowered = structuredClone(ir);
    const activity = analyzeActivity(ir);
    report('activity');
    analyzeRecording(ir, activity);
    report('recording');
    if (!isDeepStrictEqual(ir, lowered)) problems.push(`${annotated.name}: the analyses changed the IR`);
    checked.push(annotated.name);
  }
  return { checked, problems };
}

describe('the verifier between passes', () => {
  for (const c of goldenCases) {
    test(`golden case ${c.name}`, () => {
      const { checked, problems } = verifyBetweenPasses(caseSourcePaths(c));
      expect(problems).toEqual([]);
      expect(checked.length).toBeGreaterThan(0);
    });
  }

  const examples = exampleSources();
  test('the examples are found', () => {
    const relative = examples.map((p) => path.relative(repoRoot, p));
    expect(relative).toEqual(expect.arrayContaining(['examples/seed/model.ts', 'examples/mnist-mlp/model.ts', 'examples/adbench/gmm.ts', 'examples/adbench/ba.ts', 'examples/adbench/lstm.ts']));
  });
  for (const file of examples) {
    test(`example ${path.relative(repoRoot, file)}`, () => {
      const { checked, problems } = verifyBetweenPasses([file]);
      expect(problems).toEqual([]);
      expect(checked.length).toBeGreaterThan(0);
    });
  }
});

const at = (line: number): Loc => ({ line, column: 3 });

/** `t1 = x * x; return t1`, well formed; the broken cases below change one thing of it. */
function wellFormed(body?: Stmt[]): IRFunction {
  return {
    name: 'square',
    sourceFile: 'square.ts',
    params: [{ name: 'x', type: num, wrt: true }],
    self: null,
    locals: new Map([['t1', num]]),
    body: body ?? [
      { kind: 'assign', target: 't1', expr: { kind: 'prim', prim: 'mul', args: [varOp('x'), varOp('x')] }, loc: at(2) },
      { kind: 'return', value: varOp('t1'), loc: at(3) },
    ],
    returnType: num,
    loc: at(1),
  };
}

describe('the verifier reports broken IR', () => {
  test('a well-formed function passes', () => {
    expect(verifierProblems(wellFormed())).toEqual([]);
  });

  test('a statement reading an undeclared variable', () => {
    const fn = wellFormed([
      { kind: 'assign', target: 't1', expr: { kind: 'prim', prim: 'mul', args: [varOp('x'), varOp('ghost')] }, loc: at(2) },
      { kind: 'return', value: varOp('t1'), loc: at(3) },
    ]);
    expect(() => verify(fn)).toThrow('IR verification failed for square:\n  line 2: unknown variable ghost');
  });

  test('an assignment to an undeclared variable, and a loop condition reading one', () => {
    const fn = wellFormed([
      { kind: 'assign', target: 'nowhere', expr: { kind: 'copy', src: varOp('x') }, loc: at(2) },
      { kind: 'loop', test: 'pre', cond: { kind: 'binary', op: '<', left: { kind: 'operand', op: varOp('counter') }, right: { kind: 'operand', op: { kind: 'const', value: 3 } } }, body: [], loc: at(3) },
      { kind: 'return', value: varOp('x'), loc: at(4) },
    ]);
    const [message] = verifierProblems(fn);
    expect(message).toContain('line 2: unknown variable nowhere');
    expect(message).toContain('line 3: unknown variable counter');
  });

  test('two returns', () => {
    const fn = wellFormed([
      { kind: 'assign', target: 't1', expr: { kind: 'prim', prim: 'mul', args: [varOp('x'), varOp('x')] }, loc: at(2) },
      { kind: 'return', value: varOp('x'), loc: at(3) },
      { kind: 'return', value: varOp('t1'), loc: at(4) },
    ]);
    expect(() => verify(fn)).toThrow('IR verification failed for square:\n  2 return statements (expected exactly 1)');
  });

  test('a return that is not the last statement', () => {
    const fn = wellFormed([
      { kind: 'return', value: varOp('x'), loc: at(2) },
      { kind: 'assign', target: 't1', expr: { kind: 'prim', prim: 'mul', args: [varOp('x'), varOp('x')] }, loc: at(3) },
    ]);
    expect(verifierProblems(fn)).toEqual(['IR verification failed for square:\n  the function does not end with return']);
  });

  test('a return inside a branch besides the final one', () => {
    const fn = wellFormed([
      { kind: 'if', cond: { kind: 'bool', value: true }, then: [{ kind: 'return', value: varOp('x'), loc: at(2) }], else: [], loc: at(2) },
      { kind: 'return', value: varOp('x'), loc: at(3) },
    ]);
    expect(verifierProblems(fn)).toEqual(['IR verification failed for square:\n  2 return statements (expected exactly 1)']);
  });

  test('a primitive applied to an array', () => {
    const fn = wellFormed();
    fn.locals.set('xs', { kind: 'array', ctor: 'Float64Array', elem: num });
    fn.body[0] = { kind: 'assign', target: 't1', expr: { kind: 'prim', prim: 'mul', args: [varOp('x'), varOp('xs')] }, loc: at(2) };
    expect(verifierProblems(fn)).toEqual(['IR verification failed for square:\n  line 2: mul of non-number xs']);
  });

  test('every problem of a function is listed, not only the first', () => {
    const fn = wellFormed([
      { kind: 'assign', target: 't1', expr: { kind: 'prim', prim: 'mul', args: [varOp('ghost'), varOp('x')] }, loc: at(2) },
      { kind: 'return', value: varOp('t1'), loc: at(3) },
      { kind: 'return', value: varOp('x'), loc: at(4) },
    ]);
    expect(verifierProblems(fn)).toEqual(['IR verification failed for square:\n  line 2: unknown variable ghost\n  2 return statements (expected exactly 1)']);
  });
});
