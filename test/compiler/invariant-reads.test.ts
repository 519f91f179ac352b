/**
 * Loop-invariant element reads hoisted out of loops (issue #11,
 * compiler/emit/invariant-reads.ts): a read `a[i]` that is the same on every
 * trip is read once before the loop, in every generated function that has
 * it (forward mode, both sweeps of reverse mode, the vector modes).
 *
 * Two halves:
 *   - differentiable fixtures, every one checked against central finite
 *     differences and forward against reverse mode, with loops that do not
 *     run and indices out of range, and the loop depth of each read in the
 *     generated code: hoisted where it cannot change, in place where it can
 *     (the loop writes the array, or the index, or calls a function);
 *   - the pass on hand-written functions, run on inputs where the refused
 *     rewrite would change the result: two parameters that are one array, a
 *     fresh array that is a view of a parameter's buffer, a loop that
 *     allocates, a name declared twice, a hoisted name another statement
 *     reads. Each of these tests fails when its rule is dropped from the pass
 *     (tried by deleting the rule: the rewritten function returns another
 *     value).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { ts } from 'ts-morph';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, functionText, withoutReservations, type Built } from '../helpers/generate.ts';
import { triangularProductSource } from '../helpers/triangular-sources.ts';
import { hoistInvariantReads } from '../../compiler/emit/invariant-reads.ts';
import { applyPass, sameResults as sameAfterPass } from '../helpers/emit-pass.ts';

const source = `${triangularProductSource}
/** A parameter's element at a fixed index, and at a literal one, through two loops. @differentiable wrt(v) */
export function twoLoops(v: Float64Array, c: number, n: number, m: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) s += Math.sin(v[c] * (i + 1)) * v[j] + v[0] * j;
  }
  return s;
}

/** The loop writes the array it reads at c: the read stays. @differentiable wrt(v) */
export function writesArray(v: Float64Array, c: number, n: number): number {
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    w[i] = v[i] * 2;
    s += w[c] * v[i];
  }
  return s;
}

/** The loop steps the index: the read stays. @differentiable wrt(v) */
export function movingIndex(v: Float64Array, n: number): number {
  let k = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    s += v[k] * Math.sin(v[i]);
    k = (k + 2) % n;
  }
  return s;
}

/** Recursive, so its calls stay calls. @differentiable wrt(x) */
export function powr(x: number, n: number): number {
  if (n <= 0) return 1;
  return x * powr(x, n - 1);
}

/** A call of user code in the loop: the read stays. @differentiable wrt(v) */
export function calls(v: Float64Array, c: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[c] * powr(v[i], 2);
  return s;
}

/** A pair of outputs: the vector modes read v[c] once too. @differentiable wrt(v) */
export function pair(v: Float64Array, c: number, n: number): [number, number] {
  let s = 0;
  let p = 1;
  for (let i = 0; i < n; i++) {
    s += v[c] * Math.sin(v[i]);
    p *= v[c] + v[i];
  }
  return [s, p];
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('invariant-reads', source);
});

/** The text of one generated function. */
const body = (name: string): string => functionText(withoutReservations(m.text), name);

/** For each read `read` (as printed) in generated function `name`: how many loops are around it. */
function loopDepths(name: string, read: string): number[] {
  const file = ts.createSourceFile('g.ts', body(name), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const depths: number[] = [];
  const visit = (n: ts.Node, depth: number): void => {
    if (ts.isElementAccessExpression(n) && n.getText(file) === read) depths.push(depth);
    const inLoop = ts.isForStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n);
    ts.forEachChild(n, (c) => visit(c, depth + (inLoop ? 1 : 0)));
  };
  visit(file, 0);
  return depths;
}

const v5 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2]);

describe('invariant reads in generated code', () => {
  test('the triangular product reads xc[c] once per c, in forward mode and both sweeps', () => {
    for (const d of [0, 1, 2, 4]) {
      const L = Float64Array.from({ length: (d * (d - 1)) / 2 + 1 }, (_, i) => 0.4 - 0.15 * i);
      checkDerivatives(m, 'triangular', [v5(), L, d], { wrt: [0, 1] });
    }
    // The loop filling xc is fused into the loop over c, which keeps its counter r (transforms/fuse-loops.ts).
    // Every xc[r] is inside that loop only (depth 1), none in the triangular loop inside it; L[li] is.
    for (const [f, read] of [['jvp_triangular', 'xc[r]'], ['jvp_triangular', 'dxc[r]'], ['valueAndVjp_triangular', 'xc[r]']] as const) {
      const depths = loopDepths(f, read);
      expect(depths.length, `${f} ${read}`).toBeGreaterThan(0);
      expect(depths.every((d) => d === 1), `${f} ${read}`).toBe(true);
      expect(loopDepths(f, 'L[li]').every((d) => d === 2), f).toBe(true);
    }
    // The temp keeps its name: \`const t5 = xc[r]\` moves before the inner loop, in both sweeps.
    expect(body('valueAndVjp_triangular').match(/const (t\d+) = xc\[r\];\n\s*(for|while) /g)).toHaveLength(2);
  });

  test('reads invariant in two loops leave both; loops that do not run and an index out of range', () => {
    for (const [c, n, mm] of [[2, 3, 4], [4, 2, 0], [7, 0, 3], [7, 2, 0]] as const) checkDerivatives(m, 'twoLoops', [v5(), c, n, mm], { wrt: [0] });
    for (const f of ['jvp_twoLoops', 'valueAndVjp_twoLoops']) {
      expect(loopDepths(f, 'v[c]').every((d) => d === 0), f).toBe(true);
      expect(loopDepths(f, 'v[0]').every((d) => d === 0), f).toBe(true);
      // v[j] changes with the inner loop's counter.
      expect(loopDepths(f, 'v[j]').every((d) => d === 2), f).toBe(true);
    }
    expect(loopDepths('jvp_twoLoops', 'dv[c]')).toEqual([0]);
    // An index past the end reads undefined before a loop that never runs: the gradient is zero, not NaN.
    expect(Array.from(m.grad.grad_twoLoops(v5(), 7, 0, 3) as Float64Array)).toEqual([0, 0, 0, 0, 0]);
  });

  test('a loop that writes the array, or the index, or calls a function, keeps the read', () => {
    for (const [c, n] of [[0, 4], [2, 4], [3, 4], [0, 1]] as const) checkDerivatives(m, 'writesArray', [v5(), c, n], { wrt: [0] });
    for (const f of ['jvp_writesArray', 'valueAndVjp_writesArray']) expect(loopDepths(f, 'w[c]'), f).toEqual([1]);
    for (const n of [0, 1, 4]) checkDerivatives(m, 'movingIndex', [v5(), n], { wrt: [0] });
    for (const f of ['jvp_movingIndex', 'valueAndVjp_movingIndex']) expect(loopDepths(f, 'v[k]').every((d) => d === 1), f).toBe(true);
    for (const n of [0, 3]) checkDerivatives(m, 'calls', [v5(), 1, n], { wrt: [0] });
    for (const f of ['jvp_calls', 'valueAndVjp_calls']) expect(loopDepths(f, 'v[c]').every((d) => d === 1), f).toBe(true);
  });

  test('the vector modes read the invariant element once', () => {
    const y = m.source.pair(v5(), 2, 4) as [number, number];
    const [value, [g0, g1]] = m.grad.valueAndVjps_pair(v5(), 2, 4, [[1, 0], [0, 1]]);
    expect(value).toEqual(y);
    const rows = m.grad.jacobian_pair(v5(), 2, 4) as number[][];
    expect(Array.from(g0 as Float64Array)).toEqual(rows[0]);
    expect(Array.from(g1 as Float64Array)).toEqual(rows[1]);
    const h = 1e-6;
    for (let j = 0; j < 5; j++) {
      const plus = v5();
      const minus = v5();
      plus[j] += h;
      minus[j] -= h;
      const [sp, pp] = m.source.pair(plus, 2, 4) as [number, number];
      const [sm, pm] = m.source.pair(minus, 2, 4) as [number, number];
      expect(rows[0]![j]).toBeCloseTo((sp - sm) / (2 * h), 6);
      expect(rows[1]![j]).toBeCloseTo((pp - pm) / (2 * h), 6);
    }
    for (const f of ['jvp_pair', 'valueAndVjp_pair', 'valueAndVjps_pair', 'jvps_pair']) expect(loopDepths(f, 'v[c]').every((d) => d === 0), f).toBe(true);
  });
});

const hoisted = (src: string): string => applyPass(hoistInvariantReads, src);
const sameResults = (src: string, name: string, args: () => unknown[]): string => sameAfterPass(hoistInvariantReads, src, name, args);

describe('the pass on hand-written loops', () => {
  test('a read of a parameter while the loop stores into a fresh array moves before the loop', () => {
    const source = `function f(a: Float64Array, c: number, n: number): number {
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = a[c];
    w[i] = t * i;
    s += w[i];
  }
  return s;
}`;
    const after = sameResults(source, 'f', () => [Float64Array.from([1, 2, 3]), 1, 3]);
    expect(after).toMatch(/const t = a\[c\];\n\s*for \(let i = 0/);
    expect(after).not.toMatch(/\{\n\s*const t = a\[c\]/);
  });

  test('two parameters may be one array: a store into one keeps the reads of the other in place', () => {
    const source = `function f(a: Float64Array, out: Float64Array, c: number): number {
  for (let i = 0; i < out.length; i++) out[i] = a[c] + i;
  return out[2];
}`;
    const shared = () => {
      const x = Float64Array.from([5, 6, 7]);
      return [x, x, 0];
    };
    const after = sameResults(source, 'f', shared);
    expect(after).toMatch(/out\[i\] = a\[c\] \+ i/);
  });

  test('a typed array made over a buffer is a view, not a fresh array', () => {
    const source = `function f(a: Float64Array, c: number): number {
  const view = new Float64Array(a.buffer);
  let s = 0;
  for (let i = 0; i < 3; i++) {
    view[i] = i * 10;
    s += a[c];
  }
  return s;
}`;
    const after = sameResults(source, 'f', () => [Float64Array.from([1, 2, 3]), 2]);
    expect(after).toMatch(/s \+= a\[c\]/);
    // A copy of the parameter is fresh: the read moves.
    expect(hoisted(source.replace('new Float64Array(a.buffer)', 'new Float64Array(a)'))).toMatch(/const a_c = a\[c\];/);
  });

  test('a loop that constructs an object, calls a function, or writes the index keeps its reads', () => {
    for (const [inLoop, args] of [
      ['new G(w);', [0]],
      ['g(w);', [0]],
      ['c = i;', [0]],
    ] as const) {
      const source = `function g(x: Float64Array): void { x[0] += 1; }
class G { constructor(x: Float64Array) { x[0] += 1; } }
function f(c: number): number {
  const w = new Float64Array(3);
  let s = 0;
  for (let i = 0; i < 3; i++) {
    s += w[c];
    ${inLoop}
  }
  return s;
}`;
      const after = sameResults(source, 'f', () => [...args]);
      expect(after, inLoop).toMatch(/s \+= w\[c\]/);
    }
  });

  test('a name declared twice in the function is not known to be the fresh array', () => {
    // The loop's `w` is the parameter, not the local array of the same name in the block before it.
    const source = `function f(w: number[], out: number[], c: number): number {
  {
    const w = new Float64Array(3);
    w[0] = 1;
  }
  for (let i = 0; i < 3; i++) out[i] = w[c] + 1;
  return out[2];
}`;
    const shared = () => {
      const x = [1, 2, 3];
      return [x, x, 0];
    };
    const after = sameResults(source, 'f', shared);
    expect(after).toMatch(/out\[i\] = w\[c\] \+ 1/);
  });

  test('an index declared after the loop is not read before it', () => {
    // Nothing runs the loop (n = 0), so the original never reads k; a hoisted read would throw (k uninitialised).
    const source = `function f(a: Float64Array, n: number): number {
  const w = new Float64Array(2);
  let s = 0;
  for (let i = 0; i < n; i++) {
    w[0] = i;
    s += a[k];
  }
  let k = 1;
  return s + k;
}`;
    const after = sameResults(source, 'f', () => [Float64Array.from([1, 2]), 0]);
    expect(after).toMatch(/s \+= a\[k\]/);
  });

  test("a hoisted read keeps the temp's name only where no other statement reads another binding of it", () => {
    const source = `function f(a: Float64Array, c: number): number {
  const w = new Float64Array(3);
  const t = 100;
  let s = 0;
  for (let i = 0; i < 3; i++) {
    const u = a[c];
    w[i] = u;
    s += u;
  }
  {
    for (let i = 0; i < 3; i++) {
      const t = a[c];
      w[i] = t;
      s += t;
    }
    s += t;
  }
  return s;
}`;
    const after = sameResults(source, 'f', () => [Float64Array.from([1, 2, 3]), 1]);
    // u is read nowhere else: it keeps its name; t is the outer constant after the second loop, so the read gets a new one.
    expect(after).toMatch(/const u = a\[c\];\n\s*for/);
    expect(after).toMatch(/const a_c = a\[c\];\n\s*for/);
  });

  test('a labelled loop and a loop holding a return keep their reads', () => {
    const source = `function f(a: Float64Array, c: number): number {
  const w = new Float64Array(3);
  let s = 0;
  outer: for (let i = 0; i < 3; i++) {
    w[i] = a[c];
    if (i > 5) break outer;
  }
  for (let i = 0; i < 3; i++) {
    w[i] = a[c] * 2;
    if (w[i] > 100) return -1;
    s += w[i];
  }
  return s;
}`;
    const after = sameResults(source, 'f', () => [Float64Array.from([1, 2, 3]), 1]);
    expect(after).not.toMatch(/a_c/);
  });
});
