/**
 * Reductions in workgroup shared memory. The input is viewed as
 * [outer, r, inner] and the middle dimension reduced (other axis sets are
 * transposed to that form first). A workgroup of WX x WY threads covers WX
 * output columns and one chunk of the reduced dimension: each thread folds
 * every WY-th element of its column within the chunk, then a tree in
 * shared memory folds the WY partial results. When r is longer than one
 * chunk the first pass writes [outer, chunks, inner] partial results and
 * further passes reduce those, so no thread ever walks a whole long row.
 *
 * Row reductions (inner = 1) use 1 x 256 threads and chunks of 8192
 * elements (32 per thread); column reductions use 32 x 8 threads and
 * chunks of 512 rows.
 *
 * Parameter words: outer, r, inner, chunkLen, chunks, colBlocks, scale (f32,
 * applied to sums by the last pass: mean and the cross-entropy's 1 / n).
 */
import type { ReduceOp } from '../../backend.ts';
import { MAIN_1D, MAIN_ROWS, paramsBlock, storage } from '../wgsl.ts';
import { wgslPrelude } from '../../op-table.ts';
import { operandCode, operandWords, preludeMissingFrom, type EwOperand } from './elementwise.ts';

/**
 * A fused elementwise prologue of a sum (compiler fusion): the first pass
 * reads no input tensor but computes `body(v0, ...)` of a fused kernel at
 * each input index, its operands broadcast to the input's shape (operand
 * block after the reduction's parameter words).
 */
export interface ReducePrologue {
  readonly operands: readonly EwOperand[];
  readonly wgsl: string;
}

/** Parameter words of the long and short reductions; a prologue's operand block follows. */
export const REDUCE_WORDS = 7;
export const REDUCE_SHORT_WORDS = 4;

/** The input declarations, parameter block and element read (at flat input index `index`) of a reduction. */
function reduceInput(t: 'f32' | 'i32', words: number, prologue: ReducePrologue | null): { head: string; read: (index: string) => string } {
  if (!prologue) return { head: `${storage(1, 'x', t, false)}${paramsBlock(2, words)}${wgslPrelude}`, read: (index) => `let xv = x[${index}];` };
  const code = operandCode(prologue.operands, 1, words, 'xi');
  const args = prologue.operands.map((_, k) => `v${k}`).join(', ');
  return {
    head: `${code.decls}${paramsBlock(code.nextBinding, words + operandWords(prologue.operands.length))}${preludeMissingFrom(prologue.wgsl)}${prologue.wgsl}
`,
    read: (index) => `let xi = ${index};
${code.body}      let xv = body(${args});`,
  };
}

export interface ReduceLayout {
  readonly wx: number;
  readonly wy: number;
  readonly chunkLen: number;
}

export function reduceLayout(inner: number): ReduceLayout {
  return inner === 1 ? { wx: 1, wy: 256, chunkLen: 256 * 32 } : { wx: 32, wy: 8, chunkLen: 8 * 64 };
}

const NEG_INF = 'wg_bits(0xff800000u)';
const POS_INF = 'wg_bits(0x7f800000u)';

function identity(op: ReduceOp, t: 'f32' | 'i32'): string {
  if (op === 'sum') return t === 'f32' ? '0.0' : '0i';
  if (t === 'i32') return op === 'max' ? 'i32(-2147483648)' : '2147483647i';
  return op === 'max' ? NEG_INF : POS_INF;
}

/** a combined with b; max and min keep NaN the way the CPU loops do. */
function combine(op: ReduceOp, t: 'f32' | 'i32', a: string, b: string): string {
  if (op === 'sum') return `${a} + ${b}`;
  if (t === 'i32') return `${op}(${a}, ${b})`;
  return op === 'max' ? `select(${a}, ${b}, ${b} > ${a} || ${b} != ${b})` : `select(${a}, ${b}, ${b} < ${a} || ${b} != ${b})`;
}

export function reduceSource(op: ReduceOp, t: 'f32' | 'i32', layout: ReduceLayout, prologue: ReducePrologue | null = null): string {
  const { wx, wy } = layout;
  const store = op === 'sum' && t === 'f32' ? 'sh[lid.x] * pf(6u)' : 'sh[lid.x]';
  const input = reduceInput(t, REDUCE_WORDS, prologue);
  return `${storage(0, 'out', t, true)}${input.head}
var<workgroup> sh: array<${t}, ${wx * wy}>;
fn comb(a: ${t}, b: ${t}) -> ${t} { return ${combine(op, t, 'a', 'b')}; }
@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let outer = pu(0u);
  let r = pu(1u);
  let inner = pu(2u);
  let chunkLen = pu(3u);
  let chunks = pu(4u);
  let colBlocks = pu(5u);
  let g = wid.x + wid.y * nwg.x;
  let cb = g % colBlocks;
  let rest = g / colBlocks;
  let chunk = rest % chunks;
  let o = rest / chunks;
  let col = cb * ${wx}u + lid.x;
  let k0 = chunk * chunkLen;
  let k1 = min(r, k0 + chunkLen);
  var acc: ${t} = ${identity(op, t)};
  if (o < outer && col < inner) {
    for (var k = k0 + lid.y; k < k1; k = k + ${wy}u) {
      ${input.read('(o * r + k) * inner + col')}
      acc = comb(acc, xv);
    }
  }
  sh[lid.y * ${wx}u + lid.x] = acc;
  workgroupBarrier();
  for (var s = ${wy / 2}u; s > 0u; s = s >> 1u) {
    if (lid.y < s) {
      sh[lid.y * ${wx}u + lid.x] = comb(sh[lid.y * ${wx}u + lid.x], sh[(lid.y + s) * ${wx}u + lid.x]);
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && o < outer && col < inner) {
    out[(o * chunks + chunk) * inner + col] = ${store};
  }
}
`;
}

/**
 * argmax along the middle of [outer, r, inner]: one workgroup per output,
 * each thread keeps the first largest of its elements, then a tree keeps
 * the larger value, the smaller index on ties (the CPU's first index).
 * Parameter words: outer, r, inner.
 */
export function argmaxSource(t: 'f32' | 'i32'): string {
  return `${storage(0, 'out', 'i32', true)}${storage(1, 'x', t, false)}${paramsBlock(2, 3)}${wgslPrelude}
var<workgroup> sv: array<f32, 256>;
var<workgroup> si: array<u32, 256>;
${MAIN_ROWS}
  let outer = pu(0u);
  let r = pu(1u);
  let inner = pu(2u);
  let o = g / inner;
  let c = g % inner;
  var best = ${NEG_INF};
  var bi = 0u;
  if (o < outer) {
    for (var k = lid; k < r; k = k + 256u) {
      let v = f32(x[(o * r + k) * inner + c]);
      if (v > best) { best = v; bi = k; }
    }
  }
  sv[lid] = best;
  si[lid] = bi;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let ov = sv[lid + s];
      let oi = si[lid + s];
      if (ov > sv[lid] || (ov == sv[lid] && oi < si[lid])) { sv[lid] = ov; si[lid] = oi; }
    }
    workgroupBarrier();
  }
  if (lid == 0u && o < outer) { out[g] = i32(si[0]); }
}
`;
}

/** Reduced lengths up to this use one thread per output (a short loop beats a 256-thread tree). */
export const SHORT_ROW = 64;

/** One thread per output of [outer, r, inner] for short r. Parameter words: outer, r, inner, scale (f32). */
export function reduceShortSource(op: ReduceOp, t: 'f32' | 'i32', prologue: ReducePrologue | null = null): string {
  const store = op === 'sum' && t === 'f32' ? 'acc * pf(3u)' : 'acc';
  const input = reduceInput(t, REDUCE_SHORT_WORDS, prologue);
  return `${storage(0, 'out', t, true)}${input.head}
fn comb(a: ${t}, b: ${t}) -> ${t} { return ${combine(op, t, 'a', 'b')}; }
${MAIN_1D}
  let r = pu(1u);
  let inner = pu(2u);
  if (i >= pu(0u) * inner) { return; }
  let base = (i / inner) * r * inner + i % inner;
  var acc: ${t} = ${identity(op, t)};
  for (var k = 0u; k < r; k = k + 1u) {
    ${input.read('base + k * inner')}
    acc = comb(acc, xv);
  }
  out[i] = ${store};
}
`;
}

/** argmax for short r, one thread per output. Parameter words: outer, r, inner. */
export function argmaxShortSource(t: 'f32' | 'i32'): string {
  return `${storage(0, 'out', 'i32', true)}${storage(1, 'x', t, false)}${paramsBlock(2, 3)}${wgslPrelude}
${MAIN_1D}
  let r = pu(1u);
  let inner = pu(2u);
  if (i >= pu(0u) * inner) { return; }
  let base = (i / inner) * r * inner + i % inner;
  var best = ${NEG_INF};
  var bi = 0u;
  for (var k = 0u; k < r; k = k + 1u) {
    let v = f32(x[base + k * inner]);
    if (v > best) { best = v; bi = k; }
  }
  out[i] = i32(bi);
}
`;
}
