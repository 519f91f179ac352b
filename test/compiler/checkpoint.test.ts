/**
 * Checkpointed loops (`/** @checkpoint *\/`, issue #12): every case is
 * compiled twice, with the tags and with them blanked out, and the
 * checkpointed gradient must be IDENTICAL to the plain tape's, bit for bit
 * (Object.is per number), for many trip counts and schedules: the logistic
 * map, the RK4 pendulum of examples/pendulum, loops with break and
 * continue, nested loops, arrays and tensors carried across trips, calls,
 * branches, a checkpointed loop inside a plain loop and inside a
 * checkpointed one. Plus finite differences on small n, forward mode
 * unchanged, the tape's high-water mark, and the refusals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, fromArray, Tensor, tape, watchStack } from 'wengert';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import { buildFixture, compileFixture, generatedDir, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { programArbitrary } from '../fuzz/arbitraries.ts';
import { renderProgram } from '../fuzz/render.ts';
import { copyArgs, inputsAt } from '../fuzz/inputs.ts';

const cases = `
import { Tensor, matmul, tanh, sum, mul } from 'wengert';

/** @differentiable wrt(x, r) */
export function logistic(x: number, r: number, n: number): number {
  let v = x;
  /** @checkpoint */
  for (let i = 0; i < n; i++) {
    v = r * v * (1 - v);
  }
  return v;
}

/** Pure binomial: one trip per step, three snapshots. @differentiable wrt(x, r) */
export function logisticRevolve(x: number, r: number, n: number): number {
  let v = x;
  /** @checkpoint every(1) snapshots(3) */
  for (let i = 0; i < n; i++) v = r * v * (1 - v);
  return v;
}

/** Counting down by 2, an inclusive bound, steps of 3 trips. @differentiable wrt(x, r) */
export function logisticDown(x: number, r: number, n: number): number {
  let v = x;
  /** @checkpoint every(3) */
  for (let i = n; i >= 1; i -= 2) v = r * v * (1 - v) + 0.001 * i;
  return v;
}

/** A while loop that stops on the state: the online schedule. @differentiable wrt(x, r) */
export function logisticUntil(x: number, r: number, n: number, top: number): number {
  let v = x;
  let s = 0;
  let i = 0;
  /** @checkpoint */
  while (i < n && s < top) {
    v = r * v * (1 - v);
    s = s + v;
    i++;
  }
  return s * v;
}

/** break and continue. @differentiable wrt(x, r) */
export function exits(x: number, r: number, n: number, top: number): number {
  let v = x;
  let s = 0;
  /** @checkpoint snapshots(4) */
  for (let i = 0; i < n; i++) {
    if (i % 3 === 1) continue;
    v = r * v * (1 - v);
    if (s > top) break;
    s = s + v * v;
  }
  return s + v;
}

/** A do-while, with the online schedule bounded. @differentiable wrt(x) */
export function doWhile(x: number, n: number): number {
  let v = x;
  let k = 0;
  /** @checkpoint snapshots(3) */
  do {
    v = Math.sin(v) + 0.5 * v;
    k++;
  } while (k < n);
  return v;
}

/** A plain inner loop, a branch and a counter-restored inner loop inside. @differentiable wrt(x, w) */
export function nested(x: number, w: number, n: number, m: number): number {
  let v = x;
  let acc = 0;
  /** @checkpoint */
  for (let i = 0; i < n; i++) {
    let s = v;
    for (let j = 0; j < m; j++) s = s + Math.sin(s * w + j);
    if (s > 0) v = 0.5 * s;
    else v = -0.25 * s + w;
    acc = acc + v * 0.1;
  }
  return acc + v;
}

/** A checkpointed loop inside a checkpointed loop. @differentiable wrt(x, w) */
export function nestedTwice(x: number, w: number, n: number, m: number): number {
  let v = x;
  /** @checkpoint */
  for (let i = 0; i < n; i++) {
    let s = v;
    /** @checkpoint snapshots(2) */
    for (let j = 0; j < m; j++) s = Math.cos(s * w) + s * 0.5;
    v = s;
  }
  return v;
}

/** A checkpointed loop inside a plain loop. @differentiable wrt(x, r) */
export function restarts(x: number, r: number, n: number): number {
  let total = 0;
  let v = x;
  for (let k = 0; k < 3; k++) {
    /** @checkpoint */
    for (let i = 0; i < n; i++) v = r * v * (1 - v);
    total = total + v;
    v = v * 0.5 + 0.1 * k;
  }
  return total;
}

/** A number array carried across trips (a diffusion stencil). @differentiable wrt(xs, a) */
export function diffuse(xs: number[], a: number, n: number): number {
  const u = xs.slice();
  const m = u.length;
  /** @checkpoint */
  for (let t = 0; t < n; t++) {
    const first = u[0]!;
    for (let j = 0; j < m - 1; j++) u[j] = u[j]! + a * Math.sin(u[j + 1]! - u[j]!);
    u[m - 1] = u[m - 1]! + a * Math.sin(first - u[m - 1]!);
  }
  let s = 0;
  for (let j = 0; j < m; j++) s = s + u[j]! * u[j]! * (j + 1);
  return s;
}

/** A Float64Array carried across trips, with a trip-local array inside. @differentiable wrt(x) */
export function typed(x: number, n: number): number {
  const u = new Float64Array(3);
  u[0] = x;
  u[1] = 2 * x;
  u[2] = 0.5;
  /** @checkpoint every(2) snapshots(2) */
  for (let t = 0; t < n; t++) {
    const tmp = [u[1]! * u[2]!, u[2]! * u[0]!, u[0]! * u[1]!];
    for (let j = 0; j < 3; j++) u[j] = Math.tanh(u[j]! + 0.3 * tmp[j]!);
  }
  return u[0]! + u[1]! * u[2]!;
}

/** @differentiable */
export function step(v: number, r: number): number {
  return r * v * (1 - v);
}

/** A call to a differentiable function in the loop. @differentiable wrt(x, r) */
export function calls(x: number, r: number, n: number): number {
  let v = x;
  /** @checkpoint */
  for (let i = 0; i < n; i++) v = step(v, r) + 0.01 * step(r, v);
  return v;
}

/** for...of over a parameter array; a labelled loop with continue to it from an inner loop. @differentiable wrt(x, ws) */
export function labelled(x: number, ws: number[], m: number): number {
  let v = x;
  /** @checkpoint */
  for (const w of ws) v = Math.sin(v * w) + v;
  /** @checkpoint every(2) */
  outer: for (let i = 0; i < m; i++) {
    for (let j = 0; j < 3; j++) {
      if (v > 2 + j) continue outer;
      v = v * 0.9 + ws[j % ws.length]! * 0.1;
    }
  }
  return v;
}

/** A counted while loop. @differentiable wrt(x) */
export function countedWhile(x: number, n: number): number {
  let v = x;
  let i = 0;
  /** @checkpoint */
  while (i < n) {
    v = Math.cos(v) * 0.8 + 0.1;
    i += 1;
  }
  return v;
}

/** Vector-valued: jacobian_, jacrev_ and valueAndVjps_ (k cotangents in one sweep) go through the checkpointed loop. @differentiable wrt(x, r) */
export function pair(x: number, r: number, n: number): [number, number] {
  let v = x;
  let s = 0;
  /** @checkpoint */
  for (let i = 0; i < n; i++) {
    v = r * v * (1 - v);
    s = s + v;
  }
  return [v, s];
}

/** Arrays written only before the loop (built with push, of objects too) are read as they are. @differentiable wrt(x) */
export function tables(x: number, n: number): number {
  const coeffs: number[] = [];
  for (let k = 0; k < 4; k++) coeffs.push(0.5 + 0.1 * k);
  const pairs: { a: number; b: number }[] = [];
  for (let k = 0; k < 3; k++) pairs.push({ a: 0.2 * k, b: 1 - 0.1 * k });
  let v = x;
  /** @checkpoint */
  for (let i = 0; i < n; i++) {
    const p = pairs[i % 3]!;
    v = Math.sin(v * coeffs[i % 4]!) * p.b + p.a * v;
  }
  return v;
}

/** A tensor carried across trips (referenced by the snapshots). @differentiable wrt(h0, W) */
export function rnn(h0: Tensor, W: Tensor, n: number): number {
  let h = h0;
  /** @checkpoint */
  for (let i = 0; i < n; i++) h = tanh(matmul(h, W));
  return sum(mul(h, h)) as number;
}
`;

/** The same source with every @checkpoint comment blanked out (same lines, so the same source comments). */
function plainOf(src: string): string {
  return src.replace(/\/\*\* @checkpoint[^*]*\*\//g, (m) => ' '.repeat(m.length));
}

const pendulumSource = fs.readFileSync(new URL('../../examples/pendulum/model.ts', import.meta.url), 'utf8');

let ck: Built<any, any>;
let plain: Built<any, any>;
let pend: Built<any, any>;
let pendPlain: Built<any, any>;
beforeAll(async () => {
  ck = await buildFixture('h6-checkpoint/cases', cases);
  plain = await buildFixture('h6-checkpoint/cases-plain', plainOf(cases));
  pend = await buildFixture('h6-checkpoint/pendulum', pendulumSource);
  pendPlain = await buildFixture('h6-checkpoint/pendulum-plain', plainOf(pendulumSource));
});

/** The numbers of a gradient (tensors flattened). */
function numbersOf(g: unknown): number[] {
  if (g instanceof Tensor) return Array.from(g.dataSync());
  if (Array.isArray(g)) return g.flatMap(numbersOf);
  return flatten(g as never);
}

/** Bit for bit, as Object.is sees it (so -0 and 0 differ, NaN equals NaN). */
function expectIdentical(actual: unknown, expected: unknown, label: string): void {
  const a = numbersOf(actual);
  const b = numbersOf(expected);
  expect(a.length, label).toBe(b.length);
  const differing = a.map((x, k) => [k, x, b[k]] as const).filter(([, x, y]) => !Object.is(x, y));
  expect(differing, `${label}: elements that differ [index, checkpointed, plain]`).toEqual([]);
}

function tapeDepth(): [number, number, number] {
  return [tape.values.length, tape.control.length, tape.refs.length];
}

/** Compares valueAndGrad of the checkpointed and the plain build, and checks the tapes end as they began. */
function sameAsPlain(name: string, args: unknown[], mod = ck, twin = plain): void {
  const before = tapeDepth();
  const [value, grad] = mod.grad[`valueAndGrad_${name}`](...args);
  expect(tapeDepth(), `${name}: tapes balanced`).toEqual(before);
  const [plainValue, plainGrad] = twin.grad[`valueAndGrad_${name}`](...args);
  expect(Object.is(value, plainValue), `${name}(${JSON.stringify(args)}) value`).toBe(true);
  expectIdentical(grad, plainGrad, `${name}(${JSON.stringify(args.filter((a) => !(a instanceof Tensor)))})`);
}

const TRIPS = [0, 1, 2, 3, 5, 8, 13, 64, 100, 257, 1000];

describe('bit for bit the plain tape gradient', () => {
  test('logistic map, the default schedule', () => {
    for (const n of [...TRIPS, 4096, 10_007]) sameAsPlain('logistic', [0.3, 3.7, n]);
  });

  test('logistic map, pure binomial schedule (every(1) snapshots(3))', () => {
    for (const n of TRIPS) sameAsPlain('logisticRevolve', [0.3, 3.7, n]);
  });

  test('counting down with an inclusive bound', () => {
    for (const n of TRIPS) sameAsPlain('logisticDown', [0.3, 3.7, n]);
    sameAsPlain('logisticDown', [0.3, 3.7, 10.5]);
  });

  test('a while loop that stops on its state (online schedule)', () => {
    for (const n of TRIPS) for (const top of [0.5, 3, 1e9]) sameAsPlain('logisticUntil', [0.3, 3.7, n, top]);
  });

  test('break and continue', () => {
    for (const n of TRIPS) for (const top of [-1, 2, 1e9]) sameAsPlain('exits', [0.3, 3.7, n, top]);
  });

  test('do-while', () => {
    for (const n of [0, 1, 2, 7, 100, 999]) sameAsPlain('doWhile', [0.7, n]);
  });

  test('nested loops and branches in the checkpointed loop', () => {
    for (const n of [0, 1, 4, 30, 101]) for (const m of [0, 1, 3]) sameAsPlain('nested', [0.4, 0.9, n, m]);
  });

  test('a checkpointed loop inside a checkpointed loop', () => {
    for (const n of [0, 1, 5, 40]) for (const m of [0, 1, 6, 17]) sameAsPlain('nestedTwice', [0.4, 0.9, n, m]);
  });

  test('a checkpointed loop inside a plain loop', () => {
    for (const n of [0, 1, 9, 200]) sameAsPlain('restarts', [0.3, 3.7, n]);
  });

  test('arrays carried across trips', () => {
    for (const n of [0, 1, 2, 17, 150]) {
      sameAsPlain('diffuse', [[0.1, -0.4, 0.7, 1.2, 0.05], 0.3, n]);
      sameAsPlain('typed', [0.6, n]);
    }
  });

  test('for...of, a labelled loop with continue from an inner loop, a counted while loop', () => {
    for (const m of [0, 1, 5, 50]) sameAsPlain('labelled', [0.4, [0.3, -1.2, 2.5, 0.7], m]);
    for (const n of [0, 1, 9, 400]) sameAsPlain('countedWhile', [0.4, n]);
  });

  test('arrays written only before the loop are read as they are, not copied into snapshots', () => {
    for (const n of [0, 1, 5, 120]) sameAsPlain('tables', [0.4, n]);
    expect(ck.text).toMatch(/snapshots of \(i, v\)/);
  });

  test('a vector-valued function: its Jacobians and k cotangents at once', () => {
    for (const n of [0, 1, 7, 300]) {
      expectIdentical(ck.grad.jacrev_pair(0.3, 3.7, n), plain.grad.jacrev_pair(0.3, 3.7, n), `jacrev_pair n=${n}`);
      expectIdentical(ck.grad.jacobian_pair(0.3, 3.7, n), plain.grad.jacobian_pair(0.3, 3.7, n), `jacobian_pair n=${n}`);
      const cotangents = [[1, 0], [0.5, -2]];
      expectIdentical(ck.grad.valueAndVjps_pair(0.3, 3.7, n, cotangents), plain.grad.valueAndVjps_pair(0.3, 3.7, n, cotangents), `valueAndVjps_pair n=${n}`);
    }
  });

  test('calls to differentiable functions in the loop', () => {
    for (const n of [0, 1, 10, 333]) sameAsPlain('calls', [0.3, 3.7, n]);
  });

  test('a tensor carried across trips', () => {
    const h0 = fromArray([[0.1, -0.3, 0.5]], undefined, 'float64');
    const W = fromArray([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [-0.6, 0.2, 0.9]], undefined, 'float64');
    for (const n of [0, 1, 3, 25]) sameAsPlain('rnn', [h0, W, n]);
  });

  test('the RK4 pendulum of examples/pendulum', () => {
    for (const n of [0, 1, 2, 10, 99, 1000, 5000]) sameAsPlain('pendulum', [1.2, 0, 9.81, 0.3, 0.01, n], pend, pendPlain);
    // pendulumTaped is the same code without the tag: the same numbers.
    const [v1, g1] = pend.grad.valueAndGrad_pendulum(1.2, 0.4, 9.81, 0.3, 0.01, 777);
    const [v2, g2] = pend.grad.valueAndGrad_pendulumTaped(1.2, 0.4, 9.81, 0.3, 0.01, 777);
    expect(Object.is(v1, v2)).toBe(true);
    expectIdentical(g1, g2, 'pendulum vs pendulumTaped');
  });
});

describe('against finite differences (small n)', () => {
  test.each([
    ['logistic', [0.3, 3.2, 6], [0, 1]],
    ['logisticRevolve', [0.3, 3.2, 9], [0, 1]],
    ['logisticDown', [0.3, 3.2, 9], [0, 1]],
    ['logisticUntil', [0.3, 3.2, 12, 2], [0, 1]],
    ['exits', [0.3, 3.2, 12, 1.5], [0, 1]],
    ['doWhile', [0.7, 8], [0]],
    ['nested', [0.4, 0.9, 5, 3], [0, 1]],
    ['nestedTwice', [0.4, 0.9, 4, 5], [0, 1]],
    ['restarts', [0.3, 3.2, 4], [0, 1]],
    ['diffuse', [[0.1, -0.4, 0.7, 1.2, 0.05], 0.3, 7], [0, 1]],
    ['typed', [0.6, 5], [0]],
    ['calls', [0.3, 3.2, 5], [0, 1]],
    ['labelled', [0.4, [0.3, -1.2, 2.5, 0.7], 6], [0, 1]],
    ['countedWhile', [0.4, 7], [0]],
    ['tables', [0.4, 9], [0]],
  ] as const)('%s', (name, args, wrt) => {
    checkDerivatives(ck, name, [...args].map((a) => (Array.isArray(a) ? [...a] : a)), { wrt: [...wrt], fdTol: 1e-6 });
  });

  test('pendulum', () => {
    checkDerivatives(pend, 'pendulum', [1.2, 0.4, 9.81, 0.3, 0.05, 40], { wrt: [0, 1, 2, 3], fdTol: 1e-6 });
  });
});

describe('the schedule each loop gets', () => {
  /** The argument of the schedule made for the loop at `line` of the fixture. */
  const scheduleAt = (line: number) => {
    const m = new RegExp(`// cases\\.ts:${line}: @checkpoint loop[^\\n]*\\n\\s*const \\w+ = LoopCheckpoints\\.(\\w+\\([^;]*\\));`).exec(ck.text);
    return m?.[1];
  };
  const lineOf = (needle: string) => cases.split('\n').findIndex((l) => l.includes(needle)) + 1;

  test('counted loops announce their trip count; the others go online', () => {
    expect(scheduleAt(lineOf('for (let i = 0; i < n; i++) {'))).toBe('counted(n - i)');
    expect(scheduleAt(lineOf('for (let i = 0; i < n; i++) v = r * v * (1 - v);'))).toBe('counted(n - i, { snapshots: 3, every: 1 })');
    expect(scheduleAt(lineOf('for (let i = n; i >= 1; i -= 2)'))).toBe('counted(Math.floor((i - 1) / 2) + 1, { every: 3 })');
    expect(scheduleAt(lineOf('while (i < n && s < top)'))).toBe('online()');
    expect(scheduleAt(lineOf('while (i < n) {'))).toBe('counted(n - i)');
    expect(scheduleAt(lineOf('for (const w of ws)'))).toMatch(/^counted\(ws\.length - \w+\)$/);
    // A break becomes a flag in the loop condition; a continue (to a label from an inner loop too) keeps the count.
    expect(scheduleAt(lineOf('if (i % 3 === 1) continue;') - 1)).toBe('online({ snapshots: 4 })');
    expect(scheduleAt(lineOf('outer: for'))).toBe('counted(m - i, { every: 2 })');
    expect(scheduleAt(lineOf('} while (k < n);') - 3)).toBe('online({ snapshots: 3 })');
  });
});

describe('forward mode is unchanged', () => {
  /** The text of one generated function, with the file names taken out. */
  const functionText = (text: string, name: string, file: string) => {
    const start = text.indexOf(`export function ${name}(`);
    expect(start, name).toBeGreaterThanOrEqual(0);
    return text.slice(start, text.indexOf('\n}\n', start)).replaceAll(`${file}.ts:`, 'FILE:');
  };

  test('jvp_ is the same code with and without @checkpoint', () => {
    for (const name of ['logistic', 'logisticUntil', 'exits', 'nested', 'diffuse', 'typed', 'labelled', 'rnn']) {
      expect(functionText(ck.text, `jvp_${name}`, 'cases')).toBe(functionText(plain.text, `jvp_${name}`, 'cases-plain'));
    }
  });

  test('and gives the same numbers', () => {
    expect(ck.grad.jvp_logistic(0.3, 3.7, 100, 1, 0.5)).toEqual(plain.grad.jvp_logistic(0.3, 3.7, 100, 1, 0.5));
  });
});

describe('memory', () => {
  /** The most values on the values tape during one call (its push instrumented for this call only). */
  function peakValues(call: () => unknown): number {
    const values = tape.values;
    const start = values.length;
    let length = start;
    let peak = start;
    // Watching the storage sees the loops that keep the top in locals (compiler/emit/tape-cursors.ts).
    watchStack(values, { push: () => void (peak = Math.max(peak, ++length)), pop: () => void length-- }, call);
    return peak - start;
  }

  test('the logistic map keeps O(sqrt n) values on the tape', () => {
    const n = 10_000;
    expect(peakValues(() => plain.grad.grad_logistic(0.3, 3.7, n))).toBe(n);
    // One step of ceil(sqrt n) = 100 trips recorded at a time.
    expect(peakValues(() => ck.grad.grad_logistic(0.3, 3.7, n))).toBeLessThanOrEqual(100);
    // every(1): one trip at a time.
    expect(peakValues(() => ck.grad.grad_logisticRevolve(0.3, 3.7, n))).toBe(1);
  });
});

describe('refused, with a located hint', () => {
  const refused = (name: string, body: string) => {
    const { result, sourcePath } = compileFixture(`h6-checkpoint/refused-${name}`, body);
    const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
    expect(errors.length, JSON.stringify(result.diagnostics)).toBe(1);
    expect(errors[0]!.file).toBe(sourcePath);
    return errors[0]!;
  };

  test('an array that grows inside the loop', () => {
    const d = refused('push', `/** @differentiable wrt(x) */\nexport function f(x: number, n: number): number {\n  const xs: number[] = [];\n  let v = x;\n  /** @checkpoint */\n  for (let i = 0; i < n; i++) {\n    v = Math.sin(v);\n    xs.push(v);\n  }\n  return xs[n - 1]! + v;\n}\n`);
    expect([d.line, d.column]).toEqual([6, 3]);
    expect(d.message).toContain('xs changes length inside the @checkpoint loop');
    expect(d.hint).toContain('final length before the loop');
  });

  test('a 2-D array carried across trips', () => {
    const d = refused('grid', `/** @differentiable wrt(x) */\nexport function f(x: number, n: number): number {\n  const grid: number[][] = [[x, 1], [2, x]];\n  /** @checkpoint */\n  for (let i = 0; i < n; i++) grid[0]![1] = Math.sin(grid[1]![1]! + grid[0]![1]!);\n  return grid[0]![1]!;\n}\n`);
    expect(d.message).toContain('the 2-D array grid is written and carried');
    expect(d.hint).toContain('flat number[]');
  });

  test('an unknown option', () => {
    const d = refused('option', `/** @differentiable wrt(x) */\nexport function f(x: number, n: number): number {\n  let v = x;\n  /** @checkpoint snapshot(3) */\n  for (let i = 0; i < n; i++) v = Math.sin(v);\n  return v;\n}\n`);
    expect([d.line, d.column]).toEqual([5, 3]);
    expect(d.message).toContain('"snapshot(3)"');
    expect(d.hint).toContain('snapshots(s)');
  });
});

describe('fuzzed programs: @checkpoint on every loop gives the plain gradient bit for bit', () => {
  /** A `/** @checkpoint *\/` line before every loop of a rendered program (its label included). */
  const withCheckpoints = (text: string) => text.replace(/^(\s*)((?:L\d+: )?(?:for|while|do)\b)/gm, (_, indent: string, loop: string) => `${indent}/** @checkpoint */\n${indent}${loop}`);

  test('40 programs of the fuzzer, 3 points each', async () => {
    const programs = fc.sample(programArbitrary(), { seed: 2026, numRuns: 40 });
    const dir = path.join(generatedDir, 'h6-checkpoint', 'fuzz');
    fs.mkdirSync(dir, { recursive: true });
    const paths: string[] = [];
    const loops: boolean[] = [];
    programs.forEach((p, k) => {
      const text = renderProgram(p);
      const tagged = withCheckpoints(text);
      loops.push(tagged !== text);
      fs.writeFileSync(path.join(dir, `p${k}.ts`), tagged);
      fs.writeFileSync(path.join(dir, `p${k}-plain.ts`), text);
      paths.push(path.join(dir, `p${k}.ts`), path.join(dir, `p${k}-plain.ts`));
    });
    const result = compileFiles(paths);
    for (const file of result.files) fs.writeFileSync(file.outputPath, file.text);
    const failed = new Set(result.diagnostics.filter((d) => d.severity !== 'warning').map((d) => d.file));
    const tally = { compared: 0, refused: 0, noLoop: 0, plainFailed: 0 };
    for (let k = 0; k < programs.length; k++) {
      const ckPath = path.join(dir, `p${k}.ts`);
      const plainPath = path.join(dir, `p${k}-plain.ts`);
      if (!loops[k]) {
        tally.noLoop++;
        continue;
      }
      if (failed.has(plainPath)) {
        tally.plainFailed++;
        continue;
      }
      if (failed.has(ckPath)) {
        // Only the checkpoint's own refusals may stop a program the plain build accepts.
        const messages = result.diagnostics.filter((d) => d.file === ckPath).map(formatDiagnostic);
        expect(messages.every((m) => m.includes('@checkpoint')), messages.join('\n')).toBe(true);
        tally.refused++;
        continue;
      }
      const ck = await import(/* @vite-ignore */ ckPath.replace(/\.ts$/, '.grad.ts'));
      const pl = await import(/* @vite-ignore */ plainPath.replace(/\.ts$/, '.grad.ts'));
      for (let point = 0; point < 3; point++) {
        const args = inputsAt(programs[k]!, point);
        const run = (m: any) => {
          try {
            return m.valueAndGrad_f(...copyArgs(args));
          } catch (e) {
            return `threw ${(e as Error).message}`;
          }
        };
        const a = run(ck);
        const b = run(pl);
        if (typeof a === 'string' || typeof b === 'string') {
          expect(a, `p${k} at point ${point}`).toEqual(b);
          continue;
        }
        expect(Object.is(a[0], b[0]), `p${k} value at point ${point}`).toBe(true);
        expectIdentical(a[1], b[1], `p${k} at point ${point}`);
      }
      tally.compared++;
    }
    console.log(`fuzzed @checkpoint programs: ${JSON.stringify(tally)}`);
    expect(tally.compared).toBeGreaterThanOrEqual(15);
  }, 600_000);
});
