/**
 * The text of one fused kernel (runtime/backends/fused.ts `FusedKernel`)
 * from a tree of elementwise ops: its WGSL `fn body(v0: f32, ...) -> f32`
 * and its CPU function, both built from the elementwise op table
 * (runtime/backends/op-table.ts), one temporary per op so that an operand
 * an op's expression repeats is computed once.
 */
import { binaryOps, cpuExpr, cpuHelpers, unaryGradOps, unaryOps, wgslLiteral, wgslPrelude, type ElementwiseOp } from '../../runtime/backends/op-table.ts';

/** Functions the CPU expressions call by name (runtime exports, imported by the generated file). */
export const cpuHelperNames: ReadonlySet<string> = new Set(Object.keys(cpuHelpers));

/** A runtime op the fusion pass may put in a kernel: its op-table entry and how its call's arguments map to the entry. */
export interface FusableOp {
  /** The runtime export (`add`, `tanhGrad`). */
  name: string;
  spec: ElementwiseOp;
  /** Tensor-or-number operands the call takes first. */
  operands: number;
  /** For ops with a parameter (`leakyRelu(x, alpha?)`): its default when the call leaves it out. */
  paramDefault?: number;
}

function entry(name: string, spec: ElementwiseOp, paramDefault?: number): FusableOp {
  return paramDefault === undefined ? { name, spec, operands: spec.arity } : { name, spec, operands: spec.arity, paramDefault };
}

/**
 * Ops whose results are floats or keep their operands' dtype. Comparisons
 * (int32 results) and `where` (an int32 condition) are left out: they stay
 * calls of their own.
 */
export const fusableOps: ReadonlyMap<string, FusableOp> = new Map<string, FusableOp>([
  ...(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'prelu', 'maxMask'] as const).map((n) => [n, entry(n, binaryOps[n])] as const),
  ...(['neg', 'exp', 'log', 'sqrt', 'abs', 'sign', 'tanh', 'sigmoid', 'relu', 'softplus'] as const).map((n) => [n, entry(n, unaryOps[n])] as const),
  ['leakyRelu', entry('leakyRelu', unaryOps.leakyRelu, 0.01)],
  ...(['tanh', 'sigmoid', 'relu'] as const).map((n) => [`${n}Grad`, entry(`${n}Grad`, unaryGradOps[n])] as const),
  ['leakyReluGrad', entry('leakyReluGrad', unaryGradOps.leakyRelu, 0.01)],
]);

/** A node of a fused expression tree. */
export type FusedNode =
  | { kind: 'operand'; index: number }
  | { kind: 'literal'; value: number }
  | { kind: 'op'; op: FusableOp; args: FusedNode[]; param?: FusedNode };

export interface KernelText {
  /** WGSL: the prelude functions it calls, then `fn body(...)`. */
  wgsl: string;
  /** The CPU function as TypeScript source (an arrow function). */
  cpu: string;
  /** The float32 CPU function where an op has a float32 expression (`tanhF32`), else null. */
  cpuF32: string | null;
  /** The CPU row loop (`FusedKernel.cpuRows`): the function's body inlined in a loop of its own. */
  cpuRows: string;
  /** The float32 row loop, where `cpuF32` differs from `cpu`, else null. */
  cpuRowsF32: string | null;
  /** `same` when every op keeps int32, else `float`. */
  dtype: 'same' | 'float';
  /** The expression in the ops' own notation, for comments and `inspect`. */
  formula: string;
}

/** The kernel text of `root` over `arity` operands. */
export function kernelText(root: FusedNode, arity: number): KernelText {
  const wgslLines: string[] = [];
  const cpuLines: string[] = [];
  const cpuF32Lines: string[] = [];
  let temps = 0;
  let float = false;
  const emit = (n: FusedNode): { wgsl: string; cpu: string; formula: string } => {
    if (n.kind === 'operand') return { wgsl: `v${n.index}`, cpu: `v${n.index}`, formula: `v${n.index}` };
    if (n.kind === 'literal') return { wgsl: wgslLiteral(n.value), cpu: cpuLiteral(n.value), formula: String(n.value) };
    const args = n.args.map(emit);
    const param = n.op.spec.param ? emit(n.param ?? { kind: 'literal', value: n.op.paramDefault ?? 0 }) : null;
    if (n.op.spec.dtype !== 'same') float = true;
    const t = `t${temps++}`;
    const wargs = [...args.map((a) => a.wgsl), ...(param ? [param.wgsl] : [])];
    const cargs = [...args.map((a) => a.cpu), ...(param ? [param.cpu] : [])];
    wgslLines.push(`  let ${t} = ${n.op.spec.wgsl(...wargs)};`);
    cpuLines.push(`const ${t} = ${n.op.spec.cpu(...cargs)};`);
    cpuF32Lines.push(`const ${t} = ${cpuExpr(n.op.spec, 'float32', ...cargs)};`);
    return { wgsl: t, cpu: t, formula: `${n.op.name}(${[...args.map((a) => a.formula), ...(param ? [param.formula] : [])].join(', ')})` };
  };
  const top = emit(root);
  const params = Array.from({ length: arity }, (_, i) => `v${i}`);
  const body = `fn body(${params.map((p) => `${p}: f32`).join(', ')}) -> f32 {\n${wgslLines.join('\n')}\n  return ${top.wgsl};\n}`;
  const helpers = preludeFunctions().filter(([name]) => new RegExp(`\\b${name}\\(`).test(body));
  const wgsl = [...helpers.map(([, text]) => text), body].join('\n');
  const fn = (lines: string[]) => `(${params.map((p) => `${p}: number`).join(', ')}): number => {\n${lines.join('\n')}\nreturn ${top.cpu};\n}`;
  const cpu = fn(cpuLines);
  const f32 = fn(cpuF32Lines);
  const same = f32 === cpu;
  return {
    wgsl,
    cpu,
    cpuF32: same ? null : f32,
    cpuRows: rowsText(cpuLines, top.cpu, arity),
    cpuRowsF32: same ? null : rowsText(cpuF32Lines, top.cpu, arity),
    dtype: float ? 'float' : 'same',
    formula: top.formula,
  };
}

/**
 * The row loop of a kernel whose element function has the body `lines`
 * returning `result`: `out[o + i]` for i < n, operand j read from `x[j]`
 * at `p[j] + i * s[j]`. One loop per kernel, so V8 sees one call shape and
 * no call per element.
 */
function rowsText(lines: readonly string[], result: string, arity: number): string {
  const js = Array.from({ length: arity }, (_, j) => j);
  return [
    '(out: TypedArray, o: number, n: number, x: readonly TypedArray[], p: ArrayLike<number>, s: ArrayLike<number>): void => {',
    ...js.map((j) => `const x${j} = x[${j}]!, s${j} = s[${j}]!;`),
    ...js.map((j) => `let p${j} = p[${j}]!;`),
    'for (let i = o, end = o + n; i < end; i++) {',
    ...js.map((j) => `const v${j} = x${j}[p${j}]!;`),
    ...lines,
    `out[i] = ${result};`,
    ...(arity > 0 ? [js.map((j) => `p${j} += s${j}`).join(', ') + ';'] : []),
    '}',
    '}',
  ].join('\n');
}

/** A JavaScript literal with the value of x. */
function cpuLiteral(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '(-Infinity)';
  return Object.is(x, -0) || x < 0 ? `(${String(x === 0 ? '-0' : x)})` : String(x);
}

let prelude: [name: string, text: string][] | null = null;

/** The op table's WGSL helper functions, one by one (a kernel declares only those it calls). */
function preludeFunctions(): [string, string][] {
  if (prelude) return prelude;
  const parts = wgslPrelude.split(/\n(?=fn )/).map((s) => s.trim()).filter((s) => s.startsWith('fn '));
  prelude = parts.map((text) => [/^fn (\w+)/.exec(text)![1]!, text]);
  return prelude;
}
