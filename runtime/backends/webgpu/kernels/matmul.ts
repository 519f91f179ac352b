/**
 * Tiled matrix product: a workgroup of T x T threads (T = 8) computes a
 * 4T x 4T tile of C, each thread a 4 x 4 block (rows ty + T i, columns
 * tx + T j, named accumulators). The K dimension is walked 16 at a time:
 * the workgroup loads a 4T x 16 tile of op(A) and a 16 x 4T tile of op(B)
 * into shared memory, then every thread does its 16 x 16 multiply-adds from
 * shared memory. Transposes cost nothing: op(A)[row, k] is read at
 * row * ars + k * acs, so A^T just swaps the two strides. The batch index
 * is the z workgroup id; broadcast batch dimensions have stride 0.
 *
 * Parameter words: m, n, k, ars, acs, brs, bcs, aMat, bMat, batch rank,
 * then 6 words each of the batch shape, A's and B's batch strides (in
 * matrices); with an epilogue, its operand block.
 */
import { paramsBlock, storage } from '../wgsl.ts';
import { operandCode, operandWords, preludeMissingFrom, type EwOperand } from './elementwise.ts';

export const MATMUL_TILE = 32;
export const MATMUL_MAX_BATCH_RANK = 6;

/** Words of the matmul parameters; an epilogue's operand block follows. */
export const MATMUL_WORDS = 28;

/**
 * An elementwise epilogue applied to each product element before it is
 * stored: `body(product, v0, ...)` of a fused kernel, its other operands
 * broadcast to the output (operand block at MATMUL_WORDS).
 */
export interface MatmulEpilogue {
  readonly operands: readonly EwOperand[];
  readonly wgsl: string;
}

const R = [0, 1, 2, 3];
/**
 * Threads per side of a workgroup; a workgroup computes a (4 T) x (4 T)
 * tile. 8 (64 threads, 32 x 32 tiles, as TF.js's webgpu matmul): on
 * SwiftShader twice as fast as 16 for the MLP's products (more, smaller
 * workgroups).
 */
const T = 8;
const TILE = 4 * T;
if (TILE !== MATMUL_TILE) throw new Error('matmul: MATMUL_TILE must be 4 T');
const LOADS = Array.from({ length: (TILE * 16) / (T * T) }, (_, j) => j);

export const matmulSource = (epilogue: MatmulEpilogue | null = null): string => {
  const code = epilogue ? operandCode(epilogue.operands, 3, MATMUL_WORDS, 'o') : null;
  const words = MATMUL_WORDS + (epilogue ? operandWords(epilogue.operands.length) : 0);
  // The 4 x 4 accumulators are named scalars (c<i><j>), every loop over them unrolled: dynamic
  // indexing into a private array makes some compilers (SwiftShader's) keep it in memory.
  const store = (i: number, j: number): string => {
    const value = `c${i}${j}`;
    const write = epilogue
      ? `let o = cbase + row * N + col;\n${code!.body}      c[o] = body(${value}${epilogue.operands.map((_, k) => `, v${k}`).join('')});`
      : `c[cbase + row * N + col] = ${value};`;
    return `  {
    let row = row0 + lid.y + ${T * i}u;
    let col = col0 + lid.x + ${T * j}u;
    if (row < M && col < N) {
      ${write}
    }
  }
`;
  };
  return `${storage(0, 'c', 'f32', true)}${storage(1, 'a', 'f32', false)}${storage(2, 'b', 'f32', false)}${code?.decls ?? ''}${paramsBlock(code?.nextBinding ?? 3, words)}${epilogue ? `${preludeMissingFrom(epilogue.wgsl)}${epilogue.wgsl}` : ''}
var<workgroup> As: array<f32, ${TILE * 16}>;
var<workgroup> Bs: array<f32, ${TILE * 16}>;
@compute @workgroup_size(${T}, ${T})
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
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  let tid = lid.y * ${T}u + lid.x;
${R.flatMap((i) => R.map((j) => `  var c${i}${j} = 0.0;\n`)).join('')}  for (var kt = 0u; kt < K; kt = kt + 16u) {
${LOADS.map(
  (j) => `    {
      let e = tid + ${j * T * T}u;
      let ar = row0 + e / 16u;
      let ak = kt + e % 16u;
      var av = 0.0;
      if (ar < M && ak < K) { av = a[ao + ar * ars + ak * acs]; }
      As[e] = av;
      let bk = kt + e / ${TILE}u;
      let bc = col0 + e % ${TILE}u;
      var bv = 0.0;
      if (bk < K && bc < N) { bv = b[bo + bk * brs + bc * bcs]; }
      Bs[e] = bv;
    }
`,
).join('')}    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
${R.map((i) => `      let a${i} = As[(lid.y + ${T * i}u) * 16u + kk];\n`).join('')}${R.map((j) => `      let b${j} = Bs[kk * ${TILE}u + lid.x + ${T * j}u];\n`).join('')}${R.flatMap((i) => R.map((j) => `      c${i}${j} = c${i}${j} + a${i} * b${j};\n`)).join('')}    }
    workgroupBarrier();
  }
  let cbase = wid.z * M * N;
${R.flatMap((i) => R.map((j) => store(i, j))).join('')}}
`;
};
