/**
 * The Wengert-list IR. A function body is a list of statements; simple
 * statements compute one primitive into one variable (`t3 = mul(t1, t2)`),
 * structured statements (`if`, `loop`) hold their own lists. Lowering has
 * already removed `break`, `continue` and early `return` (they became flag
 * variables), so control flow is only sequence, branch and loop, and the
 * only `return` is the last statement of the function.
 *
 * Conditions are kept as pure expression trees (`PExpr`): no derivative
 * flows through a comparison, so the reverse sweep never evaluates them; it
 * replays the branch decisions and trip counts it recorded.
 */
import type { ScalarPrim } from '../rules/scalar.ts';
import type { TensorPrim } from '../rules/tensor.ts';

/** 1-based position in the user's source. */
export interface Loc {
  line: number;
  column: number;
  /** For a loop made of several source loops (transforms/fuse-loops.ts): the last source line it spans. */
  lastLine?: number;
}

/**
 * An operand: a variable, a number, or (for tensor ops only) a constant
 * expression passed through as written, such as an axis list `[1]` or `true`.
 */
export type Operand =
  | { kind: 'var'; name: string }
  | { kind: 'const'; value: number }
  | { kind: 'text'; text: string }
  /** A list of numbers computed in the body, for a tensor op's shape or index operand (`reshape(x, [n, d])`); never differentiated. */
  | { kind: 'list'; items: Operand[] };

/**
 * One step of a memory access path: `.name` or `[index]`. `viaIndex` marks a
 * property generated code must read as `obj['name']`: a TypeScript `private`
 * or `protected` member, which the type checker lets only element access
 * reach from outside its class.
 */
export type Access = { kind: 'prop'; name: string; viaIndex?: true } | { kind: 'index'; index: Operand };

/** A place in memory: a variable (array, object, tuple) followed by accesses. */
export interface Ref {
  base: string;
  path: Access[];
}

/** The static type of an IR variable or parameter. */
export type VarType =
  | { kind: 'number' }
  | { kind: 'bool' }
  | { kind: 'array'; ctor: ArrayCtor; elem: VarType }
  | { kind: 'tuple'; elems: VarType[] }
  /** A runtime Tensor (immutable: ops return new tensors). */
  | { kind: 'tensor' }
  | { kind: 'object'; fields: { name: string; type: VarType }[] }
  /** Anything the compiler does not differentiate (strings, labels, class instances). */
  | { kind: 'opaque'; text: string };

export type ArrayCtor = 'Array' | 'Float64Array' | 'Float32Array';

/** A pure, non-differentiable expression (conditions, flags, lengths). */
export type PExpr =
  | { kind: 'operand'; op: Operand }
  | { kind: 'bool'; value: boolean }
  | { kind: 'binary'; op: string; left: PExpr; right: PExpr }
  | { kind: 'unary'; op: '!' | '-' | '+'; expr: PExpr }
  | { kind: 'math'; fn: string; args: PExpr[] }
  | { kind: 'load'; ref: Ref }
  /** `xs[i % n]` in a loop condition: an element at an index computed every time the condition is tested. */
  | { kind: 'element'; ref: Ref; index: PExpr }
  | { kind: 'length'; ref: Ref }
  | { kind: 'cond'; test: PExpr; whenTrue: PExpr; whenFalse: PExpr };

/** A call to another differentiable function (its derivatives are generated too). */
export interface Callee {
  /** Name as written at the call site (local or imported binding). */
  name: string;
  /** Module specifier the primal is imported from (as the user's code imports it), or null when in this file. */
  module: string | null;
  /** Module specifier of the generated file of the module that declares the callee, or null when in this file. */
  gradModule: string | null;
  /** The primal's exported name in `module` (or in this file). */
  exportName: string;
  /** Base name of its generated derivatives (`jvp_<derivName>`): the declared name in the declaring module. */
  derivName: string;
  /** For each parameter: is it differentiated (in `wrt`)? */
  wrt: boolean[];
  /** Parameter types of the callee. */
  params: VarType[];
  /** What it returns: a number, or a tuple/array of numbers. */
  returns: VarType;
  /**
   * For a `@differentiable` method (`this.energy(x)`): its name, and whether
   * generated code must call it as `obj['name']` (private or protected).
   * The call's first argument is then the instance: the primal is
   * `args[0].name(...rest)`, the derivatives take all the arguments.
   */
  method?: { name: string; viaIndex?: true };
  /**
   * For a function that returns nothing and fills an array parameter (out
   * parameters, frontend/out-params.ts): that parameter's index. `returns`
   * is then the array's type, and the primal call is `(f(..., out), out)`.
   */
  outParam?: number;
}

export type Expr =
  | { kind: 'prim'; prim: ScalarPrim; args: Operand[] }
  /** A runtime tensor op imported from 'wengert' (matmul, tanh, softmaxCrossEntropy, ...). */
  | { kind: 'tensorOp'; op: TensorPrim; args: Operand[] }
  | { kind: 'copy'; src: Operand }
  | { kind: 'load'; ref: Ref }
  | { kind: 'pure'; expr: PExpr }
  /** Call of a function the compiler does not differentiate; only allowed with constant arguments. */
  /** A call of a plain function; `pure`: it has no effect (compiler/frontend/pure-functions.ts). */
  | { kind: 'opaqueCall'; fn: string; args: Operand[]; pure?: true }
  | { kind: 'call'; callee: Callee; args: Operand[] }
  /** `elem`: the element type of an empty `[]` that holds arrays (`number[][]`); numbers when absent. */
  | { kind: 'newArray'; ctor: ArrayCtor; size: Operand | null; elems: Operand[]; elem?: VarType }
  | { kind: 'copyArray'; ctor: ArrayCtor; src: Ref }
  /**
   * `a.pop()` (`end: 'last'`) or `a.shift()` (`end: 'first'`) on a local number array: the
   * element removed, which is also a write of the array (it becomes one shorter).
   */
  | { kind: 'pop'; ref: Ref; end: 'last' | 'first' }
  /**
   * A new object (`{ W: w, b: b }`) or tuple (`[h, c]`, fields named '0', '1', ...) of
   * numbers, tensors and structured locals (frontend/lower-objects.ts). A structured
   * field is shared, as JavaScript shares it, and so is its adjoint.
   */
  | { kind: 'record'; fields: { name: string; value: Operand }[]; type: Extract<VarType, { kind: 'object' | 'tuple' }> };

export type Stmt =
  | { kind: 'assign'; target: string; expr: Expr; loc: Loc }
  | { kind: 'store'; ref: Ref; value: Operand; loc: Loc }
  | { kind: 'push'; ref: Ref; value: Operand; loc: Loc }
  | { kind: 'if'; cond: PExpr; then: Stmt[]; else: Stmt[]; loc: Loc }
  /** `checkpoint`: the loop carries a `/** @checkpoint *\/` comment (transforms/checkpoint.ts). */
  | { kind: 'loop'; cond: PExpr; body: Stmt[]; test: 'pre' | 'post'; loc: Loc; checkpoint?: { snapshots?: number; every?: number } }
  | { kind: 'return'; value: Operand; loc: Loc };

export type SimpleStmt = Extract<Stmt, { kind: 'assign' | 'store' | 'push' }>;

export interface Param {
  name: string;
  type: VarType;
  /** Differentiated (named by `wrt`, or every numeric parameter by default). */
  wrt: boolean;
}

export interface IRFunction {
  /** Name used in generated exports: `f`, or `Class_method` for methods. */
  name: string;
  /** Source file base name, for comments. */
  sourceFile: string;
  params: Param[];
  /** For methods: the instance (`this` in the source), passed first as `name`, of class `type`. */
  self: { name: string; type: string } | null;
  /** Every local variable with its type (parameters excluded). */
  locals: Map<string, VarType>;
  body: Stmt[];
  /** Return type: a number, or a tuple / array of numbers (vector-valued functions). */
  returnType: VarType;
  /**
   * Auxiliary results (JAX's has_aux): the function returns `{ loss, ...aux }`;
   * `loss` is differentiated, each aux field is computed into a local and
   * returned beside it with no derivative. Null for plain functions.
   */
  aux?: { field: string; name: string; type: VarType }[] | null;
  /** For a function that returns nothing and fills this array parameter: its name (the result is the filled array). */
  outParam?: string;
  loc: Loc;
}

export const num: VarType = { kind: 'number' };
export const bool: VarType = { kind: 'bool' };

export function isSimple(s: Stmt): s is SimpleStmt {
  return s.kind === 'assign' || s.kind === 'store' || s.kind === 'push';
}

/** An array, object or tuple: a value whose adjoint is a structure of the same shape, made where the value is. */
export function isStructured(t: VarType | undefined): boolean {
  return t?.kind === 'array' || t?.kind === 'object' || t?.kind === 'tuple';
}

export function varOp(name: string): Operand {
  return { kind: 'var', name };
}

export function constOp(value: number): Operand {
  return { kind: 'const', value };
}
