/**
 * Lowering: the body of a `@differentiable` function becomes a Wengert list
 * (compiler/ir/ir.ts). Each visitX method transforms one kind of TypeScript
 * statement into IR statements appended to `out`.
 *
 * `break`, `continue` and `return` inside branches and loops are removed
 * here: each sets a flag variable, the statements after it are guarded by
 * the flag (or, when one branch of an `if` always leaves, moved into the
 * other branch), and loops test the flags in their condition. What reaches
 * the analyses is only sequence, `if` and `loop`, with one final `return`.
 */
import { Node, SyntaxKind } from 'ts-morph';
import type {
  Block,
  Expression,
  ForOfStatement,
  ForStatement,
  IfStatement,
  ReturnStatement,
  SourceFile,
  Statement,
  VariableDeclaration,
} from 'ts-morph';
import {
  constOp,
  num,
  varOp,
  type ArrayCtor,
  type Expr,
  type IRFunction,
  type Loc,
  type Operand,
  type Param,
  type PExpr,
  type Ref,
  type Stmt,
  type VarType,
} from '../ir/ir.ts';
import { GENERATED_CODE_GLOBALS } from '../emit/names.ts';
import { fail } from './diagnostics.ts';
import { lineAndColumnAt } from './line-index.ts';
import type { Annotated } from './discover.ts';
import { lowerExpression } from './lower-expr.ts';
import { constantPrelude, portableOpaqueType } from './lower-constants.ts';
import { arrayMethodStatement } from './lower-array-methods.ts';
import { outParameter, returnsVoid } from './out-params.ts';
import { lowerSwitch } from './lower-switch.ts';
import { asBoolean, hasSideEffects } from './lower-effects.ts';
import { classifyType, isDifferentiable, typeForMessage, varTypeForMessage } from './types.ts';
import { propertyHint, unsupportedStatement } from './unsupported.ts';
import { isMethodReceiver, resolveCall, type PrimalImport } from './callees.ts';
import { declareStructure, destructureStructure, elementValue, isStructureArray, isStructureType, returnStructure, structuredValue } from './lower-objects.ts';
import { checkLocalFunctions, declareLocalFunction, hoistLocalFunctions, localCallStatement, localReturn, ownReturns } from './lower-closures.ts';
import { callbackStatement } from './lower-callbacks.ts';
import { readCheckpointTag } from './checkpoint-tag.ts';

/** What a name in the source refers to while lowering. */
export type Binding =
  | { kind: 'var'; name: string; type: VarType; isConst: boolean; isParam: boolean }
  /** A `const` bound to part of an array or object: `const row = p.W[i]`. */
  | { kind: 'alias'; ref: Ref; type: VarType; mutable: boolean };

/** Ways control can leave a statement early: 'return', 'break:<frame>', 'continue:<frame>'. */
export interface Exits {
  may: Set<string>;
  always: boolean;
  /** For an `if`: the exits of each branch, so the rest of the block can move into the other branch. */
  split?: { stmt: Extract<Stmt, { kind: 'if' }>; then: Exits; else: Exits };
}

/** A statement `break` can leave: a loop, a `switch`, or a labelled block (`outer: { ... }`). */
interface LoopFrame {
  id: number;
  kind: 'loop' | 'switch' | 'block';
  label: string | null;
  breakFlag: string | null;
  continueFlag: string | null;
}

export const none = (): Exits => ({ may: new Set(), always: false });

/** The type of array values made inside a function (literals, call results). */
const VECTOR: Extract<VarType, { kind: 'array' }> = { kind: 'array', ctor: 'Array', elem: num };

/** A tuple of numbers, number[], Float64Array or Float32Array. */
export function isNumberVector(t: VarType): boolean {
  if (t.kind === 'array') return t.elem.kind === 'number';
  if (t.kind === 'tuple') return t.elems.length > 0 && t.elems.every((e) => e.kind === 'number');
  return false;
}

export class Lowerer {
  readonly fn: IRFunction;
  private readonly scopes: Map<string, Binding>[] = [new Map()];
  private readonly used = new Set<string>();
  private tempCount = 0;
  private loopCount = 0;
  private readonly loops: LoopFrame[] = [];
  private returnVar: string | null = null;
  /** For tuple results, their length (several returns store into one result array). */
  private vectorLength: number | null = null;
  private returnFlag: string | null = null;
  private tailReturn: ReturnStatement | null = null;
  private tailOperand: Operand | null = null;
  /** Functions the generated code must import to call. */
  readonly imports: PrimalImport[] = [];
  /** Plain (non-differentiable) calls, checked for active arguments after activity analysis. */
  readonly plainCalls: { node: Node; name: string; deps: string[] }[] = [];

  constructor(
    readonly annotated: Annotated,
    readonly sourceFile: SourceFile,
  ) {
    const node = annotated.node;
    const params: Param[] = [];
    for (const p of node.getParameters()) {
      const nameNode = p.getNameNode();
      if (p.getName() === 'this') {
        fail(p, 'a `this` parameter is not supported on a differentiable function', 'pass the object as an ordinary parameter, or make the function a @differentiable method');
      }
      if (!Node.isIdentifier(nameNode)) {
        fail(nameNode, 'destructured parameters are not supported', 'take the object as one parameter and read its fields in the body');
      }
      if (p.isRestParameter()) fail(p, 'rest parameters are not supported', 'pass an array instead');
      checkDeclaredName(nameNode, 'parameter');
      const type = classifyType(p.getType());
      const name = p.getName();
      params.push({ name, type, wrt: false });
      this.used.add(name);
      this.scopes[0]!.set(name, { kind: 'var', name, type, isConst: false, isParam: true });
    }
    const wrt = annotated.wrt;
    if (wrt) {
      for (const w of wrt) {
        if (!params.some((p) => p.name === w)) {
          fail(
            annotated.annotation,
            `wrt(${w}) names no parameter of ${annotated.name}`,
            `parameters are: ${params.map((p) => p.name).join(', ') || '(none)'}`,
          );
        }
      }
    }
    for (const p of params) p.wrt = wrt ? wrt.includes(p.name) : isDifferentiable(p.type);
    for (const p of params) {
      if (p.wrt && !isDifferentiable(p.type)) {
        if (node.getParameter(p.name)?.hasQuestionToken()) {
          fail(annotated.annotation, `parameter ${p.name} is optional, and an optional parameter is a constant of the function`, `to differentiate with respect to ${p.name}, give it a default value instead of ?: (${p.name} = 1)`);
        }
        fail(annotated.annotation, `parameter ${p.name} has type ${p.type.kind === 'opaque' ? varTypeForMessage(p.type) : p.type.kind}, which cannot be differentiated`, 'differentiate with respect to numbers, number arrays, Float64Array/Float32Array, or objects and tuples of these');
      }
    }
    if (!params.some((p) => p.wrt)) {
      fail(annotated.annotation, `${annotated.name} has no parameter to differentiate with respect to`, 'give it a number, number[], Float64Array or object-of-numbers parameter, or name one with wrt(...)');
    }
    const sfPos = (n: Node) => this.loc(n);
    const declaredReturn = classifyType(node.getReturnType());
    // `{ loss: number; ...metrics }`: the loss is differentiated, the other fields are auxiliary results.
    const auxReturn = declaredReturn.kind === 'object' && declaredReturn.fields.some((f) => f.name === 'loss' && f.type.kind === 'number');
    // `step(x, out): void` fills out: its result is that array (out-params.ts).
    const out = returnsVoid(node) ? outParameter(node) : null;
    if (out && 'error' in out) fail(out.at, out.error, out.hint);
    const returnType: VarType = out ? params[out.index]!.type : auxReturn ? num : declaredReturn;
    if (returnType.kind !== 'number' && returnType.kind !== 'tensor' && !isNumberVector(returnType) && !isStructureType(returnType)) {
      fail(
        node.getReturnTypeNode() ?? annotated.annotation,
        `${annotated.name} returns ${typeForMessage(node.getReturnType(), node)}, not a number, a Tensor, an array of numbers, or a tuple or object of these`,
        'a differentiable function returns one number (a loss), a Tensor (a layer), a tuple of numbers, number[] or Float64Array, or a tuple or object holding numbers and tensors ([Tensor, Tensor], { h: Tensor; c: Tensor })',
      );
    }
    this.vectorLength = returnType.kind === 'tuple' ? returnType.elems.length : null;
    this.fn = {
      name: annotated.name,
      sourceFile: sourceFile.getBaseName(),
      params,
      self: null,
      locals: new Map(),
      body: [],
      returnType,
      aux: null,
      loc: sfPos(node),
    };
    if (out) this.fn.outParam = out.name;
    if (auxReturn && declaredReturn.kind === 'object') {
      this.fn.aux = declaredReturn.fields
        .filter((f) => f.name !== 'loss')
        .map((f) => {
          if (f.type.kind !== 'number' && f.type.kind !== 'tensor' && f.type.kind !== 'bool') {
            fail(node.getReturnTypeNode() ?? annotated.annotation, `the auxiliary result ${f.name} of ${annotated.name} is ${varTypeForMessage(f.type)}`, 'auxiliary results beside loss are numbers, booleans or tensors');
          }
          return { field: f.name, name: '', type: f.type };
        });
    }
    for (const a of this.fn.aux ?? []) a.name = this.fresh(`aux_${a.field}`, a.type);
    if (annotated.className) {
      // `this` becomes the first parameter of the generated functions; its name avoids the user's.
      let selfName = 'self';
      for (let k = 2; this.used.has(selfName); k++) selfName = `self${k}`;
      this.used.add(selfName);
      this.fn.self = { name: selfName, type: annotated.className };
    }
  }

  loc(node: Node): Loc {
    const { line, column } = lineAndColumnAt(this.sourceFile, node.getStart());
    return { line, column };
  }

  // ---- names and bindings ----

  /** Names of the flag variables made for break / continue / return. */
  private readonly flags = new Set<string>();

  flag(base: string): string {
    const name = this.fresh(base, { kind: 'bool' });
    this.flags.add(name);
    return name;
  }

  /** A fresh IR variable name based on `base`, unique in the function. */
  fresh(base: string, type: VarType): string {
    let name = base;
    for (let k = 2; this.used.has(name) || RESERVED.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    this.fn.locals.set(name, type);
    return name;
  }

  /** A new temporary `t1`, `t2`, ... for an intermediate value. */
  temp(type: VarType = num): string {
    let name: string;
    do name = `t${++this.tempCount}`;
    while (this.used.has(name));
    this.used.add(name);
    this.fn.locals.set(name, type);
    return name;
  }

  lookup(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i]!.get(name);
      if (b) return b;
    }
    return undefined;
  }

  bind(sourceName: string, binding: Binding): void {
    this.scopes[this.scopes.length - 1]!.set(sourceName, binding);
  }

  withScope<T>(fn: () => T): T {
    this.scopes.push(new Map());
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** The scopes seen from here, for a local function defined here (lower-closures.ts). */
  scopeChain(): Map<string, Binding>[] {
    return [...this.scopes];
  }

  /** Runs `fn` in a new scope inside `chain` (a local function's body sees the scopes it was defined in). */
  withScopeChain<T>(chain: Map<string, Binding>[], fn: () => T): T {
    const saved = this.scopes.splice(0, this.scopes.length, ...chain, new Map());
    try {
      return fn();
    } finally {
      this.scopes.splice(0, this.scopes.length, ...saved);
    }
  }

  // ---- entry ----

  lowerBody(): IRFunction {
    const node = this.annotated.node;
    const body = node.getBody();
    if (!body) fail(node, `${this.annotated.name} has no body`, 'put @differentiable on the implementation, which has a body');
    // Local functions are inlined where they are called; the ones that escape are refused here (lower-closures.ts).
    checkLocalFunctions(this, body);
    for (const d of [...body.getDescendantsOfKind(SyntaxKind.VariableDeclaration), ...body.getDescendantsOfKind(SyntaxKind.BindingElement)]) {
      const declared = d.getNameNode();
      if (Node.isIdentifier(declared)) checkDeclaredName(declared, 'local variable');
    }
    if (this.fn.outParam) return this.lowerFillingBody(body);
    const out: Stmt[] = [];
    const tensor = this.fn.returnType.kind === 'tensor';
    const vector = this.fn.returnType.kind !== 'number' && !tensor;
    if (!Node.isBlock(body)) {
      // Arrow function with an expression body.
      const value = this.fn.aux
        ? this.lowerAuxResult(body as Expression, out, null)
        : tensor
          ? lowerTensor(this, body as Expression, out, null)
          : vector
          ? varOp(this.resultArray(body as Expression, out))
          : lowerExpression(this, body as Expression, out, null);
      out.push({ kind: 'return', value, loc: this.loc(body) });
      this.fn.body = [...constantPrelude(this), ...out];
      return this.fn;
    }
    const statements = body.getStatements();
    const returns = ownReturns(this, body);
    const last = statements[statements.length - 1];
    if (returns.length === 1 && last && Node.isReturnStatement(last)) {
      this.tailReturn = last;
    } else if (vector) {
      if (isStructureType(this.fn.returnType)) {
        // `if (c) return [a, b]; return [b, a];`: each return makes the result (lower-objects.ts).
        this.returnVar = this.fresh('result', this.fn.returnType);
      } else if (this.vectorLength === null) {
        fail(returns[0] ?? node, `${this.annotated.name} returns an array from several places`, 'declare a tuple return type such as [number, number], or return once at the end');
      }
      if (!this.returnVar) {
        this.returnVar = this.fresh('result', VECTOR);
        out.push({ kind: 'assign', target: this.returnVar, expr: { kind: 'newArray', ctor: 'Array', size: constOp(this.vectorLength!), elems: [] }, loc: this.loc(node) });
      }
    } else {
      this.returnVar = this.fresh('result', tensor ? { kind: 'tensor' } : num);
    }
    const exits = this.lowerBlock(statements, out);
    if (this.tailReturn) {
      out.push({ kind: 'return', value: this.tailOperand!, loc: this.loc(this.tailReturn) });
    } else {
      if (!exits.always) {
        fail(node, `${this.annotated.name} does not return a value on every path`, 'end the function with a return statement');
      }
      if (this.returnFlag) out.unshift(this.assignPure(this.returnFlag, { kind: 'bool', value: false }, node));
      out.push({ kind: 'return', value: varOp(this.returnVar!), loc: this.loc(last ?? node) });
    }
    // Local copies of constant arrays the body indexes are filled first (lower-constants.ts).
    this.fn.body = removeUnreadFlags([...constantPrelude(this), ...out], this.fn, this.flags);
    return this.fn;
  }

  /**
   * The body of a function that fills its array parameter `out` and returns
   * nothing: `outCopy = copy of out; <body, writing outCopy>; out[k] =
   * outCopy[k] for every k; return outCopy`. The derivatives are those of a
   * function returning the filled array; writing it back keeps the
   * generated functions filling `out` (and its tangent) as the source does.
   */
  private lowerFillingBody(body: Node): IRFunction {
    const name = this.fn.outParam!;
    const param = this.fn.params.find((p) => p.name === name)!;
    const type = param.type as Extract<VarType, { kind: 'array' }>;
    if (!Node.isBlock(body)) fail(body, `${this.annotated.name} returns nothing: give it a block body`, 'write { ... } around the statements that fill the array');
    const early = ownReturns(this, body)[0];
    if (early) fail(early, `${this.annotated.name} fills ${name} and returns nothing: return is not supported in it`, 'let the function run to its end, guarding the rest with if/else');
    const out: Stmt[] = [];
    const copy = this.fresh(`${name}Copy`, type);
    out.push({ kind: 'assign', target: copy, expr: { kind: 'copyArray', ctor: type.ctor, src: { base: name, path: [] } }, loc: this.loc(body) });
    this.bind(name, { kind: 'var', name: copy, type, isConst: true, isParam: false });
    this.lowerBlock(body.getStatements(), out);
    // Written back element by element: out is the caller's array.
    const k = this.fresh('k', num);
    const end = body.getLastChildByKind(SyntaxKind.CloseBraceToken) ?? body;
    out.push({ kind: 'assign', target: k, expr: { kind: 'copy', src: constOp(0) }, loc: this.loc(end) });
    const value = this.temp();
    const loop: Stmt[] = [
      { kind: 'assign', target: value, expr: { kind: 'load', ref: { base: copy, path: [{ kind: 'index', index: varOp(k) }] } }, loc: this.loc(end) },
      { kind: 'store', ref: { base: name, path: [{ kind: 'index', index: varOp(k) }] }, value: varOp(value), loc: this.loc(end) },
      { kind: 'assign', target: k, expr: { kind: 'prim', prim: 'add', args: [varOp(k), constOp(1)] }, loc: this.loc(end) },
    ];
    const cond: PExpr = { kind: 'binary', op: '<', left: { kind: 'operand', op: varOp(k) }, right: { kind: 'length', ref: { base: copy, path: [] } } };
    out.push({ kind: 'loop', cond, body: loop, test: 'pre', loc: this.loc(end) });
    out.push({ kind: 'return', value: varOp(copy), loc: this.loc(end) });
    this.fn.body = removeUnreadFlags([...constantPrelude(this), ...out], this.fn, this.flags);
    return this.fn;
  }

  // ---- statements ----

  /** Lowers a list of statements, moving or guarding what follows an early exit. */
  lowerBlock(statements: Statement[], out: Stmt[]): Exits {
    hoistLocalFunctions(this, statements);
    const may = new Set<string>();
    for (let i = 0; i < statements.length; i++) {
      const exits = this.lowerStatement(statements[i]!, out);
      for (const e of exits.may) may.add(e);
      if (exits.always) return { may, always: true };
      if (exits.may.size === 0) continue;
      const rest = statements.slice(i + 1);
      if (rest.length === 0) return { may, always: false };
      const split = exits.split;
      // The rest moves into a branch but stays in this block's scope: a local function defined above sees its declarations (lower-closures.ts).
      if (split && split.then.always && split.else.may.size === 0) {
        const r = this.lowerBlock(rest, split.stmt.else);
        for (const e of r.may) may.add(e);
        return { may, always: r.always };
      }
      if (split && split.else.always && split.then.may.size === 0) {
        const r = this.lowerBlock(rest, split.stmt.then);
        for (const e of r.may) may.add(e);
        return { may, always: r.always };
      }
      const guarded: Stmt[] = [];
      const r = this.lowerBlock(rest, guarded);
      for (const e of r.may) may.add(e);
      out.push({ kind: 'if', cond: this.notAny(exits.may), then: guarded, else: [], loc: this.loc(statements[i + 1]!) });
      // Either the statement left early or the guarded rest ran: the block always leaves when the rest does.
      return { may, always: r.always };
    }
    return { may, always: false };
  }

  private lowerStatement(s: Statement, out: Stmt[]): Exits {
    if (Node.isBlock(s)) return this.withScope(() => this.lowerBlock((s as Block).getStatements(), out));
    if (Node.isVariableStatement(s)) {
      for (const d of s.getDeclarations()) this.visitDeclaration(d, s.getDeclarationKind() === 'const', out);
      return none();
    }
    if (Node.isExpressionStatement(s)) {
      this.visitExpressionStatement(s.getExpression(), out);
      return none();
    }
    if (Node.isIfStatement(s)) return this.visitIf(s, out);
    if (Node.isForStatement(s)) return this.visitFor(s, out, null);
    if (Node.isForOfStatement(s)) return this.visitForOf(s, out, null);
    if (Node.isWhileStatement(s)) return this.visitLoop(s.getExpression(), s.getStatement(), 'pre', s, out, null, []);
    if (Node.isDoStatement(s)) return this.visitLoop(s.getExpression(), s.getStatement(), 'post', s, out, null, []);
    if (Node.isLabeledStatement(s)) {
      const label = s.getLabel().getText();
      const inner = s.getStatement();
      if (Node.isForStatement(inner)) return this.visitFor(inner, out, label);
      if (Node.isForOfStatement(inner)) return this.visitForOf(inner, out, label);
      if (Node.isWhileStatement(inner)) return this.visitLoop(inner.getExpression(), inner.getStatement(), 'pre', inner, out, label, []);
      if (Node.isDoStatement(inner)) return this.visitLoop(inner.getExpression(), inner.getStatement(), 'post', inner, out, label, []);
      if (Node.isSwitchStatement(inner)) return lowerSwitch(this, inner, label, out);
      // `outer: { ... break outer; ... }`: a block that `break outer` leaves.
      return this.lowerBreakable('block', label, s, out, (body) => this.withScope(() => this.lowerStatement(inner, body)));
    }
    if (Node.isSwitchStatement(s)) return lowerSwitch(this, s, null, out);
    if (Node.isBreakStatement(s) || Node.isContinueStatement(s)) {
      // The last `break` of a switch clause lowered as an if/else chain: the end of its branch.
      if (this.clauseEnds.has(s)) return none();
      const label = s.getLabel()?.getText() ?? null;
      const isBreak = Node.isBreakStatement(s);
      const targets = [...this.loops].reverse();
      const frame = label ? targets.find((l) => l.label === label) : targets.find((l) => (isBreak ? l.kind !== 'block' : l.kind === 'loop'));
      if (!frame) {
        fail(
          s,
          label ? `no enclosing statement labelled ${label}` : `${isBreak ? 'break' : 'continue'} outside a ${isBreak ? 'loop or switch' : 'loop'}`,
          label ? `put the label ${label} on a loop, a switch or a block around this statement` : 'leave the function with return, or wrap the statements in a labelled block and break out of it',
        );
      }
      if (!isBreak && frame.kind !== 'loop') {
        fail(s, `continue ${label} names a ${frame.kind === 'switch' ? 'switch' : 'labelled block'}, not a loop`, `use break ${label} to leave it, or continue a loop`);
      }
      const flag = isBreak
        ? (frame.breakFlag ??= this.flag(`broke${frame.id}`))
        : (frame.continueFlag ??= this.flag(`skip${frame.id}`));
      out.push(this.assignPure(flag, { kind: 'bool', value: true }, s));
      return { may: new Set([`${isBreak ? 'break' : 'continue'}:${frame.id}`]), always: true };
    }
    if (Node.isReturnStatement(s)) return localReturn(this, s, out) ?? this.visitReturn(s, out);
    if (Node.isEmptyStatement(s)) return none();
    // A local function declaration: its calls are inlined (lower-closures.ts).
    if (Node.isFunctionDeclaration(s)) return none();
    unsupportedStatement(s);
  }

  // Transforms `return e` into `result = e` plus the `returned` flag (or the final return).
  private visitReturn(s: ReturnStatement, out: Stmt[]): Exits {
    const expr = s.getExpression();
    if (!expr) fail(s, 'return without a value', 'a differentiable function returns a number on every path');
    if (s === this.tailReturn) {
      const kind = this.fn.returnType.kind;
      if (this.fn.aux) {
        this.tailOperand = this.lowerAuxResult(expr, out, null);
        return { may: new Set(), always: true };
      }
      this.tailOperand = kind === 'number' ? lowerExpression(this, expr, out, null) : kind === 'tensor' ? lowerTensor(this, expr, out, null) : varOp(this.resultArray(expr, out));
      return { may: new Set(), always: true };
    }
    if (this.fn.aux) this.lowerAuxResult(expr, out, this.returnVar!);
    else if (this.fn.returnType.kind === 'number') this.assignNumber(this.returnVar!, expr, out);
    else if (this.fn.returnType.kind === 'tensor') assignTensor(this, this.returnVar!, expr, out);
    else if (isStructureType(this.fn.returnType)) returnStructure(this, expr, this.fn.returnType, this.returnVar!, out);
    else this.storeVector(this.returnVar!, expr, out);
    const inLoop = this.loops.length > 0;
    if (inLoop || !this.isTopLevelTail(s)) {
      this.returnFlag ??= this.flag('returned');
      out.push(this.assignPure(this.returnFlag, { kind: 'bool', value: true }, s));
    }
    return { may: new Set(['return']), always: true };
  }

  /**
   * `return { loss: e, accuracy: a }` of a function with auxiliary results:
   * each aux field goes into its local, the loss is the result (into
   * `target`, or as an operand for the final return).
   */
  private lowerAuxResult(e: Expression, out: Stmt[], target: string | null): Operand {
    let inner: Expression = e;
    while (Node.isParenthesizedExpression(inner) || Node.isAsExpression(inner) || Node.isSatisfiesExpression(inner)) inner = inner.getExpression();
    if (!Node.isObjectLiteralExpression(inner)) {
      fail(e, `${this.annotated.name} returns { loss, ... }: return an object literal here`, 'write return { loss: ..., accuracy: ... } with every field of the return type');
    }
    const given = new Map<string, Expression>();
    for (const prop of inner.getProperties()) {
      if (Node.isPropertyAssignment(prop)) given.set(prop.getName(), prop.getInitializerOrThrow());
      else if (Node.isShorthandPropertyAssignment(prop)) given.set(prop.getName(), prop.getNameNode());
      else fail(prop, 'only plain fields (name: value) are supported in a { loss, ... } result', 'write each field as name: value');
    }
    for (const a of this.fn.aux!) {
      const value = given.get(a.field);
      if (!value) fail(inner, `the result has no field ${a.field}`, `return every field of the return type: loss and ${this.fn.aux!.map((x) => x.field).join(', ')}`);
      if (a.type.kind === 'number') this.assignNumber(a.name, value, out);
      else if (a.type.kind === 'tensor') assignTensor(this, a.name, value, out);
      else out.push(this.assignPure(a.name, toPExpr(this, value, out, 'if'), value));
    }
    const loss = given.get('loss')!;
    if (target) {
      this.assignNumber(target, loss, out);
      return varOp(target);
    }
    return lowerExpression(this, loss, out, null);
  }

  private isTopLevelTail(s: ReturnStatement): boolean {
    const body = this.annotated.node.getBody();
    return !!body && Node.isBlock(body) && s.getParent() === body;
  }

  /** A call of a function or of a `@differentiable` method (`this.parts(x)`), not an array method such as `xs.slice()`. */
  private callsFunction(e: import('ts-morph').CallExpression): boolean {
    const callee = e.getExpression();
    return !Node.isPropertyAccessExpression(callee) || isMethodReceiver(this, callee.getExpression());
  }

  /** The function's result as a local: an array of numbers, or a structure holding tensors (lower-objects.ts). */
  private resultArray(e: Expression, out: Stmt[]): string {
    return isStructureType(this.fn.returnType) ? structuredValue(this, e, this.fn.returnType, out) : this.lowerArrayValue(e, out);
  }

  /** An array-valued expression (literal, local array, call, copy) as an array variable. */
  lowerArrayValue(e: Expression, out: Stmt[]): string {
    while (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isSatisfiesExpression(e)) e = e.getExpression();
    if (Node.isCallExpression(e) && this.callsFunction(e)) {
      const t = this.temp(VECTOR);
      lowerExpression(this, e, out, t);
      return t;
    }
    const alloc = arrayAllocation(this, e, VECTOR, out);
    if (alloc) {
      const t = this.temp(VECTOR);
      out.push({ kind: 'assign', target: t, expr: alloc.expr, loc: this.loc(e) });
      for (const v of alloc.pushes) out.push({ kind: 'push', ref: { base: t, path: [] }, value: v, loc: this.loc(e) });
      alloc.then?.(t, out);
      return t;
    }
    const ref = lowerRefOrFail(this, e, out);
    if (ref.path.length === 0 && this.isMutableRef(ref)) return ref.base;
    const t = this.temp(VECTOR);
    out.push({ kind: 'assign', target: t, expr: { kind: 'copyArray', ctor: 'Array', src: ref }, loc: this.loc(e) });
    return t;
  }

  /** `result[k] = e[k]` for each element of a tuple being returned. */
  private storeVector(result: string, e: Expression, out: Stmt[]): void {
    const n = this.vectorLength!;
    const inner = Node.isParenthesizedExpression(e) ? e.getExpression() : e;
    if (Node.isArrayLiteralExpression(inner)) {
      const elems = inner.getElements();
      if (elems.length !== n) fail(inner, `returns ${elems.length} values, the declared tuple has ${n}`, `return ${n} values here, or change the declared return type`);
      elems.forEach((el, k) => {
        const v = lowerExpression(this, el as Expression, out, null);
        out.push({ kind: 'store', ref: { base: result, path: [{ kind: 'index', index: constOp(k) }] }, value: v, loc: this.loc(el) });
      });
      return;
    }
    const src = this.lowerArrayValue(e, out);
    for (let k = 0; k < n; k++) {
      const v = this.temp();
      out.push({ kind: 'assign', target: v, expr: { kind: 'load', ref: { base: src, path: [{ kind: 'index', index: constOp(k) }] } }, loc: this.loc(e) });
      out.push({ kind: 'store', ref: { base: result, path: [{ kind: 'index', index: constOp(k) }] }, value: varOp(v), loc: this.loc(e) });
    }
  }

  // Transforms `if (c) A else B` into an IR if with lowered branches.
  private visitIf(s: IfStatement, out: Stmt[]): Exits {
    const cond = this.condition(s.getExpression(), out, 'if');
    const stmt: Extract<Stmt, { kind: 'if' }> = { kind: 'if', cond, then: [], else: [], loc: this.loc(s) };
    const thenExits = this.withScope(() => this.lowerStatement(s.getThenStatement(), stmt.then));
    const elseNode = s.getElseStatement();
    const elseExits = elseNode ? this.withScope(() => this.lowerStatement(elseNode, stmt.else)) : none();
    out.push(stmt);
    const may = new Set([...thenExits.may, ...elseExits.may]);
    return { may, always: thenExits.always && elseExits.always, split: { stmt, then: thenExits, else: elseExits } };
  }

  // Transforms `for (init; cond; update) body` into init + loop(cond) { body; update }.
  private visitFor(s: ForStatement, out: Stmt[], label: string | null): Exits {
    return this.withScope(() => {
      const init = s.getInitializer();
      if (init) {
        if (Node.isVariableDeclarationList(init)) {
          const isConst = init.getDeclarationKind() === 'const';
          for (const d of init.getDeclarations()) this.visitDeclaration(d, isConst, out);
        } else {
          this.visitExpressionStatement(init, out);
        }
      }
      const update = s.getIncrementor();
      const cond = s.getCondition();
      return this.visitLoop(cond ?? null, s.getStatement(), 'pre', s, out, label, update ? [update] : []);
    });
  }

  // Transforms `for (const e of xs) body` into a counted loop reading xs[k].
  private visitForOf(s: ForOfStatement, out: Stmt[], label: string | null): Exits {
    if (s.isAwaited()) fail(s, 'for await is not supported', 'differentiable functions are synchronous');
    return this.withScope(() => {
      const ref = lowerRefOrFail(this, s.getExpression(), out);
      const arrType = this.refType(ref, s.getExpression());
      if (arrType.kind !== 'array') fail(s.getExpression(), 'for...of needs an array', 'iterate over a number[] or Float64Array');
      const counter = this.fresh('k', num);
      out.push({ kind: 'assign', target: counter, expr: { kind: 'copy', src: constOp(0) }, loc: this.loc(s) });
      const initList = s.getInitializer();
      if (!Node.isVariableDeclarationList(initList) || initList.getDeclarations().length !== 1) {
        fail(initList, 'for...of must declare one loop variable', 'write for (const x of xs)');
      }
      const decl = initList.getDeclarations()[0]!;
      const nameNode = decl.getNameNode();
      if (!Node.isIdentifier(nameNode)) fail(nameNode, 'destructuring in for...of is not supported', 'index the element inside the loop body');
      const elemRef: Ref = { base: ref.base, path: [...ref.path, { kind: 'index', index: varOp(counter) }] };
      const cond: PExpr = { kind: 'binary', op: '<', left: { kind: 'operand', op: varOp(counter) }, right: { kind: 'length', ref } };
      const prologue = (body: Stmt[]) => {
        if (arrType.elem.kind === 'number') {
          const name = this.fresh(decl.getName(), num);
          this.bind(decl.getName(), { kind: 'var', name, type: num, isConst: true, isParam: false });
          body.push({ kind: 'assign', target: name, expr: { kind: 'load', ref: elemRef }, loc: this.loc(decl) });
        } else {
          this.bind(decl.getName(), { kind: 'alias', ref: elemRef, type: arrType.elem, mutable: false });
        }
      };
      const increment: Stmt = {
        kind: 'assign',
        target: counter,
        expr: { kind: 'prim', prim: 'add', args: [varOp(counter), constOp(1)] },
        loc: this.loc(s),
      };
      return this.lowerLoopBody(cond, s.getStatement(), 'pre', s, out, label, prologue, [increment]);
    });
  }

  /** Lowers a while / do-while / for loop with optional update expressions. */
  private visitLoop(
    condNode: Expression | null,
    bodyNode: Statement,
    test: 'pre' | 'post',
    at: Node,
    out: Stmt[],
    label: string | null,
    updates: Expression[],
  ): Exits {
    if (condNode && hasSideEffects(condNode)) {
      // `while (n--)`, `while ((d = step(d)) > tol)`: the condition, updates and all, is computed
      // into a flag before the first trip of a pre-test loop, and again after each trip's update.
      const more = this.fresh('more', { kind: 'bool' });
      const evaluate = (list: Stmt[]) => list.push(this.assignPure(more, asBoolean(this.condition(condNode, list, 'if'), condNode), condNode));
      if (test === 'pre') evaluate(out);
      const rotated: Stmt[] = [];
      for (const u of updates) this.visitExpressionStatement(u, rotated);
      evaluate(rotated);
      return this.lowerLoopBody({ kind: 'operand', op: varOp(more) }, bodyNode, test, at, out, label, () => {}, rotated);
    }
    const cond: PExpr = condNode ? this.condition(condNode, out, 'loop') : { kind: 'bool', value: true };
    const updateStmts: Stmt[] = [];
    for (const u of updates) this.visitExpressionStatement(u, updateStmts);
    return this.lowerLoopBody(cond, bodyNode, test, at, out, label, () => {}, updateStmts);
  }

  private lowerLoopBody(
    cond: PExpr,
    bodyNode: Statement,
    test: 'pre' | 'post',
    at: Node,
    out: Stmt[],
    label: string | null,
    prologue: (body: Stmt[]) => void,
    update: Stmt[],
  ): Exits {
    const frame: LoopFrame = { id: ++this.loopCount, kind: 'loop', label, breakFlag: null, continueFlag: null };
    this.frameIndex.set(frame.id, frame);
    this.loops.push(frame);
    const body: Stmt[] = [];
    const exits = this.withScope(() => {
      prologue(body);
      return this.lowerStatement(bodyNode, body);
    });
    this.loops.pop();
    const own = new Set([`break:${frame.id}`, `continue:${frame.id}`]);
    const outer = new Set([...exits.may].filter((e) => !own.has(e)));
    const stopping = [...exits.may].filter((e) => e !== `continue:${frame.id}`);
    if (frame.continueFlag) body.unshift(this.assignPure(frame.continueFlag, { kind: 'bool', value: false }, at));
    if (update.length) {
      if (stopping.length) body.push({ kind: 'if', cond: this.notAny(new Set(stopping)), then: update, else: [], loc: this.loc(at) });
      else body.push(...update);
    }
    if (frame.breakFlag) out.push(this.assignPure(frame.breakFlag, { kind: 'bool', value: false }, at));
    const fullCond = stopping.length ? and(this.notAny(new Set(stopping)), cond) : cond;
    const checkpoint = readCheckpointTag(at);
    out.push({ kind: 'loop', cond: fullCond, body, test, loc: this.loc(at), ...(checkpoint && { checkpoint }) });
    return { may: outer, always: false };
  }

  /** `break` statements that end a switch clause lowered as a branch of an if/else chain: they lower to nothing. */
  readonly clauseEnds = new Set<Node>();

  /**
   * Lowers a switch or a labelled block, which `break` leaves: its break
   * flag (made when a `break` needs one) is cleared before it, and its own
   * break is not an exit of the statement as a whole.
   */
  lowerBreakable(kind: 'switch' | 'block', label: string | null, at: Node, out: Stmt[], lower: (body: Stmt[]) => Exits): Exits {
    const frame: LoopFrame = { id: ++this.loopCount, kind, label, breakFlag: null, continueFlag: null };
    this.frameIndex.set(frame.id, frame);
    this.loops.push(frame);
    const body: Stmt[] = [];
    let exits: Exits;
    try {
      exits = lower(body);
    } finally {
      this.loops.pop();
    }
    if (frame.breakFlag) out.push(this.assignPure(frame.breakFlag, { kind: 'bool', value: false }, at));
    out.push(...body);
    const own = `break:${frame.id}`;
    if (!exits.may.has(own)) return exits;
    return { may: new Set([...exits.may].filter((e) => e !== own)), always: false };
  }

  /** `break` out of the block lowered by lowerBreakable with `label`, its flag named after `base` (a local function's `return`). */
  breakOut(label: string, base: string, at: Node, out: Stmt[]): Exits {
    const frame = [...this.loops].reverse().find((l) => l.label === label);
    if (!frame) throw new Error(`internal: no block ${label}`);
    const flag = (frame.breakFlag ??= this.flag(base));
    out.push(this.assignPure(flag, { kind: 'bool', value: true }, at));
    return { may: new Set([`break:${frame.id}`]), always: true };
  }

  /** `!(flag1 || flag2 ...)` for the flags of a set of exits. */
  notAny(exits: Set<string>): PExpr {
    const flags = [...exits].map((e) => this.flagOf(e));
    const uniq = [...new Set(flags)];
    return uniq
      .map((f): PExpr => ({ kind: 'unary', op: '!', expr: { kind: 'operand', op: varOp(f) } }))
      .reduce((a, b) => ({ kind: 'binary', op: '&&', left: a, right: b }));
  }

  private flagOf(exit: string): string {
    if (exit === 'return') return (this.returnFlag ??= this.flag('returned'));
    const [kind, id] = exit.split(':');
    const frame = this.frameIndex.get(Number(id));
    if (!frame) throw new Error(`internal: no loop ${id}`);
    return kind === 'break' ? (frame.breakFlag ??= this.flag(`broke${frame.id}`)) : (frame.continueFlag ??= this.flag(`skip${frame.id}`));
  }

  private readonly frameIndex = new Map<number, LoopFrame>();

  // Transforms `let x = e` into `x = e` (numbers), an array allocation, or an alias.
  private visitDeclaration(d: VariableDeclaration, isConst: boolean, out: Stmt[]): void {
    // `const f = (v) => ...`: a local function, inlined where it is called (lower-closures.ts).
    if (declareLocalFunction(this, d)) return;
    const nameNode = d.getNameNode();
    if (Node.isArrayBindingPattern(nameNode)) {
      // `const [a, b] = g(x)`: the array, then one load per element.
      const init = d.getInitializer();
      if (!init) fail(d, 'destructuring needs an initializer', 'write const [a, b] = g(x)');
      // `const [h, c] = lstmCell(...)`: a result holding tensors (lower-objects.ts).
      if (destructureStructure(this, nameNode, init, isConst, out)) return;
      const arr = this.lowerArrayValue(init, out);
      nameNode.getElements().forEach((el, k) => {
        if (Node.isOmittedExpression(el)) return;
        const elName = el.getNameNode();
        if (!Node.isIdentifier(elName) || el.getDotDotDotToken()) fail(el, 'only simple names are supported in array destructuring', 'name each element, as in const [a, , c] = g(x), and read further values by index');
        const name = this.fresh(elName.getText(), num);
        this.bind(elName.getText(), { kind: 'var', name, type: num, isConst, isParam: false });
        out.push({ kind: 'assign', target: name, expr: { kind: 'load', ref: { base: arr, path: [{ kind: 'index', index: constOp(k) }] } }, loc: this.loc(el) });
      });
      return;
    }
    if (!Node.isIdentifier(nameNode)) fail(nameNode, 'object destructuring is not supported', 'read the fields one by one: const a = obj.a');
    const sourceName = d.getName();
    const initNode = d.getInitializer();
    if (initNode && isNumberVector(classifyType(d.getType())) && Node.isCallExpression(initNode) && this.callsFunction(initNode)) {
      // `const r = g(x)` where g returns an array: a call into a new array variable.
      const name = this.fresh(sourceName, VECTOR);
      this.bind(sourceName, { kind: 'var', name, type: VECTOR, isConst: true, isParam: false });
      lowerExpression(this, initNode, out, name);
      return;
    }
    const init = d.getInitializer();
    let type = classifyType(d.getType());
    // Values read from `new Array(n).fill(0)` are typed `any`: lower them as numbers
    // (lowering reports a located error if the initializer is not numeric after all).
    if (type.kind === 'opaque' && type.text === 'any' && init) type = num;
    if (type.kind === 'number') {
      const name = this.fresh(sourceName, num);
      this.bind(sourceName, { kind: 'var', name, type, isConst, isParam: false });
      if (init) this.assignNumber(name, init, out);
      else out.push({ kind: 'assign', target: name, expr: { kind: 'copy', src: constOp(0) }, loc: this.loc(d) });
      return;
    }
    if (type.kind === 'tensor') {
      const name = this.fresh(sourceName, type);
      this.bind(sourceName, { kind: 'var', name, type, isConst, isParam: false });
      if (!init) fail(d, `tensor ${sourceName} needs an initializer`, `give ${sourceName} its value where it is declared, as in let ${sourceName} = matmul(x, w)`);
      assignTensor(this, name, init, out);
      return;
    }
    if (type.kind === 'bool') {
      const name = this.fresh(sourceName, type);
      this.bind(sourceName, { kind: 'var', name, type, isConst, isParam: false });
      const value: PExpr = init ? this.condition(init, out, 'if') : { kind: 'bool', value: false };
      out.push(this.assignPure(name, value, d));
      return;
    }
    if (type.kind === 'array') {
      if (!init) fail(d, `array ${sourceName} needs an initializer`, 'write const a = new Float64Array(n) or const a: number[] = []');
      const alloc = arrayAllocation(this, init, type, out);
      if (alloc) {
        // `new Array(n).fill(0)` is typed any[]: its elements are numbers.
        if (type.elem.kind === 'opaque' && type.elem.text === 'any') type.elem = num;
        if (type.elem.kind !== 'number' && !isRowsType(type) && !isStructureArray(type)) {
          fail(init, 'local arrays hold numbers, number[] rows (number[][]), tensors or objects', 'use a number[], a Float64Array, a number[][], a Tensor[] or an array of objects; keep flags and strings as numbers (0 or 1) or outside the function');
        }
        const name = this.fresh(sourceName, type);
        this.bind(sourceName, { kind: 'var', name, type, isConst: true, isParam: false });
        out.push({ kind: 'assign', target: name, expr: alloc.expr, loc: this.loc(d) });
        for (const v of alloc.pushes) out.push({ kind: 'push', ref: { base: name, path: [] }, value: v, loc: this.loc(d) });
        alloc.then?.(name, out);
        return;
      }
      // `const hs = layers(x, n)`: a Tensor[] result (lower-objects.ts).
      if (declareStructure(this, sourceName, type, init, isConst, out)) return;
      if (!isConst) fail(d, `array ${sourceName} must be a const when it refers to another array`, `write const ${sourceName} = ...`);
      const ref = lowerRefOrFail(this, init, out);
      this.bind(sourceName, { kind: 'alias', ref, type, mutable: this.isMutableRef(ref) });
      return;
    }
    // `const layer = { W, b }`, `const s = cell(x, state)` (lower-objects.ts).
    if (init && declareStructure(this, sourceName, type, init, isConst, out)) return;
    if ((type.kind === 'object' || type.kind === 'tuple') && isConst && init) {
      const ref = tryLowerRef(this, init, out);
      if (ref) {
        this.bind(sourceName, { kind: 'alias', ref, type, mutable: this.isMutableRef(ref) });
        return;
      }
    }
    if (type.kind === 'opaque' && init) {
      // A string or enum local (`const act = cfg.activation`, `let mode: Mode = Mode.Fast`): a constant, set by pure assignments.
      const text = portableOpaqueType(this, d.getType(), tryLowerRef(this, init, []));
      if (text) {
        const local: VarType = { kind: 'opaque', text };
        const name = this.fresh(sourceName, local);
        this.bind(sourceName, { kind: 'var', name, type: local, isConst, isParam: false });
        out.push(this.assignPure(name, this.condition(init, out, 'if'), d));
        return;
      }
    }
    fail(d, `local ${sourceName} of type ${type.kind === 'opaque' ? varTypeForMessage(type) : type.kind} is not supported`, 'use number variables, number arrays or Float64Array, or strings and enums (as constants)');
  }

  /** True when writes through `ref` are allowed (it names a local array, not a parameter). */
  isMutableRef(ref: Ref): boolean {
    return !this.fn.params.some((p) => p.name === ref.base) && ref.base !== this.fn.self?.name;
  }

  /** The type reached through `ref`. */
  refType(ref: Ref, at: Node): VarType {
    let t: VarType | undefined = this.fn.locals.get(ref.base) ?? this.fn.params.find((p) => p.name === ref.base)?.type;
    if (ref.base === this.fn.self?.name) return { kind: 'opaque', text: 'this' };
    if (!t) fail(at, `internal: unknown base ${ref.base}`, 'this is a wengert bug; please report it with the function that triggers it');
    for (const step of ref.path) {
      if (t.kind === 'opaque') return t;
      if (step.kind === 'prop') {
        if (t.kind !== 'object') fail(at, `cannot read .${step.name} here`, propertyHint(step.name, t));
        const field: VarType | undefined = t.fields.find((f) => f.name === step.name)?.type;
        if (!field) fail(at, `no field ${step.name}`, `the fields are: ${t.fields.map((f) => f.name).join(', ')}`);
        t = field;
      } else if (t.kind === 'array') {
        t = t.elem;
      } else if (t.kind === 'tuple') {
        if (step.index.kind !== 'const') fail(at, 'tuples must be indexed with a literal', 'write t[0], t[1], ...');
        const e: VarType | undefined = t.elems[step.index.value];
        if (!e) fail(at, `tuple index ${step.index.value} out of range`, `the tuple has ${t.elems.length} elements: index it with 0 to ${t.elems.length - 1}`);
        t = e;
      } else {
        fail(at, 'cannot index this value', 'index arrays and tuples only; a number or a tensor has no elements to read here');
      }
    }
    return t;
  }

  /** `target = <expr>`, assigning the last primitive straight into `target`. */
  assignNumber(target: string, expr: Expression, out: Stmt[]): void {
    const value = lowerExpression(this, expr, out, target);
    if (value.kind === 'var' && value.name === target) return;
    out.push({ kind: 'assign', target, expr: { kind: 'copy', src: value }, loc: this.loc(expr) });
  }

  assignPure(target: string, expr: PExpr, at: Node): Stmt {
    return { kind: 'assign', target, expr: { kind: 'pure', expr }, loc: this.loc(at) };
  }

  emit(out: Stmt[], target: string, expr: Expr, at: Node): Operand {
    out.push({ kind: 'assign', target, expr, loc: this.loc(at) });
    return varOp(target);
  }

  // Transforms an expression statement: assignments, ++/--, push, and nothing else.
  visitExpressionStatement(e: Expression, out: Stmt[]): void {
    if (Node.isParenthesizedExpression(e)) return this.visitExpressionStatement(e.getExpression(), out);
    if (Node.isBinaryExpression(e) && e.getOperatorToken().getKind() === SyntaxKind.CommaToken) {
      this.visitExpressionStatement(e.getLeft(), out);
      this.visitExpressionStatement(e.getRight(), out);
      return;
    }
    if (Node.isCallExpression(e)) {
      const callee = e.getExpression();
      // `add(v)`, `xs.forEach((v) => ...)`: a local function inlined, an array method with a callback (lower-closures.ts, lower-callbacks.ts).
      if (localCallStatement(this, e, out) || callbackStatement(this, e, out)) return;
      if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'push') {
        const ref = lowerRefOrFail(this, callee.getExpression(), out);
        const t = this.refType(ref, callee.getExpression());
        const rows = isRowsType(t);
        if (t.kind !== 'array' || (t.elem.kind !== 'number' && !rows && !isStructureArray(t))) {
          fail(callee, 'push is supported on local number arrays and number[][] only', 'push onto a local number[] or number[][], declared as const a: number[] = []');
        }
        // A row of a local number[][] (`rows[i].push(v)`) grows too: it is a local array.
        if (!this.isMutableRef(ref)) {
          fail(callee, `cannot push onto ${callee.getExpression().getText()}: only local arrays can grow`, 'copy the parameter into a local array first');
        }
        for (const a of e.getArguments()) {
          // A row pushed into a number[][] is a local number[]: one named here as it is (JavaScript pushes a reference), anything else a copy.
          const v = rows ? varOp(rowValue(this, a as Expression, out)) : isStructureArray(t) ? elementValue(this, a as Expression, (t as Extract<VarType, { kind: 'array' }>).elem, out) : lowerExpression(this, a as Expression, out, null);
          out.push({ kind: 'push', ref, value: v, loc: this.loc(e) });
        }
        return;
      }
      // `a.reverse()`, `a.fill(v)` on a local array (lower-array-methods.ts).
      if (arrayMethodStatement(this, e, out)) return;
      // `step(x, out)`: a differentiable function that fills out (out-params.ts).
      if (this.fillingCall(e, out)) return;
      fail(e, `the result of ${callee.getText()}(...) is not used`, 'differentiable functions have no side effects; remove the call or use its value');
    }
    lowerExpression(this, e, out, null, /* asStatement */ true);
  }

  /**
   * `step(x, out)`, where step is differentiable, returns nothing and fills
   * out: the call gives the filled array (`t = (step(x, out), out)` in the
   * primal), which is then written into out element by element, so the
   * analyses see the writes and out's cotangent flows back through the call.
   */
  private fillingCall(e: import('ts-morph').CallExpression, out: Stmt[]): boolean {
    if (!Node.isIdentifier(e.getExpression())) return false;
    const resolved = resolveCall(e, this.sourceFile);
    if (resolved.kind !== 'differentiable' || resolved.callee.outParam === undefined) return false;
    const arg = e.getArguments()[resolved.callee.outParam] as Expression | undefined;
    if (!arg) fail(e, `${e.getExpression().getText()} fills its argument ${resolved.callee.outParam + 1}, which is missing`, 'pass the array it fills');
    const ref = lowerRefOrFail(this, arg, out);
    if (!this.isMutableRef(ref)) {
      fail(arg, `${e.getExpression().getText()} fills ${arg.getText()}, a parameter: that would change the caller's data`, `fill a local copy: const copy = ${arg.getText()}.slice(); ${e.getExpression().getText()}(..., copy)`);
    }
    // The array filled must not be read through another argument too: its derivative assumes the two are apart.
    const root = (x: Node): import('ts-morph').Symbol | undefined => {
      while (Node.isPropertyAccessExpression(x) || Node.isElementAccessExpression(x) || Node.isParenthesizedExpression(x) || Node.isNonNullExpression(x)) x = x.getExpression();
      return Node.isIdentifier(x) ? x.getSymbol() : undefined;
    };
    const filledRoot = root(arg);
    const other = e.getArguments().find((a) => a !== arg && filledRoot !== undefined && root(a) === filledRoot);
    if (other) {
      fail(other, `${e.getExpression().getText()} fills ${arg.getText()} and also reads it as another argument (${other.getText()})`, `pass a copy to read: ${e.getExpression().getText()}(${e.getArguments().map((a) => (a === other ? `${a.getText()}.slice()` : a.getText())).join(', ')})`);
    }
    const filled = this.temp(resolved.callee.returns);
    lowerExpression(this, e, out, filled);
    const k = this.fresh('k', num);
    out.push({ kind: 'assign', target: k, expr: { kind: 'copy', src: constOp(0) }, loc: this.loc(e) });
    const value = this.temp();
    const at = (base: Ref, index: Operand): Ref => ({ base: base.base, path: [...base.path, { kind: 'index', index }] });
    const body: Stmt[] = [
      { kind: 'assign', target: value, expr: { kind: 'load', ref: at({ base: filled, path: [] }, varOp(k)) }, loc: this.loc(e) },
      { kind: 'store', ref: at(ref, varOp(k)), value: varOp(value), loc: this.loc(e) },
      { kind: 'assign', target: k, expr: { kind: 'prim', prim: 'add', args: [varOp(k), constOp(1)] }, loc: this.loc(e) },
    ];
    const cond: PExpr = { kind: 'binary', op: '<', left: { kind: 'operand', op: varOp(k) }, right: { kind: 'length', ref: { base: filled, path: [] } } };
    out.push({ kind: 'loop', cond, body, test: 'pre', loc: this.loc(e) });
    return true;
  }

  /** A condition as a pure expression; in an `if`, impure parts are computed before it. */
  condition(e: Expression, out: Stmt[], where: 'if' | 'loop'): PExpr {
    return toPExpr(this, e, out, where);
  }
}

/**
 * Refuses a parameter or local the generated code cannot keep as it is: one
 * named like a global that code uses (`Math`, `NaN`, `Float64Array`, ...),
 * or `arguments` / `eval`, which strict-mode code cannot declare.
 */
function checkDeclaredName(nameNode: Node, what: 'parameter' | 'local variable'): void {
  const name = nameNode.getText();
  if (name === 'arguments' || name === 'eval') {
    fail(nameNode, `a ${what} cannot be named ${name} in a module (strict-mode code)`, `rename the ${what}, to ${name}_ for example`);
  }
  if (GENERATED_CODE_GLOBALS.has(name)) {
    fail(nameNode, `the ${what} ${name} hides the global ${name}, which wengert's generated code uses`, `rename the ${what}, to ${name}_ for example`);
  }
}

/** Names the emitter uses; user variables get renamed away from them. */
const RESERVED = new Set(['tape', 'self', 'dy', 'g']);

function and(a: PExpr, b: PExpr): PExpr {
  if (b.kind === 'bool' && b.value) return a;
  return { kind: 'binary', op: '&&', left: a, right: b };
}

/** Drops assignments to break/continue/return flags that no condition reads. */
function removeUnreadFlags(body: Stmt[], fn: IRFunction, flags: ReadonlySet<string>): Stmt[] {
  const isFlagName = (name: string) => flags.has(name);
  const read = new Set<string>();
  const visitP = (p: PExpr): void => {
    switch (p.kind) {
      case 'operand':
        if (p.op.kind === 'var') read.add(p.op.name);
        return;
      case 'binary':
        visitP(p.left);
        visitP(p.right);
        return;
      case 'unary':
        visitP(p.expr);
        return;
      case 'math':
        p.args.forEach(visitP);
        return;
      case 'cond':
        visitP(p.test);
        visitP(p.whenTrue);
        visitP(p.whenFalse);
        return;
      default:
        return;
    }
  };
  const scan = (list: Stmt[]): void => {
    for (const s of list) {
      if (s.kind === 'if') {
        visitP(s.cond);
        scan(s.then);
        scan(s.else);
      } else if (s.kind === 'loop') {
        visitP(s.cond);
        scan(s.body);
      } else if (s.kind === 'assign' && s.expr.kind === 'pure') {
        visitP(s.expr.expr);
      }
    }
  };
  scan(body);
  const prune = (list: Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => {
      if (s.kind === 'assign' && isFlagName(s.target) && fn.locals.get(s.target)?.kind === 'bool' && !read.has(s.target)) return [];
      if (s.kind === 'if') {
        const then = prune(s.then);
        const els = prune(s.else);
        return [{ ...s, then, else: els }];
      }
      if (s.kind === 'loop') return [{ ...s, body: prune(s.body) }];
      return [s];
    });
  const pruned = prune(body);
  for (const name of [...fn.locals.keys()]) if (isFlagName(name) && fn.locals.get(name)?.kind === 'bool' && !read.has(name)) fn.locals.delete(name);
  return pruned;
}

// ---- helpers shared with lower-expr.ts (defined there to keep this file about statements) ----
import { arrayAllocation, isRowsType, rowValue, assignTensor, lowerRefOrFail, lowerTensor, toPExpr, tryLowerRef } from './lower-expr.ts';
export type { ArrayCtor };
