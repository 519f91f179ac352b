/**
 * Branches whose reverse code runs only on the last trip that took them
 * (compiler/analysis/last-taken.ts, issue #11): a running maximum records
 * the number of that trip once per loop instead of a flag per trip. Every
 * function is checked against central finite differences and forward
 * against reverse mode, the tapes must be balanced, and the control
 * entries of one call are counted, also for the programs the rule refuses.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { traffic } from '../helpers/tape-traffic.ts';
import { logsumexpSource } from '../helpers/logsumexp-source.ts';

const source = `
${logsumexpSource}

/** The inlined logsumexp on every row of a matrix (GMM's pattern). @differentiable wrt(x) */
export function rowsLse(x: Float64Array, k: number, n: number): number {
  const row = new Float64Array(k);
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) row[j] = x[i * k + j] * (i + 1);
    s += lse(row, k);
  }
  return s;
}

/** A minimum kept in the else branch, and two outputs, one of them inactive (the index). @differentiable wrt(a) */
export function minAndArg(a: Float64Array): number {
  let mn = a[0];
  let sq = a[0] * a[0];
  let arg = 0;
  for (let i = 1; i < a.length; i++) {
    if (a[i] >= mn) {
      arg = arg + 0;
    } else {
      mn = a[i];
      sq = a[i] * a[i];
      arg = i;
    }
  }
  return mn * 3 + sq + a[arg];
}

/** A running maximum inside a checkpointed loop (transforms/checkpoint.ts re-runs its trips), and in a do-while. @differentiable wrt(a) */
export function checkpointedMax(a: Float64Array, m: number): number {
  let s = 0;
  /** @checkpoint every(2) */
  for (let j = 0; j < m; j++) {
    let mx = a[0] * s;
    for (let i = 1; i < a.length; i++) if (a[i] * (j + 1) > mx) mx = a[i] * (j + 1);
    let p = 0;
    let mn = mx;
    do {
      if (a[p] < mn) mn = a[p];
      p++;
    } while (p < a.length);
    s = s * 0.5 + Math.sin(mx) + mn;
  }
  return s;
}

/** Refused: the maximum is read by another statement of the loop. @differentiable wrt(a) */
export function maxReadInLoop(a: Float64Array): number {
  let mx = a[0];
  let s = 0;
  for (let i = 1; i < a.length; i++) {
    if (a[i] > mx) mx = a[i];
    s += mx * a[i];
  }
  return s + mx;
}

/** Refused: the branch reads its own output (v = v * a[i]). @differentiable wrt(a) */
export function productOfPositives(a: Float64Array): number {
  let v = 1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > 0) v = v * a[i];
  }
  return v;
}

/** Refused: the branch pushes a value (a load from an array written later in the loop). @differentiable wrt(a) */
export function branchPushes(a: Float64Array): number {
  const w = new Float64Array(a.length);
  let mx = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > mx) mx = Math.sin(w[i]) + a[i];
    w[i] = a[i] * 2;
  }
  return mx;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('last-taken', source);
});

const a6 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2, 0.9]);

describe('the last taken trip recorded once per loop', () => {
  test('an inlined running maximum: one control entry per row instead of one per element', () => {
    const x = Float64Array.from([0.2, -1.3, 0.8, 0.5, 1.7, -0.4, 0.1, 0.6, 2.1, -0.9, 0.3, 1.2]);
    for (const n of [1, 3]) checkDerivatives(m, 'rowsLse', [x, 4, n], { wrt: [0] });
    // Rows whose maximum is the first entry (never taken) and the last one.
    checkDerivatives(m, 'rowsLse', [Float64Array.from([3, 1, 2, 0, 0, 1, 2, 3]), 4, 2], { wrt: [0] });
    const t = traffic(() => m.grad.grad_rowsLse(x, 4, 3));
    expect(t.balanced).toBe(true);
    // Per row: the taken trip (1) and nothing per element; plus the outer trip count. Before: 3 flags per row.
    expect(t.control).toBe(3 + 1);
    expect(m.text).toMatch(/taken\d* = trips\d* \+ 1;/);
    expect(m.text).toMatch(/if \(trip\d* === taken\d*\)/);
  });

  test('a minimum kept in the else branch, with a second active output and an inactive one', () => {
    checkDerivatives(m, 'minAndArg', [a6()], { wrt: [0] });
    checkDerivatives(m, 'minAndArg', [Float64Array.from([-2, 1, 0.5, 3])], { wrt: [0] });
    const t = traffic(() => m.grad.grad_minAndArg(a6()));
    expect(t.balanced).toBe(true);
    expect(t.control).toBe(2);
  });
});

test('inside a checkpointed loop, and in a do-while loop', () => {
  for (const mm of [0, 1, 2, 5]) checkDerivatives(m, 'checkpointedMax', [a6(), mm], { wrt: [0] });
  expect(traffic(() => m.grad.grad_checkpointedMax(a6(), 5)).balanced).toBe(true);
  expect(m.text.slice(m.text.indexOf('export function valueAndVjp_checkpointedMax('))).toMatch(/if \(trip\d* === taken\d*\)/);
});

describe('refused', () => {
  test('an output read by another statement of the loop keeps a flag per trip', () => {
    checkDerivatives(m, 'maxReadInLoop', [a6()], { wrt: [0] });
    const t = traffic(() => m.grad.grad_maxReadInLoop(a6()));
    expect(t.balanced).toBe(true);
    expect(t.control).toBe(5 + 1);
  });

  test('a branch that reads its own output keeps a flag per trip', () => {
    checkDerivatives(m, 'productOfPositives', [a6()], { wrt: [0] });
    const t = traffic(() => m.grad.grad_productOfPositives(a6()));
    expect(t.balanced).toBe(true);
    expect(t.control).toBe(6 + 1);
  });

  test('a branch that pushes values keeps a flag per trip', () => {
    checkDerivatives(m, 'branchPushes', [a6()], { wrt: [0] });
    const t = traffic(() => m.grad.grad_branchPushes(a6()));
    expect(t.balanced).toBe(true);
    expect(t.control).toBe(6 + 1);
  });
});
