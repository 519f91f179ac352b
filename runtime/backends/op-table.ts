/**
 * The elementwise op table: one entry per op with its CPU code and its WGSL
 * code, so an op is added in one place. The CPU backend's elementwise
 * kernels (cpu/elementwise-kernels.ts, generated ahead of time: run
 * `npm run gen:kernels` after changing an entry), the WebGPU backend's
 * kernels (webgpu/kernels/elementwise.ts) and the compiler's fused kernels
 * are all generated from these entries (the model is tinygrad's `code_for_op`).
 *
 * Each entry's `cpu` and `wgsl` are expression builders: they take the
 * operand expressions (and, for ops that read one, the parameter
 * expression last) and return the expression text. Operand expressions
 * must be plain names or literals: a builder may repeat an operand.
 * - `cpu` is JavaScript over numbers (float64 arithmetic). `cpuF32`, when
 *   present, is used instead for float32 results (a faster approximation
 *   that is as exact as float32 can hold). CPU expressions may call the
 *   functions of `cpuHelpers` by name.
 * - `wgsl` is WGSL over `f32` values giving an `f32`. It may call the
 *   functions of `wgslPrelude` (declare it once before the kernel).
 * - `dtype` is how the result's dtype follows the operands: `same` (int32
 *   stays int32), `float` (int32 becomes float32), `compare` (int32 0/1).
 *
 * The op-name unions of backend.ts (`UnaryOp`, `UnaryGradOp`, `BinaryOp`)
 * are the keys of these tables.
 */

export type ResultDtype = 'same' | 'float' | 'compare';

export interface ElementwiseOp {
  /** Number of tensor operands. */
  readonly arity: 1 | 2 | 3;
  /** True when the builders read a parameter expression after the operands (`leakyRelu`'s alpha). */
  readonly param: boolean;
  readonly dtype: ResultDtype;
  readonly cpu: (...a: string[]) => string;
  readonly cpuF32?: (...a: string[]) => string;
  readonly wgsl: (...a: string[]) => string;
  /** One line for documentation and generated comments. */
  readonly doc: string;
}

type Builder = (...a: string[]) => string;

function op(arity: 1 | 2 | 3, dtype: ResultDtype, doc: string, cpu: Builder, wgsl: Builder, cpuF32?: Builder, param = false): ElementwiseOp {
  return cpuF32 === undefined ? { arity, param, dtype, cpu, wgsl, doc } : { arity, param, dtype, cpu, cpuF32, wgsl, doc };
}

/** Elementwise functions of one operand: `(x[, param])`. */
export const unaryOps = {
  neg: op(1, 'same', '-x', (x) => `(-(${x}))`, (x) => `(-(${x}))`),
  exp: op(1, 'float', 'e^x', (x) => `Math.exp(${x})`, (x) => `exp(${x})`),
  log: op(1, 'float', 'ln x', (x) => `Math.log(${x})`, (x) => `wg_log(${x})`),
  sqrt: op(1, 'float', 'sqrt x', (x) => `Math.sqrt(${x})`, (x) => `wg_sqrt(${x})`),
  abs: op(1, 'same', '|x|', (x) => `Math.abs(${x})`, (x) => `abs(${x})`),
  sign: op(1, 'same', '-1, 0 or 1', (x) => `Math.sign(${x})`, (x) => `sign(${x})`),
  tanh: op(1, 'float', 'tanh x', (x) => `Math.tanh(${x})`, (x) => `wg_tanh(${x})`, (x) => `tanhF32(${x})`),
  sigmoid: op(
    1,
    'float',
    '1 / (1 + e^-x)',
    (x) => `(1 / (1 + Math.exp(-(${x}))))`,
    (x) => `(1.0 / (1.0 + exp(-(${x}))))`,
    (x) => `(0.5 + 0.5 * tanhF32(0.5 * (${x})))`,
  ),
  relu: op(1, 'same', 'max(x, 0)', (x) => `(${x} > 0 ? ${x} : 0)`, (x) => `select(0.0, ${x}, ${x} > 0.0)`),
  leakyRelu: op(
    1,
    'float',
    'x > 0 ? x : alpha x',
    (x, p) => `(${x} > 0 ? ${x} : (${p}) * ${x})`,
    (x, p) => `select((${p}) * ${x}, ${x}, ${x} > 0.0)`,
    undefined,
    true,
  ),
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|.
  softplus: op(
    1,
    'float',
    'log(1 + e^x), stably',
    (x) => `((${x} > 0 ? ${x} : 0) + Math.log1p(Math.exp(-Math.abs(${x}))))`,
    (x) => `(max(${x}, 0.0) + wg_log1p(exp(-abs(${x}))))`,
  ),
} as const satisfies Record<string, ElementwiseOp>;

/**
 * `g * f'(.)` for activations, fused, over `(g, v[, param])`: `tanh` and
 * `sigmoid` read the output y (f' = 1 - y^2, y (1 - y)); `relu` and
 * `leakyRelu` read the input x.
 */
export const unaryGradOps = {
  tanh: op(2, 'float', 'g (1 - y^2)', (g, y) => `(${g} * (1 - ${y} * ${y}))`, (g, y) => `(${g} * (1.0 - ${y} * ${y}))`),
  sigmoid: op(2, 'float', 'g y (1 - y)', (g, y) => `(${g} * ${y} * (1 - ${y}))`, (g, y) => `(${g} * ${y} * (1.0 - ${y}))`),
  relu: op(2, 'float', 'x > 0 ? g : 0', (g, x) => `(${x} > 0 ? ${g} : 0)`, (g, x) => `select(0.0, ${g}, ${x} > 0.0)`),
  leakyRelu: op(
    2,
    'float',
    'x > 0 ? g : alpha g',
    (g, x, p) => `(${x} > 0 ? ${g} : (${p}) * ${g})`,
    (g, x, p) => `select((${p}) * ${g}, ${g}, ${x} > 0.0)`,
    undefined,
    true,
  ),
} as const satisfies Record<string, ElementwiseOp>;

/**
 * Elementwise functions of two broadcast operands `(a, b)`. Comparisons
 * give int32 0/1. `maxMask` is 1 where a > b, 0.5 where a == b, 0
 * elsewhere (how `maximum` splits its cotangent). `prelu` is
 * a > 0 ? a : b a. `maximum` / `minimum` keep a NaN of `a`.
 */
export const binaryOps = {
  add: op(2, 'same', 'a + b', (a, b) => `(${a} + ${b})`, (a, b) => `(${a} + ${b})`),
  sub: op(2, 'same', 'a - b', (a, b) => `(${a} - ${b})`, (a, b) => `(${a} - ${b})`),
  mul: op(2, 'same', 'a b', (a, b) => `(${a} * ${b})`, (a, b) => `(${a} * ${b})`),
  div: op(2, 'float', 'a / b', (a, b) => `(${a} / ${b})`, (a, b) => `(${a} / ${b})`),
  pow: op(2, 'float', 'a ** b', (a, b) => `Math.pow(${a}, ${b})`, (a, b) => `wg_pow(${a}, ${b})`),
  maximum: op(
    2,
    'same',
    'max(a, b)',
    (a, b) => `(${a} >= ${b} || ${a} !== ${a} ? ${a} : ${b})`,
    (a, b) => `select(${b}, ${a}, ${a} >= ${b} || ${a} != ${a})`,
  ),
  minimum: op(
    2,
    'same',
    'min(a, b)',
    (a, b) => `(${a} <= ${b} || ${a} !== ${a} ? ${a} : ${b})`,
    (a, b) => `select(${b}, ${a}, ${a} <= ${b} || ${a} != ${a})`,
  ),
  prelu: op(2, 'float', 'a > 0 ? a : b a', (a, b) => `(${a} > 0 ? ${a} : (${b}) * ${a})`, (a, b) => `select((${b}) * ${a}, ${a}, ${a} > 0.0)`),
  maxMask: op(
    2,
    'float',
    'a > b ? 1 : a == b ? 0.5 : 0',
    (a, b) => `(${a} > ${b} ? 1 : ${a} === ${b} ? 0.5 : 0)`,
    (a, b) => `select(select(0.0, 0.5, ${a} == ${b}), 1.0, ${a} > ${b})`,
  ),
  greater: op(2, 'compare', 'a > b', (a, b) => `(${a} > ${b} ? 1 : 0)`, (a, b) => `select(0.0, 1.0, ${a} > ${b})`),
  greaterEqual: op(2, 'compare', 'a >= b', (a, b) => `(${a} >= ${b} ? 1 : 0)`, (a, b) => `select(0.0, 1.0, ${a} >= ${b})`),
  less: op(2, 'compare', 'a < b', (a, b) => `(${a} < ${b} ? 1 : 0)`, (a, b) => `select(0.0, 1.0, ${a} < ${b})`),
  lessEqual: op(2, 'compare', 'a <= b', (a, b) => `(${a} <= ${b} ? 1 : 0)`, (a, b) => `select(0.0, 1.0, ${a} <= ${b})`),
  equal: op(2, 'compare', 'a == b', (a, b) => `(${a} === ${b} ? 1 : 0)`, (a, b) => `select(0.0, 1.0, ${a} == ${b})`),
  notEqual: op(2, 'compare', 'a != b', (a, b) => `(${a} !== ${b} ? 1 : 0)`, (a, b) => `select(0.0, 1.0, ${a} != ${b})`),
} as const satisfies Record<string, ElementwiseOp>;

/** `cond != 0 ? a : b` over three broadcast operands (`where`). */
export const whereOp: ElementwiseOp = op(
  3,
  'same',
  'c != 0 ? a : b',
  (c, a, b) => `(${c} !== 0 ? ${a} : ${b})`,
  (c, a, b) => `select(${b}, ${a}, ${c} != 0.0)`,
);

export type UnaryOpName = keyof typeof unaryOps;
export type UnaryGradOpName = keyof typeof unaryGradOps;
export type BinaryOpName = keyof typeof binaryOps;

/** The CPU expression of an op for a result of `dtype` (`cpuF32` for float32 when the op has one). */
export function cpuExpr(spec: ElementwiseOp, dtype: string, ...args: string[]): string {
  return (dtype === 'float32' && spec.cpuF32 ? spec.cpuF32 : spec.cpu)(...args);
}

/** The result dtype of an elementwise op whose widest operand dtype is `dtype`. */
export function resultDtype<D extends 'float32' | 'float64' | 'int32'>(spec: ElementwiseOp, dtype: D): D | 'float32' | 'int32' {
  if (spec.dtype === 'compare') return 'int32';
  if (spec.dtype === 'float' && dtype === 'int32') return 'float32';
  return dtype;
}

const TANH_CLAMP = 7.90531110763549805;

/**
 * tanh for float32 results: a rational approximation (odd degree 13 over
 * even degree 6, the coefficients Eigen uses for float), within 3e-7 of
 * Math.tanh everywhere (about 2 float32 ulps) and 5x faster. Beyond
 * |x| = 7.9 it returns the value at the clamp, which rounds to +-1 in float32.
 */
export function tanhF32(x: number): number {
  if (x > TANH_CLAMP) x = TANH_CLAMP;
  else if (x < -TANH_CLAMP) x = -TANH_CLAMP;
  const x2 = x * x;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (x * p) / q;
}

/** The functions CPU expressions may call by name (the runtime exports each under the same name). */
export const cpuHelpers = { tanhF32 } as const;

/**
 * WGSL functions the `wgsl` expressions call, declared once per shader:
 * `wg_bits` (an f32 from its bits at run time: WGSL refuses infinite and
 * NaN constants), log and sqrt with JavaScript's values at 0 and below
 * (WGSL leaves them undefined), the same tanh approximation as the CPU's float32 one,
 * log1p without cancellation (a series near 0, where GPU logs near 1
 * lose digits), and pow with JavaScript's sign and zero
 * rules.
 */
export const wgslPrelude = /* wgsl */ `
fn wg_bits(b: u32) -> f32 {
  var v = b;
  return bitcast<f32>(v);
}
fn wg_log(x: f32) -> f32 {
  if (x == 0.0) { return wg_bits(0xff800000u); }
  if (!(x > 0.0)) { return wg_bits(0x7fc00000u); }
  return log(x);
}
fn wg_sqrt(x: f32) -> f32 {
  if (!(x >= 0.0)) { return wg_bits(0x7fc00000u); }
  return sqrt(x);
}
fn wg_tanh(x0: f32) -> f32 {
  let x = clamp(x0, -7.90531110763549805, 7.90531110763549805);
  let x2 = x * x;
  var p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  var q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (x * p) / q;
}
fn wg_log1p(x: f32) -> f32 {
  if (abs(x) < 0.05) {
    // Taylor series: error below x^7 / 7, no cancellation.
    return x * (1.0 - x * (0.5 - x * (0.33333333 - x * (0.25 - x * (0.2 - x * 0.16666667)))));
  }
  return log(1.0 + x);
}
fn wg_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { return select(0.0, wg_bits(0x7f800000u), b < 0.0); }
  if (a > 0.0) { return exp2(b * log2(a)); }
  if (b != floor(b)) { return wg_bits(0x7fc00000u); }
  let m = exp2(b * log2(-a));
  return select(m, -m, (b * 0.5) != floor(b * 0.5));
}
`;

/** A WGSL f32 expression with exactly the float32 value of `x` (NaN and infinities included, through wgslPrelude's wg_bits). */
export function wgslLiteral(x: number): string {
  const f = Math.fround(x);
  if (Number.isFinite(f) && Number.isInteger(f) && Math.abs(f) < 1e7) return `${f}.0`;
  const bits = new Uint32Array(new Float32Array([f]).buffer)[0]!;
  // Infinities and NaN go through wg_bits (wgslPrelude): WGSL rejects them as constants.
  return Number.isFinite(f) ? `bitcast<f32>(0x${bits.toString(16)}u)` : `wg_bits(0x${bits.toString(16)}u)`;
}
