/**
 * Golden files of the emitted code: a change in what the compiler writes
 * shows up in review as a diff of test/compiler/golden/*.grad.ts. Update
 * them with `npx vitest run test/compiler/golden.test.ts -u` after checking
 * the new output is right (the other compiler tests run it).
 */
import { describe, expect, test } from 'vitest';
import { compileFixture } from '../helpers/generate.ts';

const cases: Record<string, string> = {
  seed: `
/** @differentiable */
export function f(x1: number, x2: number): number {
  return x1 ** 2 + (x1 - x2) - Math.log(x1 ** 2 + x2 ** 2);
}
`,
  logistic: `
/** @differentiable wrt(x) */
export function logistic(x: number, n: number): number {
  let v = x;
  for (let i = 0; i < n; i++) v = 4 * v * (1 - v);
  return v;
}
`,
  earlyReturn: `
/** @differentiable */
export function firstAbove(xs: Float64Array, limit: number): number {
  let acc = 0;
  for (let i = 0; i < xs.length; i++) {
    acc += xs[i] * xs[i];
    if (acc > limit) return Math.sqrt(acc);
  }
  return acc;
}
`,
};

describe('golden emitted code', () => {
  for (const [name, code] of Object.entries(cases)) {
    test(`${name}`, async () => {
      const { result } = compileFixture(`golden-${name}`, code);
      expect(result.diagnostics).toEqual([]);
      await expect(result.files[0]!.text).toMatchFileSnapshot(`golden/${name}.grad.ts`);
    });
  }
  test('the same input gives the same bytes', () => {
    const a = compileFixture('golden-stable', cases.earlyReturn!).result.files[0]!.text;
    const b = compileFixture('golden-stable', cases.earlyReturn!).result.files[0]!.text;
    expect(a).toBe(b);
  });
});
