/**
 * Lowering of expressions: each arithmetic operator or `Math.*` call
 * becomes one primitive assigned to a fresh temporary (`t3 = mul(t1, t2)`),
 * so an expression turns into a run of single-assignment lines. Also here:
 * memory references (`p.W[i][j]`), array allocations, and conditions as
 * pure expressions.
 */
import { Node, SyntaxKind } from 'ts-morph';
import type { ArrayLiteralExpression, CallExpression, ElementAccessExpression, Expression, PropertyAccessExpression } from 'ts-morph';
import { constOp, num, varOp, type Access, type ArrayCtor, type Expr, type Operand, type PExpr, type Ref, type Stmt, type VarType } from '../ir/ir.ts';
import { mathFunctions, type ScalarPrim } from '../rules/scalar.ts';
import { isTensorPrim, tensorRules, type TensorPrim } from '../rules/tensor.ts';
import { fail } from './diagnostics.ts';
import { addReceiver, isMethodReceiver, resolveCall } from './callees.ts';
import type { Lowerer } from './lower.ts';
import { classifyType, typeForMessage, varTypeForMessage } from './types.ts';
import { unsupportedExpression } from './unsupported.ts';
import { arrayMethodValue, methodAllocation, type Allocation } from './lower-array-methods.ts';
import { shapeAt, shapeElementRead } from './lower-shapes.ts';
import { isStructureArray, madeArgument, refuseRecordWrite, structureArrayAllocation, tensorListOperand } from './lower-objects.ts';
import { assignedVariables, destructuringAssignment, hasSideEffects, laterAssigned, lowerInOrder, sequencedCondition, snapshot } from './lower-effects.ts';
import { constantArgument, constantArrayRef, constantCondition, constantNumberOperand, constantNumberRead, lowerNullish, portableOpaqueType } from './lower-constants.ts';
import { localCall, localCondition } from './lower-closures.ts';
import { inlinedHelperCall } from './inline-helpers.ts';
import { callbackAllocation, callbackCondition, callbackPosition, callbackValue } from './lower-callbacks.ts';

const arithmetic: Partial<Record<SyntaxKind, ScalarPrim>> = {
  [SyntaxKind.PlusToken]: 'add',
  [SyntaxKind.MinusToken]: 'sub',
  [SyntaxKind.AsteriskToken]: 'mul',
  [SyntaxKind.SlashToken]: 'div',
  [SyntaxKind.AsteriskAsteriskToken]: 'pow',
  [SyntaxKind.PercentToken]: 'mod',
};

const compoundAssign: Partial<Record<SyntaxKind, ScalarPrim>> = {
  [SyntaxKind.PlusEqualsToken]: 'add',
  [SyntaxKind.MinusEqualsToken]: 'sub',
  [SyntaxKind.AsteriskEqualsToken]: 'mul',
  [SyntaxKind.SlashEqualsToken]: 'div',
  [SyntaxKind.AsteriskAsteriskEqualsToken]: 'pow',
  [SyntaxKind.PercentEqualsToken]: 'mod',
};

/** Operators allowed in conditions and index arithmetic (no derivative flows through them). */
const pureOperators = new Set([
  '<', '<=', '>', '>=', '==', '===', '!=', '!==', '&&', '||', '??', '+', '-', '*', '/', '%', '**', '&', '|', '^', '<<', '>>', '>>>',
]);

/** `Math.<name>` constants, read as literals (docs/supported.md lists them). */
export const mathConstants: Readonly<Record<string, number>> = {
  PI: Math.PI,
  E: Math.E,
  LN2: Math.LN2,
  LN10: Math.LN10,
  LOG2E: Math.LOG2E,
  LOG10E: Math.LOG10E,
  SQRT2: Math.SQRT2,
  SQRT1_2: Math.SQRT1_2,
};

/** `Number.<name>` constants, read as literals. */
export const numberConstants: Readonly<Record<string, number>> = {
  EPSILON: Number.EPSILON,
  MAX_VALUE: Number.MAX_VALUE,
  MIN_VALUE: Number.MIN_VALUE,
  MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER,
  MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER,
  NaN: NaN,
  POSITIVE_INFINITY: Infinity,
  NEGATIVE_INFINITY: -Infinity,
};

/**
 * Lowers a numeric expression into `out` and returns the operand holding
 * its value. With `target`, the last primitive is assigned to `target`
 * directly instead of to a temporary.
 */
export function lowerExpression(L: Lowerer, e: Expression, out: Stmt[], target: string | null, asStatement = false): Operand {
  const dest = () => target ?? L.temp();
  const emit = (expr: Expr) => L.emit(out, dest(), expr, e);

  if (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isNonNullExpression(e) || Node.isSatisfiesExpression(e) || Node.isTypeAssertion(e)) {
    return lowerExpression(L, e.getExpression(), out, target, asStatement);
  }
  if (Node.isNumericLiteral(e)) return constOp(numericValue(e.getText()));
  if (Node.isIdentifier(e)) {
    const text = e.getText();
    if (text === 'Infinity') return constOp(Infinity);
    if (text === 'NaN') return constOp(NaN);
    const b = L.lookup(text);
    if (!b) {
      const constant = constantNumberOperand(L, e);
      if (constant) return constant;
      const type = classifyType(e.getType());
      if (type.kind === 'number') {
        fail(e, `${text} is not a local variable or parameter`, 'differentiable functions may read only their parameters, locals and literals; pass module-level values in as parameters');
      }
      fail(e, `cannot use ${text} here`, 'only numbers, number arrays and objects of them are supported');
    }
    if (b.kind === 'alias') {
      if (b.type.kind === 'number') return emit({ kind: 'load', ref: b.ref });
      fail(e, `${text} is ${b.type.kind === 'opaque' ? varTypeForMessage(b.type) : 'an array or object'}, not a number`, 'use a number here: read one element or field of it, such as xs[i] or p.w');
    }
    const constantRead = b.type.kind === 'opaque' ? constantNumberRead(L, e) : null;
    if (constantRead) return emit({ kind: 'pure', expr: constantRead });
    if (b.type.kind !== 'number') fail(e, `${text} is ${typeName(b.type)}, not a number`, 'use a number here: read one element or field of it, such as xs[i] or p.w');
    return varOp(b.name);
  }
  if (Node.isPrefixUnaryExpression(e)) {
    const op = e.getOperatorToken();
    const operand = e.getOperand();
    if (op === SyntaxKind.MinusToken) {
      const v = lowerExpression(L, operand, out, null);
      if (v.kind === 'const') return constOp(-v.value);
      return emit({ kind: 'prim', prim: 'neg', args: [v] });
    }
    if (op === SyntaxKind.PlusToken) return lowerExpression(L, operand, out, target);
    if (op === SyntaxKind.PlusPlusToken || op === SyntaxKind.MinusMinusToken) {
      return increment(L, operand, op === SyntaxKind.PlusPlusToken ? 'add' : 'sub', out, e, 'new');
    }
    fail(e, `the operator ${e.getText()[0]} does not give a number here`, 'use it in a condition');
  }
  if (Node.isPostfixUnaryExpression(e)) {
    const op = e.getOperatorToken() === SyntaxKind.PlusPlusToken ? 'add' : 'sub';
    return increment(L, e.getOperand(), op, out, e, asStatement ? 'new' : 'old');
  }
  if (Node.isBinaryExpression(e)) {
    const kind = e.getOperatorToken().getKind();
    if ((kind === SyntaxKind.AmpersandAmpersandEqualsToken || kind === SyntaxKind.BarBarEqualsToken) && asStatement) return logicalAssignment(L, e, out);
    if (kind === SyntaxKind.EqualsToken && Node.isArrayLiteralExpression(e.getLeft())) {
      if (!asStatement) fail(e, 'a destructuring assignment gives no number here', 'destructure on a line of its own, then use the variables');
      destructuringAssignment(L, e.getLeft() as ArrayLiteralExpression, e.getRight(), out);
      return constOp(0);
    }
    if (kind === SyntaxKind.EqualsToken && Node.isObjectLiteralExpression(e.getLeft())) {
      fail(e.getLeft(), 'object destructuring assignment is not supported', 'assign the fields one by one: a = obj.a; b = obj.b');
    }
    if (kind === SyntaxKind.EqualsToken || compoundAssign[kind]) {
      // Inside an expression too (`y = (x = 2 * a) + 1`): the assigned value is the expression's value.
      return assignment(L, e.getLeft(), compoundAssign[kind] ?? null, e.getRight(), out, e);
    }
    if (kind >= SyntaxKind.FirstAssignment && kind <= SyntaxKind.LastAssignment) {
      // `y ||= x`, `y &&= x`, `y ??= x`, `m <<= 1`, `m |= k`: the logical and bitwise assignments.
      const op = e.getOperatorToken().getText();
      const y = e.getLeft().getText();
      const hints: Record<string, string> = {
        '&&=': `write it as an if: if (${y}) ${y} = ...`,
        '||=': `write it as an if: if (!${y}) ${y} = ...`,
        '??=': `${y} is a number, never null or undefined here: assign it with =`,
      };
      fail(e, `the assignment operator ${op} is not supported`, hints[op] ?? `write it out: ${y} = ${y} ${op.slice(0, -1)} ...`);
    }
    if (kind === SyntaxKind.CommaToken) {
      // `(i++, x * 2)`: the left part for its effect, the right part for its value.
      lowerExpression(L, e.getLeft(), out, null, true);
      return lowerExpression(L, e.getRight(), out, target, asStatement);
    }
    const prim = arithmetic[kind];
    if (prim) {
      let a = lowerExpression(L, e.getLeft(), out, null);
      // `i + i++`: the left operand keeps the value it had before the right one runs.
      if (hasSideEffects(e.getRight())) a = snapshot(L, a, assignedVariables(L, e.getRight()), out, e.getLeft());
      const b = lowerExpression(L, e.getRight(), out, null);
      if (a.kind === 'const' && b.kind === 'const') return constOp(fold(prim, a.value, b.value));
      return emit({ kind: 'prim', prim, args: [a, b] });
    }
    const text = e.getOperatorToken().getText();
    if (['&', '|', '^', '<<', '>>', '>>>'].includes(text)) {
      return emit({ kind: 'pure', expr: toPExpr(L, e, out, 'if') });
    }
    if (text === '??') return lowerNullish(L, e, out, target);
    if (text === ',' || text === '||' || text === '&&') {
      fail(e, `the operator ${text} is not supported in a number expression`, text === ',' ? 'write each expression on its own line' : 'write a conditional instead: c ? a : b');
    }
    fail(e, `${text} gives a boolean, not a number`, 'use it in a condition, or write c ? 1 : 0');
  }
  if (Node.isConditionalExpression(e)) {
    const cond = toPExpr(L, e.getCondition(), out, 'if');
    const result = target ?? L.temp();
    const then: Stmt[] = [];
    const els: Stmt[] = [];
    L.assignNumber(result, e.getWhenTrue(), then);
    L.assignNumber(result, e.getWhenFalse(), els);
    out.push({ kind: 'if', cond, then, else: els, loc: L.loc(e) });
    return varOp(result);
  }
  const meta = tensorMeta(L, e, out);
  if (meta) return emit({ kind: 'pure', expr: meta });
  if (Node.isPropertyAccessExpression(e)) {
    const obj = e.getExpression();
    const name = e.getName();
    if (Node.isIdentifier(obj) && obj.getText() === 'Math' && !L.lookup('Math')) {
      if (Object.hasOwn(mathConstants, name)) return constOp(mathConstants[name]!);
    }
    if (Node.isIdentifier(obj) && obj.getText() === 'Number' && !L.lookup('Number') && Object.hasOwn(numberConstants, name)) {
      return constOp(numberConstants[name]!);
    }
    const constant = constantNumberOperand(L, e);
    if (constant) return constant;
    if (name === 'length') {
      // `xs.filter(p).length`: the new array, then its length (lower-callbacks.ts).
      const ref = tryLowerRef(L, obj, out) ?? (Node.isCallExpression(obj) && callbackPosition(obj) !== null ? { base: L.lowerArrayValue(obj, out), path: [] } : null);
      if (ref) return emit({ kind: 'pure', expr: { kind: 'length', ref } });
    }
    const ref = lowerRefOrFail(L, e, out);
    return loadNumber(L, ref, e, out, target);
  }
  if (Node.isElementAccessExpression(e)) {
    const constant = constantNumberOperand(L, e);
    if (constant) return constant;
    const ref = lowerRefOrFail(L, e, out);
    return loadNumber(L, ref, e, out, target);
  }
  if (Node.isCallExpression(e)) return lowerCall(L, e, out, target);
  unsupportedExpression(e);
}

/**
 * What a tensor says about its shape, as a plain number (no derivative):
 * `t.size`, `t.rank`, `t.shape[i]`, `t.shape.length`. Null for anything else.
 */
function tensorMeta(L: Lowerer, e: Expression, out: Stmt[]): PExpr | null {
  // `x.shape.at(-1)`, `shape.at(i)` (lower-shapes.ts).
  const at = shapeAt(L, e, out);
  if (at) return at;
  const isTensor = (x: Expression) => classifyType(x.getType()).kind === 'tensor';
  const base = (x: Expression): string | null => {
    const v = lowerTensor(L, x, out, null);
    return v.kind === 'var' ? v.name : null;
  };
  if (Node.isPropertyAccessExpression(e)) {
    const obj = e.getExpression();
    const name = e.getName();
    if ((name === 'size' || name === 'rank') && isTensor(obj)) {
      const b = base(obj);
      return b ? { kind: 'load', ref: { base: b, path: [{ kind: 'prop', name }] } } : null;
    }
    if (name === 'length' && Node.isPropertyAccessExpression(obj) && obj.getName() === 'shape' && isTensor(obj.getExpression())) {
      const b = base(obj.getExpression());
      return b ? { kind: 'length', ref: { base: b, path: [{ kind: 'prop', name: 'shape' }] } } : null;
    }
  }
  if (Node.isElementAccessExpression(e)) {
    const obj = e.getExpression();
    const arg = e.getArgumentExpression();
    if (arg && Node.isPropertyAccessExpression(obj) && obj.getName() === 'shape' && isTensor(obj.getExpression())) {
      const b = base(obj.getExpression());
      const index = toPExpr(L, arg, out, 'if');
      return b ? { kind: 'element', ref: { base: b, path: [{ kind: 'prop', name: 'shape' }] }, index } : null;
    }
  }
  return null;
}

function typeName(t: VarType): string {
  if (t.kind === 'opaque') return varTypeForMessage(t);
  return t.kind === 'bool' ? 'a boolean' : t.kind === 'tensor' ? 'a tensor' : `an ${t.kind}`;
}

function loadNumber(L: Lowerer, ref: Ref, e: Expression, out: Stmt[], target: string | null): Operand {
  // `shape[shape.length - 1]` where `const shape = x.shape` (lower-shapes.ts).
  const dim = shapeElementRead(L, ref);
  if (dim) return L.emit(out, target ?? L.temp(), { kind: 'pure', expr: dim }, e);
  const t = L.refType(ref, e);
  if (t.kind !== 'number' && t.kind !== 'opaque') fail(e, `${e.getText()} is ${typeName(t)}, not a number`, 'use a number here: read one element or field of it, such as xs[i] or p.w');
  if (t.kind === 'opaque' && classifyType(e.getType()).kind !== 'number') fail(e, `${e.getText()} is not a number`, 'use a number here: read one element or field of it, such as xs[i] or p.w');
  return L.emit(out, target ?? L.temp(), { kind: 'load', ref }, e);
}

function fold(prim: ScalarPrim, a: number, b: number): number {
  switch (prim) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'pow':
      return a ** b;
    case 'mod':
      return a % b;
    default:
      throw new Error(`internal: cannot fold ${prim}`);
  }
}

/** `x++`, `--x`, `a[i]++`: returns the old or the new value. */
function increment(L: Lowerer, operand: Expression, prim: 'add' | 'sub', out: Stmt[], at: Node, which: 'old' | 'new'): Operand {
  const place = lowerPlace(L, operand, out);
  if (place.kind === 'var' && isBoolVar(L, place.name)) fail(at, `${operand.getText()} is a boolean: it cannot be incremented`, `write ${operand.getText()} = !${operand.getText()} to flip it`);
  const old = place.read(out, which === 'old' ? L.temp() : null);
  const next = place.kind === 'var' ? place.name : L.temp();
  L.emit(out, next, { kind: 'prim', prim, args: [old, constOp(1)] }, at);
  if (place.kind === 'ref') place.write(varOp(next), out, at);
  return which === 'old' ? old : varOp(next);
}

/** Is `name` a boolean local or parameter? */
function isBoolVar(L: Lowerer, name: string): boolean {
  const t = L.fn.locals.get(name) ?? L.fn.params.find((p) => p.name === name)?.type;
  return t?.kind === 'bool';
}

/** `ok &&= c`, `seen ||= c` on a boolean: `ok = ok && c`. */
function logicalAssignment(L: Lowerer, e: import('ts-morph').BinaryExpression, out: Stmt[]): Operand {
  const left = e.getLeft();
  const place = lowerPlace(L, left, out);
  if (place.kind !== 'var' || !isBoolVar(L, place.name)) {
    fail(e, `${e.getOperatorToken().getText()} is supported on boolean variables only`, 'write the assignment out with a conditional: x = c ? a : b');
  }
  const op = e.getOperatorToken().getKind() === SyntaxKind.AmpersandAmpersandEqualsToken ? '&&' : '||';
  const flag: PExpr = { kind: 'operand', op: varOp(place.name) };
  if (hasSideEffects(e.getRight())) {
    // JavaScript evaluates the right side only when it is needed: `ok &&= c` is `if (ok) ok = c`.
    const then: Stmt[] = [];
    then.push(L.assignPure(place.name, toPExpr(L, e.getRight(), then, 'if'), e));
    out.push({ kind: 'if', cond: op === '&&' ? flag : { kind: 'unary', op: '!', expr: flag }, then, else: [], loc: L.loc(e) });
    return varOp(place.name);
  }
  out.push(L.assignPure(place.name, { kind: 'binary', op, left: flag, right: toPExpr(L, e.getRight(), out, 'if') }, e));
  return varOp(place.name);
}

/** `x = e`, `x += e`, `a[i] = e`, `a[i] *= e`. */
function assignment(L: Lowerer, left: Expression, prim: ScalarPrim | null, right: Expression, out: Stmt[], at: Node): Operand {
  const place = lowerPlace(L, left, out);
  if (place.kind === 'var' && (isBoolVar(L, place.name) || L.fn.locals.get(place.name)?.kind === 'opaque')) {
    // `done = x > 1`, `mode = 'tanh'`: a flag or a constant, computed as a pure expression; no derivative flows through it.
    if (prim) fail(at, `${left.getText()} is ${isBoolVar(L, place.name) ? 'a boolean' : 'not a number'}: arithmetic assignment does not apply`, `write ${left.getText()} = <condition>, or ${left.getText()} &&= <condition>`);
    out.push(L.assignPure(place.name, toPExpr(L, right, out, 'if'), at));
    return varOp(place.name);
  }
  if (place.kind === 'var' && L.fn.locals.get(place.name)?.kind === 'tensor') {
    if (prim) fail(at, 'compound assignment is not supported for tensors', 'write t = add(t, u)');
    assignTensor(L, place.name, right, out);
    return varOp(place.name);
  }
  if (place.kind === 'var') {
    if (!prim) {
      L.assignNumber(place.name, right, out);
      return varOp(place.name);
    }
    // `x += (x++, e)`: JavaScript reads x before the right side runs.
    const old = hasSideEffects(right) ? snapshot(L, varOp(place.name), assignedVariables(L, right), out, left) : varOp(place.name);
    const b = lowerExpression(L, right, out, null);
    return L.emit(out, place.name, { kind: 'prim', prim, args: [old, b] }, at);
  }
  let value: Operand;
  if (!prim) {
    value = lowerExpression(L, right, out, null);
  } else {
    const old = place.read(out, null);
    const b = lowerExpression(L, right, out, null);
    value = L.emit(out, L.temp(), { kind: 'prim', prim, args: [old, b] }, at);
  }
  place.write(value, out, at);
  return value;
}

type Place =
  | { kind: 'var'; name: string; read: (out: Stmt[], into: string | null) => Operand }
  | { kind: 'ref'; ref: Ref; read: (out: Stmt[], into: string | null) => Operand; write: (v: Operand, out: Stmt[], at: Node) => void };

/** Something that can be assigned: a number variable or an element of a local array. */
export function lowerPlace(L: Lowerer, e: Expression, out: Stmt[]): Place {
  if (Node.isParenthesizedExpression(e)) return lowerPlace(L, e.getExpression(), out);
  if (Node.isIdentifier(e)) {
    const b = L.lookup(e.getText());
    if (!b) fail(e, `${e.getText()} is not a local variable`, 'differentiable functions may assign only their own locals');
    if (b.kind === 'alias') fail(e, `cannot assign to ${e.getText()}: it refers to part of an array or object`, 'declare a new local with let for the new value');
    const constantLocal = b.type.kind === 'opaque' && !b.isParam;
    if (b.type.kind !== 'number' && b.type.kind !== 'tensor' && b.type.kind !== 'bool' && !constantLocal) {
      fail(e, `cannot reassign ${e.getText()} (${typeName(b.type)})`, b.type.kind === 'opaque' ? `only numbers, booleans and tensors can be reassigned; declare a new const for the new value` : 'arrays cannot be reassigned in a differentiable function; declare a new const array');
    }
    if (b.isConst) fail(e, `cannot assign to const ${e.getText()}`, `declare ${e.getText()} with let instead of const`);
    const name = b.name;
    return {
      kind: 'var',
      name,
      read: (out2, into) => (into ? L.emit(out2, into, { kind: 'copy', src: varOp(name) }, e) : varOp(name)),
    };
  }
  if (Node.isElementAccessExpression(e) || Node.isPropertyAccessExpression(e)) {
    const ref = lowerRefOrFail(L, e, out);
    if (!L.isMutableRef(ref)) {
      const base = ref.base === L.fn.self?.name ? 'this' : ref.base;
      const isArray = L.refType({ base: ref.base, path: [] }, e).kind === 'array';
      fail(
        e,
        `cannot write into ${e.getText()}: ${base} is a parameter`,
        isArray ? `writing would change the caller's data; copy it first (const copy = ${base}.slice())` : "writing would change the caller's data; keep the value in a local variable instead",
      );
    }
    const t = L.refType(ref, e);
    if (t.kind !== 'number') fail(e, `cannot assign to ${e.getText()} (${typeName(t)})`, 'assign array elements one number at a time');
    // A field of a local object, or of one in a local array of them, is shared with the record (lower-objects.ts).
    refuseRecordWrite(L, ref, e);
    return {
      kind: 'ref',
      ref,
      read: (out2, into) => L.emit(out2, into ?? L.temp(), { kind: 'load', ref }, e),
      write: (v, out2, at) => {
        out2.push({ kind: 'store', ref, value: v, loc: L.loc(at) });
      },
    };
  }
  fail(e, `cannot assign to ${e.getText()}`, 'assign one variable or array element at a time, as in a = ...; b = ...');
}

/** A call: `Math.*` primitives, other differentiable functions, `stopGradient`, or plain functions. */
function lowerCall(L: Lowerer, e: CallExpression, out: Stmt[], target: string | null): Operand {
  const callee = e.getExpression();
  const args = e.getArguments() as Expression[];
  const dest = () => target ?? L.temp();
  if (args.some((a) => Node.isSpreadElement(a))) fail(e, 'spread arguments are not supported', 'pass the values one by one');
  // `sq(x)`, `((v) => v * v)(x)`: a local function, inlined (lower-closures.ts).
  const local = localCall(L, e, out, target);
  if (local) return local;
  if (Node.isPropertyAccessExpression(callee)) {
    const obj = callee.getExpression();
    const name = callee.getName();
    if (Node.isIdentifier(obj) && obj.getText() === 'Math' && !L.lookup('Math')) {
      if (name === 'random') return L.emit(out, dest(), { kind: 'opaqueCall', fn: 'Math.random', args: [] }, e);
      const m = Object.hasOwn(mathFunctions, name) ? mathFunctions[name] : undefined;
      if (!m) fail(callee, `Math.${name} is not supported`, 'see docs/supported.md for the Math functions wengert differentiates');
      const ops = lowerInOrder(L, args, out, (a) => lowerExpression(L, a, out, null));
      if (m.variadic) {
        if (ops.length === 0) fail(e, `Math.${name}() needs arguments`, `pass at least one number, as in Math.${name}(a, b)`);
        if (name === 'hypot') return L.emit(out, dest(), { kind: 'prim', prim: 'hypot', args: ops }, e);
        if (ops.length === 1) return ops[0]!;
        let acc = ops[0]!;
        for (let i = 1; i < ops.length; i++) {
          const into = i === ops.length - 1 ? dest() : L.temp();
          acc = L.emit(out, into, { kind: 'prim', prim: m.prim, args: [acc, ops[i]!] }, e);
        }
        return acc;
      }
      const arity = m.prim === 'pow' || m.prim === 'atan2' ? 2 : 1;
      if (ops.length !== arity) fail(e, `Math.${name} takes ${arity} argument${arity > 1 ? 's' : ''}`, `call it with exactly ${arity}, as in Math.${name}(${arity > 1 ? 'a, b' : 'x'})`);
      return L.emit(out, dest(), { kind: 'prim', prim: m.prim, args: ops }, e);
    }
    // `this.energy(x)`, `body.energy(x)`: a @differentiable method, resolved below (callees.ts).
    // `xs.indexOf(v)`: a loop of comparisons (lower-array-methods.ts).
    const arrayMethod = arrayMethodValue(L, e, out, target);
    if (arrayMethod) return arrayMethod;
    // `xs.reduce((s, v) => s + v, 0)`, `xs.findIndex((v) => v > 0)`: a loop calling the callback (lower-callbacks.ts).
    const withCallback = callbackValue(L, e, out, target);
    if (withCallback) return withCallback;
    if (!isMethodReceiver(L, obj)) fail(e, `method call ${callee.getText()}(...) is not supported`, 'write the loop out, or move the call into a @differentiable helper function');
  }
  if (!Node.isIdentifier(callee) && !Node.isPropertyAccessExpression(callee)) fail(e, `cannot call ${callee.getText()}`, 'call a named function');
  if (callee.getText() === 'eval') unsupportedExpression(e);
  if (callee.getText() === L.annotated.name || L.lookup(callee.getText())) {
    if (L.lookup(callee.getText())) fail(e, `${callee.getText()} is not a function`, `${callee.getText()} is a local or parameter; call a function declared in this file or imported by name`);
  }
  const runtimeName = wengertImportName(callee);
  if (runtimeName && isTensorPrim(runtimeName)) return lowerTensorOp(L, e, runtimeName, out, target);
  const resolved = resolveCall(e, L.sourceFile);
  if (resolved.kind === 'unknown') {
    fail(e, `cannot resolve the function ${callee.getText()}`, 'call a function declared in this file or imported by name');
  }
  if (resolved.kind === 'differentiable') {
    const { callee: c } = resolved;
    // `sigmoid(x)`: a small helper of this file, inlined (inline-helpers.ts).
    const inlined = inlinedHelperCall(L, e, c, resolved.declaration, out, target);
    if (inlined) return inlined;
    // Optional and default parameters may be left out: the calls pass `undefined` in their place.
    const declared = Node.isFunctionLikeDeclaration(resolved.declaration) ? resolved.declaration.getParameters() : [];
    const required = declared.filter((p) => !p.isOptional()).length;
    if (args.length > c.params.length || args.length < required) {
      const count = required === c.params.length ? `${c.params.length}` : `${required} to ${c.params.length}`;
      fail(e, `${callee.getText()} takes ${count} arguments, got ${args.length}`, 'pass every argument that has no default value');
    }
    const ops: Operand[] = [];
    const later = laterAssigned(L, args);
    for (let i = 0; i < c.params.length; i++) {
      const pt = c.params[i]!;
      if (i >= args.length) {
        ops.push({ kind: 'text', text: 'undefined' });
        continue;
      }
      if (pt.kind === 'number') ops.push(lowerExpression(L, args[i]!, out, null));
      else if (pt.kind === 'tensor') ops.push(lowerTensor(L, args[i]!, out, null));
      else if (pt.kind === 'bool') {
        // A flag passed on (`activate(z, useRelu)`): evaluated once into a boolean local, never differentiated.
        const cond = toPExpr(L, args[i]!, out, 'if');
        if (cond.kind === 'operand' && cond.op.kind === 'var') ops.push(cond.op);
        else {
          const flag = L.temp({ kind: 'bool' });
          out.push(L.assignPure(flag, cond, args[i]!));
          ops.push(varOp(flag));
        }
      }
      else if (pt.kind === 'array' || pt.kind === 'object' || pt.kind === 'tuple') {
        // `dense({ W: p.W1, b: p.b1 }, x)`, `cell(x, [h, c])`: a record made at the call (lower-objects.ts).
        const record = madeArgument(L, args[i]!, pt, out);
        if (record) {
          ops.push(record);
          if (i < args.length) ops[i] = snapshot(L, ops[i]!, later[i]!, out, args[i]!);
          continue;
        }
        // A new array made in the argument (`f(xs.slice())`, `f([a, b])`) is passed as a new local array.
        const made = pt.kind === 'array' && pt.elem.kind === 'number' && !tryLowerRef(L, args[i]!, []) ? L.lowerArrayValue(args[i]!, out) : null;
        const ref = made ? null : lowerRefOrFail(L, args[i]!, out);
        ops.push({ kind: 'var', name: made ?? refArgName(L, ref!, args[i]!, out) });
      } else if (pt.kind === 'opaque' && classifyType(args[i]!.getType()).kind === 'number') {
        // An optional number (`k?: number`) given a value: a constant of the callee.
        ops.push(lowerExpression(L, args[i]!, out, null));
      } else if (pt.kind === 'opaque') {
        // A string, an enum, labels: passed on as they are, never differentiated.
        ops.push(lowerOperand(L, args[i]!, out));
      } else {
        fail(args[i]!, `argument ${i + 1} of ${callee.getText()} has a type wengert cannot pass (${typeName(pt)})`, 'pass numbers, number arrays, or objects and tuples of these');
      }
      // `f(i, i++)`: an argument keeps the value it had before a later argument updates it.
      if (i < args.length) ops[i] = snapshot(L, ops[i]!, later[i]!, out, args[i]!);
    }
    addReceiver(L, resolved, ops);
    if (!resolved.primalImport.exported) {
      fail(e, `${callee.getText()} is called from a differentiable function but is not exported`, `export ${callee.getText()} so the generated file can import it`);
    }
    L.imports.push(resolved.primalImport);
    if (c.returns.kind === 'tensor') return L.emit(out, target ?? L.temp({ kind: 'tensor' }), { kind: 'call', callee: c, args: ops }, e);
    if (c.returns.kind !== 'number' && !target) {
      fail(e, `${callee.getText()} returns an array; store it in a const first`, `write const r = ${callee.getText()}(...) or const [a, b] = ${callee.getText()}(...)`);
    }
    return L.emit(out, dest(), { kind: 'call', callee: c, args: ops }, e);
  }
  // A plain function: allowed when no argument depends on the differentiated inputs (checked after activity analysis).
  if (callee.getText() === 'stopGradient') {
    if (args.length !== 1) fail(e, 'stopGradient takes one argument', 'wrap one value: stopGradient(x)');
    const type = classifyType(args[0]!.getType());
    const v = lowerOperand(L, args[0]!, out);
    L.imports.push({ module: 'wengert', exportName: 'stopGradient', localName: 'stopGradient', exported: true });
    return L.emit(out, target ?? L.temp(type), { kind: 'opaqueCall', fn: 'stopGradient', args: [v] }, e);
  }
  if (classifyType(e.getType()).kind !== 'number') fail(e, `${callee.getText()}(...) does not return a number`, 'call it outside the differentiable function and pass the result in as a parameter');
  const deps: string[] = [];
  const ops: Operand[] = [];
  const laterPlain = laterAssigned(L, args);
  for (const a of args) {
    const t = classifyType(a.getType());
    if (t.kind === 'number') {
      const read = lowerExpression(L, a, out, null);
      const v = snapshot(L, read, laterPlain[args.indexOf(a)]!, out, a);
      if (v.kind === 'var') deps.push(v.name);
      ops.push(v);
    } else {
      fail(a, `cannot pass ${a.getText()} to ${callee.getText()}, which is not differentiable`, `mark ${callee.getText()} @differentiable, or pass numbers only`);
    }
  }
  if (!resolved.primalImport) fail(e, `${callee.getText()} cannot be imported by the generated file`, 'declare or import it by name in this file');
  if (!resolved.primalImport.exported) {
    fail(
      e,
      `${callee.getText()} is not a differentiable function, and the generated file cannot import it`,
      `mark ${callee.getText()} @differentiable and export it, or compute its value outside and pass it in as a parameter`,
    );
  }
  L.imports.push(resolved.primalImport);
  L.plainCalls.push({ node: e, name: callee.getText(), deps });
  return L.emit(out, dest(), { kind: 'opaqueCall', fn: callee.getText(), args: ops, ...(resolved.pure ? { pure: true as const } : {}) }, e);
}

/**
 * A whole array/object argument: a variable name. A field or element
 * (`p.hidden`, `xs[i]`, an alias such as `const row = xs[i]`) is
 * materialised: a number array as a copy (its adjoint flows back through
 * the copy), an object or tuple as a load whose adjoint container is added
 * into the parent's adjoint at that path.
 */
function refArgName(L: Lowerer, ref: Ref, at: Expression, out: Stmt[]): string {
  if (ref.path.length === 0) return ref.base;
  const type = L.refType(ref, at);
  if (type.kind === 'array' && type.elem.kind === 'number') {
    const t = L.temp({ kind: 'array', ctor: type.ctor, elem: type.elem });
    L.emit(out, t, { kind: 'copyArray', ctor: type.ctor, src: ref }, at);
    return t;
  }
  if (type.kind === 'object' || type.kind === 'tuple') {
    const t = L.temp(type);
    L.emit(out, t, { kind: 'load', ref }, at);
    return t;
  }
  fail(at, `cannot pass ${at.getText()} (${type.kind === 'array' ? 'an array of arrays' : type.kind}) to a differentiable function`, 'pass a number array, an object or tuple of numbers and tensors, or a Tensor');
}

/** Lowers an expression that names an array or object (`p`, `p.W`, `rows[i]`), or returns null. */
export function tryLowerRef(L: Lowerer, e: Expression, out: Stmt[]): Ref | null {
  if (Node.isParenthesizedExpression(e) || Node.isNonNullExpression(e) || Node.isAsExpression(e)) return tryLowerRef(L, e.getExpression(), out);
  if (Node.isThisExpression(e)) {
    if (!L.fn.self) fail(e, '`this` is only available in @differentiable methods', 'pass the object as a parameter');
    return { base: L.fn.self.name, path: [] };
  }
  if (Node.isIdentifier(e)) {
    const b = L.lookup(e.getText());
    // A module-level constant array: a local copy of its numbers.
    if (!b) return constantArrayRef(L, e);
    if (b.kind === 'alias') return b.ref;
    if (b.type.kind === 'number' || b.type.kind === 'bool') return null;
    return { base: b.name, path: [] };
  }
  const constantArray = constantArrayRef(L, e);
  if (constantArray) return constantArray;
  if (Node.isPropertyAccessExpression(e)) {
    const base = tryLowerRef(L, e.getExpression(), out);
    if (!base) return null;
    return { base: base.base, path: [...base.path, propertyStep(e, e.getName())] };
  }
  if (Node.isElementAccessExpression(e)) {
    const base = tryLowerRef(L, e.getExpression(), out);
    if (!base) return null;
    const arg = e.getArgumentExpression();
    if (!arg) return null;
    if (Node.isStringLiteral(arg)) return { base: base.base, path: [...base.path, propertyStep(e, arg.getLiteralValue())] };
    const index = lowerExpression(L, arg, out, null);
    return { base: base.base, path: [...base.path, { kind: 'index', index }] };
  }
  return null;
}

/**
 * The step reading property `name` of `e`'s object. Generated code lives
 * outside the class, so a `#private` field is refused, and a `private` or
 * `protected` member is marked to be read as `obj['name']`, the one access
 * TypeScript allows to such members from outside.
 */
function propertyStep(e: PropertyAccessExpression | ElementAccessExpression, name: string): Access {
  if (name.startsWith('#')) {
    fail(
      e,
      `${e.getText()} reads the #private field ${name}, which the generated derivative code, outside the class, cannot reach`,
      `declare it as a TypeScript private field (private ${name.slice(1)}) instead, or pass the value in as a parameter`,
    );
  }
  const member = e.getExpression().getType().getProperty(name);
  const hidden = (member?.getDeclarations() ?? []).some(
    (d) => Node.isModifierable(d) && (d.hasModifier(SyntaxKind.PrivateKeyword) || d.hasModifier(SyntaxKind.ProtectedKeyword)),
  );
  return hidden ? { kind: 'prop', name, viaIndex: true } : { kind: 'prop', name };
}

export function lowerRefOrFail(L: Lowerer, e: Expression, out: Stmt[]): Ref {
  const ref = tryLowerRef(L, e, out);
  if (!ref) fail(e, `cannot read ${e.getText()}`, 'read parameters, locals, and elements or fields of them');
  return ref;
}

/**
 * A row to put into a local number[][]: a local number[] as it is (shared,
 * as JavaScript shares it), or a new array (a literal, a copy, a call). A
 * row of a parameter is refused: sharing it would let writes through the
 * 2-D array change the caller's data, and a silent copy would not behave
 * as JavaScript does.
 */
export function rowValue(L: Lowerer, e: Expression, out: Stmt[]): string {
  let inner = e;
  while (Node.isParenthesizedExpression(inner) || Node.isNonNullExpression(inner) || Node.isAsExpression(inner)) inner = inner.getExpression();
  if (Node.isIdentifier(inner) || Node.isPropertyAccessExpression(inner) || Node.isElementAccessExpression(inner)) {
    const ref = tryLowerRef(L, inner, out);
    if (ref && !(ref.path.length === 0 && L.isMutableRef(ref))) {
      fail(e, `${e.getText()} is not a local array: it cannot be shared with a local number[][]`, `put a copy in: ${e.getText().replace(/!$/, '')}.slice()`);
    }
  }
  return L.lowerArrayValue(e, out);
}

/** `number[][]`: a local 2-D array, whose rows are local number[]s. */
export function isRowsType(t: VarType): t is Extract<VarType, { kind: 'array' }> {
  return t.kind === 'array' && t.ctor === 'Array' && t.elem.kind === 'array' && t.elem.ctor === 'Array' && t.elem.elem.kind === 'number';
}

/**
 * A new local array: `new Float64Array(n)`, `new Array(n).fill(0)`, `[]`,
 * `[a, b]`, `xs.slice()`, `Array.from(xs)`, `[...xs]`. Returns null when
 * `init` is not an allocation (it may be an alias such as `p.W[i]`).
 */
export function arrayAllocation(L: Lowerer, init: Expression, type: Extract<VarType, { kind: 'array' }>, out: Stmt[]): Allocation | null {
  if (Node.isParenthesizedExpression(init) || Node.isAsExpression(init) || Node.isSatisfiesExpression(init)) {
    return arrayAllocation(L, init.getExpression(), type, out);
  }
  const ctor: ArrayCtor = type.ctor;
  // `xs.map((v) => ...)`, `xs.filter(...)`, `Array.from({ length: n }, (_, i) => ...)` (lower-callbacks.ts).
  const withCallback = Node.isCallExpression(init) ? callbackAllocation(L, init, type, out) : null;
  if (withCallback) return withCallback;
  // `const hs: Tensor[] = []`, `const layers: Layer[] = [{ W, b }]` (lower-objects.ts).
  if (isStructureArray(type)) return structureArrayAllocation(L, init, type, out);
  if (isRowsType(type) && !Node.isArrayLiteralExpression(init)) {
    fail(init, 'a local number[][] starts as [] or as a literal of rows', 'write const rows: number[][] = [] and push each row (a copy of a row is rows.push(r.slice()))');
  }
  if (Node.isArrayLiteralExpression(init) && isRowsType(type)) {
    // `[[a, b], row, xs[i]]`: each row a local number[] (a literal, a local row as it is, a copy of anything else).
    const rows = init.getElements().map((el) => {
      if (Node.isSpreadElement(el)) fail(el, 'spread is not supported in a literal of rows', 'push the rows one by one');
      return varOp(rowValue(L, el as Expression, out));
    });
    return { expr: { kind: 'newArray', ctor: 'Array', size: null, elems: [], elem: type.elem }, pushes: rows };
  }
  if (Node.isArrayLiteralExpression(init)) {
    const elems = init.getElements();
    if (elems.length === 1 && Node.isSpreadElement(elems[0]!)) {
      const src = lowerRefOrFail(L, elems[0].getExpression(), out);
      return { expr: { kind: 'copyArray', ctor, src }, pushes: [] };
    }
    const pushes = lowerInOrder(L, elems, out, (el) => {
      if (Node.isSpreadElement(el)) fail(el, 'spread is supported only as [...xs]', 'copy with xs.slice()');
      return lowerExpression(L, el as Expression, out, null);
    });
    return { expr: { kind: 'newArray', ctor: 'Array', size: null, elems: [] }, pushes };
  }
  if (Node.isNewExpression(init)) {
    const what = init.getExpression().getText();
    const args = init.getArguments() as Expression[];
    if (what === 'Float64Array' || what === 'Float32Array') {
      if (args.length !== 1) fail(init, `new ${what} needs one argument (a length or an array to copy)`, `write new ${what}(n) or new ${what}(xs)`);
      if (classifyType(args[0]!.getType()).kind === 'number') {
        return { expr: { kind: 'newArray', ctor: what, size: lowerExpression(L, args[0]!, out, null), elems: [] }, pushes: [] };
      }
      return { expr: { kind: 'copyArray', ctor: what, src: lowerRefOrFail(L, args[0]!, out) }, pushes: [] };
    }
    if (what === 'Array') fail(init, 'new Array(n) leaves holes', 'write new Array(n).fill(0)');
  }
  if (Node.isCallExpression(init)) {
    const callee = init.getExpression();
    if (Node.isPropertyAccessExpression(callee)) {
      const name = callee.getName();
      const obj = callee.getExpression();
      if (name === 'fill') {
        const inner = Node.isNewExpression(obj) || Node.isCallExpression(obj) ? obj : null;
        if (inner && inner.getExpression().getText() === 'Array') {
          const [sizeArg] = inner.getArguments() as Expression[];
          const [fillArg] = init.getArguments() as Expression[];
          if (!sizeArg || !fillArg) fail(init, 'write new Array(n).fill(0)', 'give both the length and the fill value');
          const fill = lowerExpression(L, fillArg, out, null);
          const alloc: Allocation = { expr: { kind: 'newArray', ctor: 'Array', size: lowerExpression(L, sizeArg, out, null), elems: [] }, pushes: [] };
          // `new Array(n).fill(v)`: zeros, then v stored into each element (lower-array-methods.ts).
          if (fill.kind !== 'const' || fill.value !== 0) return methodAllocation(L, init, type, out, () => alloc);
          return alloc;
        }
      }
      if (name === 'slice' && init.getArguments().length === 0) {
        return { expr: { kind: 'copyArray', ctor, src: lowerRefOrFail(L, obj, out) }, pushes: [] };
      }
      if (name === 'from' && Node.isIdentifier(obj) && ['Array', 'Float64Array', 'Float32Array'].includes(obj.getText()) && init.getArguments().length === 1) {
        return { expr: { kind: 'copyArray', ctor, src: lowerRefOrFail(L, init.getArguments()[0] as Expression, out) }, pushes: [] };
      }
      // `xs.slice(a, b)`, `xs.concat(ys)`, `xs.slice().reverse()`, `new Float64Array(n).fill(v)`.
      const method = methodAllocation(L, init, type, out, (inner) => arrayAllocation(L, inner, type, out));
      if (method) return method;
    }
  }
  return null;
}

/**
 * A condition as a pure expression. In an `if` (evaluated once), parts
 * that are not pure, such as calls, are computed into temporaries first; a
 * loop condition is re-evaluated every trip, so it must be pure.
 */
export function toPExpr(L: Lowerer, e: Expression, out: Stmt[], where: 'if' | 'loop'): PExpr {
  const rec = (x: Expression): PExpr => toPExpr(L, x, out, where);
  if (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isNonNullExpression(e)) return rec(e.getExpression());
  if (e.getKind() === SyntaxKind.TrueKeyword) return { kind: 'bool', value: true };
  if (e.getKind() === SyntaxKind.FalseKeyword) return { kind: 'bool', value: false };
  if (Node.isNumericLiteral(e)) return { kind: 'operand', op: constOp(numericValue(e.getText())) };
  // Strings, `undefined`, module constants, enum members, and string / enum / optional parameters.
  const constant = constantCondition(L, e);
  if (constant) return constant;
  if (Node.isPropertyAccessExpression(e) || Node.isElementAccessExpression(e)) {
    const scratch: Stmt[] = [];
    const meta = tensorMeta(L, e, where === 'loop' ? scratch : out);
    if (meta && scratch.length > 0) fail(e, `the loop condition computes a tensor in ${e.getText()}`, 'compute it into a variable before the loop');
    if (meta) return meta;
  }
  if (Node.isIdentifier(e)) {
    const text = e.getText();
    if (text === 'Infinity') return { kind: 'operand', op: constOp(Infinity) };
    const b = L.lookup(text);
    if (b?.kind === 'var' && (b.type.kind === 'number' || b.type.kind === 'bool')) return { kind: 'operand', op: varOp(b.name) };
    if (b?.kind === 'alias' && b.type.kind === 'number') return { kind: 'load', ref: b.ref };
  }
  if (Node.isPrefixUnaryExpression(e)) {
    const op = e.getOperatorToken();
    if (op === SyntaxKind.ExclamationToken) return foldLogic({ kind: 'unary', op: '!', expr: rec(e.getOperand()) });
    if (op === SyntaxKind.MinusToken) return { kind: 'unary', op: '-', expr: rec(e.getOperand()) };
    if (op === SyntaxKind.PlusToken) return rec(e.getOperand());
  }
  if (where === 'if' && (Node.isBinaryExpression(e) || Node.isConditionalExpression(e))) {
    // An update in a part evaluated later or only sometimes (`i < n && xs[i++] > 0`), or a comma.
    const sequenced = sequencedCondition(L, e, out);
    if (sequenced) return sequenced;
  }
  if (Node.isBinaryExpression(e)) {
    const op = e.getOperatorToken().getText();
    if (pureOperators.has(op)) return foldLogic({ kind: 'binary', op, left: rec(e.getLeft()), right: rec(e.getRight()) });
  }
  if (Node.isConditionalExpression(e)) {
    return { kind: 'cond', test: rec(e.getCondition()), whenTrue: rec(e.getWhenTrue()), whenFalse: rec(e.getWhenFalse()) };
  }
  if (Node.isPropertyAccessExpression(e)) {
    const obj = e.getExpression();
    if (Node.isIdentifier(obj) && obj.getText() === 'Math' && !L.lookup('Math') && Object.hasOwn(mathConstants, e.getName())) {
      return { kind: 'operand', op: constOp(mathConstants[e.getName()]!) };
    }
    if (Node.isIdentifier(obj) && obj.getText() === 'Number' && !L.lookup('Number') && Object.hasOwn(numberConstants, e.getName())) {
      return { kind: 'operand', op: constOp(numberConstants[e.getName()]!) };
    }
    if (e.getName() === 'length') {
      const scratch: Stmt[] = [];
      const ref = tryLowerRef(L, obj, where === 'loop' ? scratch : out);
      if (ref && scratch.length > 0) fail(e, `the loop condition computes an index in ${e.getText()}`, 'compute it into a variable before the loop');
      if (ref) return { kind: 'length', ref };
    }
  }
  if (where === 'loop' && Node.isElementAccessExpression(e)) {
    // A loop condition is evaluated every trip: a computed index stays in the condition.
    const arg = e.getArgumentExpression();
    const scratch: Stmt[] = [];
    const base = tryLowerRef(L, e.getExpression(), scratch);
    if (base && arg && scratch.length === 0 && !Node.isStringLiteral(arg)) {
      return { kind: 'element', ref: base, index: rec(arg) };
    }
  }
  if (Node.isPropertyAccessExpression(e) || Node.isElementAccessExpression(e)) {
    // Anything left that computes an index cannot be re-evaluated on every trip.
    const scratch: Stmt[] = [];
    const ref = tryLowerRef(L, e, where === 'loop' ? scratch : out);
    if (ref && scratch.length > 0) {
      fail(e, `the loop condition indexes ${e.getText()} with a computed index`, 'compute the index into a variable before the loop and again at the end of the body');
    }
    if (ref) return { kind: 'load', ref };
  }
  if (Node.isCallExpression(e)) {
    // `isBig(x)` for a local function, `xs.some((v) => v > 0)` (lower-closures.ts, lower-callbacks.ts).
    const called = localCondition(L, e, out, where) ?? callbackCondition(L, e, out, where);
    if (called) return called;
    const callee = e.getExpression();
    if (Node.isPropertyAccessExpression(callee) && callee.getExpression().getText() === 'Math' && Object.hasOwn(mathFunctions, callee.getName())) {
      return { kind: 'math', fn: callee.getName(), args: (e.getArguments() as Expression[]).map(rec) };
    }
  }
  if (where === 'loop') {
    fail(e, `the loop condition computes ${e.getText()}, which is not a plain comparison`, 'compute it into a variable before the loop and again at the end of the body');
  }
  const type = classifyType(e.getType());
  if (type.kind !== 'number') unsupportedExpression(e);
  return { kind: 'operand', op: lowerExpression(L, e, out, null) };
}

export { num };

/**
 * `a || true` is `true`, `a && false` is `false`, `!true` is `false` (a
 * condition is pure: dropping `a` drops no effect). Generated code declares
 * a local with the type of its first value, and `let t = a || true` would
 * have the type `true`.
 */
function foldLogic(p: PExpr): PExpr {
  if (p.kind === 'unary' && p.op === '!' && p.expr.kind === 'bool') return { kind: 'bool', value: !p.expr.value };
  if (p.kind !== 'binary' || (p.op !== '||' && p.op !== '&&')) return p;
  const absorbing = p.op === '||';
  if ((p.left.kind === 'bool' && p.left.value === absorbing) || (p.right.kind === 'bool' && p.right.value === absorbing)) return { kind: 'bool', value: absorbing };
  return p;
}

/** The value of a numeric literal's source text (`1e-12`, `0x1f`, `1_000`). */
function numericValue(text: string): number {
  return Number(text.replace(/_/g, ''));
}

/** A call of a runtime tensor op: `matmul(x, p.W)`, `sum(t, [1], true)`, `softmaxCrossEntropy(logits, labels)`. */
function lowerTensorOp(L: Lowerer, e: CallExpression, op: TensorPrim, out: Stmt[], target: string | null): Operand {
  const rule = tensorRules[op];
  const args = e.getArguments() as Expression[];
  if (args.length > rule.arity) fail(e, `${op} takes at most ${rule.arity} arguments, got ${args.length}`, `drop the extra arguments; see ${op} in the wengert runtime for its parameters`);
  const ops = lowerInOrder(L, args, out, (a) => lowerOperand(L, a, out));
  while (ops.length < rule.arity) ops.push({ kind: 'text', text: 'undefined' });
  const resultType = classifyType(e.getType());
  if (resultType.kind !== 'number' && resultType.kind !== 'tensor') {
    fail(e, `${op}(...) gives ${typeForMessage(e.getType(), e)}, which wengert does not differentiate`, 'use the op where its result is a Tensor or a number');
  }
  L.imports.push({ module: 'wengert', exportName: op, localName: op, exported: true });
  return L.emit(out, target ?? L.temp(resultType), { kind: 'tensorOp', op, args: ops }, e);
}

/** Any value an op can take: a number, a tensor, an opaque parameter (labels), or a constant expression (`[1]`, `true`). */
export function lowerOperand(L: Lowerer, e: Expression, out: Stmt[]): Operand {
  const type = classifyType(e.getType());
  if (type.kind === 'number') return lowerExpression(L, e, out, null);
  if (type.kind === 'tensor') return lowerTensor(L, e, out, null);
  if (Node.isIdentifier(e)) {
    const b = L.lookup(e.getText());
    if (b?.kind === 'var') return varOp(b.name);
    if (e.getText() === 'undefined') return { kind: 'text', text: 'undefined' };
  }
  if (isConstantExpression(e)) return { kind: 'text', text: e.getText() };
  const constant = constantArgument(L, e);
  if (constant) return constant;
  if ((Node.isPropertyAccessExpression(e) || Node.isElementAccessExpression(e)) && type.kind === 'opaque') {
    // A field wengert does not differentiate (`cfg.activation`): read once into a local.
    const ref = tryLowerRef(L, e, out);
    const text = ref && L.refType(ref, e).kind === 'opaque' ? portableOpaqueType(L, e.getType(), ref) : null;
    if (ref && text) return L.emit(out, L.temp({ kind: 'opaque', text }), { kind: 'load', ref }, e);
  }
  if (Node.isConditionalExpression(e) && type.kind === 'opaque') {
    // `i % 2 === 0 ? first : 'b'`: a choice between constants, made once into a local.
    const text = portableOpaqueType(L, e.getType(), null);
    if (text) return L.emit(out, L.temp({ kind: 'opaque', text }), { kind: 'pure', expr: toPExpr(L, e, out, 'if') }, e);
  }
  // `concat([a, b], 1)`: a list of tensors, as a new local Tensor[] (lower-objects.ts).
  const list = tensorListOperand(L, e, out);
  if (list) return list;
  if (Node.isArrayLiteralExpression(e) && e.getElements().every((x) => classifyType(x.getType()).kind === 'number')) {
    // A shape or index list computed in the body (`reshape(x, [n, d])`): its numbers are constants of the op.
    return { kind: 'list', items: e.getElements().map((x) => lowerExpression(L, x as Expression, out, null)) };
  }
  fail(e, `cannot pass ${e.getText()} here`, 'pass numbers, tensors, parameters, or constants such as [0, 1] and true');
}

/** Literals only: numbers, strings, booleans, undefined, and arrays of them. */
function isConstantExpression(e: Expression): boolean {
  if (Node.isNumericLiteral(e) || Node.isStringLiteral(e) || Node.isNoSubstitutionTemplateLiteral(e)) return true;
  const k = e.getKind();
  if (k === SyntaxKind.TrueKeyword || k === SyntaxKind.FalseKeyword || k === SyntaxKind.NullKeyword) return true;
  if (Node.isPrefixUnaryExpression(e) && e.getOperatorToken() === SyntaxKind.MinusToken) return Node.isNumericLiteral(e.getOperand());
  if (Node.isArrayLiteralExpression(e)) return e.getElements().every((x) => isConstantExpression(x as Expression));
  return false;
}

/** A tensor-valued expression: a variable, an op call, a field of a parameter, a ternary. */
export function lowerTensor(L: Lowerer, e: Expression, out: Stmt[], target: string | null): Operand {
  if (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isNonNullExpression(e) || Node.isSatisfiesExpression(e)) {
    return lowerTensor(L, e.getExpression(), out, target);
  }
  if (Node.isIdentifier(e)) {
    const b = L.lookup(e.getText());
    if (b?.kind === 'var' && b.type.kind === 'tensor') return varOp(b.name);
    if (b?.kind === 'alias' && b.type.kind === 'tensor') return L.emit(out, target ?? L.temp({ kind: 'tensor' }), { kind: 'load', ref: b.ref }, e);
    fail(e, `${e.getText()} is not a tensor variable or parameter`, 'pass a Tensor parameter, a Tensor local, or the result of a tensor op');
  }
  if (Node.isCallExpression(e)) return lowerCall(L, e, out, target);
  if (Node.isBinaryExpression(e) && e.getOperatorToken().getKind() === SyntaxKind.EqualsToken && Node.isIdentifier(e.getLeft())) {
    // `y = (h = tanh(h))`: the assignment, then the assigned tensor.
    return assignment(L, e.getLeft(), null, e.getRight(), out, e);
  }
  if (Node.isPropertyAccessExpression(e) || Node.isElementAccessExpression(e)) {
    const ref = lowerRefOrFail(L, e, out);
    return L.emit(out, target ?? L.temp({ kind: 'tensor' }), { kind: 'load', ref }, e);
  }
  if (Node.isConditionalExpression(e)) {
    const cond = toPExpr(L, e.getCondition(), out, 'if');
    const result = target ?? L.temp({ kind: 'tensor' });
    const then: Stmt[] = [];
    const els: Stmt[] = [];
    assignTensor(L, result, e.getWhenTrue(), then);
    assignTensor(L, result, e.getWhenFalse(), els);
    out.push({ kind: 'if', cond, then, else: els, loc: L.loc(e) });
    return varOp(result);
  }
  unsupportedExpression(e);
}

/** `target = <tensor expression>`. */
export function assignTensor(L: Lowerer, target: string, e: Expression, out: Stmt[]): void {
  const v = lowerTensor(L, e, out, target);
  if (v.kind === 'var' && v.name === target) return;
  out.push({ kind: 'assign', target, expr: { kind: 'copy', src: v }, loc: L.loc(e) });
}

/** The exported name, when `id` is imported from the 'wengert' runtime. */
function wengertImportName(id: Node): string | null {
  const spec = id.getSymbol()?.getDeclarations().find((d) => Node.isImportSpecifier(d));
  if (!spec || !Node.isImportSpecifier(spec)) return null;
  return spec.getImportDeclaration().getModuleSpecifierValue() === 'wengert' ? spec.getName() : null;
}
