/**
 * Register-tiled matrix product without shared memory: a workgroup of
 * 8 x 8 threads computes a 32 x 32 tile of C, each thread a 4 x 4 block
 * of neighbouring rows and columns held in 16 named accumulators. The K
 * dimension is walked 4 at a time: a thread loads the 4 x 4 blocks of
 * op(A) and op(B) it needs straight from storage (as four vec4 loads each
 * where the layout allows, see matmulLayout) and does 64 multiply-adds.
 * Transposes cost nothing: op(A)[row, k] is read at row * ars + k * acs,
 * so A^T just swaps the two strides. The batch index is the z workgroup
 * id; broadcast batch dimensions have stride 0.
 *
 * Why no shared memory: on SwiftShader (WebGPU on the CPU, what CI runs)
 * a workgroup barrier switches between the workgroup's invocations, and
 * the former 32 x 32 shared-memory tiles with two barriers per 16 values
 * of K made the MLP's products 3x slower than this kernel (docs/webgpu.md,
 * "Performance"). On GPUs the 4 x 4 register blocks give each load four
 * uses, and neighbouring threads read neighbouring 16-byte vectors.
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

/**
 * How an operand's 4 x 4 blocks are loaded. `k`: four vec4s along K (the
 * K stride is 1); `rc`: four vec4s along the rows of op(A) or the columns
 * of op(B) (that stride is 1); `scalar`: sixteen f32 loads (any strides).
 */
export type BlockLoad = 'k' | 'rc' | 'scalar';

export interface MatmulLayout {
  readonly a: BlockLoad;
  readonly b: BlockLoad;
}

/**
 * The vec4 loads the strides allow: every vector must start at a multiple
 * of 4 elements and lie inside its matrix (the batch offsets, the other
 * stride and the vector's dimension multiples of 4). `rows`/`cols` are op(A)'s
 * rows (m) or op(B)'s columns (n).
 */
function blockLoad(rc: number, k: number, rcStride: number, kStride: number, mat: number): BlockLoad {
  if (mat % 4 !== 0) return 'scalar';
  if (kStride === 1 && k % 4 === 0 && rcStride % 4 === 0) return 'k';
  if (rcStride === 1 && rc % 4 === 0 && kStride % 4 === 0) return 'rc';
  return 'scalar';
}

export function matmulLayout(m: number, n: number, k: number, ars: number, acs: number, brs: number, bcs: number, aMat: number, bMat: number): MatmulLayout {
  return { a: blockLoad(m, k, ars, acs, aMat), b: blockLoad(n, k, bcs, brs, bMat) };
}

const R = [0, 1, 2, 3];
const LANE = ['x', 'y', 'z', 'w'];
/** Threads per side of a workgroup; each computes 4 x 4 elements. */
const T = 8;
if (4 * T !== MATMUL_TILE) throw new Error('matmul: MATMUL_TILE must be 4 T');

/**
 * The loads of one 4 x 4 block of op(A) (`x` = 'a': rows i, K offsets u)
 * or op(B) (`x` = 'b': K offsets u, columns j) at K index `k`, and the
 * expression of element (i or j, u).
 */
function blockCode(x: 'a' | 'b', load: BlockLoad, k: string): { loads: string; at: (rc: number, u: number) => string } {
  const base = `${x}rc`;
  const kStride = x === 'a' ? 'acs' : 'brs';
  if (load === 'k') {
    // Vector q holds row / column q at K offsets 0..3.
    return { loads: R.map((q) => `      let ${x}v${q} = ${x}4[(${base}${q} + ${k}) >> 2u];\n`).join(''), at: (rc, u) => `${x}v${rc}.${LANE[u]}` };
  }
  if (load === 'rc') {
    // Vector u holds rows / columns 0..3 at K offset u.
    return { loads: R.map((u) => `      let ${x}u${u} = ${x}4[(${base}0 + (${k} + ${u}u) * ${kStride}) >> 2u];\n`).join(''), at: (rc, u) => `${x}u${u}.${LANE[rc]}` };
  }
  return {
    loads: R.flatMap((q) => R.map((u) => `      let ${x}s${q}${u} = ${x}[${base}${q} + (${k} + ${u}u) * ${kStride}];\n`)).join(''),
    at: (rc, u) => `${x}s${rc}${u}`,
  };
}

const SCALAR: MatmulLayout = { a: 'scalar', b: 'scalar' };

export const matmulSource = (epilogue: MatmulEpilogue | null = null, layout: MatmulLayout = SCALAR): string => {
  const code = epilogue ? operandCode(epilogue.operands, 3, MATMUL_WORDS, 'o') : null;
  const words = MATMUL_WORDS + (epilogue ? operandWords(epilogue.operands.length) : 0);
  const A = blockCode('a', layout.a, 'k');
  const B = blockCode('b', layout.b, 'k');
  // One scalar read of A or B by element index, for the last K % 4 values.
  const read = (x: 'a' | 'b', load: BlockLoad, at: string): string => (load === 'scalar' ? `${x}[${at}]` : `${x}4[(${at}) >> 2u][(${at}) & 3u]`);
  const decl = (binding: number, x: 'a' | 'b', load: BlockLoad): string => (load === 'scalar' ? storage(binding, x, 'f32', false) : storage(binding, `${x}4`, 'vec4<f32>', false));
  const store = (i: number, j: number): string => {
    const value = `c${i}${j}`;
    const write = epilogue
      ? `let o = cbase + row * N + col;\n${code!.body}      c[o] = body(${value}${epilogue.operands.map((_, k) => `, v${k}`).join('')});`
      : `c[cbase + row * N + col] = ${value};`;
    return `  {
    let row = row0 + ${i}u;
    let col = col0 + ${j}u;
    if (row < M && col < N) {
      ${write}
    }
  }
`;
  };
  // The accumulators are named scalars (c<i><j>), every loop over them unrolled: dynamic
  // indexing into a private array makes some compilers (SwiftShader's) keep it in memory.
  const madds = (a: (i: number, u: number) => string, b: (j: number, u: number) => string): string =>
    R.flatMap((u) => R.flatMap((i) => R.map((j) => `      c${i}${j} = c${i}${j} + ${a(i, u)} * ${b(j, u)};\n`))).join('');
  return `${storage(0, 'c', 'f32', true)}${decl(1, 'a', layout.a)}${decl(2, 'b', layout.b)}${code?.decls ?? ''}${paramsBlock(code?.nextBinding ?? 3, words)}${epilogue ? `${preludeMissingFrom(epilogue.wgsl)}${epilogue.wgsl}` : ''}
@compute @workgroup_size(${T}, ${T})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let M = pu(0u);
  let N = pu(1u);
  let K = pu(2u);
  let ars = pu(3u);
  let acs = pu(4u);
  let brs = pu(5u);
  let bcs = pu(6u);
  let row0 = wid.y * ${MATMUL_TILE}u + lid.y * 4u;
  let col0 = wid.x * ${MATMUL_TILE}u + lid.x * 4u;
  if (row0 >= M || col0 >= N) { return; }
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
  // Where each of the thread's rows of op(A) and columns of op(B) starts (past the edge: the last one, read and not stored).
${R.map((i) => `  let arc${i} = ao + min(row0 + ${i}u, M - 1u) * ars;\n`).join('')}${R.map((j) => `  let brc${j} = bo + min(col0 + ${j}u, N - 1u) * bcs;\n`).join('')}${R.flatMap((i) => R.map((j) => `  var c${i}${j} = 0.0;\n`)).join('')}  let K4 = K & ~3u;
  for (var k = 0u; k < K4; k = k + 4u) {
${A.loads}${B.loads}${madds(A.at, B.at)}  }
  for (var k = K4; k < K; k = k + 1u) {
${R.map((i) => `      let at${i} = ${read('a', layout.a, `arc${i} + k * acs`)};\n`).join('')}${R.map((j) => `      let bt${j} = ${read('b', layout.b, `brc${j} + k * brs`)};\n`).join('')}${R.flatMap((i) => R.map((j) => `      c${i}${j} = c${i}${j} + at${i} * bt${j};\n`)).join('')}  }
  let cbase = wid.z * M * N;
${R.flatMap((i) => R.map((j) => store(i, j))).join('')}}
`;
};
