/**
 * Pieces shared by the WGSL kernels: the parameter block (a uniform array
 * of u32 words read with `pu(i)`, f32 words with `pf(i)`), storage
 * declarations and the flat thread index of a 1-D launch.
 */
import type { DType } from '../../tensor.ts';
import { WebGpuError } from './device.ts';

/** The WGSL element type of a tensor dtype on the GPU (float64 is refused). */
export function wgslType(dtype: DType): 'f32' | 'i32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  throw new WebGpuError('webgpu: float64 tensors are not supported on the GPU (WGSL has no f64); use float32');
}

/** `struct Params` of `words` u32 words bound at `binding`, with its accessors. */
export function paramsBlock(binding: number, words: number): string {
  const vecs = Math.max(1, Math.ceil(words / 4));
  return `struct Params { d: array<vec4<u32>, ${vecs}> }
@group(0) @binding(${binding}) var<uniform> prm: Params;
fn pu(i: u32) -> u32 { return prm.d[i >> 2u][i & 3u]; }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
`;
}

export function storage(binding: number, name: string, type: string, write: boolean): string {
  return `@group(0) @binding(${binding}) var<storage, ${write ? 'read_write' : 'read'}> ${name}: array<${type}>;\n`;
}

/** The entry point of a 1-D launch of 256 threads per workgroup (see groups1d); `i` is the flat index. */
export const MAIN_1D = `@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * 256u);`;

/** The flat workgroup index of a launch folded by groups1d (for one workgroup per row). */
export const MAIN_ROWS = `@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let g = wid.x + wid.y * nwg.x;`;

/** Parameter words: u32s, f32s (as bits) and i32s, padded to whole vec4s. */
export class Params {
  private readonly words: number[] = [];
  private static readonly f32 = new Float32Array(1);
  private static readonly u32 = new Uint32Array(Params.f32.buffer);

  u(...xs: number[]): this {
    for (const x of xs) this.words.push(x >>> 0);
    return this;
  }

  f(...xs: number[]): this {
    for (const x of xs) {
      Params.f32[0] = x;
      this.words.push(Params.u32[0]!);
    }
    return this;
  }

  /** `xs` padded with zeros to `length` words. */
  list(xs: readonly number[], length: number): this {
    for (let i = 0; i < length; i++) this.words.push((xs[i] ?? 0) >>> 0);
    return this;
  }

  /** Skips to word `at` (zeros). */
  at(at: number): this {
    while (this.words.length < at) this.words.push(0);
    return this;
  }

  build(): Uint32Array {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const out = new Uint32Array(n);
    out.set(this.words);
    return out;
  }
}

/** Most dimensions a strided kernel indexes (more are merged or refused). */
export const MAX_RANK = 8;
