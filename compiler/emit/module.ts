/**
 * Assembles one generated `*.grad.ts` file: the header, the imports the
 * derivative code needs, and for each differentiable function `f` its
 * `jvp_f`, `valueAndVjp_f`, `vjp_f`, `grad_f` and `valueAndGrad_f`.
 */
import type { IRFunction } from '../ir/ir.ts';
import { gradsType, isVectorValued, signatureParams, type EmitContext } from '../transforms/common.ts';
import { generatedHeader } from './header.ts';
import { seedName } from './naming.ts';

export interface CompiledFunction {
  fn: IRFunction;
  ctx: EmitContext;
  jvp: string;
  vjp: string;
  /** The vjp/grad/jacobian wrappers, when already emitted (renamed imports). */
  wrappers?: string;
}

export interface ModuleImports {
  /** module specifier -> names imported as values */
  values: Map<string, Set<string>>;
  /** module specifier -> names imported as types */
  types: Map<string, Set<string>>;
}

export function emptyImports(): ModuleImports {
  return { values: new Map(), types: new Map() };
}

export function addImport(imports: ModuleImports, kind: 'values' | 'types', module: string, name: string): void {
  const map = imports[kind];
  if (!map.has(module)) map.set(module, new Set());
  map.get(module)!.add(name);
}

export function emitModule(sourceBaseName: string, fns: CompiledFunction[], imports: ModuleImports): string {
  const parts: string[] = [generatedHeader(sourceBaseName)];
  const modules = [...new Set([...imports.values.keys(), ...imports.types.keys()])].sort(compareModules);
  for (const m of modules) {
    const values = [...(imports.values.get(m) ?? [])].sort();
    const types = [...(imports.types.get(m) ?? [])].filter((t) => !values.includes(t)).sort();
    const names = [...values, ...types.map((t) => `type ${t}`)];
    if (names.length) parts.push(`import { ${names.join(', ')} } from '${m}';`);
  }
  parts.push('');
  for (const { fn, ctx, jvp, vjp, wrappers: emitted } of fns) {
    parts.push(`// ---- ${fn.name} (${fn.sourceFile}:${fn.loc.line}) ----`, '', jvp, '', vjp, '', emitted ?? wrappers(fn, ctx), '');
  }
  return parts.join('\n');
}

/** 'wengert' first, then other packages, then relative modules. */
function compareModules(a: string, b: string): number {
  const rank = (m: string) => (m === 'wengert' ? 0 : m.startsWith('.') ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** `vjp_f`, `grad_f`, `valueAndGrad_f` (or `jacobian_f`) in terms of `valueAndVjp_f` and `jvp_f`. */
export function wrappers(fn: IRFunction, ctx: EmitContext): string {
  if (isVectorValued(fn)) return vectorWrappers(fn, ctx);
  const params = signatureParams(fn, ctx);
  const names = [...(fn.selfType ? ['self'] : []), ...fn.params.map((p) => p.name)];
  const grads = gradsType(fn, ctx);
  const seed = seedName(new Set([...fn.locals.keys(), ...fn.params.map((p) => p.name)]));
  const call = (dy: string) => `valueAndVjp_${fn.name}(${[...names, dy].join(', ')})`;
  return [
    `/** Reverse mode: the cotangent ${seed} pulled back to (${fn.params.filter((p) => p.wrt).map((p) => p.name).join(', ')}). */`,
    `export function vjp_${fn.name}(${[...params, `${seed}: number`].join(', ')}): ${grads} {`,
    `  return ${call(seed)}[1];`,
    '}',
    '',
    `/** The gradient of ${fn.name}. */`,
    `export function grad_${fn.name}(${params.join(', ')}): ${grads} {`,
    `  return ${call('1')}[1];`,
    '}',
    '',
    `/** [${fn.name}(...), its gradient] from one forward and one reverse sweep. */`,
    `export function valueAndGrad_${fn.name}(${params.join(', ')}): [number, ${grads}] {`,
    `  return ${call('1')};`,
    '}',
  ].join('\n');
}

/** For a vector-valued `f`: `vjp_f` and `jacobian_f` (reverse sweeps by rows or forward sweeps by columns, whichever is fewer). */
function vectorWrappers(fn: IRFunction, ctx: EmitContext): string {
  const params = signatureParams(fn, ctx);
  const names = [...(fn.selfType ? ['self'] : []), ...fn.params.map((p) => p.name)];
  const wrt = fn.params.filter((p) => p.wrt);
  const seed = seedName(new Set([...fn.locals.keys(), ...fn.params.map((p) => p.name)]));
  const grads = gradsType(fn, ctx);
  const inputs = `[${wrt.map((p) => p.name).join(', ')}]`;
  const tangents = wrt.map((_, i) => `t[${i}]`).join(', ');
  return [
    `/** Reverse mode: the output cotangent ${seed} pulled back to (${wrt.map((p) => p.name).join(', ')}). */`,
    `export function vjp_${fn.name}(${[...params, `${seed}: ArrayLike<number>`].join(', ')}): ${grads} {`,
    `  return valueAndVjp_${fn.name}(${[...names, seed].join(', ')})[1];`,
    '}',
    '',
    `/**`,
    ` * The Jacobian of ${fn.name}: one row per output, one column per number of (${wrt.map((p) => p.name).join(', ')}), flattened in order.`,
    ` * Uses one reverse sweep per output or one forward sweep per input, whichever is fewer.`,
    ` */`,
    `export function jacobian_${fn.name}(${params.join(', ')}): number[][] {`,
    `  const inputs = ${inputs} as const;`,
    `  const nIn = countNumbers(inputs);`,
    `  const zero = basisLike(inputs, -1);`,
    `  const [value] = jvp_${fn.name}(${[...names, ...wrt.map((_, i) => `zero[${i}]`)].join(', ')});`,
    `  const nOut = value.length;`,
    `  if (nOut <= nIn) return jacobianByRows(nOut, (row) => flatten(vjp_${fn.name}(${[...names, 'row'].join(', ')})));`,
    `  return jacobianByColumns(nOut, nIn, (j) => {`,
    `    const t = basisLike(inputs, j);`,
    `    return Array.from(jvp_${fn.name}(${[...names, tangents].join(', ')})[1]);`,
    `  });`,
    '}',
  ].join('\n');
}
