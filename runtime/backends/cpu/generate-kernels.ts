/**
 * Writes the CPU backend's elementwise kernels (elementwise-kernels.ts)
 * from the elementwise op table (../op-table.ts): `npm run gen:kernels`.
 *
 * The kernels are generated ahead of time, not compiled at run time with
 * `new Function`, so the CPU backend runs on a page whose
 * Content-Security-Policy forbids `unsafe-eval`. Each (op, result kind)
 * still gets a loop of its own with the op's expression inlined, so V8 sees
 * the same tight loops over typed arrays as before.
 *
 * Result kinds: `f32` for float32 results (the op's float32 expression
 * where it has one, `tanhF32`), `f64` for float64 and int32 results
 * (float64 arithmetic). A test (test/runtime/cpu-kernels.test.ts)
 * regenerates the text and fails when the checked-in file differs.
 */
import { binaryOps, cpuExpr, cpuHelpers, unaryGradOps, unaryOps, type ElementwiseOp } from '../op-table.ts';

/** The checked-in module, relative to this file. */
export const kernelsFile = 'elementwise-kernels.ts';

type Kind = 'f32' | 'f64';
const kinds: readonly Kind[] = ['f32', 'f64'];

/** How one family of ops becomes loops: the kernel's parameters, its loop with `EXPR` for the op, and the operand names. */
interface Family {
  /** Prefix of the kernel names (`unary` -> `unaryTanhF32`). */
  prefix: string;
  table: Record<string, ElementwiseOp>;
  /** The kernel type, declared in the generated module. */
  type: string;
  signature: string;
  /** The loop; `EXPR` stands for the op's expression over `args`. */
  loop: string;
  args: readonly string[];
  /** What one call computes, for the family's comment. */
  doc: string;
}

const families: readonly Family[] = [
  {
    prefix: 'unary',
    table: unaryOps,
    type: 'UnaryKernel',
    signature: '(x: Arr, out: Arr, p: number): void',
    loop: ['const n = x.length;', 'for (let i = 0; i < n; i++) {', '  const v = x[i]!;', '  out[i] = EXPR;', '}'].join('\n'),
    args: ['v', 'p'],
    doc: 'out[i] = f(x[i]) over the whole array; `p` is the parameter of the ops that read one (leakyRelu).',
  },
  {
    prefix: 'unaryGrad',
    table: unaryGradOps,
    type: 'UnaryGradKernel',
    signature: '(g: Arr, v: Arr, out: Arr, p: number): void',
    loop: ['const n = g.length;', 'for (let i = 0; i < n; i++) {', '  const gi = g[i]!;', '  const vi = v[i]!;', '  out[i] = EXPR;', '}'].join('\n'),
    args: ['gi', 'vi', 'p'],
    doc: "out[i] = g[i] f'(v[i]) for activations (v is the output y or the input x, as the op table says).",
  },
  {
    prefix: 'binary',
    table: binaryOps,
    type: 'BinaryKernel',
    signature: '(a: Arr, ao: number, sa: number, b: Arr, bo: number, sb: number, out: Arr, o: number, n: number): void',
    loop: ['const end = o + n;', 'for (; o < end; o++, ao += sa, bo += sb) {', '  const x = a[ao]!;', '  const y = b[bo]!;', '  out[o] = EXPR;', '}'].join(
      '\n',
    ),
    args: ['x', 'y'],
    doc: 'one output row: out[o + i] = a[ao + i sa] op b[bo + i sb] for i < n (a stride of 0 repeats one number: broadcasting).',
  },
];

const capital = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

function kernelName(f: Family, op: string, kind: Kind | 'Scalar'): string {
  return `${f.prefix}${capital(op)}${kind === 'Scalar' ? kind : kind.toUpperCase()}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function kernel(f: Family, op: string, spec: ElementwiseOp, kind: Kind): string {
  const expr = cpuExpr(spec, kind === 'f32' ? 'float32' : 'float64', ...f.args.slice(0, spec.arity + (spec.param ? 1 : 0)));
  const what = kind === 'f32' ? 'float32 results' : 'float64 and int32 results';
  return `/** ${op}: ${spec.doc} (${what}). */\nfunction ${kernelName(f, op, kind)}${f.signature} {\n${indent(f.loop.replace('EXPR', expr))}\n}`;
}

/** The op on numbers (float64 arithmetic): used when every operand is a number. Unary ops take the parameter second. */
function scalar(f: Family, op: string, spec: ElementwiseOp): string {
  const params = f.prefix === 'binary' ? ['x', 'y'] : ['x', 'p'];
  return `/** ${op} of numbers: ${spec.doc}. */\nfunction ${kernelName(f, op, 'Scalar')}(${params.map((p) => `${p}: number`).join(', ')}): number {\n  return ${spec.cpu(...params)};\n}`;
}

function table(name: string, type: string, keyType: string, entries: string[], doc: string): string {
  return `/** ${doc} */\nexport const ${name}: { readonly [K in ${keyType}]: ${type} } = {\n${entries.map((e) => `  ${e},`).join('\n')}\n};`;
}

/** The text of elementwise-kernels.ts. */
export function kernelsSource(): string {
  const sections: string[] = [];
  const tables: string[] = [];
  for (const f of families) {
    const ops = Object.entries(f.table);
    sections.push(`// ---- ${f.prefix}: ${f.doc} ----`);
    for (const [op, spec] of ops) for (const kind of kinds) sections.push(kernel(f, op, spec, kind));
    const keyType = `${capital(f.prefix)}OpName`;
    tables.push(
      table(
        `${f.prefix}Kernels`,
        `ByResultKind<${f.type}>`,
        keyType,
        ops.map(([op]) => `${op}: { ${kinds.map((k) => `${k}: ${kernelName(f, op, k)}`).join(', ')} }`),
        `The ${f.prefix} kernels by op and result kind.`,
      ),
    );
  }
  for (const f of families.filter((x) => x.prefix !== 'unaryGrad')) {
    const ops = Object.entries(f.table);
    sections.push(`// ---- ${f.prefix} ops on numbers ----`);
    for (const [op, spec] of ops) sections.push(scalar(f, op, spec));
    tables.push(
      table(
        `${f.prefix}Scalars`,
        '(x: number, y: number) => number',
        `${capital(f.prefix)}OpName`,
        ops.map(([op]) => `${op}: ${kernelName(f, op, 'Scalar')}`),
        `The ${f.prefix} ops on numbers by op.`,
      ),
    );
  }
  const body = [...sections, ...tables].join('\n\n');
  const helpers = Object.keys(cpuHelpers).filter((h) => new RegExp(`\\b${h}\\(`).test(body));
  const header = [
    '// Generated by runtime/backends/cpu/generate-kernels.ts from the op table (runtime/backends/op-table.ts): do not edit.',
    '// Regenerate with `npm run gen:kernels`; test/runtime/cpu-kernels.test.ts fails when this file is stale.',
    '/**',
    ' * The CPU backend\'s elementwise kernels: one loop per op and result kind',
    ' * (`f32` for float32 results, `f64` for float64 and int32 ones), with the',
    ' * op table\'s expression inlined, and each op on plain numbers.',
    ' * elementwise.ts picks the kernel; nothing here is compiled at run time.',
    ' */',
    "import type { TypedArray } from '../../tensor.ts';",
    ...(helpers.length ? [`import { ${helpers.join(', ')} } from '../op-table.ts';`] : []),
    "import type { BinaryOpName, UnaryGradOpName, UnaryOpName } from '../op-table.ts';",
    '',
    'type Arr = TypedArray;',
    ...families.map((f) => `export type ${f.type} = ${f.signature.replace('): void', ') => void')};`),
    '/** A kernel per result kind. */',
    'export interface ByResultKind<K> {',
    '  readonly f32: K;',
    '  readonly f64: K;',
    '}',
  ].join('\n');
  return `${header}\n\n${body}\n`;
}

/** `npm run gen:kernels`: writes the module beside this file. */
async function main(): Promise<void> {
  const fs = await import('node:fs');
  const file = new URL(kernelsFile, import.meta.url);
  const text = kernelsSource();
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (old === text) {
    console.log(`${kernelsFile} is up to date`);
    return;
  }
  fs.writeFileSync(file, text);
  console.log(`wrote ${kernelsFile}`);
}

if (typeof process !== 'undefined' && process.argv.includes('--write')) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
