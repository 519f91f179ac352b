/**
 * Hostile names: parameters and locals named like what the compiler
 * generates (dx for x's tangent, dy for the cotangent, t1 temporaries,
 * value, trips, x_bar, s_next) or like the runtime helpers the generated
 * file imports (tape, zerosLike, addInto). The generated code must rename
 * its own names around the user's, type-check, and give the right numbers.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { typecheck } from '../fuzz/typecheck.ts';

const source = `
/** @differentiable */
export function tangentNames(x: number, dx: number, ddx: number): number {
  return x * dx + Math.sin(ddx) * x;
}

/** @differentiable */
export function reservedNames(tape: number, dy: number, value: number, trips: number): number {
  let s = 0;
  for (let i = 0; i < 3; i++) {
    if (s > value) s -= trips * 0.1;
    s += Math.sin(tape * i) * dy + value * trips;
  }
  return s;
}

/** @differentiable */
export function tempNames(t1: number, t2: number, g: number, self: number): number {
  const t3 = t1 * t2;
  let t4 = t3;
  for (let k = 0; k < 2; k++) t4 = t4 * Math.cos(g) + self;
  return Math.exp(t3 - g) * self + t4;
}

/** @differentiable */
export function helper(a: number, b: number): number {
  return a * Math.exp(b);
}

/** @differentiable */
export function barNames(x_bar: number, helper_bar: number, dout: number): number {
  let s = helper(x_bar, helper_bar) * dout;
  for (let i = 0; i < 2; i++) s += helper(s * 0.1, x_bar);
  return s;
}

/** @differentiable */
export function runtimeNames(zerosLike: Float64Array, addInto: number): number {
  const copy = zerosLike.slice();
  let s = 0;
  for (let i = 0; i < copy.length; i++) {
    copy[i] = copy[i] * addInto;
    s += copy[i] * zerosLike[i];
  }
  return s;
}

/** @differentiable */
export function localsNamedLikeTangents(x: number, y: number): number {
  const dx = x * y;
  let dy = dx + 1;
  let value = 0;
  for (let i = 0; i < 3; i++) {
    const dt1 = dy * x;
    value += dt1;
    dy = dy * 0.5;
  }
  return dx * dy + value;
}

/** @differentiable */
export function nextSuffix(s: number, s_next: number, s_next2: number): number {
  let v = s;
  for (let i = 0; i < 2; i++) v = v * s_next + s_next2;
  s = s * v;
  return s + v;
}
`;

let m: Built<any, any>;
let typeErrors: string[] = [];
beforeAll(async () => {
  m = await buildFixture('hostile-names', source);
  const gradPath = m.sourcePath.replace(/\.ts$/, '.grad.ts');
  typeErrors = typecheck([gradPath]).get(gradPath) ?? [];
});

/** Type errors reported inside the generated function `name`'s derivatives (by line range). */
function typeErrorsOf(name: string): string[] {
  const lines = m.text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`// ---- ${name} (`));
  const next = lines.findIndex((l, i) => i > start && l.startsWith('// ---- '));
  const end = next === -1 ? lines.length : next;
  return typeErrors.filter((e) => {
    const line = Number(/:(\d+):\d+:/.exec(e)?.[1]);
    return line > start && line <= end;
  });
}

describe('user names that look like generated names', () => {
  const cases: [string, number[]][] = [
    ['tangentNames', [0.7, 1.3, -0.4]],
    ['tempNames', [0.7, 1.3, -0.4, 0.9]],
    ['barNames', [0.7, 0.3, -0.4]],
    ['localsNamedLikeTangents', [0.7, 1.3]],
    ['nextSuffix', [0.7, 1.3, -0.4]],
  ];
  for (const [name, args] of cases) {
    test(`${name}: type-checks and matches finite differences and forward mode`, () => {
      expect(typeErrorsOf(name)).toEqual([]);
      checkDerivatives(m, name, args);
    });
  }
});

describe('user names that shadow the runtime imports (docs/fuzz-findings.md #9)', () => {
  // test.fails: the generated code calls tape.control.push on the number parameter `tape`.
  test('a parameter named tape [#9, fixed]', () => {
    expect(typeErrorsOf('reservedNames')).toEqual([]);
    checkDerivatives(m, 'reservedNames', [0.7, 1.3, -0.4, 0.9]);
  });
  // test.fails: the generated code calls a renamed zerosLike import that it never imported.
  test('parameters named zerosLike and addInto [#9, fixed]', () => {
    expect(typeErrorsOf('runtimeNames')).toEqual([]);
    checkDerivatives(m, 'runtimeNames', [Float64Array.from([1, 2]), 3]);
  });
});
