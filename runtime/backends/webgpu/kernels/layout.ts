/**
 * The strided copy behind broadcastTo, transpose, slice, sliceAdjoint and
 * concat: one thread per element of a virtual shape (at most MAX_RANK
 * dimensions after merging), reading src at srcBase + sum(i_d srcStride_d)
 * and writing dst at dstBase + sum(i_d dstStride_d).
 *
 * Parameter words: n, rank, shape[8], srcStrides[8], dstStrides[8], srcBase, dstBase.
 */
import { MAIN_1D, MAX_RANK, Params, paramsBlock, storage } from '../wgsl.ts';
import { mergeDims } from './elementwise.ts';

export function copySource(t: 'f32' | 'i32'): string {
  return `${storage(0, 'dst', t, true)}${storage(1, 'src', t, false)}${paramsBlock(2, 28)}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  var rem = i;
  var so = pu(26u);
  var dof = pu(27u);
  for (var d = pu(1u); d > 0u; d = d - 1u) {
    let e = pu(1u + d);
    let c = rem % e;
    rem = rem / e;
    so = so + c * pu(9u + d);
    dof = dof + c * pu(17u + d);
  }
  dst[dof] = src[so];
}
`;
}

export function copyParams(shape: readonly number[], srcStrides: readonly number[], dstStrides: readonly number[], srcBase: number, dstBase: number): { n: number; params: Uint32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const m = mergeDims(shape, [srcStrides, dstStrides]);
  const params = new Params().u(n, m.shape.length).list(m.shape, MAX_RANK).list(m.strides[0]!, MAX_RANK).list(m.strides[1]!, MAX_RANK).u(srcBase, dstBase).build();
  return { n, params };
}
