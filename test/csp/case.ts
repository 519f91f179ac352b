/**
 * The numbers of the no-eval checks: the parameters and batch of
 * page/model.ts as plain arrays (float64 values), so that the browser page
 * and Node build the same tensors. The float32 products are large enough
 * (m n k >= 16384) for the CPU backend's WebAssembly SIMD matmul.
 */
import { values } from '../webgpu/values.ts';

export interface CspCase {
  shapes: { W: number[]; b: number[]; x: number[] };
  W: number[];
  b: number[];
  x: number[];
  s: number;
}

export function cspCase(batch = 32, inputs = 32, units = 16): CspCase {
  const arr = (n: number, seed: number, scale: number): number[] => Array.from(values(n, seed, -scale, scale));
  return {
    shapes: { W: [inputs, units], b: [units], x: [batch, inputs] },
    W: arr(inputs * units, 11, 0.8),
    b: arr(units, 12, 0.3),
    x: arr(batch * inputs, 13, 1),
    s: 0.7,
  };
}
