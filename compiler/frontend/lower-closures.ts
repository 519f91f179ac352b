/**
 * Local functions (issue #10, item 3): arrow functions, function
 * expressions and nested function declarations inside a differentiable
 * body, closing over its locals, as long as they do not escape it.
 *
 * Each call is inlined where it is made: the parameters become fresh
 * locals holding the arguments (a default is computed when its argument is
 * left out), the body is lowered in the scopes the function was defined in,
 * so it reads and writes the enclosing locals it captures (`let acc = 0;
 * const add = (v) => { acc += v; }`), and `return` sets the call's result
 * and leaves the inlined body the way `break` leaves a labelled block. The
 * analyses and both derivative modes see only straight-line code, branches
 * and loops, with fresh names per call.
 *
 * checkLocalFunctions refuses, before lowering, what cannot be inlined: a
 * function that escapes (returned, stored, passed to anything but an array
 * method with a callback, lower-callbacks.ts), generators, async functions,
 * `this` in a function expression, and a callback that changes the array it
 * iterates. A local function that calls itself is refused when inlining
 * meets the recursion.
 */
import { Node, SyntaxKind, ts } from 'ts-morph';
import type { ArrowFunction, CallExpression, Expression, FunctionDeclaration, FunctionExpression, ReturnStatement, Statement, VariableDeclaration } from 'ts-morph';
import { varOp, type Operand, type PExpr, type Ref, type Stmt, type VarType } from '../ir/ir.ts';
import { fail } from './diagnostics.ts';
import { isNumberVector, none, type Binding, type Exits, type Lowerer } from './lower.ts';
import { assignTensor, lowerExpression, lowerTensor, rowValue, toPExpr, tryLowerRef } from './lower-expr.ts';
import { asBoolean, laterAssigned, snapshot } from './lower-effects.ts';
import { portableOpaqueType } from './lower-constants.ts';
import { callbackPosition, CALLBACK_METHODS } from './lower-callbacks.ts';
import { classifyType, typeForMessage } from './types.ts';

export type LocalFunction = ArrowFunction | FunctionExpression | FunctionDeclaration;

/**
 * What a call's value is used as: a number, a Tensor, a condition, a row
 * of a local number[][] (`rows.map((r) => r.map(...))`), a new array of
 * numbers (`const r = pair(x)`), or nothing.
 */
export type CallContext = 'number' | 'tensor' | 'bool' | 'row' | 'array' | 'void';

/**
 * An argument of an inlined call, already computed at the call site:
 * an operand (`direct`: the parameter may name the variable itself, when
 * the body never assigns the parameter (loop counters, elements the caller
 * loaded for the call) or always (a reduce's accumulator, which the call's
 * result overwrites)), an element to load, an array or object, a condition,
 * or JavaScript's `undefined` (the element of `Array.from({ length: n })`).
 */
export type ArgValue =
  | { kind: 'operand'; op: Operand; direct?: 'unassigned' | 'always' }
  | { kind: 'load'; ref: Ref }
  | { kind: 'ref'; ref: Ref }
  | { kind: 'cond'; p: PExpr }
  | { kind: 'undefined' };

interface InlineFrame {
  fn: LocalFunction;
  label: string;
  name: string;
  ctx: CallContext;
  /** Where `return e` puts e (null in a void context). */
  result: string | null;
}

interface State {
  /** The scopes each named local function was defined in. */
  chains: Map<LocalFunction, Map<string, Binding>[]>;
  /** The calls being inlined, innermost last. */
  active: InlineFrame[];
  /** Calls inlined so far in this function (each call's body is copied: nested local functions multiply). */
  count: number;
}

/** Inlined calls one differentiable function may hold before the build stops (local functions calling each other twice, ten deep, make 1,024). */
const MAX_INLINED_CALLS = 2000;

const states = new WeakMap<Lowerer, State>();

function state(L: Lowerer): State {
  let s = states.get(L);
  if (!s) {
    s = { chains: new Map(), active: [], count: 0 };
    states.set(L, s);
  }
  return s;
}

/**
 * Calls whose lowering is more than an expression: calls of local functions
 * and array methods with a callback. `writes` names the enclosing locals
 * the inlined code may assign (lower-effects.ts keeps operands read before
 * such a call as they were, and computes loop conditions holding one into
 * a flag).
 */
const callEffects = new WeakMap<ts.Node, { writes: string[] }>();

export function localCallEffects(n: ts.Node): { writes: string[] } | undefined {
  return callEffects.get(n);
}

export function isLocalFunction(n: Node): n is LocalFunction {
  return Node.isArrowFunction(n) || Node.isFunctionExpression(n) || Node.isFunctionDeclaration(n);
}

/** The function a `return` belongs to. */
function enclosingFunction(n: Node): Node | undefined {
  return n.getFirstAncestor((a) => Node.isFunctionLikeDeclaration(a) || Node.isArrowFunction(a) || Node.isFunctionExpression(a));
}

/** The `return` statements of the differentiable function itself, not of its local functions. */
export function ownReturns(L: Lowerer, body: Node): ReturnStatement[] {
  return body.getDescendantsOfKind(SyntaxKind.ReturnStatement).filter((r) => enclosingFunction(r) === L.annotated.node);
}

const strip = (e: Node): Node => {
  while (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isNonNullExpression(e) || Node.isSatisfiesExpression(e)) e = e.getExpression();
  return e;
};

/** The name a local function is called by, for messages and generated names. */
function functionName(fn: LocalFunction): string {
  if (Node.isFunctionDeclaration(fn)) return fn.getName() ?? 'fn';
  let p: Node | undefined = fn.getParent();
  while (p && (Node.isParenthesizedExpression(p) || Node.isAsExpression(p) || Node.isSatisfiesExpression(p))) p = p.getParent();
  if (p && Node.isVariableDeclaration(p) && Node.isIdentifier(p.getNameNode())) return p.getName();
  if (Node.isFunctionExpression(fn) && fn.getName()) return fn.getName()!;
  return 'callback';
}

/** The local function `e` names: an inline arrow, or a name bound to a local function of this body. */
export function localFunctionOf(L: Lowerer, e: Node): LocalFunction | null {
  const x = strip(e);
  if (Node.isArrowFunction(x) || Node.isFunctionExpression(x)) return x;
  if (!Node.isIdentifier(x)) return null;
  const decl = x.getSymbol()?.getDeclarations()[0];
  if (!decl || !inBody(L, decl)) return null;
  if (Node.isFunctionDeclaration(decl)) return decl;
  if (Node.isVariableDeclaration(decl)) {
    const init = decl.getInitializer();
    const fn = init ? strip(init) : null;
    if (fn && (Node.isArrowFunction(fn) || Node.isFunctionExpression(fn))) return fn;
  }
  return null;
}

function inBody(L: Lowerer, n: Node): boolean {
  const body = L.annotated.node.getBody();
  return !!body && n.getSourceFile() === body.getSourceFile() && n.getStart() >= body.getStart() && n.getEnd() <= body.getEnd();
}

// ---- the checks made before lowering ----

/** Refuses the local functions of `body` that cannot be inlined, and records which calls assign enclosing locals. */
export function checkLocalFunctions(L: Lowerer, body: Node): void {
  const fns = body.getDescendants().filter(isLocalFunction);
  if (fns.length === 0) return;
  for (const fn of fns) checkFunction(L, fn, body);
  recordEffects(L, fns, body);
}

function checkFunction(L: Lowerer, fn: LocalFunction, body: Node): void {
  const name = functionName(fn);
  if (!Node.isArrowFunction(fn) && fn.isGenerator()) {
    fail(fn, `the generator function ${name} is not supported in a differentiable function`, 'build the values into an array with a loop, then iterate over the array');
  }
  if (fn.isAsync()) fail(fn, `the async function ${name} is not supported in a differentiable function`, 'differentiable code is synchronous: await the values outside and pass them in');
  if (Node.isFunctionExpression(fn) || Node.isFunctionDeclaration(fn)) {
    const self = fn.getDescendantsOfKind(SyntaxKind.ThisKeyword).find((t) => enclosingThisOwner(t) === fn);
    if (self) fail(self, `\`this\` inside the function ${name} is not the \`this\` of the method around it`, 'write the function as an arrow function ((v) => ...), which reads the enclosing this, or pass the value as a parameter');
  }
  for (const p of fn.getParameters()) {
    if (p.isRestParameter()) fail(p, `rest parameters are not supported in the local function ${name}`, 'pass an array instead');
    if (!Node.isIdentifier(p.getNameNode())) fail(p, `destructured parameters are not supported in the local function ${name}`, 'take the value as one parameter and read its elements or fields in the body');
  }
  const parent = usageParent(fn);
  if (Node.isVariableDeclaration(parent) && parent.getInitializer() && strip(parent.getInitializer()!) === fn) {
    if (!Node.isIdentifier(parent.getNameNode())) fail(parent, 'a local function must be bound to one name', 'write const f = (v) => ...');
    const list = parent.getParent();
    if (Node.isVariableDeclarationList(list) && list.getDeclarationKind() !== 'const') {
      fail(parent, `the local function ${name} is declared with ${list.getDeclarationKind()}`, `declare it with const (const ${name} = ...): a function that is reassigned cannot be inlined`);
    }
    checkReferences(L, fn, parent.getNameNode(), body);
    return;
  }
  if (Node.isFunctionDeclaration(fn)) {
    const nameNode = fn.getNameNode();
    if (nameNode) checkReferences(L, fn, nameNode, body);
    return;
  }
  if (isCallbackArgument(fn)) {
    checkCallbackKeepsArray(L, fn, fn.getParentOrThrow() as CallExpression);
    return;
  }
  // `((v) => v * v)(x)`: called where it is written.
  if (Node.isCallExpression(parent) && strip(parent.getExpression()) === fn) return;
  refuseEscape(fn, name);
}

/** The function whose `this` a `this` keyword reads (arrows read their parent's). */
function enclosingThisOwner(n: Node): Node | undefined {
  return n.getFirstAncestor((a) => (Node.isFunctionLikeDeclaration(a) || Node.isFunctionExpression(a) || Node.isClassDeclaration(a) || Node.isClassExpression(a)) && !Node.isArrowFunction(a));
}

/** The node a function-valued expression is used by, past parentheses and type assertions. */
function usageParent(n: Node): Node {
  let p = n.getParentOrThrow();
  while (Node.isParenthesizedExpression(p) || Node.isAsExpression(p) || Node.isSatisfiesExpression(p) || Node.isNonNullExpression(p)) p = p.getParentOrThrow();
  return p;
}

/** Is `n` the callback argument of an array method wengert lowers (`xs.map(n)`, `Array.from(xs, n)`)? */
function isCallbackArgument(n: Node): boolean {
  const call = n.getParent();
  if (!call || !Node.isCallExpression(call)) return false;
  const index = call.getArguments().indexOf(n);
  return index >= 0 && callbackPosition(call) === index;
}

/** Every use of a named local function is a call or a callback argument. */
function checkReferences(L: Lowerer, fn: LocalFunction, nameNode: Node, body: Node): void {
  const name = nameNode.getText();
  const symbol = nameNode.getSymbol();
  for (const id of body.getDescendantsOfKind(SyntaxKind.Identifier)) {
    if (id === nameNode || id.getText() !== name || id.getSymbol() !== symbol) continue;
    const parent = usageParent(id);
    if (Node.isCallExpression(parent) && strip(parent.getExpression()) === id) continue;
    if (isCallbackArgument(id)) {
      checkCallbackKeepsArray(L, fn, id.getParentOrThrow() as CallExpression);
      continue;
    }
    refuseEscape(id, name);
  }
}

function refuseEscape(at: Node, name: string): never {
  const parent = usageParent(at);
  const methods = `${CALLBACK_METHODS.join(', ')} or Array.from`;
  let reason = 'it is used as a value';
  let instead = `call it where its value is needed (${name}(...))`;
  if (Node.isReturnStatement(parent) || Node.isArrowFunction(parent)) {
    reason = 'it is returned';
    instead = 'return its result instead, or move it to module level, export it and mark it @differentiable';
  } else if (Node.isArrayLiteralExpression(parent) || Node.isObjectLiteralExpression(parent) || Node.isPropertyAssignment(parent) || Node.isShorthandPropertyAssignment(parent)) {
    reason = 'it is stored in an array or object';
    instead = 'store the values it computes instead of the function';
  } else if (Node.isBinaryExpression(parent) || Node.isVariableDeclaration(parent)) {
    reason = `it is stored in ${Node.isBinaryExpression(parent) ? parent.getLeft().getText() : parent.getName()}`;
    instead = `call ${name} by its own name`;
  } else if (Node.isCallExpression(parent) || Node.isNewExpression(parent)) {
    reason = `it is passed to ${parent.getExpression().getText()}, which is not an array method wengert lowers (${methods})`;
    instead = `call ${name} in a loop instead, or move both to module level and mark them @differentiable`;
  }
  fail(at, `the local function ${name} escapes the differentiable function: ${reason}`, `a local function may only be called, or passed to ${methods}; ${instead}`);
}

/** Methods that change an array in place. */
const mutators = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'fill', 'reverse', 'sort', 'copyWithin']);

/** `xs.map((v) => { xs.push(v); ... })`: refused, the loop would not be the one JavaScript runs. */
function checkCallbackKeepsArray(L: Lowerer, fn: LocalFunction, call: CallExpression): void {
  const callee = call.getExpression();
  let root: Node = Node.isPropertyAccessExpression(callee) ? callee.getExpression() : (call.getArguments()[0] ?? callee);
  while (Node.isPropertyAccessExpression(root) || Node.isElementAccessExpression(root) || Node.isParenthesizedExpression(root) || Node.isNonNullExpression(root)) root = root.getExpression();
  if (!Node.isIdentifier(root)) return;
  const symbol = root.getSymbol();
  if (!symbol) return;
  const seen = new Set<LocalFunction>();
  const visit = (f: LocalFunction): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const id of f.getDescendantsOfKind(SyntaxKind.Identifier)) {
      if (id.getSymbol() === symbol && isWritten(id)) {
        fail(id, `the callback of ${callee.getText()} changes ${root.getText()}, the array it iterates`, `build the new values in another array (const next: number[] = []; next.push(...)), then use it after the loop`);
      }
      const called = Node.isCallExpression(id.getParent()) ? localFunctionOf(L, id) : null;
      if (called) visit(called);
    }
  };
  visit(fn);
}

/** Is the array named by `id` written here: an element assigned or updated, or a method that changes it called? */
function isWritten(id: Node): boolean {
  let top: Node = id;
  for (;;) {
    const p = top.getParent();
    if (!p) return false;
    if (Node.isElementAccessExpression(p) && p.getExpression() === top) top = p;
    else if (Node.isPropertyAccessExpression(p) && p.getExpression() === top) {
      const call = p.getParent();
      if (mutators.has(p.getName()) && call && Node.isCallExpression(call) && call.getExpression() === p) return true;
      top = p;
    } else if (Node.isParenthesizedExpression(p) || Node.isNonNullExpression(p)) top = p;
    else break;
  }
  if (top === id) return false;
  const p = top.getParent();
  if (!p) return false;
  if (Node.isBinaryExpression(p) && p.getLeft() === top) {
    const k = p.getOperatorToken().getKind();
    return k >= SyntaxKind.FirstAssignment && k <= SyntaxKind.LastAssignment;
  }
  return (Node.isPrefixUnaryExpression(p) || Node.isPostfixUnaryExpression(p)) && (p.getOperatorToken() === SyntaxKind.PlusPlusToken || p.getOperatorToken() === SyntaxKind.MinusMinusToken);
}

/**
 * For every call of a local function and every array method with a
 * callback: the enclosing locals its inlined code may assign (what the
 * function assigns that it does not declare, through the local functions
 * it calls too).
 */
function recordEffects(L: Lowerer, fns: LocalFunction[], body: Node): void {
  const writes = new Map<LocalFunction, Set<string>>();
  const calls = new Map<LocalFunction, LocalFunction[]>();
  for (const fn of fns) {
    const own = new Set<string>();
    const callees: LocalFunction[] = [];
    for (const n of fn.getDescendants()) {
      const target = assignedName(n);
      if (target && !declaredInside(target, fn)) own.add(target.getText());
      if (Node.isCallExpression(n)) {
        for (const x of [n.getExpression(), ...n.getArguments()]) {
          const g = localFunctionOf(L, x);
          if (g && g !== fn && !isInside(g, fn)) callees.push(g);
        }
      }
    }
    writes.set(fn, own);
    calls.set(fn, callees);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const fn of fns) {
      const w = writes.get(fn)!;
      for (const g of calls.get(fn)!) {
        for (const name of writes.get(g) ?? []) {
          if (!w.has(name)) {
            w.add(name);
            changed = true;
          }
        }
      }
    }
  }
  for (const call of body.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const position = callbackPosition(call);
    const callback = position === null ? undefined : call.getArguments()[position];
    const used = [localFunctionOf(L, call.getExpression()), callback ? localFunctionOf(L, callback) : null].filter((f): f is LocalFunction => f !== null);
    if (used.length === 0) continue;
    callEffects.set(call.compilerNode, { writes: [...new Set(used.flatMap((f) => [...(writes.get(f) ?? [])]))] });
  }
}

/** The identifier an assignment or update writes (`acc` in `acc += v`, `s` in `s[i] = v`). */
function assignedName(n: Node): Node | null {
  let target: Node | null = null;
  if (Node.isBinaryExpression(n)) {
    const k = n.getOperatorToken().getKind();
    if (k >= SyntaxKind.FirstAssignment && k <= SyntaxKind.LastAssignment) target = n.getLeft();
  } else if ((Node.isPrefixUnaryExpression(n) || Node.isPostfixUnaryExpression(n)) && (n.getOperatorToken() === SyntaxKind.PlusPlusToken || n.getOperatorToken() === SyntaxKind.MinusMinusToken)) {
    target = n.getOperand();
  }
  while (target && (Node.isElementAccessExpression(target) || Node.isPropertyAccessExpression(target) || Node.isParenthesizedExpression(target) || Node.isNonNullExpression(target))) target = target.getExpression();
  return target && Node.isIdentifier(target) ? target : null;
}

function declaredInside(id: Node, fn: LocalFunction): boolean {
  const decl = id.getSymbol()?.getDeclarations()[0];
  return !!decl && isInside(decl, fn);
}

function isInside(n: Node, fn: Node): boolean {
  return n.getStart() >= fn.getStart() && n.getEnd() <= fn.getEnd() && n !== fn;
}

// ---- declarations ----

/** `const f = (v) => ...`: nothing to compute; the scopes it sees are kept for its calls. */
export function declareLocalFunction(L: Lowerer, d: VariableDeclaration): boolean {
  const init = d.getInitializer();
  const fn = init ? strip(init) : null;
  if (!fn || !(Node.isArrowFunction(fn) || Node.isFunctionExpression(fn))) return false;
  state(L).chains.set(fn, L.scopeChain());
  return true;
}

/** Function declarations are hoisted: they see the block they are declared in, from its start. */
export function hoistLocalFunctions(L: Lowerer, statements: Statement[]): void {
  for (const s of statements) if (Node.isFunctionDeclaration(s)) state(L).chains.set(s, L.scopeChain());
}

// ---- calls ----

/** The local function a call calls, or null. */
function calledFunction(L: Lowerer, e: CallExpression): LocalFunction | null {
  const callee = strip(e.getExpression());
  if (!Node.isIdentifier(callee) && !Node.isArrowFunction(callee) && !Node.isFunctionExpression(callee)) return null;
  return localFunctionOf(L, callee);
}

/** `sq(x)` in a number or Tensor expression: the body inlined, its result as an operand. */
export function localCall(L: Lowerer, e: CallExpression, out: Stmt[], target: string | null): Operand | null {
  const fn = calledFunction(L, e);
  if (!fn) return null;
  const type = classifyType(e.getType());
  if (isNumberVector(type)) {
    // `const r = pair(x)`: the new array the body returns, copied into r.
    if (!target) fail(e, `${functionName(fn)}(...) gives an array; store it in a const first`, `write const r = ${functionName(fn)}(...) or const [a, b] = ${functionName(fn)}(...)`);
    const made = inlineCall(L, fn, callArguments(L, fn, e, out), 'array', null, out, e) as Extract<Operand, { kind: 'var' }>;
    out.push({ kind: 'assign', target, expr: { kind: 'copyArray', ctor: 'Array', src: { base: made.name, path: [] } }, loc: L.loc(e) });
    return varOp(target);
  }
  if (type.kind !== 'number' && type.kind !== 'tensor') {
    fail(e, `${functionName(fn)}(...) gives ${typeForMessage(e.getType(), e)} here, where a number, a Tensor or an array of numbers is needed`, 'a local function called in an expression returns a number, a Tensor or a new array of numbers');
  }
  const args = callArguments(L, fn, e, out);
  return inlineCall(L, fn, args, type.kind, target, out, e) as Operand;
}

/** `if (isBig(x))`: a local function returning a boolean (or a number, read as JavaScript's truthiness). */
export function localCondition(L: Lowerer, e: CallExpression, out: Stmt[], where: 'if' | 'loop'): PExpr | null {
  const fn = calledFunction(L, e);
  if (!fn) return null;
  if (where === 'loop') fail(e, `the loop condition calls ${functionName(fn)}`, 'compute it into a variable before the loop and again at the end of the body');
  const type = classifyType(e.getType());
  if (type.kind === 'number') return { kind: 'operand', op: localCall(L, e, out, null)! };
  if (type.kind !== 'bool') return null;
  const args = callArguments(L, fn, e, out);
  return inlineCall(L, fn, args, 'bool', null, out, e) as PExpr;
}

/** `add(v);`: the body inlined for its effects on the enclosing locals. */
export function localCallStatement(L: Lowerer, e: CallExpression, out: Stmt[]): boolean {
  const fn = calledFunction(L, e);
  if (!fn) return false;
  inlineCall(L, fn, callArguments(L, fn, e, out), 'void', null, out, e);
  return true;
}

/** The arguments of a direct call, computed in the caller's scope in JavaScript's order. */
export function callArguments(L: Lowerer, fn: LocalFunction, e: CallExpression, out: Stmt[]): ArgValue[] {
  const params = fn.getParameters();
  const args = e.getArguments() as Expression[];
  const name = functionName(fn);
  if (args.some((a) => Node.isSpreadElement(a))) fail(e, 'spread arguments are not supported', 'pass the values one by one');
  if (args.length > params.length) fail(e, `${name} takes ${params.length} argument${params.length === 1 ? '' : 's'}, got ${args.length}`, 'drop the extra arguments');
  const later = laterAssigned(L, args);
  return args.map((a, i): ArgValue => {
    const t = classifyType(params[i]!.getType());
    if (Node.isIdentifier(a) && a.getText() === 'undefined' && !L.lookup('undefined')) return { kind: 'undefined' };
    switch (t.kind) {
      case 'number':
        return { kind: 'operand', op: snapshot(L, lowerExpression(L, a, out, null), later[i]!, out, a) };
      case 'tensor':
        return { kind: 'operand', op: snapshot(L, lowerTensor(L, a, out, null), later[i]!, out, a) };
      case 'bool':
        return { kind: 'cond', p: asBoolean(toPExpr(L, a, out, 'if'), a) };
      case 'array':
      case 'object':
      case 'tuple': {
        const ref = tryLowerRef(L, a, out);
        return { kind: 'ref', ref: ref ?? { base: L.lowerArrayValue(a, out), path: [] } };
      }
      case 'opaque':
        return { kind: 'cond', p: toPExpr(L, a, out, 'if') };
      default:
        return t satisfies never;
    }
  });
}

/**
 * Inlines one call of `fn` with `args` (fewer than its parameters: the
 * rest take their defaults). Returns the result: an operand (number,
 * Tensor), a condition (bool), or null (void). `scopes` are the scopes the
 * body sees, for a function not defined in this body (inline-helpers.ts:
 * a module-level helper sees none of the caller's).
 */
export function inlineCall(L: Lowerer, fn: LocalFunction, args: ArgValue[], ctx: CallContext, target: string | null, out: Stmt[], at: Node, scopes?: Map<string, Binding>[]): Operand | PExpr | null {
  const st = state(L);
  const name = functionName(fn);
  if (st.active.some((f) => f.fn === fn)) {
    fail(at, `the local function ${name} calls itself, and a local function is inlined where it is called`, `move ${name} to module level, export it and mark it @differentiable: recursion is supported there`);
  }
  const named = Node.isFunctionDeclaration(fn) || (Node.isVariableDeclaration(usageParent(fn)) && !isCallbackArgument(fn));
  const chain = scopes ?? (named ? st.chains.get(fn) : L.scopeChain());
  if (!chain) fail(at, `${name} is called before it is defined`, `define ${name} before this line`);
  if (st.count >= MAX_INLINED_CALLS) {
    fail(at, `${L.annotated.name} inlines more than ${MAX_INLINED_CALLS} calls of local functions (each call copies the function's body)`, `move ${name} to module level, export it and mark it @differentiable: it is then called, not copied`);
  }
  return L.withScopeChain(chain, () => {
    bindParameters(L, fn, args, out);
    const body = fn.getBody();
    if (!body) fail(fn, `${name} has no body`, 'give the function a body');
    const block = Node.isBlock(body) ? body : null;
    if (ctx === 'row' || ctx === 'array') return rowResult(L, fn, name, body, out, ctx === 'row' ? rowValue : (L2, e, out2) => newArrayValue(L2, fn, e, out2));
    const resultType: VarType | null = ctx === 'number' ? { kind: 'number' } : ctx === 'tensor' ? { kind: 'tensor' } : ctx === 'bool' ? { kind: 'bool' } : null;
    const result = resultType && block ? (target ?? L.fresh(name === 'callback' ? 'value' : `${name}Result`, resultType)) : null;
    const frame: InlineFrame = { fn, label: `\u0000inline${++st.count}`, name, ctx, result };
    st.active.push(frame);
    let exits: Exits = none();
    try {
      if (!block) return expressionResult(L, body as Expression, ctx, target, out);
      L.lowerBreakable('block', frame.label, block, out, (inner) => (exits = L.withScope(() => L.lowerBlock(block.getStatements(), inner))));
    } finally {
      st.active.pop();
    }
    if (result && !exits.always) fail(fn, `${name} does not return a value on every path`, 'end it with a return statement');
    if (!result) return null;
    return ctx === 'bool' ? { kind: 'operand', op: varOp(result) } : varOp(result);
  });
}

/**
 * A callback giving a row (an array) of a new local number[][]: its
 * expression body, or the value of the `return` that ends its block body
 * (the only one), as a new local array or a local array shared as it is.
 */
function rowResult(L: Lowerer, fn: LocalFunction, name: string, body: Node, out: Stmt[], value: (L: Lowerer, e: Expression, out: Stmt[]) => string): Operand {
  if (!Node.isBlock(body)) return varOp(value(L, body as Expression, out));
  const statements = body.getStatements();
  const last = statements[statements.length - 1];
  const returns = body.getDescendantsOfKind(SyntaxKind.ReturnStatement).filter((r) => enclosingFunction(r) === fn);
  if (!last || !Node.isReturnStatement(last) || returns.length !== 1 || !last.getExpression()) {
    fail(fn, `${name} gives an array, and returns it from several places or not at the end`, 'compute the row into a local array and return it once, at the end');
  }
  return L.withScope(() => {
    L.lowerBlock(statements.slice(0, -1), out);
    return varOp(value(L, last.getExpression()!, out));
  });
}

/**
 * The new array a local function returns (`[v, 2 * v]`, `xs.slice()`,
 * `xs.map(...)`, a local array of its own), in a local array. One that
 * names an array from outside it is refused: JavaScript would hand the
 * caller that array itself.
 */
function newArrayValue(L: Lowerer, fn: LocalFunction, e: Expression, out: Stmt[]): string {
  const inner = strip(e);
  // An array the function made itself (`const out: number[] = []; ...; return out`) is new to the caller.
  const own = Node.isIdentifier(inner) && declaredInside(inner, fn);
  if (!own && (Node.isIdentifier(inner) || Node.isPropertyAccessExpression(inner) || Node.isElementAccessExpression(inner)) && tryLowerRef(L, inner as Expression, [])) {
    fail(e, `a local function returns ${inner.getText()}, an array the caller would share`, `return a new array: ${inner.getText()}.slice()`);
  }
  return L.lowerArrayValue(e, out);
}

/** The value of an expression body. */
function expressionResult(L: Lowerer, body: Expression, ctx: CallContext, target: string | null, out: Stmt[]): Operand | PExpr | null {
  switch (ctx) {
    case 'number':
      return lowerExpression(L, body, out, target);
    case 'tensor':
      return lowerTensor(L, body, out, target);
    case 'bool':
      if (target) {
        out.push(L.assignPure(target, asBoolean(toPExpr(L, body, out, 'if'), body), body));
        return { kind: 'operand', op: varOp(target) };
      }
      return asBoolean(toPExpr(L, body, out, 'if'), body);
    case 'void':
      L.visitExpressionStatement(body, out);
      return null;
    case 'row':
    case 'array':
      throw new Error('internal: an array result is lowered by rowResult');
    default:
      return ctx satisfies never;
  }
}

/** Binds each parameter to its argument (a fresh local, or the array or object itself), or to its default. */
function bindParameters(L: Lowerer, fn: LocalFunction, args: ArgValue[], out: Stmt[]): void {
  fn.getParameters().forEach((p, i) => {
    const name = p.getName();
    const type = classifyType(p.getType());
    const arg = args[i];
    if (arg && arg.kind !== 'undefined') {
      bindArgument(L, fn, p, name, type, arg, out);
      return;
    }
    const init = p.getInitializer();
    if (init) {
      // The default, computed in the function's scope after the parameters before it, as JavaScript does.
      defaultValue(L, name, type, init, out);
      return;
    }
    if (arg?.kind === 'undefined' || p.hasQuestionToken()) {
      // Read as undefined: any use as a number is a located error.
      L.bind(name, { kind: 'var', name: 'undefined', type: { kind: 'opaque', text: 'undefined' }, isConst: true, isParam: false });
      return;
    }
    fail(p, `${functionName(fn)} is called without ${name}, which has no default value`, `pass ${name}, or give it a default (${name} = 0)`);
  });
}

function defaultValue(L: Lowerer, name: string, type: VarType, init: Expression, out: Stmt[]): void {
  if (type.kind === 'number' || type.kind === 'tensor' || type.kind === 'bool') {
    const local = L.fresh(name, type);
    L.bind(name, { kind: 'var', name: local, type, isConst: false, isParam: false });
    if (type.kind === 'number') L.assignNumber(local, init, out);
    else if (type.kind === 'tensor') assignTensor(L, local, init, out);
    else out.push(L.assignPure(local, asBoolean(toPExpr(L, init, out, 'if'), init), init));
    return;
  }
  fail(init, `the default value of ${name} is not a number, a boolean or a Tensor`, `pass ${name} at every call`);
}

function bindArgument(L: Lowerer, fn: LocalFunction, p: Node, name: string, type: VarType, arg: ArgValue, out: Stmt[]): void {
  const at = p;
  if (arg.kind === 'ref') {
    if (type.kind !== 'array' && type.kind !== 'object' && type.kind !== 'tuple' && type.kind !== 'opaque') {
      fail(p, `${name} is ${type.kind === 'tensor' ? 'a Tensor' : `a ${type.kind}`}, and it is given an array or object`, 'pass a value of the parameter\'s type');
    }
    L.bind(name, { kind: 'alias', ref: arg.ref, type: L.refType(arg.ref, at), mutable: L.isMutableRef(arg.ref) });
    return;
  }
  if (arg.kind === 'load') {
    const elem = L.refType(arg.ref, at);
    if (elem.kind === 'number' || elem.kind === 'tensor') {
      const local = L.fresh(name, elem);
      L.bind(name, { kind: 'var', name: local, type: elem, isConst: false, isParam: false });
      out.push({ kind: 'assign', target: local, expr: { kind: 'load', ref: arg.ref }, loc: L.loc(at) });
      return;
    }
    L.bind(name, { kind: 'alias', ref: arg.ref, type: elem, mutable: L.isMutableRef(arg.ref) });
    return;
  }
  if (arg.kind === 'operand') {
    const t: VarType = type.kind === 'tensor' ? type : { kind: 'number' };
    if (arg.op.kind === 'var' && (arg.direct === 'always' || (arg.direct === 'unassigned' && !parameterAssigned(fn, p)))) {
      L.bind(name, { kind: 'var', name: arg.op.name, type: t, isConst: arg.direct === 'unassigned', isParam: false });
      return;
    }
    const local = L.fresh(name, t);
    L.bind(name, { kind: 'var', name: local, type: t, isConst: false, isParam: false });
    out.push({ kind: 'assign', target: local, expr: { kind: 'copy', src: arg.op }, loc: L.loc(at) });
    return;
  }
  if (arg.kind === 'cond') {
    const local: VarType | null = type.kind === 'bool' ? type : type.kind === 'opaque' ? portableLocal(L, p) : null;
    if (!local) fail(p, `${name} has a type a local function cannot take here (${type.kind})`, 'pass numbers, booleans, Tensors, arrays or objects');
    const v = L.fresh(name, local);
    L.bind(name, { kind: 'var', name: v, type: local, isConst: false, isParam: false });
    out.push(L.assignPure(v, arg.p, at));
    return;
  }
  throw new Error('internal: undefined argument bound');
}

/** A string or enum parameter's type as generated code can spell it. */
function portableLocal(L: Lowerer, p: Node): VarType | null {
  const text = portableOpaqueType(L, p.getType(), null);
  return text ? { kind: 'opaque', text } : null;
}

/** Does the body of `fn` assign the parameter `p` itself (`v = ...`, `v += ...`, `v++`)? */
export function parameterAssigned(fn: LocalFunction, p: Node): boolean {
  const nameNode = Node.isParameterDeclaration(p) ? p.getNameNode() : p;
  const symbol = nameNode.getSymbol();
  return fn.getDescendants().some((n) => {
    const target = assignedName(n);
    return target !== null && target.getText() === nameNode.getText() && target.getSymbol() === symbol && strip(assignedTargetExpression(n)!) === target;
  });
}

function assignedTargetExpression(n: Node): Node | null {
  if (Node.isBinaryExpression(n)) return n.getLeft();
  if (Node.isPrefixUnaryExpression(n) || Node.isPostfixUnaryExpression(n)) return n.getOperand();
  return null;
}

/** `return e` inside an inlined local function: e into the call's result, then out of the inlined body. */
export function localReturn(L: Lowerer, s: ReturnStatement, out: Stmt[]): Exits | null {
  const fn = enclosingFunction(s);
  if (!fn || fn === L.annotated.node) return null;
  const frame = [...state(L).active].reverse().find((f) => f.fn === fn);
  if (!frame) throw new Error('internal: return outside an inlined local function');
  const e = s.getExpression();
  if (frame.result === null) {
    if (e) L.visitExpressionStatement(e, out);
  } else {
    if (!e) fail(s, `return without a value in ${frame.name}, whose value is used`, 'return a value on every path');
    if (frame.ctx === 'number') L.assignNumber(frame.result, e, out);
    else if (frame.ctx === 'tensor') assignTensor(L, frame.result, e, out);
    else out.push(L.assignPure(frame.result, asBoolean(toPExpr(L, e, out, 'if'), e), s));
  }
  const body = frame.fn.getBody();
  const statements = body && Node.isBlock(body) ? body.getStatements() : [];
  if (statements[statements.length - 1] === s) return { may: new Set(), always: true };
  return L.breakOut(frame.label, frame.name === 'callback' ? 'returned' : `${frame.name}Returned`, s, out);
}
