/**
 * Small differentiable programs whose parameters and locals carry hostile
 * names, for the property test of test/compiler/hostile-names.test.ts, and
 * the derivative checks those programs (and the fixed hostile cases) need.
 *
 * The names come from
 *   - contextual TypeScript words that are legal identifiers (`of`, `type`, `number`, ...);
 *   - names whose tangent `d<name>` would be a reserved word or a runtime export (`o` -> `do`, `iv` -> `div`);
 *   - the locals the generated wrappers and sweeps use (`inputs`, `j`, `t`, `pulled`, `valueTape`, ...);
 *   - every runtime export the generated code may import (compiler/emit/runtime-names.ts);
 *   - `d`-prefixed variants of all of these (`dof`, `dtape`, `ddy`);
 *   - the generated exports of the program's own functions (`valueAndVjp_<callee>`).
 * Each program has a scalar function calling a helper, two vector-valued
 * functions (Jacobian by columns and by rows), a function with a custom
 * derivative named like a generated export (`vjp_<f>` / `jvp_<f>`) and its
 * caller, and a class method reading a `private` field.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { runtimeExports } from '../../compiler/emit/runtime-names.ts';
import { GENERATED_CODE_GLOBALS } from '../../compiler/emit/names.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';

/** Words module (strict-mode) code cannot declare. */
const STRICT_RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'implements', 'interface', 'let',
  'package', 'private', 'protected', 'public', 'static', 'yield', 'await', 'arguments', 'eval',
]);

/** True when a parameter or local may have this name (generated-code globals are refused by design). */
export function isDeclarable(name: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(name) && !STRICT_RESERVED.has(name) && !GENERATED_CODE_GLOBALS.has(name);
}

/** Contextual keywords and TypeScript type names that are legal identifiers. */
export const CONTEXTUAL_WORDS = [
  'of', 'as', 'get', 'set', 'type', 'async', 'from', 'number', 'string', 'any', 'boolean', 'symbol', 'bigint', 'never',
  'unknown', 'object', 'declare', 'namespace', 'module', 'readonly', 'keyof', 'infer', 'is', 'asserts', 'satisfies',
  'accessor', 'abstract', 'override', 'out', 'constructor', 'require', 'global', 'target', 'meta',
];

/** Locals the generated wrappers and sweeps declare. */
export const WRAPPER_LOCALS = [
  'inputs', 'nIn', 'nOut', 'zero', 'value', 'value2', 'row', 'j', 't', 'pulled', 'seed', 'dy', 'y', 'dout', 'dresult',
  'cotangent', 'trips', 'trip', 'g', 'jac', 'jac2', 'valueTape', 'controlTape', 'refTape', 'self', 'self2', 'result',
  't1', 't2', 'x_d', 'x_1', 's_next', 'g_bar', 'dx', 'wengertTape', 'wengertSum',
];

/** Names that are a reserved word, a runtime export or a wrapper local once prefixed with `d`. */
export const D_PREFIX_TRAPS = [
  'o', 'elete', 'ebugger', 'efault', 'eclare',
  ...[...runtimeExports(), ...WRAPPER_LOCALS].filter((n) => n.startsWith('d') && n.length > 1).map((n) => n.slice(1)),
].filter(isDeclarable);

const BASE_POOL = [...new Set([...CONTEXTUAL_WORDS, ...WRAPPER_LOCALS, ...runtimeExports(), ...D_PREFIX_TRAPS])].filter(isDeclarable);

/** A name of a program: a pool name, or one of the program's own generated exports, resolved when rendered. */
export type NameSpec = string | { ownExport: 'valueAndVjp_helper' | 'jvp_helper' | 'valueAndVjp_scalar' | 'jvp_caller' };

const nameArb: fc.Arbitrary<NameSpec> = fc.oneof(
  fc.constantFrom(...CONTEXTUAL_WORDS.filter(isDeclarable)),
  fc.constantFrom(...WRAPPER_LOCALS.filter(isDeclarable)),
  fc.constantFrom(...[...runtimeExports()].filter(isDeclarable)),
  fc.constantFrom(...D_PREFIX_TRAPS),
  fc.constantFrom(...BASE_POOL.map((n) => `d${n}`).filter(isDeclarable)),
  fc.constantFrom('valueAndVjp_helper', 'jvp_helper', 'valueAndVjp_scalar', 'jvp_caller').map((k) => ({ ownExport: k }) as NameSpec),
);

/** Six distinct names (`a`, `b`, `c` parameters, `l`, `i`, `m` locals) and a point to differentiate at. */
export interface ProgramSpec {
  names: NameSpec[];
  point: [number, number, number];
  /** Which mode the custom derivative gives (the other is derived from it). */
  customMode: 'vjp' | 'jvp';
}

const coordinate = fc.double({ min: -1.2, max: 1.2, noNaN: true }).map((x) => Math.round(x * 1000) / 1000 + 0.05);

export const programArb: fc.Arbitrary<ProgramSpec> = fc.record({
  names: fc.uniqueArray(nameArb, { minLength: 6, maxLength: 6, selector: (n) => (typeof n === 'string' ? n : `@${n.ownExport}`) }),
  point: fc.tuple(coordinate, coordinate, coordinate),
  customMode: fc.constantFrom('vjp' as const, 'jvp' as const),
});

/** The function names of program `k`. */
export function functionsOf(k: number) {
  return {
    scalar: `hs${k}`,
    helper: `hh${k}`,
    columns: `hv${k}`,
    rows: `hw${k}`,
    custom: `hc${k}`,
    caller: `hcc${k}`,
    cls: `HK${k}`,
  };
}

function resolveNames(spec: ProgramSpec, k: number): string[] {
  const fns = functionsOf(k);
  const own: Record<string, string> = {
    valueAndVjp_helper: `valueAndVjp_${fns.helper}`,
    jvp_helper: `jvp_${fns.helper}`,
    valueAndVjp_scalar: `valueAndVjp_${fns.scalar}`,
    jvp_caller: `jvp_${fns.caller}`,
  };
  const names = spec.names.map((n) => (typeof n === 'string' ? n : own[n.ownExport]!));
  // Two specs can resolve to one name (`jvp_hh3` drawn as a `d`-variant and as an own export): keep them distinct.
  return names.map((n, i) => (names.indexOf(n) === i ? n : `${n}_${i}`));
}

/** The source of program `k`: a few exported functions and a class, all using the spec's names. */
export function renderProgram(spec: ProgramSpec, k: number): string {
  const [a, b, c, l, i, m] = resolveNames(spec, k) as [string, string, string, string, string, string];
  const fns = functionsOf(k);
  const customFn = `${spec.customMode}_${fns.custom}`;
  const customDerivative =
    spec.customMode === 'vjp'
      ? `/** @derivative vjp(${fns.custom}) */
export function ${customFn}(${a}: number, ${b}: number, ${c}: number): [number, number] {
  return [2 * ${a} * ${b} * ${c}, ${a} * ${a} * ${c}];
}`
      : `/** @derivative jvp(${fns.custom}) */
export function ${customFn}(${a}: number, ${b}: number, ${c}: number, ${l}: number): [number, number] {
  return [${a} * ${a} * ${b}, 2 * ${a} * ${b} * ${c} + ${a} * ${a} * ${l}];
}`;
  return `
// ---- program ${k}: ${[a, b, c, l, i, m].join(', ')} ----
/** @differentiable */
export function ${fns.helper}(${a}: number, ${b}: number): number {
  const ${l} = ${a} * Math.exp(0.3 * ${b});
  return ${l} + ${b} * ${b};
}

/** @differentiable */
export function ${fns.scalar}(${a}: number, ${b}: number, ${c}: number): number {
  let ${l} = ${a} * ${b};
  for (let ${i} = 0; ${i} < 2; ${i}++) {
    ${l} = ${l} * Math.cos(${c}) + Math.sin(${a} * ${l});
  }
  const ${m} = ${fns.helper}(${b}, ${l});
  return ${l} * ${c} + ${m};
}

/** @differentiable */
export function ${fns.columns}(${a}: number, ${b}: number): [number, number, number] {
  const ${l} = ${a} * ${b};
  return [${l} + ${a}, Math.exp(${b}) * ${l}, Math.sin(${a})];
}

/** @differentiable */
export function ${fns.rows}(${a}: number, ${b}: number, ${c}: number): number[] {
  const ${l}: number[] = [];
  ${l}.push(${a} * ${b} * ${c});
  ${l}.push(Math.cos(${a}) + ${c} * ${b});
  return ${l};
}

/** Its body is not differentiated: the custom derivative below is. @differentiable */
export function ${fns.custom}(${a}: number, ${b}: number): number {
  return ${a} * ${a} * ${b};
}

${customDerivative}

/** @differentiable */
export function ${fns.caller}(${a}: number, ${b}: number): number {
  const ${m} = ${fns.custom}(${b}, ${a});
  return ${m} * ${a};
}

export class ${fns.cls} {
  constructor(readonly k: number, private w: number) {}

  @differentiable
  energy(${a}: number, ${b}: number): number {
    const ${l} = ${a} * this.k;
    return ${l} * ${b} + this.w * Math.sin(${a});
  }
}
`;
}

/** One source file holding every program. */
export function renderPrograms(specs: readonly ProgramSpec[]): string {
  return `import { differentiable } from 'wengert';\n${specs.map((s, k) => renderProgram(s, k)).join('\n')}`;
}

/** Generated and source modules, as test/helpers/check.ts takes them. */
export interface Modules {
  source: any;
  grad: any;
}

/**
 * A vector-valued function's derivatives: `jacobian_f` against central
 * finite differences of each output, `vjp_f` against uᵀJ and `jvp_f`
 * against J v for pseudo-random u and v, and `jvp_f`'s primal against f.
 */
export function checkVector(mod: Modules, name: string, args: number[], tol = 1e-6): number[][] {
  const f = mod.source[name] as (...a: number[]) => number[];
  const value = Array.from(f(...args));
  const jac = mod.grad[`jacobian_${name}`](...args) as number[][];
  expect(jac.length, `${name}: Jacobian rows`).toBe(value.length);
  value.forEach((_, r) => {
    const fd = finiteDifferenceGradient((...a: number[]) => f(...a)[r]!, args, args.map((_, k) => k));
    const err = maxRelError(jac[r]!, fd);
    expect(err, `${name}: Jacobian row ${r} ${JSON.stringify(jac[r])} against finite differences ${JSON.stringify(fd)}`).toBeLessThan(tol);
  });
  const u = value.map((_, r) => 0.5 - r * 0.75);
  const pulled = mod.grad[`vjp_${name}`](...args, u);
  const expectedPull = args.map((_, k) => dotFlat(u, jac.map((row) => row[k]!)));
  const pulledFlat = args.length === 1 ? [pulled as number] : Array.from(pulled as number[]);
  expect(maxRelError(pulledFlat, expectedPull), `${name}: vjp against uᵀJ`).toBeLessThan(1e-9);
  const v = args.map((_, k) => 1 - 0.6 * k);
  const [y, dy] = mod.grad[`jvp_${name}`](...args, ...v) as [number[], number[]];
  expect(Array.from(y), `${name}: jvp primal`).toEqual(value);
  expect(maxRelError(Array.from(dy), jac.map((row) => dotFlat(row, v))), `${name}: jvp against J v`).toBeLessThan(1e-9);
  return jac;
}

/** A method's generated functions with the instance bound, named as checkDerivatives expects (`grad_<name>`, ...). */
export function boundMethod(mod: Modules, instance: any, cls: string, method: string): Modules {
  const kinds = ['grad', 'valueAndGrad', 'jvp', 'vjp'];
  return {
    source: { [method]: (...a: unknown[]) => instance[method](...a) },
    grad: Object.fromEntries(kinds.map((k) => [`${k}_${method}`, (...a: unknown[]) => mod.grad[`${k}_${cls}_${method}`](instance, ...a)])),
  };
}

/** Every derivative of program `k` against finite differences (and forward against reverse). */
export function checkProgram(mod: Modules, spec: ProgramSpec, k: number): void {
  const fns = functionsOf(k);
  const [x, y, z] = spec.point;
  checkDerivatives(mod, fns.helper, [x, y]);
  checkDerivatives(mod, fns.scalar, [x, y, z]);
  checkVector(mod, fns.columns, [x, y]);
  checkVector(mod, fns.rows, [x, y, z]);
  checkDerivatives(mod, fns.custom, [x, y]);
  checkDerivatives(mod, fns.caller, [x, y]);
  const instance = new mod.source[fns.cls](1.5, -0.75);
  checkDerivatives(boundMethod(mod, instance, fns.cls, 'energy'), 'energy', [x, y]);
}

/** The names of program `k` as rendered, for test titles. */
export function describeProgram(spec: ProgramSpec, k: number): string {
  return resolveNames(spec, k).join(', ');
}
