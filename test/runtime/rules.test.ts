/**
 * Checks every tensor derivative rule (compiler/rules/tensor.ts) by running
 * its templates: each template is turned into a JS function with
 * `new Function` over the runtime's exports, then
 *   - the VJP is compared with central finite differences in float64, and
 *   - the JVP with the VJP through <u, J v> = <J^T u, v>,
 * on cases that include broadcasting, size-1 dimensions and number operands.
 */
import { describe as group, expect, test } from 'vitest';
import * as W from 'wengert';
import { Tensor } from 'wengert';
import { tensorRules, tensorRuntimeNames, zeroDerivativeTensorPrims, type TensorPrim } from '../../compiler/rules/tensor.ts';
import type { Rule } from '../../compiler/rules/types.ts';
import { T, describe, flat, inner, maxRelDiff, randomLike, slots } from './helpers.ts';

/** An operand: a value passed as a variable, or a constant given as source text. */
type Arg = { value: unknown; diff?: boolean } | { expr: string };

const v = (value: unknown, diff = true): Arg => ({ value, diff });
const c = (expr: string): Arg => ({ expr });
const labels = new Int32Array([1, 0, 3]);

const runtimeNames = Object.keys(W).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
const runtimeValues = runtimeNames.map((k) => (W as Record<string, unknown>)[k]);

/** Evaluates a template expression with the operands bound to a0, a1, ... */
function evaluate(expr: string, bindings: Record<string, unknown>): unknown {
  const names = Object.keys(bindings);
  const fn = new Function(...runtimeNames, ...names, `return (${expr});`) as (...xs: unknown[]) => unknown;
  return fn(...runtimeValues, ...names.map((n) => bindings[n]));
}

const positive = (shape: number[], seed: number) => T(shape, seed, 0.5, 2);
/** Values bounded away from zero (for kinks at 0). */
const awayFromZero = (shape: number[], seed: number) =>
  W.mul(W.add(T(shape, seed, 0.2, 1), 0), W.where(W.greater(T(shape, seed + 1), 0), 1, -1)) as Tensor;

const broadcastPairs = (mk: (s: number[], seed: number) => Tensor): Arg[][] => [
  [v(mk([2, 3], 1)), v(mk([3], 2))],
  [v(mk([2, 1], 3)), v(mk([1, 3], 4))],
  [v(mk([2, 3], 5)), v(1.5)],
  [v(0.7), v(mk([3], 6))],
  [v(mk([4], 7)), v(mk([4], 8))],
  [v(mk([1], 9)), v(mk([2, 2], 10))],
];
const unaryCases = (mk: (s: number[], seed: number) => Tensor, num: number): Arg[][] => [
  [v(mk([2, 3], 11))],
  [v(mk([1, 4, 1], 12))],
  [v(num)],
];
const reductionCases: Arg[][] = [
  [v(T([2, 3, 4], 20)), c('[0, 2]'), c('true')],
  [v(T([2, 3, 4], 21)), c('1'), c('false')],
  [v(T([2, 3], 22)), c('undefined'), c('undefined')],
  [v(T([2, 3], 23)), c('-1'), c('undefined')],
  [v(T([3, 1], 24)), c('null'), c('true')],
];

const cases: Record<TensorPrim, Arg[][]> = {
  add: broadcastPairs(T),
  sub: broadcastPairs(T),
  mul: broadcastPairs(T),
  div: [...broadcastPairs(T).slice(0, 2), [v(T([2, 3], 30)), v(positive([3], 31))], [v(2), v(positive([2, 2], 32))]],
  pow: [[v(positive([2, 3], 33)), v(T([3], 34))], [v(positive([2, 3], 35)), v(2)], [v(1.5), v(T([3], 36))]],
  maximum: [[v(T([2, 3], 37)), v(T([3], 38))], [v(T([3], 39)), v(0.1)]],
  minimum: [[v(T([2, 3], 40)), v(T([2, 1], 41))], [v(0.1), v(T([3], 42))]],
  prelu: [[v(awayFromZero([2, 3], 43)), v(T([3], 44))], [v(awayFromZero([4], 45)), v(0.2)]],
  neg: unaryCases(T, 0.3),
  exp: unaryCases(T, 0.3),
  log: unaryCases(positive, 1.7),
  sqrt: unaryCases(positive, 1.7),
  abs: unaryCases(awayFromZero, -0.4),
  tanh: unaryCases(T, 0.3),
  sigmoid: unaryCases(T, 0.3),
  relu: unaryCases(awayFromZero, 0.8),
  leakyRelu: [[v(awayFromZero([2, 3], 46)), c('0.1')], [v(awayFromZero([3], 47)), c('undefined')], [v(-0.5), c('0.2')]],
  softplus: unaryCases(T, 0.3),
  where: [
    [v(W.greater(T([2, 3], 48), 0), false), v(T([2, 3], 49)), v(T([3], 50))],
    [v(W.greater(T([3], 51), 0), false), v(T([2, 1], 52)), v(0.5)],
  ],
  cast: [[v(T([2, 3], 53)), c("'float64'")]],
  sign: [[v(T([2, 3], 54))]],
  greater: [[v(T([2, 3], 55)), v(0)]],
  greaterEqual: [[v(T([2, 3], 55)), v(T([3], 56))]],
  less: [[v(T([2, 3], 55)), v(0)]],
  lessEqual: [[v(T([2, 3], 55)), v(0)]],
  equal: [[v(T([2, 3], 55)), v(0)]],
  notEqual: [[v(T([2, 3], 55)), v(0)]],
  maxMask: [[v(T([2, 3], 55)), v(T([3], 56))]],
  argmax: [[v(T([2, 3], 57)), c('undefined')], [v(T([2, 3], 58)), c('0')]],
  sum: reductionCases,
  mean: reductionCases,
  max: reductionCases,
  min: reductionCases,
  logsumexp: reductionCases,
  matmul: [
    [v(T([2, 3], 60)), v(T([3, 4], 61)), c('undefined'), c('undefined')],
    [v(T([3, 2], 62)), v(T([3, 4], 63)), c('true'), c('false')],
    [v(T([2, 3], 64)), v(T([4, 3], 65)), c('false'), c('true')],
    [v(T([3, 2], 66)), v(T([4, 3], 67)), c('true'), c('true')],
    [v(T([2, 2, 3], 68)), v(T([3, 4], 69)), c('false'), c('false')],
    [v(T([2, 1, 2, 3], 70)), v(T([3, 3, 2], 71)), c('false'), c('false')],
    [v(T([1, 3], 72)), v(T([3, 1], 73)), c('false'), c('false')],
  ],
  transpose: [[v(T([2, 3, 4], 74)), c('[2, 0, 1]')], [v(T([2, 3], 75)), c('undefined')]],
  reshape: [[v(T([2, 3], 76)), c('[3, 2]')], [v(T([2, 3], 77)), c('[-1]')]],
  broadcastTo: [[v(T([3], 78)), c('[2, 3]')], [v(T([2, 1], 79)), c('[2, 4]')], [v(0.5), c('[2]')]],
  concat: [[v([T([2, 3], 80), T([2, 1], 81)]), c('1')], [v([T([1, 3], 82), T([2, 3], 83)]), c('undefined')]],
  stack: [[v([T([2, 3], 84), T([2, 3], 85)]), c('1')], [v([T([3], 86), T([3], 87), T([3], 88)]), c('-1')], [v([T([2], 89), T([2], 90)]), c('undefined')]],
  slice: [[v(T([3, 4], 84)), c('[1, 1]'), c('[2, -1]')], [v(T([3, 4], 85)), c('[2]'), c('undefined')]],
  gather: [[v(T([4, 3], 86)), v(labels, false)], [v(T([5], 87)), v(new Int32Array([4, 4, 0]), false)]],
  scatterAdd: [[v(T([4, 3], 88)), v(new Int32Array([0, 2, 0]), false), v(T([3, 3], 89))]],
  clone: [[v(T([2, 3], 90))]],
  softmax: [[v(T([2, 4], 91)), c('undefined')], [v(T([3, 2], 92)), c('0')]],
  logSoftmax: [[v(T([2, 4], 93)), c('undefined')], [v(T([3, 2], 94)), c('0')]],
  softmaxCrossEntropy: [[v(T([3, 4], 95)), v(labels, false)]],
  softmaxCrossEntropyLoss: [[v(T([3, 4], 300)), v(labels, false)]],
  sumAll: [[v(T([2, 3], 301))], [v(T([4], 302))]],
  meanAll: [[v(T([2, 3], 303))], [v(T([1, 4, 2], 304))]],
  sigmoidCrossEntropy: [[v(T([2, 3], 96)), v(T([2, 3], 97, 0.1, 0.9))]],
  mse: [[v(T([2, 3], 98)), v(T([2, 3], 99))]],
  dropout: [[v(T([4, 5], 100)), c('0.3'), c('7')]],
  zeros: [[c('[2, 3]'), c("'float64'")]],
  ones: [[c('[2]'), c('undefined')]],
  full: [[c('[2]'), v(0.5, false), c("'float64'")]],
  randn: [[c('[3]'), c('1'), c("{ dtype: 'float64' }")]],
  randu: [[c('[3]'), c('1'), c('undefined')]],
  fromArray: [[c('[1, 2]'), c('undefined'), c("'float64'")]],
  fromTypedArray: [[c('new Float64Array([1, 2])'), c('undefined')]],
  // the gradient helpers (compiler/rules/tensor-grad-helpers.ts); shape operands are constants
  asTensor: [[v(T([2, 3], 200))]],
  tanhGrad: [[v(T([2, 3], 201)), v(T([2, 3], 202))], [v(T([1, 3], 203)), v(T([1, 3], 241))]],
  sigmoidGrad: [[v(T([2, 3], 204)), v(T([2, 3], 205))]],
  reluGrad: [[v(T([2, 3], 206)), v(awayFromZero([2, 3], 207), false)]],
  unbroadcast: [[v(T([2, 3], 208)), v(T([3], 209), false)], [v(T([2, 3], 210)), v(T([2, 1], 211), false)]],
  broadcastLike: [[v(T([3], 212)), v(T([2, 3], 213), false)]],
  reduceGrad: [[v(T([2], 214)), v(T([2, 3], 215), false), c('1'), c('false')], [v(T([2, 1], 216)), v(T([2, 3], 217), false), c('1'), c('true')]],
  meanGrad: [[v(T([2], 218)), v(T([2, 3], 219), false), c('1'), c('false')], [v(T([1, 3], 220)), v(T([2, 3], 221), false), c('0'), c('true')]],
  matmulGradA: [
    [v(T([2, 4], 222)), v(T([2, 3], 223), false), v(T([3, 4], 224)), c('undefined'), c('undefined')],
    [v(T([2, 4], 225)), v(T([3, 2], 226), false), v(T([4, 3], 227)), c('true'), c('true')],
  ],
  matmulGradB: [
    [v(T([2, 4], 228)), v(T([2, 3], 229)), v(T([3, 4], 230), false), c('undefined'), c('undefined')],
    [v(T([2, 4], 231)), v(T([3, 2], 232)), v(T([4, 3], 233), false), c('true'), c('true')],
  ],
  softmaxGrad: [[v(T([2, 3], 234)), v(T([2, 3], 235)), c('undefined')], [v(T([2, 3], 236)), v(T([2, 3], 237)), c('0')]],
  softmaxCrossEntropyGrad: [[v(0.7), v(T([3, 4], 238)), v(labels, false)]],
  mseGrad: [[v(0.7), v(T([2, 3], 239)), v(T([2, 3], 240))]],
  zerosLike: [[v(T([2, 3], 242), false)]],
};

/** Operand expressions (a0, a1, ... for values, source text for constants) and bindings. */
function operands(args: Arg[]): { exprs: string[]; bindings: Record<string, unknown> } {
  const bindings: Record<string, unknown> = {};
  const exprs = args.map((a, i) => {
    if ('expr' in a) return a.expr;
    bindings[`a${i}`] = a.value;
    return `a${i}`;
  });
  return { exprs, bindings };
}

const diffIndices = (args: Arg[]) => args.flatMap((a, i) => ('value' in a && a.diff !== false ? [i] : []));

function checkRule(name: TensorPrim, rule: Rule, args: Arg[]): void {
  expect(args.length).toBe(rule.arity);
  const { exprs, bindings } = operands(args);
  const primal = rule.primal(exprs);
  const out = evaluate(primal, bindings);
  const diff = zeroDerivativeTensorPrims.has(name) ? [] : diffIndices(args);
  const u = randomLike(out, 1234);
  // A number-only operand list makes a float32 result (numbers are weak
  // types); float32 rounding then bounds the accuracy of both checks.
  const f32 = out instanceof Tensor && out.dtype === 'float32';
  const fdEps = f32 ? 1e-2 : 1e-6;
  const fdTol = f32 ? 1e-3 : 1e-6;
  const g = `gbar`;
  const ctx = { args: exprs, out: 'out' };

  // VJP against central finite differences of <u, f(x)>.
  for (const i of diff) {
    const template = rule.vjp({ ...ctx, g }, i);
    expect(template, `${name}: vjp of operand ${i}`).not.toBeNull();
    const vjp = evaluate(template!, { ...bindings, out, [g]: u });
    expect(describe(vjp), `${name}: vjp ${i} shape`).toBe(describe(bindings[`a${i}`]));
    const holder = [bindings[`a${i}`]];
    const numeric = slots(holder, 0).map((slot) => {
      const x0 = slot.get();
      const at = (x: number) => {
        slot.set(x);
        return inner(u, evaluate(primal, { ...bindings, [`a${i}`]: holder[0] }));
      };
      const d = (at(x0 + fdEps) - at(x0 - fdEps)) / (2 * fdEps);
      slot.set(x0);
      return d;
    });
    expect(maxRelDiff(flat(vjp), numeric), `${name}(${exprs.join(', ')}): vjp ${i} vs finite differences`).toBeLessThan(fdTol);
  }

  // JVP against VJP: each tangent alone, then all together.
  const tangents: Record<number, unknown> = {};
  for (const i of diff) tangents[i] = randomLike(bindings[`a${i}`], 77 + i);
  const subsets = diff.length > 1 ? [...diff.map((i) => [i]), diff] : [diff];
  for (const subset of subsets) {
    const dargs = args.map((_, i) => (subset.includes(i) ? `d${i}` : null));
    const template = rule.jvp({ ...ctx, dargs });
    if (subset.length === 0) {
      expect(template, `${name}: jvp with no tangents`).toBeNull();
      continue;
    }
    expect(template, `${name}: jvp`).not.toBeNull();
    const tb: Record<string, unknown> = { ...bindings, out };
    for (const i of subset) tb[`d${i}`] = tangents[i];
    const jv = evaluate(template!, tb);
    expect(describe(jv), `${name}: jvp shape`).toBe(describe(out));
    let rhs = 0;
    for (const i of subset) rhs += inner(evaluate(rule.vjp({ ...ctx, g }, i)!, { ...bindings, out, [g]: u }), tangents[i]);
    const lhs = inner(u, jv);
    const tol = f32 || (jv instanceof Tensor && jv.dtype === 'float32') ? 1e-6 : 1e-10;
    expect(Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs)), `${name}(${exprs.join(', ')}): <u, J v> vs <J^T u, v>`).toBeLessThan(tol);
  }

  // Non-differentiable operands get no cotangent.
  args.forEach((_, i) => {
    if (!diff.includes(i)) expect(rule.vjp({ ...ctx, g }, i), `${name}: vjp of constant operand ${i}`).toBeNull();
  });
}

group('tensor derivative rules', () => {
  for (const name of Object.keys(tensorRules) as TensorPrim[]) {
    test(name, () => {
      for (const args of cases[name]) checkRule(name, tensorRules[name], args);
    });
  }

  test('templates only call runtime exports', () => {
    for (const n of tensorRuntimeNames) expect(runtimeNames, n).toContain(n);
    const called = new Set<string>();
    for (const name of Object.keys(tensorRules) as TensorPrim[]) {
      const rule = tensorRules[name];
      for (const args of cases[name]) {
        const { exprs } = operands(args);
        const ctx = { args: exprs, out: 'out' };
        const texts = [rule.primal(exprs), rule.jvp({ ...ctx, dargs: exprs.map((_, i) => `d${i}`) }) ?? ''];
        for (let i = 0; i < rule.arity; i++) texts.push(rule.vjp({ ...ctx, g: 'g' }, i) ?? '');
        for (const t of texts) for (const m of t.matchAll(/([A-Za-z_$][\w$]*)\(/g)) called.add(m[1]!);
      }
    }
    called.delete('Float64Array');
    for (const fn of called) expect(runtimeNames, `template calls ${fn}`).toContain(fn);
  });

  test('emitted calls drop trailing undefined operands', () => {
    expect(tensorRules.sum.primal(['x', 'undefined', 'undefined'])).toBe('sum(x)');
    expect(tensorRules.sum.vjp({ args: ['x', '1', 'undefined'], out: 'y', g: 'g' }, 0)).toBe('reduceGrad(g, x, 1)');
    expect(tensorRules.tanh.vjp({ args: ['x'], out: 'y', g: 'g' }, 0)).toBe('tanhGrad(g, y)');
    expect(tensorRules.add.vjp({ args: ['a', 'b'], out: 'y', g: 'g' }, 1)).toBe('unbroadcast(g, b)');
  });
});
