/**
 * Tiled matrix product: a workgroup of 16 x 16 threads computes a 64 x 64
 * tile of C, each thread a 4 x 4 block (rows ty + 16 i, columns tx + 16 j).
 * The K dimension is walked 16 at a time: the workgroup loads a 64 x 16
 * tile of op(A) and a 16 x 64 tile of op(B) into shared memory (4 elements
 * per thread each), then every thread does its 16 x 16 multiply-adds from
 * shared memory. Transposes cost nothing: op(A)[row, k] is read at
 * row * ars + k * acs, so A^T just swaps the two strides. The batch index
 * is the z workgroup id; broadcast batch dimensions have stride 0.
 *
 * Parameter words: m, n, k, ars, acs, brs, bcs, aMat, bMat, batch rank,
 * then 6 words each of the batch shape, A's and B's batch strides (in
 * matrices).
 */
import { paramsBlock, storage } from '../wgsl.ts';

export const MATMUL_TILE = 64;
export const MATMUL_MAX_BATCH_RANK = 6;

export const matmulSource = (): string => `${storage(0, 'c', 'f32', true)}${storage(1, 'a', 'f32', false)}${storage(2, 'b', 'f32', false)}${paramsBlock(3, 28)}
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = pu(0u);
  let N = pu(1u);
  let K = pu(2u);
  let ars = pu(3u);
  let acs = pu(4u);
  let brs = pu(5u);
  let bcs = pu(6u);
  var rest = wid.z;
  var ao = 0u;
  var bo = 0u;
  for (var d = pu(9u); d > 0u; d = d - 1u) {
    let e = pu(9u + d);
    let q = rest % e;
    rest = rest / e;
    ao = ao + q * pu(15u + d);
    bo = bo + q * pu(21u + d);
  }
  ao = ao * pu(7u);
  bo = bo * pu(8u);
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let tid = lid.y * 16u + lid.x;
  var acc: array<f32, 16>;
  for (var kt = 0u; kt < K; kt = kt + 16u) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      let e = tid + j * 256u;
      let ar = row0 + e / 16u;
      let ak = kt + e % 16u;
      var av = 0.0;
      if (ar < M && ak < K) { av = a[ao + ar * ars + ak * acs]; }
      As[e] = av;
      let bk = kt + e / 64u;
      let bc = col0 + e % 64u;
      var bv = 0.0;
      if (bk < K && bc < N) { bv = b[bo + bk * brs + bc * bcs]; }
      Bs[e] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let a0 = As[lid.y * 16u + kk];
      let a1 = As[(lid.y + 16u) * 16u + kk];
      let a2 = As[(lid.y + 32u) * 16u + kk];
      let a3 = As[(lid.y + 48u) * 16u + kk];
      for (var cj = 0u; cj < 4u; cj = cj + 1u) {
        let bv = Bs[kk * 64u + lid.x + 16u * cj];
        acc[cj] = acc[cj] + a0 * bv;
        acc[4u + cj] = acc[4u + cj] + a1 * bv;
        acc[8u + cj] = acc[8u + cj] + a2 * bv;
        acc[12u + cj] = acc[12u + cj] + a3 * bv;
      }
    }
    workgroupBarrier();
  }
  let cbase = wid.z * M * N;
  for (var ri = 0u; ri < 4u; ri = ri + 1u) {
    let row = row0 + lid.y + 16u * ri;
    for (var cj = 0u; cj < 4u; cj = cj + 1u) {
      let col = col0 + lid.x + 16u * cj;
      if (row < M && col < N) { c[cbase + row * N + col] = acc[ri * 4u + cj]; }
    }
  }
}
`;
