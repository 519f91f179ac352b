/**
 * The recording analysis records less (issue #11): scratch arrays recorded
 * per write instead of per read (compiler/analysis/tbr-arrays.ts), inner
 * loop counters set from the trip count instead of pushed before every
 * inner loop (tbr-counters.ts), and values nothing overwrites later read in
 * place. Every function is checked against central finite differences and
 * forward against reverse mode; the tapes must be balanced after each call,
 * and the tape traffic of one call is counted to show what is no longer
 * pushed. The generated file type-checks under strict (global teardown).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { tapeCallsText, traffic } from '../helpers/tape-traffic.ts';
import { logsumexpSource } from '../helpers/logsumexp-source.ts';

const source = `
/** The pattern of docs/compiler-gaps.md (xc in GMM): a scratch array rewritten on every outer trip. @differentiable wrt(a) */
export function scratch(a: Float64Array, n: number, m: number): number {
  const xc = new Float64Array(n);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < n; r++) xc[r] = a[r] * (j + 1);
    for (let r = 0; r < n; r++) s += xc[r] * xc[r];
    for (let c = 0; c < n; c++) {
      for (let r = c + 1; r < n; r++) s += Math.sin(xc[c]) * xc[r];
    }
  }
  return s;
}

/** A read before a store of the same element in one block, and two stores of one element. @differentiable wrt(a) */
export function readThenWrite(a: Float64Array, m: number): number {
  const w = new Float64Array(a.length);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < a.length; r++) {
      const old = w[r];
      w[r] = old * 0.5 + a[r];
      s += old * w[r];
      w[r] = w[r] * a[r];
      w[r] = w[r] + 1;
    }
    for (let r = 0; r < a.length; r++) s += w[r] * w[r] * w[r];
  }
  return s;
}

${logsumexpSource}

/** A helper called on a scratch array that is rewritten on every trip (main in GMM). @differentiable wrt(x) */
export function callsOnScratch(x: Float64Array, k: number, n: number): number {
  const main = new Float64Array(k);
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) main[j] = x[j] * (i + 1) - x[(j + i) % k];
    s += lse(main, k);
  }
  return s;
}

/** A call followed by a store into its argument in the same block: the call needs the array as it was. @differentiable wrt(x) */
export function storeAfterCall(x: Float64Array, n: number): number {
  const buf = new Float64Array(2);
  let s = 0;
  for (let i = 0; i < n; i++) {
    buf[0] = x[0] * (i + 1);
    buf[1] = x[1] - i;
    s += lse(buf, 2) * x[1];
    buf[0] = s;
    s += buf[0] * buf[1];
  }
  return s;
}

/** A constant scratch array (no derivative flows through it) rewritten in a loop. @differentiable wrt(a) */
export function inactiveScratch(a: Float64Array, m: number): number {
  const c = new Float32Array(a.length);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < a.length; r++) c[r] = Math.cos(j + r);
    for (let r = 0; r < a.length; r++) s += c[r] * a[r] * a[r];
    for (let r = 0; r < a.length; r++) s += Math.sin(a[r] * c[r]);
  }
  return s;
}

/** Counters: a downward loop, a step of 2, a counter read after its loop, a do-while and a break. @differentiable wrt(a) */
export function counters(a: Float64Array, m: number): number {
  let s = 0;
  let last = 0;
  for (let j = 0; j < m; j++) {
    for (let r = a.length - 1; r >= 0; r--) s += a[r] * (r + j);
    for (let r = 0; r < a.length; r += 2) s *= 1 + 0.1 * a[r];
    let q = 1;
    while (q < a.length) {
      s += a[q] * a[q - 1];
      q++;
    }
    last = q;
    let p = 0;
    do {
      s += Math.tanh(a[p] * s);
      p++;
    } while (p < 2);
    for (let r = 0; r < a.length; r++) {
      if (a[r] > 0.5 * j) break;
      s -= a[r] * 0.25;
    }
  }
  return s * last;
}

/** A value the inner loop reads and does not write, overwritten by the outer loop (w in LSTM). @differentiable wrt(a) */
export function invariantInInner(a: Float64Array, layers: number): number {
  let s = 0;
  let w = 0;
  for (let i = 0; i < layers; i++) {
    w = Math.cos(s) + i;
    for (let k = 0; k < a.length; k++) s += Math.sin(w * a[k]);
  }
  return s * w;
}

/** A checkpointed loop over a scratch array and inner counters (transforms/checkpoint.ts re-runs segments). @differentiable wrt(a) */
export function checkpointedScratch(a: Float64Array, m: number): number {
  const xc = new Float64Array(a.length);
  let s = 0;
  let w = 0;
  /** @checkpoint every(2) */
  for (let j = 0; j < m; j++) {
    w = Math.cos(s) * 0.5;
    for (let r = 0; r < a.length; r++) xc[r] = a[r] * (j + 1) + w;
    for (let c = 0; c < a.length; c++) {
      for (let r = c + 1; r < a.length; r++) s += Math.sin(xc[c]) * xc[r] * w;
    }
  }
  return s;
}

/** An inner counter starting from an outer one nothing else reads, and an integer index stepped inside. @differentiable wrt(a) */
export function triangle(a: Float64Array, n: number): number {
  let s = 0;
  let li = 0;
  for (let c = 0; c < n; c++) {
    for (let r = c + 1; r < n; r++) {
      s += a[li] * r * s * 0.1 + a[li];
      li++;
    }
  }
  return s;
}

/** A value computed in one loop and read, not overwritten, in a later one; and one overwritten after. @differentiable wrt(a) */
export function frozen(a: Float64Array, t: number): number {
  let mx = a[0];
  for (let i = 1; i < a.length; i++) if (a[i] > mx) mx = a[i];
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i] - mx) * t;
  let u = s * s;
  let w = 0;
  for (let i = 0; i < a.length; i++) w += Math.sin(u * a[i]);
  u = u * 3;
  return w + u;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h7-recording', source);
});

const a5 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2]);

describe('scratch arrays recorded per write', () => {
  test('the GMM pattern: gradients, and one push per store', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'scratch', [a5(), 5, mm], { wrt: [0] });
    const t = traffic(() => m.grad.grad_scratch(a5(), 5, 3));
    expect(t.balanced).toBe(true);
    // 5 stores of xc per outer trip, nothing per read (15 reads of xc[r] squared, 10 of sin(xc[c]) * xc[r]).
    expect(t.values).toBe(15);
    expect(tapeCallsText(m.text)).toMatch(/valueTape\.push\(xc\[r\]\);\s*xc\[r\] = /);
  });

  test('reads before a store in the same block, and two stores of one element', () => {
    for (const mm of [1, 2, 4]) checkDerivatives(m, 'readThenWrite', [a5(), mm], { wrt: [0] });
    expect(traffic(() => m.grad.grad_readThenWrite(a5(), 3)).balanced).toBe(true);
  });

  test('a Float32Array scratch array that carries no derivative', () => {
    checkDerivatives(m, 'inactiveScratch', [a5(), 3], { wrt: [0] });
    expect(traffic(() => m.grad.grad_inactiveScratch(a5(), 3)).balanced).toBe(true);
  });
});

describe('with checkpointed loops', () => {
  test('a scratch array and inner counters inside a checkpointed loop', () => {
    for (const mm of [0, 1, 2, 5]) checkDerivatives(m, 'checkpointedScratch', [a5(), mm], { wrt: [0] });
    expect(traffic(() => m.grad.grad_checkpointedScratch(a5(), 5)).balanced).toBe(true);
  });
});

describe('calls on scratch arrays', () => {
  test('a helper receives the scratch array itself, not a copy', () => {
    for (const n of [1, 4]) checkDerivatives(m, 'callsOnScratch', [Float64Array.from([0.2, -1.3, 0.8, 0.5]), 4, n], { wrt: [0] });
    const body = m.text.slice(m.text.indexOf('export function valueAndVjp_callsOnScratch'));
    expect(body.slice(0, body.indexOf('\n}\n'))).not.toMatch(/slice\(\)/);
    expect(traffic(() => m.grad.grad_callsOnScratch(Float64Array.from([0.2, -1.3, 0.8, 0.5]), 4, 3)).balanced).toBe(true);
  });

  test('a store after the call in the same block', () => {
    for (const n of [1, 3]) checkDerivatives(m, 'storeAfterCall', [Float64Array.from([0.4, 0.9]), n], { wrt: [0] });
    expect(traffic(() => m.grad.grad_storeAfterCall(Float64Array.from([0.4, 0.9]), 3)).balanced).toBe(true);
  });
});

describe('loop counters and values read in place', () => {
  test('counters set from the trip count, and the ones that cannot be', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'counters', [a5(), mm], { wrt: [0] });
    expect(traffic(() => m.grad.grad_counters(a5(), 3)).balanced).toBe(true);
    // The inner counter starting from the outer one (r = c + 1) starts again from its trip count in the reverse sweep.
    expect(m.text).toMatch(/r_\d+ = c \+ 1 \+ trips\d*;/);
  });

  test('an outer counter read only by the inner initialisation is restored, so nothing is pushed for either', () => {
    for (const n of [0, 1, 4]) checkDerivatives(m, 'triangle', [Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2, 0.6]), n], { wrt: [0] });
    const t = traffic(() => m.grad.grad_triangle(Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2, 0.6]), 4));
    expect(t.balanced).toBe(true);
    // Only s, read by its own update (s * 0.1), once per inner trip: 6 trips for n = 4.
    expect(t.values).toBe(6);
  });

  test('no old counter values pushed before inner loops', () => {
    const body = m.text.slice(m.text.indexOf('export function valueAndVjp_scratch'));
    expect(body.slice(0, body.indexOf('\n}\n'))).not.toMatch(/valueTape\.push\((r|c)(_\d+)?\);/);
  });

  test('a value a loop reads and does not write is recorded once for all its trips', () => {
    for (const layers of [0, 1, 3]) checkDerivatives(m, 'invariantInInner', [a5(), layers], { wrt: [0] });
    const t = traffic(() => m.grad.grad_invariantInInner(a5(), 3));
    expect(t.balanced).toBe(true);
    // Per outer trip: w once (after the inner loop) and s once (before the cos that overwrites w); before, w and s on each of the 5 inner trips.
    expect(t.values).toBeLessThanOrEqual(3 * 2 + 3 * 5);
    expect(tapeCallsText(m.text)).toMatch(/controlTape\.push\(trips\d*\);\s*valueTape\.push\(w\);/);
  });

  test('a value nothing overwrites later is read in place; one overwritten later is recorded', () => {
    checkDerivatives(m, 'frozen', [a5(), 0.8], { wrt: [0] });
    const t = traffic(() => m.grad.grad_frozen(a5(), 0.8));
    expect(t.balanced).toBe(true);
    // Only u, read on every trip of the last loop and overwritten after it, is pushed, once after that loop;
    // mx and s are not (before: mx on every trip of the second loop, u on every trip of the last).
    expect(t.values).toBe(1);
    expect(m.text).toMatch(/valueTape\.push\(u\);/);
  });
});
