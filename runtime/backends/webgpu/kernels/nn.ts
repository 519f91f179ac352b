/**
 * Row kernels (softmax, log-softmax, the fused softmax cross-entropy and
 * its gradient: one workgroup of 256 threads per row, max and sum by trees
 * in shared memory), gather and scatterAdd, and dropout.
 */
import { MAIN_1D, MAIN_ROWS, paramsBlock, storage } from '../wgsl.ts';
import { wgslPrelude } from '../../op-table.ts';

const NEG_INF = 'wg_bits(0xff800000u)';

/** Shared-memory max then sum of exp(x - max) over the row's elements `x[base + k * inner]`. */
const rowStats = (load: string): string => `
  var m = ${NEG_INF};
  for (var k = lid; k < r; k = k + 256u) {
    let v = ${load};
    if (v > m) { m = v; }
  }
  sh[lid] = m;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { if (sh[lid + s] > sh[lid]) { sh[lid] = sh[lid + s]; } }
    workgroupBarrier();
  }
  let mx = sh[0];
  workgroupBarrier();
  var acc = 0.0;
  for (var k = lid; k < r; k = k + 256u) { acc = acc + exp(${load} - mx); }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { sh[lid] = sh[lid] + sh[lid + s]; }
    workgroupBarrier();
  }
  let total = sh[0];
`;

/**
 * softmax / log-softmax along the middle of [outer, r, inner]; a workgroup per (o, i).
 * Parameter words: outer, r, inner, log.
 */
export const softmaxSource = (t: 'f32' | 'i32'): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', t, false)}${paramsBlock(2, 4)}${wgslPrelude}
var<workgroup> sh: array<f32, 256>;
${MAIN_ROWS}
  let outer = pu(0u);
  let r = pu(1u);
  let inner = pu(2u);
  let o = min(g / inner, outer - 1u);
  let base = o * r * inner + g % inner;
  ${rowStats('f32(x[base + k * inner])')}
  if (g >= outer * inner) { return; }
  if (pu(3u) != 0u) {
    let lse = mx + log(total);
    for (var k = lid; k < r; k = k + 256u) { out[base + k * inner] = f32(x[base + k * inner]) - lse; }
  } else {
    let inv = 1.0 / total;
    for (var k = lid; k < r; k = k + 256u) { out[base + k * inner] = exp(f32(x[base + k * inner]) - mx) * inv; }
  }
}
`;

/**
 * Per-row loss logsumexp(row) - row[label] of logits [n, c] (the mean is a
 * following sum pass with scale 1 / n). Parameter words: n, c.
 */
export const crossEntropyRowsSource = (): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', 'f32', false)}${storage(2, 'labels', 'i32', false)}${paramsBlock(3, 2)}${wgslPrelude}
var<workgroup> sh: array<f32, 256>;
${MAIN_ROWS}
  let rows = pu(0u);
  let r = pu(1u);
  let row = min(g, rows - 1u);
  let base = row * r;
  ${rowStats('x[base + k]')}
  if (lid == 0u && g < rows) { out[g] = mx + log(total) - x[base + u32(labels[g])]; }
}
`;

/** scale (softmax(row) - onehot(label)) for logits [n, c]. Parameter words: n, c, scale (f32). */
export const crossEntropyGradSource = (): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', 'f32', false)}${storage(2, 'labels', 'i32', false)}${paramsBlock(3, 3)}${wgslPrelude}
var<workgroup> sh: array<f32, 256>;
${MAIN_ROWS}
  let rows = pu(0u);
  let r = pu(1u);
  let scale = pf(2u);
  let row = min(g, rows - 1u);
  let base = row * r;
  ${rowStats('x[base + k]')}
  if (g >= rows) { return; }
  let kk = scale / total;
  let label = u32(labels[g]);
  for (var k = lid; k < r; k = k + 256u) {
    let e = exp(x[base + k] - mx) * kk;
    out[base + k] = select(e, e - scale, k == label);
  }
}
`;

/** out[j, c] = x[idx[j], c]. Parameter words: n (output elements), row. */
export const gatherSource = (t: 'f32' | 'i32'): string => `${storage(0, 'out', t, true)}${storage(1, 'x', t, false)}${storage(2, 'idx', 'i32', false)}${paramsBlock(3, 2)}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let row = pu(1u);
  out[i] = x[u32(idx[i / row]) * row + i % row];
}
`;

/**
 * scatterAdd without atomics: the host groups the index list by target row
 * (a counting sort, O(indices)), giving the touched rows, each row's range
 * of positions, and the positions. One thread per (touched row, column)
 * adds its updates in index order, exactly the CPU's order, so the sums
 * are bit-identical. `out` already holds a copy of the target.
 * csr = [rows (u), starts (u + 1), positions]. Parameter words: u, row.
 */
export const scatterAddSource = (t: 'f32' | 'i32'): string => `${storage(0, 'out', t, true)}${storage(1, 'upd', t, false)}${storage(2, 'csr', 'i32', false)}${paramsBlock(3, 2)}
${MAIN_1D}
  let u = pu(0u);
  let row = pu(1u);
  if (i >= u * row) { return; }
  let j = i / row;
  let c = i % row;
  let dst = u32(csr[j]) * row + c;
  var acc = out[dst];
  let end = u32(csr[u + j + 1u]);
  for (var p = u32(csr[u + j]); p < end; p = p + 1u) {
    acc = acc + upd[u32(csr[2u * u + 1u + p]) * row + c];
  }
  out[dst] = acc;
}
`;

/**
 * Dropout with the CPU's counter-based generator (runtime/rng.ts
 * hashUniform) ported to u32 arithmetic: element i is kept when
 * mix32(s ^ (i * 0x9e3779b1)) >= threshold, with s = mix32(seed ^
 * 0x5bd1e995) and threshold = ceil(rate * 2^32) computed on the host, so
 * the mask equals the CPU's bit for bit. Parameter words: n, s, threshold,
 * dropAll, keep (f32).
 */
export const dropoutSource = (t: 'f32' | 'i32'): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', t, false)}${paramsBlock(2, 5)}
fn mix32(h0: u32) -> u32 {
  var h = h0;
  h = h ^ (h >> 16u);
  h = h * 0x85ebca6bu;
  h = h ^ (h >> 13u);
  h = h * 0xc2b2ae35u;
  h = h ^ (h >> 16u);
  return h;
}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
  let h = mix32(pu(1u) ^ (i * 0x9e3779b1u));
  let kept = h >= pu(2u) && pu(3u) == 0u;
  out[i] = select(0.0, f32(x[i]) * pf(4u), kept);
}
`;

/** Rows up to this length run one thread per row (a short loop beats a 256-thread tree). */
export const SHORT_ROW = 64;

/** max and sum of exp(x - max) of one row, by one thread. */
const shortStats = (load: string): string => `
  var mx = ${NEG_INF};
  for (var k = 0u; k < r; k = k + 1u) { let v = ${load}; if (v > mx) { mx = v; } }
  var total = 0.0;
  for (var k = 0u; k < r; k = k + 1u) { total = total + exp(${load} - mx); }
`;

/** softmaxSource for short rows, one thread per (o, i). */
export const softmaxShortSource = (t: 'f32' | 'i32'): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', t, false)}${paramsBlock(2, 4)}${wgslPrelude}
${MAIN_1D}
  let r = pu(1u);
  let inner = pu(2u);
  if (i >= pu(0u) * inner) { return; }
  let base = (i / inner) * r * inner + i % inner;
  ${shortStats('f32(x[base + k * inner])')}
  if (pu(3u) != 0u) {
    let lse = mx + log(total);
    for (var k = 0u; k < r; k = k + 1u) { out[base + k * inner] = f32(x[base + k * inner]) - lse; }
  } else {
    let inv = 1.0 / total;
    for (var k = 0u; k < r; k = k + 1u) { out[base + k * inner] = exp(f32(x[base + k * inner]) - mx) * inv; }
  }
}
`;

/** crossEntropyRowsSource for short rows, one thread per row. */
export const crossEntropyRowsShortSource = (): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', 'f32', false)}${storage(2, 'labels', 'i32', false)}${paramsBlock(3, 2)}${wgslPrelude}
${MAIN_1D}
  let r = pu(1u);
  if (i >= pu(0u)) { return; }
  let base = i * r;
  ${shortStats('x[base + k]')}
  out[i] = mx + log(total) - x[base + u32(labels[i])];
}
`;

/** crossEntropyGradSource for short rows, one thread per row. */
export const crossEntropyGradShortSource = (): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', 'f32', false)}${storage(2, 'labels', 'i32', false)}${paramsBlock(3, 3)}${wgslPrelude}
${MAIN_1D}
  let r = pu(1u);
  let scale = pf(2u);
  if (i >= pu(0u)) { return; }
  let base = i * r;
  ${shortStats('x[base + k]')}
  let kk = scale / total;
  let label = u32(labels[i]);
  for (var k = 0u; k < r; k = k + 1u) {
    let e = exp(x[base + k] - mx) * kk;
    out[base + k] = select(e, e - scale, k == label);
  }
}
`;

/**
 * The mean cross-entropy of logits [n, c] with short rows in one dispatch:
 * one workgroup, each thread the losses of rows lid, lid + 256, ..., then a
 * tree for the sum, scaled by 1 / n. Parameter words: n, c, scale (f32).
 */
export const crossEntropyMeanShortSource = (): string => `${storage(0, 'out', 'f32', true)}${storage(1, 'x', 'f32', false)}${storage(2, 'labels', 'i32', false)}${paramsBlock(3, 3)}${wgslPrelude}
var<workgroup> sh: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>) {
  let lid = lid3.x;
  let rows = pu(0u);
  let r = pu(1u);
  var sum = 0.0;
  for (var row = lid; row < rows; row = row + 256u) {
    let base = row * r;
    ${shortStats('x[base + k]')}
    sum = sum + (mx + log(total) - x[base + u32(labels[row])]);
  }
  sh[lid] = sum;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { sh[lid] = sh[lid] + sh[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = sh[0] * pf(2u); }
}
`;
