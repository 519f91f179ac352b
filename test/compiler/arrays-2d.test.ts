/**
 * Local 2-D arrays (issue #10, item 6): a `number[][]` built with `push`
 * of rows or written as a literal of rows, read and written by two
 * indexes, its rows grown with `push`. A row is pushed by reference, as in
 * JavaScript, and its adjoint is pushed into the 2-D adjoint the same way,
 * so a write through either name reaches both (the recording never reads a
 * shared array back as unchanged). Checked in reverse mode against central
 * finite differences and in forward mode against reverse mode; the
 * generated file type-checks under strict.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { compileSourceText } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
/** Rows built in a loop and pushed, one element written, one row grown. @differentiable */
export function grid(xs: number[], x: number): number {
  const g: number[][] = [];
  for (let i = 0; i < 3; i++) {
    const row: number[] = [];
    for (let j = 0; j < xs.length; j++) row.push(xs[j]! * (i + 1) + x * j);
    g.push(row);
  }
  g[1]![0] = g[0]![1]! * x;
  g[2]!.push(x * x);
  let s = 0;
  for (const r of g) for (let j = 0; j < r.length; j++) s += r[j]! * r[j]! * (j + 1);
  return s + g.length;
}

/** A literal of rows: literals, and a copy of a row of a parameter. @differentiable */
export function literalRows(a: number, b: number, m: number[][]): number {
  const rows: number[][] = [[a, b], [b * b, 1], m[0]!.slice()];
  rows[0]![1] = rows[1]![0]! + a;
  rows[2]![0] = 2 * rows[2]![0]!;
  const det = rows[0]![0]! * rows[1]![1]! - rows[0]![1]! * rows[1]![0]!;
  return det + rows[2]![0]! * a + m[0]![0]!;
}

/** Dynamic programming over a table: each cell from the one above and the one to the left. @differentiable */
export function table(xs: number[]): number {
  const n = xs.length;
  const best: number[][] = [];
  for (let i = 0; i < n; i++) {
    best.push(new Array(n).fill(0));
    for (let j = 0; j < n; j++) {
      const up = i > 0 ? best[i - 1]![j]! : 0;
      const left = j > 0 ? best[i]![j - 1]! : 0;
      best[i]![j] = Math.max(up, left) + xs[i]! * xs[j]!;
    }
  }
  return best[n - 1]![n - 1]!;
}

/** A row written through the 2-D array, then read through its own name. @differentiable */
export function sharedRow(x: number): number {
  const row = [x, 2 * x];
  const cells: number[][] = [];
  cells.push(row);
  const a = row[0]! * 3;
  cells[0]![0] = x * x * x;
  row[1] = row[1]! * x;
  return a + row[0]! + cells[0]![1]!;
}

/** @differentiable */
export function rowSum(rows: number[][]): number {
  let s = 0;
  for (const r of rows) for (const v of r) s += v * v;
  return s;
}

/** A local 2-D array passed to a differentiable helper, then written. @differentiable */
export function passedOn(x: number, y: number): number {
  const g: number[][] = [[x, y], [x * y]];
  const before = rowSum(g);
  g[1]![0] = before * x;
  return rowSum(g) + before;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('i10-arrays-2d', source);
});

describe('local number[][]', () => {
  test('rows built with push, an element written and a row grown', () => {
    checkDerivatives(m, 'grid', [[0.5, 2, -1.5], 0.7]);
    checkDerivatives(m, 'grid', [[1.1, 0.2], -0.4]);
  });

  test('a literal of rows, one copied from a parameter (which is not changed)', () => {
    const mat = [[2, 3]];
    checkDerivatives(m, 'literalRows', [0.3, -1.2, mat]);
    expect(mat).toEqual([[2, 3]]);
  });

  test('a dynamic-programming table', () => {
    checkDerivatives(m, 'table', [[0.5, 2, -1.5, 0.8]]);
    checkDerivatives(m, 'table', [[-0.3, 0.6]]);
  });

  test('a row is shared with the 2-D array it was pushed into, as in JavaScript', () => {
    checkDerivatives(m, 'sharedRow', [0.9]);
    // 3x + x^3 + 2x^2: the write through cells is seen through row, and the one through row through cells.
    expect(m.source.sharedRow(0.9)).toBeCloseTo(3 * 0.9 + 0.9 ** 3 + 2 * 0.9 ** 2, 12);
    expect(m.grad.grad_sharedRow(0.9)).toBeCloseTo(3 + 3 * 0.9 ** 2 + 4 * 0.9, 12);
  });

  test('a local 2-D array passed to a helper and written afterwards', () => {
    checkDerivatives(m, 'passedOn', [0.7, -0.4]);
  });

  test('the generated code declares the 2-D arrays and their adjoints as number[][]', () => {
    expect(m.text).toContain('const cells = [] as number[][];');
    expect(m.text).toContain('const dcells = [] as number[][];');
    expect(m.text).toMatch(/dcells\.push\(drow\);/);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
  });
});

describe('what stays refused says why and what to do instead', () => {
  const refusals: { name: string; code: string; message: string; hint: RegExp }[] = [
    {
      name: 'an array of booleans (arrays of objects are accepted: test/compiler/composable-structures.test.ts)',
      code: '/** @differentiable */\nexport function f(x: number): number { const flags: boolean[] = []; return x; }',
      message: 'local arrays hold numbers, number[] rows (number[][]), tensors or objects',
      hint: /numbers \(0 or 1\)/,
    },
    {
      name: 'a row of a parameter shared with a local 2-D array',
      code: '/** @differentiable */\nexport function f(m: number[][]): number { const c: number[][] = []; c.push(m[0]!); c[0]![0] = 1; return c[0]![1]!; }',
      message: 'm[0]! is not a local array: it cannot be shared with a local number[][]',
      hint: /m\[0\]\.slice\(\)/,
    },
    {
      name: 'a copy of a 2-D array',
      code: '/** @differentiable */\nexport function f(m: number[][]): number { const c: number[][] = m.slice(); return c[0]![0]!; }',
      message: 'a local number[][] starts as [] or as a literal of rows',
      hint: /push each row/,
    },
  ];
  for (const r of refusals) {
    test(r.name, () => {
      const result = compileSourceText('refused.ts', r.code);
      const first = result.diagnostics[0];
      expect(first, JSON.stringify(result.diagnostics)).toBeDefined();
      expect(first!.message).toContain(r.message);
      expect(first!.hint).toMatch(r.hint);
    });
  }
});
