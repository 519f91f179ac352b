/**
 * Composable tensor code, structured results (issue #10 item 1): functions
 * returning tuples and objects of tensors (`lstmCell(...): [Tensor, Tensor]`,
 * `{ h: Tensor; c: Tensor }`), called from other differentiable functions and
 * destructured or read by index and field; object literals as arguments and
 * locals, arrays of objects built with push. Reverse mode against central
 * finite differences in float64, forward against reverse, each `vjp_` of a
 * structured result against its `jvp_` (<dy, J v> = <J^T dy, v>), and the
 * generated file under strict.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, randn, Rng, unflatten } from 'wengert';
import { formatDiagnostic } from 'wengert/compiler';
import { buildFixture, compileFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { dotFlat } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, matmul, tanh, sigmoid, mul, sum, concat, slice } from 'wengert';

export interface LstmParams { Wf: Tensor; Wi: Tensor; Wo: Tensor; Wc: Tensor; b: Tensor }

/** One LSTM step: gates from [x, h]. @differentiable */
export function lstmCell(p: LstmParams, x: Tensor, state: [Tensor, Tensor]): [Tensor, Tensor] {
  const [h, c] = state;
  const xh = concat([x, h], 1);
  const f = sigmoid(add(matmul(xh, p.Wf), p.b));
  const i = sigmoid(matmul(xh, p.Wi));
  const o = sigmoid(matmul(xh, p.Wo));
  const g = tanh(matmul(xh, p.Wc));
  const c2 = add(mul(f, c), mul(i, g));
  return [mul(o, tanh(c2)), c2];
}

/** An LSTM over a sequence: the state carried by destructuring assignment, outputs collected with push. @differentiable wrt(p, h0) */
export function lstmLoss(p: LstmParams, xs: Tensor[], h0: Tensor): number {
  let h = h0;
  let c = mul(h0, 0.5);
  const hs: Tensor[] = [];
  for (const x of xs) {
    [h, c] = lstmCell(p, x, [h, c]);
    hs.push(h);
  }
  let loss = 0;
  for (let t = 0; t < hs.length; t++) loss += (sum(mul(hs[t]!, hs[t]!)) as number) * (t + 1);
  return loss + (sum(c) as number);
}

export interface State { h: Tensor; c: Tensor }

/** The same cell returning an object. @differentiable */
export function cellObj(W: Tensor, x: Tensor, s: State): State {
  const z = matmul(concat([x, s.h], 1), W);
  const c = add(mul(sigmoid(z), s.c), tanh(z));
  return { h: tanh(c), c };
}

/** Object results read by field, the state held in a const object per step. @differentiable wrt(W) */
export function objLoss(W: Tensor, xs: Tensor[], h0: Tensor): number {
  let h = h0;
  let c = h0;
  let total = 0;
  for (let t = 0; t < xs.length; t++) {
    const s = cellObj(W, xs[t]!, { h, c });
    h = s.h;
    c = s.c;
    total += sum(mul(s.h, s.c)) as number;
  }
  return total;
}

/** The result indexed directly, and a tuple local. @differentiable wrt(p, h0) */
export function indexed(p: LstmParams, x: Tensor, h0: Tensor): number {
  const state: [Tensor, Tensor] = [h0, tanh(h0)];
  const r = lstmCell(p, x, state);
  return (sum(r[0]) as number) + 2 * (sum(mul(r[1], r[1])) as number);
}

export interface Layer { W: Tensor; b: Tensor }

/** @differentiable */
export function dense(layer: Layer, x: Tensor): Tensor {
  return add(matmul(x, layer.W), layer.b);
}

export interface Net { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** Object literals as arguments, object locals, and an array of objects built with push. @differentiable wrt(p) */
export function netLoss(p: Net, x: Tensor): number {
  const h = tanh(dense({ W: p.W1, b: p.b1 }, x));
  const second = { W: p.W2, b: p.b2 };
  const y = dense(second, h);
  const layers: Layer[] = [];
  layers.push({ W: p.W1, b: p.b1 });
  layers.push(second);
  let z = x;
  for (const layer of layers) z = tanh(dense(layer, z));
  const first = layers[0]!;
  return (sum(mul(y, y)) as number) + (sum(z) as number) + (sum(mul(first.b, first.b)) as number);
}

export interface Stats { mean: number; spread: number }

/** A record of numbers returned. @differentiable */
export function stats(a: number, b: number): Stats {
  const mean = (a + b) / 2;
  return { mean, spread: (a - mean) * (a - mean) + (b - mean) * (b - mean) };
}

/** @differentiable */
export function useStats(a: number, b: number): number {
  const s = stats(a * b, a + b);
  return s.mean * Math.sin(s.spread);
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h4-composable-structures', source);
});

const rng = new Rng(4242);
const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });
const d = 3;
const lstmParams = () => ({ Wf: f64([2 * d, d]), Wi: f64([2 * d, d]), Wo: f64([2 * d, d]), Wc: f64([2 * d, d]), b: f64([d]) });

describe('functions returning tuples and objects of tensors', () => {
  test('an LSTM over a sequence: lstmCell returns [h, c], destructured in the loop', () => {
    const xs = [f64([2, d]), f64([2, d]), f64([2, d]), f64([2, d])];
    checkDerivatives(m, 'lstmLoss', [lstmParams(), xs, f64([2, d])], { wrt: [0, 2] });
    // An empty sequence: the loss is sum(c0), its gradient 0.5 in h0.
    const g = m.grad.grad_lstmLoss(lstmParams(), [], f64([1, d]));
    expect(flatten(g[1])).toEqual([0.5, 0.5, 0.5]);
  });

  test("lstmCell's vjp takes a cotangent [dh, dc]: <dy, J v> = <J^T dy, v>, and null-free parts", () => {
    const p = lstmParams();
    const x = f64([2, d]);
    const state = [f64([2, d]), f64([2, d])];
    const dy = [f64([2, d]), f64([2, d])];
    const grads = m.grad.vjp_lstmCell(p, x, state, dy);
    const v = [unflatten(p, flatten(p).map((_, k) => Math.sin(k + 1))), f64([2, d]), [f64([2, d]), f64([2, d])]];
    const [y, jv] = m.grad.jvp_lstmCell(p, x, state, ...v);
    expect(flatten(y)).toEqual(flatten(m.source.lstmCell(p, x, state)));
    const lhs = dotFlat(flatten(dy), flatten(jv));
    const rhs = dotFlat(flatten(grads), flatten(v));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lhs)));
  });

  test('a function returning { h, c }, read by field', () => {
    const W = f64([2 * d, d]);
    const xs = [f64([1, d]), f64([1, d]), f64([1, d])];
    checkDerivatives(m, 'objLoss', [W, xs, f64([1, d])], { wrt: [0] });
    const s = { h: f64([1, d]), c: f64([1, d]) };
    const dy = { h: f64([1, d]), c: f64([1, d]) };
    const x = f64([1, d]);
    const [dW, dx, ds] = m.grad.vjp_cellObj(W, x, s, dy);
    const v = [f64([2 * d, d]), f64([1, d]), { h: f64([1, d]), c: f64([1, d]) }];
    const [, jv] = m.grad.jvp_cellObj(W, x, s, ...v);
    expect(Object.keys(jv)).toEqual(['h', 'c']);
    const lhs = dotFlat(flatten(dy), flatten(jv));
    const rhs = dotFlat(flatten([dW, dx, ds]), flatten(v));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lhs)));
  });

  test('a result read by index, a tuple local passed on', () => {
    checkDerivatives(m, 'indexed', [lstmParams(), f64([2, d]), f64([2, d])], { wrt: [0, 2] });
  });

  test('object literals as arguments and locals, an array of objects built with push and iterated', () => {
    const p = { W1: f64([3, 3]), b1: f64([3]), W2: f64([3, 3]), b2: f64([3]) };
    checkDerivatives(m, 'netLoss', [p, f64([2, 3])], { wrt: [0] });
  });

  test('a record of numbers returned and read by field', () => {
    for (const [a, b] of [[0.3, -1.2], [2, 0.5]]) checkDerivatives(m, 'useStats', [a, b]);
    const [da, db] = m.grad.vjp_stats(0.3, 0.7, { mean: 1, spread: 0 });
    expect(da).toBeCloseTo(0.5, 14);
    expect(db).toBeCloseTo(0.5, 14);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

const more = `
import { Tensor, reshape, sum, mul, tanh } from 'wengert';

/** The last dimension by index arithmetic. @differentiable */
export function lastByLength(x: Tensor): number {
  const d = x.shape[x.shape.length - 1]!;
  return (sum(mul(x, x)) as number) * d;
}

/** shape.at with negative, literal and computed indexes. @differentiable wrt(x) */
export function lastByAt(x: Tensor, k: number): number {
  const d = x.shape.at(-1)!;
  const n = x.shape.at(0)!;
  const picked = x.shape.at(k - 2)!;
  return (sum(tanh(reshape(x, [n * d]))) as number) * d + picked;
}

/** Through a local alias of the shape. @differentiable */
export function viaAlias(x: Tensor): number {
  const shape = x.shape;
  const d = shape[shape.length - 1]!;
  return (sum(mul(x, x)) as number) * d + shape.length + shape.at(-2)!;
}

export interface Pt { x: number; y: number }

/** An array of objects of numbers built with push, read through aliases of its elements. @differentiable */
export function polyline(xs: number[]): number {
  const pts: Pt[] = [];
  for (let i = 0; i < xs.length; i++) pts.push({ x: xs[i]!, y: xs[i]! * xs[i]! });
  let len = 0;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    len += Math.hypot(b.x - a.x, b.y - a.y);
  }
  return len;
}
`;

describe('shapes read with negative and computed indexes; arrays of objects of numbers', () => {
  let s: Built<any, any>;
  beforeAll(async () => {
    s = await buildFixture('h4-composable-structures-more', more);
  });

  test('x.shape[x.shape.length - 1], x.shape.at(-1), shape.at(k - 2), a local alias of the shape', () => {
    const x = f64([2, 3]);
    checkDerivatives(s, 'lastByLength', [x]);
    for (const k of [0, 1, 2, 3]) checkDerivatives(s, 'lastByAt', [x, k], { wrt: [0] });
    checkDerivatives(s, 'viaAlias', [f64([4, 2, 3])]);
    // The dimensions themselves: 3 * 4 + ... from the primal.
    expect(s.source.lastByAt(x, 0)).toBeCloseTo(s.grad.valueAndGrad_lastByAt(x, 0)[0], 14);
  });

  test('an array of objects built with push', () => {
    checkDerivatives(s, 'polyline', [[0.5, -1, 2, 0.25]]);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([s.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

describe('refused, with a located error and a hint', () => {
  const cases: { name: string; code: string; message: RegExp }[] = [
    {
      name: 'writing into a field of a local object',
      code: `export interface Pt { x: number; y: number }\n/** @differentiable */\nexport function f(a: number): number {\n  const pts: Pt[] = [];\n  pts.push({ x: a, y: a });\n  pts[0]!.x = 2 * a;\n  return pts[0]!.x;\n}\n`,
      message: /:6:3: error: cannot write into pts\[0\]!\.x: the fields of a local object are fixed when it is made\n\s+hint: make a new object/,
    },
    {
      name: 'a structure returned from several places as a local',
      code: `import { Tensor, tanh } from 'wengert';\n/** @differentiable */\nexport function f(a: Tensor, up: boolean): [Tensor, Tensor] {\n  const s: [Tensor, Tensor] = [a, tanh(a)];\n  if (up) return s;\n  return [tanh(a), a];\n}\n`,
      message: /:5:18: error: f returns \[Tensor, Tensor\] from several places: return a literal or a call here\n\s+hint: write the value out/,
    },
    {
      name: 'a field holding an array that is not made in the function',
      code: `export interface Box { v: number[] }\n/** @differentiable */\nexport function g(b: Box): number { return b.v[0]!; }\n/** @differentiable */\nexport function f(xs: number[]): number {\n  return g({ v: xs });\n}\n`,
      message: /:6:17: error: xs cannot be a field here: a field holding number\[\] must be made in the function/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { result } = compileFixture(`h4-structures-refused-${cases.indexOf(c)}`, c.code);
      expect(result.diagnostics.map(formatDiagnostic).join('\n')).toMatch(c.message);
    });
  }
});

const results = `
import { Tensor, tanh, mul, sum, ones } from 'wengert';

/** A Tensor[] result, one tensor per trip. @differentiable wrt(x) */
export function layers(x: Tensor, n: number): Tensor[] {
  const hs: Tensor[] = [];
  let h = x;
  for (let i = 0; i < n; i++) {
    h = tanh(mul(h, 1.5));
    hs.push(h);
  }
  return hs;
}

/** A tuple with a part that does not depend on the input. @differentiable */
export function pairOf(x: Tensor): [Tensor, Tensor] {
  return [tanh(x), ones([2])];
}

/** A structured result passed on as it is. @differentiable */
export function passOn(x: Tensor): [Tensor, Tensor] {
  return pairOf(mul(x, x));
}

/** @differentiable */
export function useAll(x: Tensor): number {
  const hs = layers(x, 3);
  const [a, b] = passOn(x);
  let s = 0;
  for (const h of hs) s += sum(mul(h, h)) as number;
  return s + (sum(mul(a, b)) as number);
}
`;

describe('Tensor[] results, constant parts, results passed on', () => {
  let r: Built<any, any>;
  beforeAll(async () => {
    r = await buildFixture('h4-composable-structures-results', results);
  });

  test('a caller of all three against finite differences and forward mode', () => {
    checkDerivatives(r, 'useAll', [f64([2])]);
  });

  test('<dy, J v> = <J^T dy, v> for a Tensor[] result and for a tuple with a constant part', () => {
    const x = f64([2]);
    const v = f64([2]);
    for (const [name, args, dy] of [
      ['layers', [x, 3], [f64([2]), f64([2]), f64([2])]],
      ['passOn', [x], [f64([2]), f64([2])]],
    ] as const) {
      const gx = r.grad[`vjp_${name}`](...args, dy);
      const [y, jv] = r.grad[`jvp_${name}`](...args, v);
      expect(flatten(y)).toEqual(flatten(r.source[name](...args)));
      const lhs = dotFlat(flatten(dy), flatten(jv));
      expect(Math.abs(lhs - dotFlat(flatten(gx), flatten(v)))).toBeLessThan(1e-10 * Math.max(1, Math.abs(lhs)));
    }
    // The constant part's tangent is zero.
    expect(flatten(r.grad.jvp_pairOf(x, v)[1][1])).toEqual([0, 0]);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([r.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

const returns = `
import { Tensor, tanh, mul, sum } from 'wengert';

/** @differentiable wrt(a) */
export function pick(a: Tensor, up: boolean): [Tensor, Tensor] {
  if (up) return [a, tanh(a)];
  return [tanh(a), mul(a, a)];
}

export interface S { h: Tensor; c: Tensor }

/** An early return from a loop and a final one. @differentiable wrt(a) */
export function pickObj(a: Tensor, n: number): S {
  let h = a;
  for (let i = 0; i < n; i++) {
    h = tanh(h);
    if (i === 1) return { h, c: mul(h, a) };
  }
  return { h: mul(h, 2), c: h };
}

/** @differentiable */
export function use(a: Tensor): number {
  const [x, y] = pick(a, true);
  const [u, v] = pick(a, false);
  const s = pickObj(a, 3);
  const t = pickObj(a, 1);
  return (sum(mul(x, y)) as number) + (sum(mul(u, v)) as number) + (sum(mul(s.h, s.c)) as number) + (sum(t.c) as number);
}
`;

describe('structured results returned from several places', () => {
  let r: Built<any, any>;
  beforeAll(async () => {
    r = await buildFixture('h4-composable-structures-returns', returns);
  });

  test('both branches and an early return from a loop, against finite differences and forward mode', () => {
    checkDerivatives(r, 'use', [f64([3])]);
    for (const n of [0, 1, 2, 4]) {
      const a = f64([2]);
      const dy = { h: f64([2]), c: f64([2]) };
      const v = f64([2]);
      const g = r.grad.vjp_pickObj(a, n, dy);
      const [y, jv] = r.grad.jvp_pickObj(a, n, v);
      expect(flatten(y)).toEqual(flatten(r.source.pickObj(a, n)));
      const lhs = dotFlat(flatten(dy), flatten(jv));
      expect(Math.abs(lhs - dotFlat(flatten(g), flatten(v)))).toBeLessThan(1e-10 * Math.max(1, Math.abs(lhs)));
    }
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([r.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});
