/**
 * The elementwise WGSL kernel, generated per (expression, operand kinds,
 * dtypes): one thread per output element, operands broadcast NumPy-style.
 * An operand is `full` (same shape as the output: read at the thread's
 * index), `one` (a size-1 tensor: element 0), `strided` (read at an offset
 * built from the output index and the operand's broadcast strides, which
 * are kernel parameters) or `scalar` (a number, a kernel parameter).
 * Values are computed in f32; int32 operands are converted on load and
 * int32 results on store.
 *
 * Parameter words: [0] n, then the operand block (writeOperandBlock: rank,
 * output shape, strides, scalars), then the op's parameter (leakyRelu's
 * alpha).
 */
import { WebGpuError } from '../device.ts';
import { MAIN_1D, MAX_RANK, paramsBlock, storage } from '../wgsl.ts';
import { wgslPrelude } from '../../op-table.ts';

export type OperandMode = 'full' | 'one' | 'strided' | 'scalar';

export interface EwOperand {
  readonly mode: OperandMode;
  /** WGSL type of a buffer operand ('f32' for scalars). */
  readonly type: 'f32' | 'i32';
}

/**
 * The operand block of the parameter words, from word `base`: [base] rank,
 * [base + 1, base + 9) the output shape, 8 stride words per operand, then
 * one word per operand for scalars. Shared by the elementwise kernel
 * (base 1, after n) and matmul's epilogue.
 */
const shapeAt = (base: number): number => base + 1;
const strideAt = (base: number, k: number): number => base + 1 + MAX_RANK + MAX_RANK * k;
const scalarAt = (base: number, arity: number, k: number): number => strideAt(base, arity) + k;
/** Words of an operand block of `arity` operands. */
export const operandWords = (arity: number): number => 1 + MAX_RANK + MAX_RANK * arity + arity;

const EW_BASE = 1;
export const paramSlot = (arity: number): number => EW_BASE + operandWords(arity);

/** Writes an operand block into `words` at `base`. */
export function writeOperandBlock(words: Uint32Array, base: number, shape: readonly number[], strides: readonly (readonly number[] | null)[], scalars: readonly number[]): void {
  const arity = strides.length;
  words[base] = shape.length;
  shape.forEach((d, i) => (words[shapeAt(base) + i] = d));
  strides.forEach((s, k) => s?.forEach((v, d) => (words[strideAt(base, k) + d] = v)));
  const f = new Float32Array(words.buffer, words.byteOffset, words.length);
  scalars.forEach((v, k) => {
    if (v !== undefined) f[scalarAt(base, arity, k)] = v;
  });
}

/** Parameter words of an elementwise launch. */
export function ewParams(n: number, shape: readonly number[], strides: readonly (readonly number[] | null)[], scalars: readonly number[], param: number): Uint32Array {
  const arity = strides.length;
  const words = new Uint32Array(Math.ceil((paramSlot(arity) + 1) / 4) * 4);
  words[0] = n;
  writeOperandBlock(words, EW_BASE, shape, strides, scalars);
  new Float32Array(words.buffer)[paramSlot(arity)] = param;
  return words;
}

/**
 * Declarations and loads of `operands` for a thread whose output index is
 * `index` (a u32 expression): buffer operands bound from `firstBinding`
 * (named `in<k>`), values `v<k>` (f32), strided offsets computed from the
 * operand block at `base`.
 */
export function operandCode(operands: readonly EwOperand[], firstBinding: number, base: number, index: string): { decls: string; body: string; nextBinding: number } {
  const arity = operands.length;
  let binding = firstBinding;
  let decls = '';
  const loads: string[] = [];
  const strided: number[] = [];
  operands.forEach((op, k) => {
    if (op.mode === 'scalar') {
      loads.push(`  let v${k} = pf(${scalarAt(base, arity, k)}u);`);
      return;
    }
    decls += storage(binding++, `in${k}`, op.type, false);
    const at = op.mode === 'full' ? index : op.mode === 'one' ? '0u' : `o${k}`;
    loads.push(`  let v${k} = f32(in${k}[${at}]);`);
    if (op.mode === 'strided') strided.push(k);
  });
  if (binding > 8) throw new WebGpuError(`webgpu: a kernel binds at most 8 tensors, this one needs ${binding}`);
  const offsets =
    strided.length === 0
      ? ''
      : `${strided.map((k) => `  var o${k} = 0u;\n`).join('')}  var rem = ${index};
  for (var d = pu(${base}u); d > 0u; d = d - 1u) {
    let e = pu(${shapeAt(base) - 1}u + d);
    let c = rem % e;
    rem = rem / e;
${strided.map((k) => `    o${k} = o${k} + c * pu(${strideAt(base, k) - 1}u + d);\n`).join('')}  }
`;
  return { decls, body: `${offsets}${loads.join('\n')}\n`, nextBinding: binding };
}

/**
 * WGSL of an elementwise kernel. `expr(vars, param)` builds the f32
 * expression from the operand value names (`v0`, `v1`, ...) and the
 * parameter expression; `extra` is WGSL declared before `main` (a fused
 * kernel's `body`).
 */
export function elementwiseSource(
  operands: readonly EwOperand[],
  outType: 'f32' | 'i32',
  expr: (vars: string[], param: string) => string,
  extra = '',
): string {
  const arity = operands.length;
  const code = operandCode(operands, 1, EW_BASE, 'i');
  const vars = operands.map((_, k) => `v${k}`);
  return `${storage(0, 'out', outType, true)}${code.decls}${paramsBlock(code.nextBinding, paramSlot(arity) + 1)}${preludeMissingFrom(extra)}${extra}
${MAIN_1D}
  if (i >= pu(0u)) { return; }
${code.body}  out[i] = ${outType}(${expr(vars, `pf(${paramSlot(arity)}u)`)});
}
`;
}

let preludeParts: [name: string, text: string][] | null = null;

/** The op table's WGSL helpers that `extra` (a fused kernel, which declares those it calls) does not declare itself. */
export function preludeMissingFrom(extra: string): string {
  preludeParts ??= wgslPrelude
    .split(/\n(?=fn )/)
    .map((p) => p.trim())
    .filter((p) => p.startsWith('fn '))
    .map((p) => [/^fn (\w+)/.exec(p)![1]!, p]);
  return `${preludeParts
    .filter(([name]) => !new RegExp(`\\bfn\\s+${name}\\s*\\(`).test(extra))
    .map(([, text]) => text)
    .join('\n')}\n`;
}

/**
 * Drops size-1 dimensions and merges neighbours that are contiguous in
 * every operand (as the CPU's strided loops do), so indexing is cheap and
 * any rank fits in MAX_RANK once merged.
 */
export function mergeDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const dims: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = dims.length - 1;
    const fusable = last >= 0 && strides.every((s, j) => out[j]![last] === s[d]! * n);
    if (fusable) {
      dims[last] = dims[last]! * n;
      strides.forEach((s, j) => (out[j]![last] = s[d]!));
    } else {
      dims.push(n);
      strides.forEach((s, j) => out[j]!.push(s[d]!));
    }
  }
  if (dims.length > MAX_RANK) throw new WebGpuError(`webgpu: a strided kernel indexes at most ${MAX_RANK} dimensions, shape [${shape.join(',')}] needs ${dims.length}`);
  return { shape: dims, strides: out };
}
