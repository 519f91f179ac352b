/**
 * Recursion (issue #10, item 8): a differentiable function that calls
 * itself, directly or through another function of its file, is
 * differentiated with the discipline of any call (`jvp_f` calls `jvp_f`,
 * the adjoint sweep of `valueAndVjp_f` calls `valueAndVjp_f`, each level
 * popping what it pushed on the shared tape). Checked: reverse mode against
 * central finite differences, forward against reverse, the emitted code
 * under strict, and a recursion too deep for the JavaScript stack, which
 * must end in a RecursionDepthError naming the function with the shared
 * tapes exactly as they were, so the next gradient is right.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, randn, RecursionDepthError, Rng, tape, unflatten } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, mul, sum, tanh } from 'wengert';

/** x^n by repeated squaring. @differentiable wrt(x) */
export function power(x: number, n: number): number {
  if (n === 0) return 1;
  if (n % 2 === 1) return x * power(x, n - 1);
  const h = power(x, n / 2);
  return h * h;
}

/** The falling factorial x (x - 1) ... (x - n + 1), factorial-like. @differentiable wrt(x) */
export function falling(x: number, n: number): number {
  return n <= 0 ? 1 : (x - n + 1) * falling(x, n - 1);
}

/** Sum of sin(xs[i]) xs[i] over [lo, hi), split in halves: two recursive calls per level. @differentiable wrt(xs) */
export function treeSum(xs: number[], lo: number, hi: number): number {
  if (hi - lo === 1) return Math.sin(xs[lo]!) * xs[lo]!;
  const mid = Math.floor((lo + hi) / 2);
  return treeSum(xs, lo, mid) + treeSum(xs, mid, hi);
}

/** Horner's rule from coefficient i on: an array and a number, both differentiated. @differentiable wrt(cs, x) */
export function horner(cs: number[], x: number, i: number): number {
  if (i === cs.length) return 0;
  return cs[i]! + x * horner(cs, x, i + 1);
}

/** Recursion inside a loop, with the loop's state carried around the call. @differentiable wrt(x) */
export function branching(x: number, n: number): number {
  if (n <= 1) return Math.exp(0.3 * x);
  let s = 0;
  for (let k = 1; k <= 2; k++) {
    s = s * x + branching(x * 0.5 + k * 0.1, n - k);
  }
  return s;
}

/** A Tensor-valued layer applied n times, recursively. @differentiable */
export function stack(x: Tensor, w: Tensor, n: number): Tensor {
  if (n === 0) return x;
  return tanh(mul(stack(x, w, n - 1), w));
}

/** @differentiable wrt(x, w) */
export function stackLoss(x: Tensor, w: Tensor, n: number): number {
  const y = stack(x, w, n);
  return sum(mul(y, y)) as number;
}

/** Mutual recursion: even and odd steps alternate. @differentiable wrt(x) */
export function evenStep(x: number, n: number): number {
  return n <= 0 ? x : Math.cos(oddStep(x, n - 1)) + x;
}

/** @differentiable wrt(x) */
export function oddStep(x: number, n: number): number {
  return n <= 0 ? x * x : Math.sin(evenStep(x, n - 1)) * x;
}

/** One level per k, for the depth tests. @differentiable wrt(x) */
export function chain(x: number, n: number): number {
  if (n <= 0) return 0;
  return Math.sin(x * n) + chain(x, n - 1);
}

/** Calls nothing recursive: its derivatives carry no guard. @differentiable */
export function plain(x: number): number {
  return power(x, 3) + x;
}
`;

/** A recursion whose plain helper fails on cue, to stop a sweep at a chosen level with the tape in use. */
const failing = `
import { tape } from 'wengert';

export const cue = { failAtCall: -1, calls: 0, tapeInUse: 0, error: 'stack' as 'stack' | 'type' };

/** Returns 1, and throws on call number cue.failAtCall: a stack overflow, or a TypeError. */
export function budget(n: number): number {
  cue.calls++;
  if (cue.calls === cue.failAtCall) {
    cue.tapeInUse = tape.values.length + tape.control.length;
    if (cue.error === 'stack') throw new RangeError('Maximum call stack size exceeded');
    throw new TypeError('budget failed');
  }
  return 1 + 0 * n;
}

/** @differentiable wrt(x) */
export function nest(x: number, n: number): number {
  let v = Math.sin(x) * x;
  if (n > 0) {
    v = v * nest(v, n - 1) * budget(n);
  }
  return v * x;
}
`;

let m: Built<any, any>;
let fail: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('recursion', source);
  fail = await buildFixture('recursion-failing', failing);
});

const tapeLengths = () => [tape.values.length, tape.control.length, tape.refs.length];

describe('direct recursion: reverse against finite differences, forward against reverse', () => {
  test.each([
    [1.3, 0],
    [1.3, 1],
    [-0.7, 6],
    [1.01, 13],
    [0.9, 64],
  ])('power(%d, %d), repeated squaring', (x, n) => {
    const [g] = checkDerivatives(m, 'power', [x, n], { wrt: [0] });
    expect(g).toBeCloseTo(n === 0 ? 0 : n * x ** (n - 1), 9);
  });

  test.each([
    [4.5, 0],
    [4.5, 5],
    [-2.3, 7],
  ])('falling(%d, %d), factorial-like', (x, n) => {
    checkDerivatives(m, 'falling', [x, n], { wrt: [0] });
  });

  test('treeSum over an array: two recursive calls per level, every element gets its own derivative', () => {
    const xs = Array.from({ length: 13 }, (_, i) => Math.sin(i * 1.7) * 2);
    const g = checkDerivatives(m, 'treeSum', [xs, 0, xs.length], { wrt: [0] });
    // d/dx (x sin x) = sin x + x cos x, element by element.
    expect(maxRelError(g, xs.map((x) => Math.sin(x) + x * Math.cos(x)))).toBeLessThan(1e-14);
    // A sub-range: elements outside it get 0.
    const sub = m.grad.grad_treeSum(xs, 3, 8) as number[];
    expect(sub.slice(0, 3)).toEqual([0, 0, 0]);
    expect(sub.slice(8)).toEqual([0, 0, 0, 0, 0]);
  });

  test('horner: an array and a number, both differentiated through the recursion', () => {
    checkDerivatives(m, 'horner', [[1.5, -2, 0.25, 3, -1], 0.8, 0], { wrt: [0, 1] });
    checkDerivatives(m, 'horner', [[0.5, 2], -1.7, 0], { wrt: [0, 1] });
  });

  test('recursion inside a loop, with loop-carried state around the call', () => {
    for (const n of [1, 2, 5, 8]) checkDerivatives(m, 'branching', [0.6, n], { wrt: [0] });
  });

  test('a Tensor-valued recursive helper, called from a loss', () => {
    const rng = new Rng(5);
    const x = randn([3, 2], rng, { dtype: 'float64' });
    const w = randn([3, 2], rng, { dtype: 'float64' });
    for (const n of [0, 1, 4]) {
      const args = [x, w, n];
      const g = flatten(m.grad.grad_stackLoss(...args));
      const fd = finiteDifferenceGradient(m.source.stackLoss, args, [0, 1], 1e-6);
      expect(maxRelError(g, fd)).toBeLessThan(1e-6);
      let k = 0;
      const dirs = [x, w].map((a) => unflatten(a, flatten(a).map(() => Math.cos(++k))));
      const [y, dy] = m.grad.jvp_stackLoss(...args, ...dirs);
      expect(y).toBeCloseTo(m.source.stackLoss(...args), 12);
      expect(dy).toBeCloseTo(dotFlat(g, flatten(dirs)), 9);
    }
  });

  test('mutual recursion of the same file is differentiated the same way', () => {
    for (const n of [0, 1, 4, 7]) {
      checkDerivatives(m, 'evenStep', [0.4, n], { wrt: [0] });
      checkDerivatives(m, 'oddStep', [-0.9, n], { wrt: [0] });
    }
  });

  test('every sweep pops what it pushed: the shared tapes end as they started', () => {
    const before = tapeLengths();
    m.grad.grad_treeSum([1, 2, 3, 4, 5], 0, 5);
    m.grad.grad_branching(0.3, 6);
    m.grad.grad_stackLoss(randn([2, 2], new Rng(1), { dtype: 'float64' }), randn([2, 2], new Rng(2), { dtype: 'float64' }), 3);
    expect(tapeLengths()).toEqual(before);
  });
});

describe('a recursion too deep for the JavaScript stack', () => {
  const tooDeep = 1_000_000;

  test('reverse mode: a RecursionDepthError naming the function, the tapes as they were, the next gradient right', () => {
    // Something already on the tapes, as when a caller's sweep is under way.
    for (const v of [7, 8, 9]) tape.values.push(v);
    tape.control.push(1);
    const before = tapeLengths();
    let caught: unknown;
    try {
      m.grad.grad_chain(0.3, tooDeep);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RecursionDepthError);
    expect(caught).toBeInstanceOf(RangeError);
    const err = caught as RecursionDepthError;
    expect(err.functionName).toBe('chain');
    expect(err.derivativeName).toBe('valueAndVjp_chain');
    expect(err.message).toMatch(/^chain recursed too deeply: the JavaScript stack overflowed in valueAndVjp_chain/);
    expect(err.message).toContain('Rewrite the recursion as a loop');
    expect(tapeLengths()).toEqual(before);
    expect([tape.values.pop(), tape.values.pop(), tape.values.pop(), tape.control.pop()]).toEqual([9, 8, 7, 1]);
    checkDerivatives(m, 'chain', [0.3, 40], { wrt: [0] });
  });

  test('forward mode and the wrappers: the same error', () => {
    expect(() => m.grad.jvp_chain(0.3, tooDeep, 1)).toThrow(RecursionDepthError);
    expect(() => m.grad.jvp_chain(0.3, tooDeep, 1)).toThrow(/^chain recursed too deeply: the JavaScript stack overflowed in jvp_chain/);
    expect(() => m.grad.valueAndGrad_chain(0.3, tooDeep)).toThrow(RecursionDepthError);
    expect(() => m.grad.vjp_chain(0.3, tooDeep, 2)).toThrow(RecursionDepthError);
    expect(() => m.grad.grad_evenStep(0.3, tooDeep)).toThrow(/^(evenStep|oddStep) recursed too deeply/);
    expect(tapeLengths()).toEqual([0, 0, 0]);
  });

  test('an overflow in the middle of the adjoint sweep, with the tape in use, restores it exactly', () => {
    const { cue } = fail.source;
    for (const failAtCall of [1, 3, 6, 9]) {
      Object.assign(cue, { failAtCall, calls: 0, tapeInUse: 0, error: 'stack' });
      expect(() => fail.grad.grad_nest(0.7, 5)).toThrow(RecursionDepthError);
      expect(cue.tapeInUse).toBeGreaterThan(0); // there was something to restore
      expect(tapeLengths()).toEqual([0, 0, 0]);
    }
    Object.assign(cue, { failAtCall: -1, calls: 0 });
    checkDerivatives(fail, 'nest', [0.7, 5], { wrt: [0] });
  });

  test('other errors pass through as they are, with the tapes restored too', () => {
    const { cue } = fail.source;
    Object.assign(cue, { failAtCall: 4, calls: 0, tapeInUse: 0, error: 'type' });
    expect(() => fail.grad.grad_nest(0.7, 5)).toThrow(TypeError);
    expect(cue.tapeInUse).toBeGreaterThan(0);
    expect(tapeLengths()).toEqual([0, 0, 0]);
    Object.assign(cue, { failAtCall: -1, calls: 0 });
  });
});

describe('the generated code', () => {
  test('type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts'), fail.sourcePath.replace(/\.ts$/, '.grad.ts')])).toEqual([]);
  });

  test('a recursive call is a call of the derivative itself', () => {
    expect(m.text).toMatch(/export function jvp_power\([^)]*\)[^{]*\{[\s\S]*?= jvp_power\(x, /);
    expect(m.text).toMatch(/const \[, power_bar\d*\] = valueAndVjp_power\(x, /);
  });

  test('only recursive functions are guarded: the others are exactly as before', () => {
    const section = (name: string) => m.text.slice(m.text.indexOf(`// ---- ${name} (`), m.text.indexOf('// ---- ', m.text.indexOf(`// ---- ${name} (`) + 1));
    for (const name of ['power', 'falling', 'treeSum', 'horner', 'branching', 'stack', 'evenStep', 'oddStep', 'chain']) {
      expect(section(name)).toContain(`const mark = tapeMark();`);
      expect(section(name)).toContain(`throw recursionFailed(error, '${name}', 'valueAndVjp_${name}', mark);`);
      expect(section(name)).toContain(`throw recursionFailed(error, '${name}', 'jvp_${name}', null);`);
    }
    for (const name of ['stackLoss', 'plain']) {
      expect(section(name)).not.toContain('tapeMark');
      // (A tensor derivative's try/finally is its lifetime scope, not a recursion guard.)
      expect(section(name)).not.toContain('recursionFailed');
    }
  });
});
