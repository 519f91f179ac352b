/**
 * The naming authority: every identifier the emitters invent, in bodies and
 * wrappers alike, comes from here. It knows
 *   - JavaScript's reserved words, strict-mode reserved words and the
 *     globals generated code mentions (`Math`, `Array`, ...);
 *   - the user's names in scope: the function's parameters and locals, and
 *     the module-level names the generated file imports (primals, callees,
 *     user types);
 *   - the runtime's imports (`tape`, `addTensor`, ...), renamed in the module
 *     when a user name takes them (`tape` -> `wengertTape`);
 *   - the generated exports (`jvp_f`, `grad_f`, ...), which are the API and
 *     never renamed, so a user import that clashes with one is aliased, and
 *     where a user parameter or local hides one, generated code calls it
 *     through a module-level alias (`const jvp_f_ = jvp_f;`).
 *
 * Names are deterministic, derived from the primal names and counters:
 *   x  -> dx       its tangent (forward mode) or adjoint (reverse mode);
 *                  `x_d` when `dx` is taken or reserved (`o` -> `o_d`, not `do`)
 *   x  -> x_1      a value of x recomputed inside one reverse block
 *   trips, trip, value, g, jac, inputs, ...: wrapper and sweep locals
 */

import { isRuntimeExport } from './runtime-names.ts';

/** Words that can never be identifiers in module (strict) code, and names too confusing to shadow. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  // ECMAScript reserved words
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with',
  // strict mode and module code
  'yield', 'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'await',
  'arguments', 'eval',
  // TypeScript keywords that cannot name a value or a type here
  'any', 'as', 'number', 'string', 'boolean', 'symbol', 'bigint', 'never', 'unknown', 'object', 'type', 'declare',
  'namespace', 'module', 'readonly', 'keyof', 'infer', 'is', 'asserts', 'satisfies', 'accessor', 'abstract',
  'override', 'out', 'of', 'get', 'set', 'constructor', 'require', 'global', 'async',
  // globals the generated code uses
  'undefined', 'NaN', 'Infinity', 'Math', 'Number', 'Array', 'Object', 'Float64Array', 'Float32Array', 'Int32Array',
  'Uint8Array', 'ArrayLike', 'ReadonlyArray', 'Readonly', 'Record', 'Error', 'RangeError',
]);

/**
 * Globals generated code refers to by value (`Math.cos`, `new Float64Array(n)`,
 * `NaN`, ...). A user parameter or local named like one would hide it inside
 * the generated function, and lowering reads `NaN` and `Infinity` as the
 * numbers: the front end refuses such names (compiler/frontend/lower.ts).
 */
export const GENERATED_CODE_GLOBALS: ReadonlySet<string> = new Set([
  'undefined', 'NaN', 'Infinity', 'Math', 'Number', 'Array', 'Object', 'Float64Array', 'Float32Array', 'Int32Array',
  'Uint8Array', 'Error', 'RangeError',
]);

/** True when `name` may be declared in module code. */
export function isUsableName(name: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED_WORDS.has(name);
}

/**
 * Module-level names: what the generated file imports and exports. One per
 * generated file; each generated function gets a `FunctionNames` from it.
 */
export class ModuleNames {
  /** Every name at module level of the generated file (imports and exports). */
  private readonly moduleLevel = new Set<string>();
  /** Names the user's functions declare (parameters, locals): they shadow module-level names inside. */
  private readonly userNames = new Set<string>();
  /** runtime export -> the local name it is imported as */
  private readonly runtimeLocal = new Map<string, string>();
  /** `module\0exportName` -> local name of a user import */
  private readonly importLocal = new Map<string, string>();
  /** own export -> the alias generated code calls it by, where a user name hides the export */
  private readonly exportAlias = new Map<string, string>();

  /**
   * @param userNames every name the user's functions declare (parameters, locals, lowering temporaries)
   * @param exports the generated exports (`jvp_f`, `grad_f`, ...)
   */
  constructor(userNames: Iterable<string>, exports: Iterable<string>) {
    for (const n of userNames) this.userNames.add(n);
    for (const n of exports) this.moduleLevel.add(n);
  }

  /** Claims an exported name; it must be free (a user import of that name is aliased instead). */
  claimExport(name: string): void {
    this.moduleLevel.add(name);
  }

  private taken(name: string): boolean {
    return this.moduleLevel.has(name) || this.userNames.has(name) || RESERVED_WORDS.has(name);
  }

  private freshModuleName(base: string): string {
    let name = base;
    for (let k = 2; this.taken(name); k++) name = `${base}${k}`;
    this.moduleLevel.add(name);
    return name;
  }

  /** A fresh module-level name starting with `base` (fused kernels: `kernel_loss_1`). */
  moduleLevelName(base: string): string {
    return this.freshModuleName(base);
  }

  /** The local name of the runtime export `name`: itself, or `wengertName` when a user name takes it. */
  runtime(name: string): string {
    let local = this.runtimeLocal.get(name);
    if (!local) {
      local = this.taken(name) ? this.freshModuleName(`wengert${name[0]!.toUpperCase()}${name.slice(1)}`) : name;
      this.moduleLevel.add(local);
      this.runtimeLocal.set(name, local);
    }
    return local;
  }

  /** Runtime exports used, with their local names, sorted by export name. */
  runtimeImports(): [exportName: string, local: string][] {
    return [...this.runtimeLocal.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  /**
   * The local name of `exportName` imported from `module`: `preferred` (the
   * name the user's code calls it by) unless another import, a generated
   * export or a runtime import has it, then `preferred_2`, ...
   */
  imported(module: string, exportName: string, preferred = exportName): string {
    const key = `${module}\0${exportName}`;
    let local = this.importLocal.get(key);
    if (!local) {
      local = this.taken(preferred) ? this.freshModuleName(`${preferred}_`) : preferred;
      this.moduleLevel.add(local);
      this.importLocal.set(key, local);
    }
    return local;
  }

  /**
   * The name generated code calls one of this file's own exports by
   * (`jvp_g`, `valueAndVjp_f`): the export itself, or, where a user
   * parameter or local of the file has that name and would hide it, a
   * module-level alias (`valueAndVjp_f_`, declared by the module emitter as
   * `const valueAndVjp_f_ = valueAndVjp_f;`).
   */
  ownExport(name: string): string {
    if (!this.userNames.has(name)) return name;
    let alias = this.exportAlias.get(name);
    if (!alias) {
      alias = this.freshModuleName(`${name}_`);
      this.exportAlias.set(name, alias);
    }
    return alias;
  }

  /** The aliases `ownExport` made, in the order it made them. */
  exportAliases(): [exportName: string, alias: string][] {
    return [...this.exportAlias.entries()];
  }

  /** Is `name` declared at module level of the generated file? */
  isModuleLevel(name: string): boolean {
    return this.moduleLevel.has(name);
  }

  /** Names for one generated function whose user names are `scope`. */
  forFunction(scope: Iterable<string>): FunctionNames {
    return new FunctionNames(this, scope);
  }
}

/** Names inside one generated function. */
export class FunctionNames {
  private readonly taken: Set<string>;
  private readonly derivs = new Map<string, string>();

  constructor(
    readonly module: ModuleNames,
    scope: Iterable<string>,
  ) {
    this.taken = new Set(scope);
  }

  private isTaken(name: string): boolean {
    return this.taken.has(name) || RESERVED_WORDS.has(name) || this.module.isModuleLevel(name) || isRuntimeExport(name);
  }

  /** Marks user names (or names fixed elsewhere) as taken. */
  reserve(...names: string[]): void {
    for (const n of names) this.taken.add(n);
  }

  /** A fresh name starting with `base`: `base`, `base2`, `base3`, ... */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.isTaken(name); k++) name = `${base}${k}`;
    this.taken.add(name);
    return name;
  }

  /** The tangent / adjoint of `v`: `dv`, or `v_d` when `dv` is taken or reserved. */
  deriv(v: string): string {
    let d = this.derivs.get(v);
    if (!d) {
      d = this.isTaken(`d${v}`) ? this.fresh(`${v}_d`) : this.fresh(`d${v}`);
      this.derivs.set(v, d);
    }
    return d;
  }

  /** A version of `v` inside a reverse block: `v_1`, `v_2`, ... */
  version(v: string): string {
    let name = '';
    for (let k = 1; name === '' || this.isTaken(name); k++) name = `${v}_${k}`;
    this.taken.add(name);
    return name;
  }

  /** The output cotangent parameter: `dy`, unless the function has a `y` (whose adjoint is `dy`) or a `dy`. */
  seed(): string {
    for (const candidate of ['dy', 'dout', 'dresult', 'seed']) {
      const clash = this.isTaken(candidate) || (candidate.startsWith('d') && this.taken.has(candidate.slice(1)));
      if (!clash) {
        this.taken.add(candidate);
        return candidate;
      }
    }
    return this.fresh('cotangent');
  }

  /** The local name of a runtime export. */
  runtime(name: string): string {
    return this.module.runtime(name);
  }
}
