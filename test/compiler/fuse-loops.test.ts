/**
 * Loop fusion before differentiation (issue #11, compiler/transforms/
 * fuse-loops.ts and compiler/analysis/loop-dependences.ts): adjacent loops
 * over the same counter values become one loop when no trip of one touches
 * what another trip of the other writes. Each fused function is checked
 * against central finite differences and forward against reverse mode, and
 * its generated code is checked to hold one loop where the source has
 * several; each refused pair (a read of x[r + 1], a scalar carried from one
 * loop to the next, different bounds, starts or steps, a write through an
 * alias, a call, a break) keeps both loops and exact derivatives.
 */
import { SourceMapConsumer } from 'source-map-js';
import { beforeAll, describe, expect, test } from 'vitest';
import { lineSourceMap } from '../../compiler/emit/source-map.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built, withoutReservations } from '../helpers/generate.ts';

const source = `
/** GMM's pattern: x - mu into one scratch array, then scaled into another, then summed. @differentiable wrt(x, mu) */
export function residuals(x: Float64Array, mu: Float64Array, q: Float64Array, d: number): number {
  const xc = new Float64Array(d);
  const qxc = new Float64Array(d);
  for (let r = 0; r < d; r++) xc[r] = x[r] - mu[r];
  for (let r = 0; r < d; r++) qxc[r] = Math.exp(q[r]) * xc[r];
  let s = 0;
  for (let r = 0; r < d; r++) s += qxc[r] * xc[r];
  return s;
}

/** Three loops in a row, the accumulator's start between two of them, inside an outer loop. @differentiable wrt(a) */
export function chain(a: Float64Array, n: number, m: number): number {
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < n; r++) u[r] = Math.sin(a[r] * (i + 1));
    for (let r = 0; r < n; r++) v[r] = u[r] * a[r] + v[r];
    let s = 0;
    for (let r = 0; r < n; r++) s += v[r] * u[r];
    total += s;
  }
  return total;
}

/** The second loop's counter is read after it: it gets the first counter's final value. @differentiable wrt(a) */
export function counterAfter(a: Float64Array, n: number): number {
  const u = new Float64Array(n);
  let s = 0;
  let p = 0;
  for (let r = 1; r <= n; r += 2) u[r - 1] = a[r - 1] * a[r - 1];
  for (p = 1; p <= n; p += 2) s += Math.cos(a[p - 1]);
  return s * p + u[0];
}

/** Two outer loops whose inner loops become adjacent once the outer ones are fused. @differentiable wrt(a) */
export function nested(a: Float64Array, n: number): number {
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    u[i] = a[i] * 2;
    for (let r = 0; r < n; r++) s += Math.sin(a[r] * u[i]);
  }
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let r = 0; r < n; r++) t += a[r] * a[i];
    v[i] = t * u[i];
  }
  return s + v[0];
}

/** Refused: the second loop reads u[r + 1], which a later trip of the first loop writes. @differentiable wrt(a) */
export function readsAhead(a: Float64Array, n: number): number {
  const u = new Float64Array(n + 1);
  let s = 0;
  for (let r = 0; r < n; r++) u[r] = a[r] * a[r];
  for (let r = 0; r < n; r++) s += u[r + 1] * a[r];
  return s;
}

/** Refused: the second loop writes u[r + 1], which a later trip of the first loop reads. @differentiable wrt(a) */
export function writesAhead(a: Float64Array, n: number): number {
  const u = new Float64Array(n + 1);
  let s = 0;
  for (let r = 0; r < n; r++) s += Math.sin(u[r] + a[r]);
  for (let r = 0; r < n; r++) u[r + 1] = a[r] * a[r];
  return s + u[n] * a[0];
}

/** Refused: the second loop reads the sum the first loop carries. @differentiable wrt(a) */
export function carried(a: Float64Array, n: number): number {
  let s = 0;
  let t = 0;
  for (let r = 0; r < n; r++) s += a[r];
  for (let r = 0; r < n; r++) t += a[r] * s;
  return t;
}

/** Refused: different bounds, then different starts, then different steps. @differentiable wrt(a) */
export function otherTrips(a: Float64Array, n: number, m: number): number {
  let s = 0;
  let t = 0;
  for (let r = 0; r < n; r++) s += a[r] * a[r];
  for (let r = 0; r < m; r++) t += Math.sin(a[r]);
  for (let r = 1; r < m; r++) s += a[r] * 3;
  for (let r = 1; r < m; r += 2) t += a[r] * a[r - 1];
  return s * t;
}

/** Refused: the bound is changed by the first loop's body. @differentiable wrt(a) */
export function movingBound(a: Float64Array, n: number): number {
  let s = 0;
  let t = 0;
  let b = n;
  for (let r = 0; r < b; r++) {
    s += a[r];
    if (r === 0) b = n - 1;
  }
  for (let r = 0; r < b; r++) t += a[r] * a[r];
  return s + t;
}

/** Refused: the first loop writes a row through one name, the second reads it through the 2-D array. @differentiable wrt(a) */
export function throughAlias(a: Float64Array, n: number): number {
  const row: number[] = new Array(n).fill(0);
  const grid: number[][] = [];
  grid.push(row);
  let s = 0;
  for (let r = 0; r < n; r++) row[r] = a[r] * 2;
  for (let r = 0; r < n; r++) s += grid[0][(r + 1) % n] * a[r];
  return s;
}

/** Recursive, so never inlined: a call the fusion cannot see into. @differentiable */
export function power(x: number, k: number): number {
  if (k <= 0) return 1;
  return x * power(x, k - 1);
}

/** Refused: the first loop calls a differentiable function. @differentiable wrt(a) */
export function withCall(a: Float64Array, n: number): number {
  const u = new Float64Array(n);
  let s = 0;
  for (let r = 0; r < n; r++) u[r] = power(a[r], 3);
  for (let r = 0; r < n; r++) s += u[r] * a[r];
  return s;
}

/** Refused: the first loop may stop early. @differentiable wrt(a) */
export function withBreak(a: Float64Array, n: number): number {
  const u = new Float64Array(n);
  let s = 0;
  for (let r = 0; r < n; r++) {
    if (a[r] > 2) break;
    u[r] = a[r] * a[r];
  }
  for (let r = 0; r < n; r++) s += u[r] * a[r];
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('h2-fuse-loops', source);
});

/** The text of one generated function, from its `export function` line to its closing brace, each counted loop once. */
function generated(name: string): string {
  const text = withoutReservations(m.text);
  const start = text.indexOf(`export function ${name}(`);
  expect(start).toBeGreaterThanOrEqual(0);
  return text.slice(start, text.indexOf('\n}\n', start) + 2);
}

/** Loops in forward mode, and in the forward and adjoint sweeps of reverse mode. */
function loops(name: string): { jvp: number; forward: number; adjoint: number } {
  const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;
  const vjp = generated(`valueAndVjp_${name}`);
  const [forward, adjoint] = vjp.split('// adjoint sweep');
  return { jvp: count(generated(`jvp_${name}`), /\bwhile \(/g), forward: count(forward!, /\bwhile \(/g), adjoint: count(adjoint!, /\bfor \(let trip/g) };
}

const arr = (...v: number[]) => Float64Array.from(v);

describe('loops that are fused', () => {
  test('x - mu and its scaled copy: one loop for both, the sum after them fused too', () => {
    const x = arr(0.3, -1.2, 0.8, 2.1);
    const mu = arr(0.1, 0.4, -0.5, 1.7);
    const q = arr(0.2, -0.3, 0.1, 0.05);
    for (const d of [0, 1, 4]) checkDerivatives(m, 'residuals', [x, mu, q, d], { wrt: [0, 1] });
    expect(loops('residuals')).toEqual({ jvp: 1, forward: 1, adjoint: 1 });
  });

  test('three loops and the accumulator start between them: one inner loop per outer trip', () => {
    const a = arr(0.5, -0.25, 1.5, 0.75);
    for (const [n, mm] of [[4, 3], [0, 2], [3, 0]]) checkDerivatives(m, 'chain', [a, n, mm], { wrt: [0] });
    expect(loops('chain')).toEqual({ jvp: 2, forward: 2, adjoint: 2 });
  });

  test('a counter read after its loop gets the final value of the fused counter', () => {
    const a = arr(0.4, 1.1, -0.6, 0.9, 0.2);
    for (const n of [1, 4, 5]) checkDerivatives(m, 'counterAfter', [a, n], { wrt: [0] });
    expect(m.source.counterAfter(a, 4)).toBe(m.grad.valueAndGrad_counterAfter(a, 4)[0]);
    expect(loops('counterAfter').jvp).toBe(1);
    expect(generated('jvp_counterAfter')).toMatch(/\n {2}(const )?p = r;\n/);
  });

  test('outer loops fused, then the inner loops they bring together', () => {
    const a = arr(0.7, -0.3, 1.2);
    for (const n of [1, 3]) checkDerivatives(m, 'nested', [a, n], { wrt: [0] });
    expect(loops('nested')).toEqual({ jvp: 2, forward: 2, adjoint: 2 });
  });

  test('the fused loop names the lines of all its source loops, in its comments and its source map', () => {
    const line = (text: string) => source.split('\n').findIndex((l) => l.includes(text)) + 1;
    const [first, second, third] = [line('xc[r] = x[r] - mu[r]'), line('qxc[r] = Math.exp(q[r]) * xc[r]'), line('s += qxc[r] * xc[r]')];
    expect(generated('jvp_residuals')).toContain(`// h2-fuse-loops.ts:${first}-${third}\n  while (r < d) {`);
    expect(generated('valueAndVjp_residuals')).toMatch(new RegExp(`// h2-fuse-loops.ts:${first}-${third}\n\\s*let trips = 0;\n\\s*(\\{\n\\s*let \\w+ = \\w+\\.buf, [^\n]*\n\\s*)?while \\(r < d\\)`));
    const map = new SourceMapConsumer(JSON.parse(lineSourceMap(m.text, { generatedFile: 'h2-fuse-loops.grad.ts', sourceFile: 'h2-fuse-loops.ts' })));
    const lines = m.text.split('\n');
    const jvpStart = lines.findIndex((l) => l.startsWith('export function jvp_residuals('));
    /** The source line the map gives for the first generated line of jvp_residuals holding `text`. */
    const mappedLine = (text: string) => {
      const at = lines.findIndex((l, i) => i > jvpStart && l.includes(text));
      expect(at).toBeGreaterThan(jvpStart);
      return map.originalPositionFor({ line: at + 1, column: lines[at]!.length - lines[at]!.trimStart().length }).line;
    };
    expect(mappedLine('while (r < d)')).toBe(first);
    expect(mappedLine('xc[r] = ')).toBe(first);
    expect(mappedLine('Math.exp(')).toBe(second);
    expect(mappedLine('s = s + ')).toBe(third);
  });
});

describe('loops that are not fused', () => {
  const a = arr(0.6, -0.4, 1.3, 0.2, -0.9);
  const cases: [string, unknown[][], number][] = [
    ['readsAhead', [[a, 4], [a, 0]], 2],
    ['writesAhead', [[a, 5], [a, 1]], 2],
    ['carried', [[a, 5], [a, 0]], 2],
    ['otherTrips', [[a, 5, 4], [a, 3, 5]], 4],
    ['movingBound', [[a, 5], [a, 1]], 2],
    ['throughAlias', [[a, 5], [a, 1]], 2],
    ['withCall', [[a, 5], [a, 0]], 2],
    ['withBreak', [[a, 5], [arr(0.5, 3, 1), 3]], 2],
  ];
  test.each(cases)('%s keeps its loops, with exact derivatives', (name, points, kept) => {
    for (const args of points) checkDerivatives(m, name, args, { wrt: [0] });
    expect(loops(name).jvp).toBe(kept);
    expect(loops(name).forward).toBe(kept);
  });
});
