/**
 * Statements and expressions of issue #10 item 4: `switch` (break,
 * fall-through, `default` anywhere, `return` and `continue` inside cases,
 * `switch (true)`), updates and assignments inside expressions and loop
 * conditions (`while (n--)`, `x = ++t[0]`, `for (...; ...; i++, p++)`),
 * labelled blocks, and destructuring assignment (`[a, b] = [b, a * b]`,
 * `[x, y] = pair()`). Each function is checked with reverse mode against
 * central finite differences and forward mode against reverse mode
 * (test/helpers/check.ts), its values against the primal, and the
 * generated file type-checked under strict.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { randn, Rng } from 'wengert';
import { buildFixture, compileFixture, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, mul, sum, tanh } from 'wengert';

export type Activation = 'relu' | 'tanh' | 'linear';

/** A switch on a string-literal union, a return in each case. @differentiable wrt(x) */
export function activate(x: number, act: Activation): number {
  switch (act) {
    case 'relu':
      return Math.max(0, x);
    case 'tanh':
      return Math.tanh(x);
    default:
      return x;
  }
}

export enum Mode { Fast, Slow }

/** A switch on a numeric enum with no default. @differentiable wrt(x) */
export function byMode(x: number, mode: Mode): number {
  let y = x;
  switch (mode) {
    case Mode.Fast:
      y = y * 2;
      break;
    case Mode.Slow:
      y = Math.sin(y);
  }
  return y;
}

/** A destructuring swap of tensors. @differentiable */
export function tensorSwap(a: Tensor, b: Tensor): number {
  let h = a;
  let c = b;
  for (let i = 0; i < 2; i++) [h, c] = [c, tanh(add(h, c))];
  return sum(mul(h, c)) as number;
}

/** break after each case, two labels on one body, default last. @differentiable wrt(x) */
export function switchBreak(x: number, k: number): number {
  let y = 0;
  switch (k) {
    case 0:
      y = x * x;
      break;
    case 1:
    case 2:
      y = Math.sin(x) * k;
      break;
    default:
      y = -x;
  }
  return y + x;
}

/** Falls through from case 0 into case 1, default in the middle falls into case 3. @differentiable wrt(x) */
export function switchFallThrough(x: number, k: number): number {
  let y = x;
  switch (k) {
    case 0:
      y = y * x;
    case 1:
      y = y + Math.exp(x);
      break;
    default:
      y = y * 3;
    case 3:
      y = y - x * x;
  }
  return y;
}

/** return inside every case, a block as a case body; the switch ends the function. @differentiable wrt(x) */
export function switchReturn(x: number, k: number): number {
  switch (k % 3) {
    case 0:
      return x * 2;
    case 1: {
      const z = x * x;
      return z + 1;
    }
    default:
      return Math.cos(x);
  }
}

/** A switch in a loop: a conditional break of the switch, continue of the loop, no default. @differentiable */
export function switchInLoop(xs: number[], x: number): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    switch (i % 4) {
      case 0:
        s += xs[i] * x;
        break;
      case 1:
        if (xs[i] > 0) break;
        s += xs[i] * xs[i];
        break;
      case 2:
        continue;
      case 3:
        s = s * x;
    }
    s += 0.5 * xs[i];
  }
  return s;
}

/** switch (true) on conditions; a return in one case and a labelled break out of the loop in another. @differentiable */
export function switchTrue(x: number): number {
  let y = 0;
  outer: for (let i = 0; i < 4; i++) {
    switch (true) {
      case x > 1.5:
        y += Math.log(x);
        break;
      case x > 0 && i > 2:
        break outer;
      case x < -3:
        return -x;
      default:
        y += x * x * (i + 1);
    }
  }
  return y;
}

/** Fall-through with an early return in the middle and case labels that are expressions. @differentiable wrt(x) */
export function switchMixed(x: number, k: number): number {
  let y = 1;
  const base = 2;
  switch (k) {
    case base - 2:
      y = y * x;
      if (x > 1) return y * 10;
    case base:
      y = y + x * x;
    // falls into default
    default:
      y = y * Math.tanh(x);
  }
  return y;
}

/** while (n--), assignments inside conditions and expressions, ++ on an element, the comma operator. @differentiable wrt(x) */
export function updates(x: number, n: number): number {
  let s = 0;
  let k = n;
  while (k--) s += x * k;
  const t = [x, 2 * x];
  let y = ++t[0];
  y = y * (t[1] = x * x);
  let j = 0;
  for (let p = 1; j < 3; j++, p++) s += p * x;
  let i = 0;
  s += t[i++] * t[i];
  let d = x;
  while ((d = d * 0.5) > 0.1) s += d;
  if (i < 5 && t[i++] > 0) s += x;
  let c = 0;
  do s += x; while (++c < 3);
  const z = (c = 2, c * x);
  return s + y + i + z + (k + i++) * x + i;
}

/** Updates in a loop condition with continue and break, and an assignment chain. @differentiable wrt(x) */
export function updatesInLoops(x: number, n: number): number {
  let a = 0;
  let b = 0;
  a = b = x * 2;
  let m = n;
  let s = a + b;
  while (m-- > 0) {
    if (m === 2) continue;
    if (m === 5) break;
    s = s * 0.5 + x * m;
  }
  let q = 0;
  while (q++ < 3 && (s = s + x) > -100) s = s * 0.9;
  for (let r = 3; r--; ) s += x * r;
  for (let j = 0, p = 1; j++ < 3; p *= 2) {
    if (j === 2) continue;
    s += p * x;
  }
  return s + m + q;
}

/** A helper for evaluationOrder. @differentiable */
export function helper2(u: number, v: number): number {
  return u * v + u;
}

/** Operands read before a later part of the same expression assigns them keep their value. @differentiable wrt(x) */
export function evaluationOrder(x: number, n: number): number {
  let a = x;
  const p = a * (a = 3 * x);
  let i = 1;
  const q = i + i++;
  const r = helper2(a, a = a + x);
  const arr = [a, a++];
  let t = 0;
  const c = (t = x * 2) > 1 || (t = t + 1) > 0 ? t : -t;
  const h = Math.hypot(i, (i = x));
  let w = x;
  w += w++ * 2;
  return p + q * x + r + arr[0] * arr[1] + a + c + h + i * n + w;
}

/** A labelled block left by break, in a loop that continues from inside it. @differentiable */
export function labelled(x: number, y: number): number {
  let r = x;
  check: {
    if (x > 1) break check;
    r = r * y;
    if (y > 0) {
      r += 1;
      break check;
    }
    r = r - y * y;
  }
  let s = 0;
  outer: for (let i = 0; i < 4; i++) {
    inner: {
      if (i === 1) break inner;
      if (i === 2) continue outer;
      s += Math.sin(x * i);
    }
    s += y * i;
  }
  return r + s;
}

/** A tuple-returning helper. @differentiable */
export function pair(a: number, b: number): [number, number] {
  return [a * b, a - b];
}

/** Destructuring swaps, element targets, holes, and a tuple from a differentiable call. @differentiable */
export function swaps(a: number, b: number): number {
  let x = a;
  let y = b;
  for (let i = 0; i < 3; i++) [x, y] = [y, x * y + 0.5];
  const arr = [a, b];
  [arr[0], arr[1]] = [arr[1], arr[0] * 2];
  let u = 0;
  let v = 0;
  [u, v] = pair(a, b);
  [, u] = [u, u * v];
  [x] = [x + u, y];
  return x + y * arr[0] + arr[1] + u + v;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('statements-item4', source);
});

describe('switch', () => {
  test('break after each case, shared bodies, default last: an if / else-if chain', () => {
    for (const k of [0, 1, 2, 3, -1]) {
      for (const x of [0.7, -1.3]) checkDerivatives(m, 'switchBreak', [x, k], { wrt: [0] });
    }
    expect(m.source.switchBreak(0.5, 2)).toBeCloseTo(Math.sin(0.5) * 2 + 0.5, 14);
    const valueAndVjp = section(m.text, 'valueAndVjp_switchBreak');
    expect(valueAndVjp).toMatch(/if \(k === 0\) \{[\s\S]*\}\s*else \{\s*(\/\/.*\s*)?if \(k === 1 \|\| k === 2\) \{/);
    expect(valueAndVjp).not.toMatch(/matched|broke/);
  });

  test('fall-through and a default in the middle', () => {
    for (const k of [0, 1, 2, 3, 7]) {
      for (const x of [0.4, -0.9]) checkDerivatives(m, 'switchFallThrough', [x, k], { wrt: [0] });
    }
    // k = 0 runs cases 0 and 1; k = 7 runs default and case 3.
    const x = 0.4;
    expect(m.source.switchFallThrough(x, 0)).toBeCloseTo(x * x + Math.exp(x), 14);
    expect(m.source.switchFallThrough(x, 7)).toBeCloseTo(3 * x - x * x, 14);
    expect(section(m.text, 'jvp_switchFallThrough')).toMatch(/matched/);
  });

  test('return inside every case', () => {
    for (const k of [0, 1, 2, 5]) {
      for (const x of [0.3, -2]) checkDerivatives(m, 'switchReturn', [x, k], { wrt: [0] });
    }
  });

  test('inside a loop: break of the switch, continue of the loop', () => {
    checkDerivatives(m, 'switchInLoop', [[0.5, -1, 2, 0.25, -0.5, 1.5, 3], 0.8]);
    checkDerivatives(m, 'switchInLoop', [[0.5, 2, 1, -3], -1.1]);
  });

  test('switch (true), return and a labelled break out of the enclosing loop', () => {
    for (const x of [2, 0.6, -4, -1]) checkDerivatives(m, 'switchTrue', [x]);
    expect(m.source.switchTrue(-4)).toBe(4);
  });

  test('on a string-literal union and on a numeric enum', () => {
    for (const act of ['relu', 'tanh', 'linear']) {
      for (const x of [0.6, -0.8]) checkDerivatives(m, 'activate', [x, act], { wrt: [0] });
    }
    expect(m.source.activate(-0.8, 'relu')).toBe(0);
    for (const mode of [0, 1, 5]) checkDerivatives(m, 'byMode', [0.7, mode], { wrt: [0] });
    expect(m.source.byMode(0.7, 5)).toBe(0.7);
  });

  test('fall-through after an early return, expressions as case labels', () => {
    for (const k of [0, 2, 9]) {
      for (const x of [0.5, 1.5, -0.7]) checkDerivatives(m, 'switchMixed', [x, k], { wrt: [0] });
    }
    expect(m.source.switchMixed(1.5, 0)).toBe(15);
  });
});

describe('updates and assignments inside expressions and loop conditions', () => {
  test('while (n--), x = ++t[0], (t[1] = e), i++ in indexes and conditions, for (...; ...; j++, p++), the comma operator', () => {
    for (const n of [0, 1, 4]) {
      for (const x of [0.9, 3, -0.6]) checkDerivatives(m, 'updates', [x, n], { wrt: [0] });
    }
  });

  test('the values follow JavaScript evaluation order', () => {
    // Computed by hand for x = 3, n = 2.
    const x = 3;
    let s = x * 1 + x * 0; // while (k--): k = 1, then 0; k ends at -1
    const t0 = x + 1;
    const y = t0 * (x * x);
    s += (1 + 2 + 3) * x;
    s += t0 * (x * x); // t[0] * t[1], i = 1
    for (let d = x * 0.5; d > 0.1; d *= 0.5) s += d;
    s += x; // t[1] > 0, i = 2
    s += 3 * x; // do-while: three trips
    const z = 2 * x;
    const value = s + y + 2 + z + (-1 + 2) * x + 3;
    expect(m.source.updates(x, 2)).toBeCloseTo(value, 12);
    expect(m.grad.valueAndGrad_updates(x, 2)[0]).toBe(m.source.updates(x, 2));
  });

  test('an operand read before a later operand assigns it keeps its value (a * (a = e), i + i++, f(a, a = e), [a, a++], w += w++, || with assignments)', () => {
    const expected = (x: number, n: number) => {
      const t = 2 * x > 1 ? 2 * x : 2 * x + 1 > 0 ? 2 * x + 1 : -(2 * x + 1);
      const r = 12 * x * x + 3 * x;
      return 3 * x * x + 2 * x + r + 16 * x * x + (4 * x + 1) + t + Math.hypot(2, x) + x * n + 3 * x;
    };
    for (const x of [0.8, 0.2, -0.7, -2]) {
      expect(m.source.evaluationOrder(x, 3)).toBeCloseTo(expected(x, 3), 12);
      checkDerivatives(m, 'evaluationOrder', [x, 3], { wrt: [0] });
    }
  });

  test('updates in loop conditions with continue and break, and an assignment chain', () => {
    for (const n of [0, 3, 8]) {
      for (const x of [0.5, -1.2]) checkDerivatives(m, 'updatesInLoops', [x, n], { wrt: [0] });
    }
  });
});

describe('labelled blocks', () => {
  test('break out of a labelled block, and continue of a loop from inside one', () => {
    for (const [x, y] of [[0.5, 0.7], [0.5, -0.7], [2, 0.3], [-1, 2]]) checkDerivatives(m, 'labelled', [x, y]);
  });
});

describe('destructuring assignment', () => {
  test('[x, y] = [y, x * y], element targets, holes, a tuple from a differentiable call', () => {
    for (const [a, b] of [[0.5, -0.3], [1.2, 0.8], [-2, 0.1]]) checkDerivatives(m, 'swaps', [a, b]);
  });

  test('a swap of tensors', () => {
    const rng = new Rng(5);
    const a = randn([2, 3], rng, { dtype: 'float64' });
    const b = randn([2, 3], rng, { dtype: 'float64' });
    checkDerivatives(m, 'tensorSwap', [a, b]);
  });

  test('a swap reads both values before assigning either', () => {
    // After three rounds of [x, y] = [y, x * y + 0.5] from (1, 2): (2, 2.5), (2.5, 5.5), (5.5, 14.25).
    const u = 1 * 2;
    const v = 1 - 2;
    const x = 5.5 + u * v;
    expect(m.source.swaps(1, 2)).toBeCloseTo(x + 14.25 * 2 + 2 + u * v + v, 12);
    expect(m.grad.valueAndGrad_swaps(1, 2)[0]).toBe(m.source.swaps(1, 2));
  });
});

test('the generated file type-checks under strict', () => {
  expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
});

/** What stays refused says why and what to do instead, at the construct. */
describe('refusals', () => {
  const fn = (body: string, params = 'x: number') => `/** @differentiable */\nexport function f(${params}): number {\n${body}\n}\n`;
  const cases: { name: string; body: string; params?: string; message: RegExp; line: number }[] = [
    { name: 'continue-block', body: '  let y = x;\n  blk: {\n    for (let i = 0; i < 2; i++) {\n      if (i > 0) continue blk;\n    }\n  }\n  return y;', message: /continue blk names a labelled block, not a loop/, line: 6 },
    { name: 'case-update', body: '  let k = 0;\n  switch (x) {\n    case k++:\n      return x;\n  }\n  return 0;', message: /the case label k\+\+ changes a variable/, line: 5 },
    { name: 'rest-target', body: '  let a = 0;\n  let b = [0];\n  [a, ...b] = [x, x];\n  return a;', message: /a rest element in a destructuring assignment is not supported/, line: 5 },
    { name: 'object-target', body: '  let a = 0;\n  ({ a } = { a: x });\n  return a;', message: /object destructuring assignment is not supported/, line: 4 },
    { name: 'nested-target', body: '  let a = 0;\n  let b = 0;\n  [a, [b]] = [x, [x]];\n  return a + b;', message: /nested destructuring is not supported/, line: 5 },
    { name: 'break-nowhere', body: '  if (x > 0) break;\n  return x;', message: /break outside a loop or switch/, line: 3 },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.message.source}`, () => {
      const { result } = compileFixture(`statements-item4-refused-${c.name}`, fn(c.body, c.params));
      const d = result.diagnostics.find((x) => x.severity !== 'warning');
      expect(d?.message).toMatch(c.message);
      expect(d?.line).toBe(c.line);
      expect(d?.hint.length).toBeGreaterThan(10);
    });
  }
});

/** The text of one generated function: from its `export function name(` to the next export. */
function section(text: string, name: string): string {
  const start = text.indexOf(`export function ${name}(`);
  if (start < 0) throw new Error(`no ${name} in the generated file`);
  const next = text.indexOf('\nexport ', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
}
