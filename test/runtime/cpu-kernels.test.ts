/**
 * The CPU backend's elementwise kernels (runtime/backends/cpu/elementwise-kernels.ts)
 * are generated from the op table by runtime/backends/cpu/generate-kernels.ts
 * and checked in: this test regenerates the text and fails when the file is
 * stale (an op added or changed in the table without `npm run gen:kernels`).
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { kernelsFile, kernelsSource } from '../../runtime/backends/cpu/generate-kernels.ts';
import * as kernels from '../../runtime/backends/cpu/elementwise-kernels.ts';
import { binaryOps, tanhF32, unaryGradOps, unaryOps } from '../../runtime/backends/op-table.ts';

test('the checked-in CPU kernels are what the op table generates (else run `npm run gen:kernels`)', () => {
  const checkedIn = readFileSync(new URL(`../../runtime/backends/cpu/${kernelsFile}`, import.meta.url), 'utf8');
  expect(checkedIn === kernelsSource(), 'runtime/backends/cpu/elementwise-kernels.ts is stale: run `npm run gen:kernels`').toBe(true);
});

test('every op of the table has a kernel per result kind, and the unary and binary ops a number form', () => {
  expect(Object.keys(kernels.unaryKernels)).toEqual(Object.keys(unaryOps));
  expect(Object.keys(kernels.unaryGradKernels)).toEqual(Object.keys(unaryGradOps));
  expect(Object.keys(kernels.binaryKernels)).toEqual(Object.keys(binaryOps));
  expect(Object.keys(kernels.unaryScalars)).toEqual(Object.keys(unaryOps));
  expect(Object.keys(kernels.binaryScalars)).toEqual(Object.keys(binaryOps));
  for (const k of [kernels.unaryKernels, kernels.unaryGradKernels, kernels.binaryKernels]) {
    for (const byKind of Object.values(k)) expect([typeof byKind.f32, typeof byKind.f64, byKind.f32 === byKind.f64]).toEqual(['function', 'function', false]);
  }
});

test('float32 results use the float32 expressions where the op table has them (tanhF32), float64 results the exact ones', () => {
  const x = Float64Array.of(-3, -0.4, 0, 0.25, 2.5);
  const out32 = new Float32Array(5);
  const out64 = new Float64Array(5);
  kernels.unaryKernels.tanh.f32(x, out32, 0);
  kernels.unaryKernels.tanh.f64(x, out64, 0);
  expect(Array.from(out64)).toEqual(Array.from(x, Math.tanh));
  expect(Array.from(out32)).toEqual(Array.from(x, (v) => Math.fround(tanhF32(v))));
});
