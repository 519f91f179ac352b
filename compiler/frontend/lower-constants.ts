/**
 * Lowering of values that are never differentiated: module-level constants
 * and enum members (inlined as literals, constants.ts), strings and
 * string-literal unions in conditions (`activation === 'relu'`), enum and
 * string parameters passed on to differentiable callees, `undefined` /
 * `null` tests and `k ?? 2` on optional parameters. Number constants become
 * IR constants; a constant number array read at a computed index is copied
 * into a local array once, at the start of the function.
 */
import { Node, SyntaxKind } from 'ts-morph';
import type { BinaryExpression, Expression, Identifier, Type } from 'ts-morph';
import { constOp, num, varOp, type Operand, type PExpr, type Ref, type Stmt, type VarType } from '../ir/ir.ts';
import { constantText, constantValue, isNumberList, whyNotConstant, type ConstValue } from './constants.ts';
import { fail } from './diagnostics.ts';
import type { Lowerer } from './lower.ts';
import { lowerExpression, toPExpr } from './lower-expr.ts';
import { isNumericEnumType } from './types.ts';

/** Local copies of constant arrays, per function being lowered: key -> local name, and the statements that fill them. */
const constantArrays = new WeakMap<Lowerer, { names: Map<string, string>; prelude: Stmt[] }>();

/** The statements that fill the local copies of constant arrays; lowering puts them at the start of the body. */
export function constantPrelude(L: Lowerer): Stmt[] {
  return constantArrays.get(L)?.prelude ?? [];
}

/** `A` for `A.b[c].d`, when the chain starts at a name; null otherwise. */
function chainRoot(e: Expression): Identifier | null {
  let x: Node = e;
  for (;;) {
    if (Node.isPropertyAccessExpression(x) || Node.isElementAccessExpression(x) || Node.isParenthesizedExpression(x) || Node.isNonNullExpression(x)) {
      x = x.getExpression();
      continue;
    }
    return Node.isIdentifier(x) ? x : null;
  }
}

/** True when `e` is a name, or an access chain starting at a name, that no parameter or local of the function binds. */
function isOutsideName(L: Lowerer, e: Expression): boolean {
  if (!Node.isIdentifier(e) && !Node.isPropertyAccessExpression(e) && !Node.isElementAccessExpression(e)) return false;
  const root = chainRoot(e);
  return root !== null && !L.lookup(root.getText()) && root.getText() !== 'this';
}

function describe(v: ConstValue): string {
  if (typeof v === 'string') return 'a string constant';
  if (typeof v === 'boolean') return 'a boolean constant';
  if (Array.isArray(v)) return 'a constant array';
  return 'a constant object';
}

/**
 * A number read from a build-time constant (`LEAKY_SLOPE`, `CFG.scale`,
 * `WEIGHTS[1]`, `WEIGHTS.length`, `Mode.Fast`) as an IR constant; null when
 * `e` is not one. A module-level name that is not a usable constant (a
 * `let`, a value computed at run time, an array others may modify) is a
 * located error saying so.
 */
export function constantNumberOperand(L: Lowerer, e: Expression): Operand | null {
  if (!isOutsideName(L, e)) return null;
  const v = constantValue(e);
  if (typeof v === 'number') return constOp(v);
  if (v !== null) {
    if (Array.isArray(v) || typeof v === 'object') return null;
    fail(e, `${e.getText()} is ${describe(v)}, not a number`, 'compare it in a condition, or use a number constant here');
  }
  if (Node.isIdentifier(e)) refuseNonConstant(e);
  return null;
}

/** Fails with the reason when `id` names a module-level variable that is not a build-time constant. */
function refuseNonConstant(id: Identifier): void {
  const why = whyNotConstant(id);
  if (why) fail(id, why.reason, why.hint);
}

/**
 * A leaf of a condition that is not a number variable: a string literal,
 * `undefined` / `null`, a constant (number, string or boolean), or a
 * parameter or local of a type wengert does not differentiate (a string,
 * an enum, an optional number). Null when `e` is none of these.
 */
export function constantCondition(L: Lowerer, e: Expression): PExpr | null {
  if (Node.isStringLiteral(e) || Node.isNoSubstitutionTemplateLiteral(e)) return text(JSON.stringify(e.getLiteralValue()));
  if (e.getKind() === SyntaxKind.NullKeyword) return text('null');
  if (Node.isIdentifier(e)) {
    const b = L.lookup(e.getText());
    if (b?.kind === 'var' && b.type.kind === 'opaque') return { kind: 'operand', op: varOp(b.name) };
    if (!b && e.getText() === 'undefined') return text('undefined');
  }
  if (!isOutsideName(L, e)) return null;
  const v = constantValue(e);
  if (typeof v === 'number') return { kind: 'operand', op: constOp(v) };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'string') {
    // A constant declared `string` stays a string in the generated code: `'c'` alone would let TypeScript
    // narrow (and then refuse) comparisons the source makes with a wider type.
    const literal = constantText(v)!;
    return text(e.getType().isStringLiteral() ? literal : `(${literal} as string)`);
  }
  if (Node.isIdentifier(e)) refuseNonConstant(e);
  return null;
}

function text(t: string): PExpr {
  return { kind: 'operand', op: { kind: 'text', text: t } };
}

/**
 * A constant parameter or local read as a number, copied into a number
 * local: a numeric enum (`x * mode`), or an optional number where the
 * checker has narrowed it to a number (`k === undefined ? 0 : k * x`),
 * read as `k ?? 0`, which is `k` there and a number wherever the
 * generated code reads it.
 */
export function constantNumberRead(L: Lowerer, e: Identifier): PExpr | null {
  const b = L.lookup(e.getText());
  if (b?.kind !== 'var' || b.type.kind !== 'opaque') return null;
  const type = e.getType();
  const value: PExpr = { kind: 'operand', op: varOp(b.name) };
  if (isNumericEnumType(type)) return value;
  if (type.isNumber() || type.isNumberLiteral()) return { kind: 'binary', op: '??', left: value, right: { kind: 'operand', op: constOp(0) } };
  return null;
}

/**
 * A constant number array (`WEIGHTS`, `TABLE.rows`) that the body indexes
 * at run time or iterates: a local copy, made once at the start of the
 * function. Null when `e` is not a constant number array.
 */
export function constantArrayRef(L: Lowerer, e: Expression): Ref | null {
  if (!isOutsideName(L, e)) return null;
  const v = constantValue(e);
  // A table of numbers (`const M = [[1, 2], [3, 4]] as const`) read at computed indexes: a local number[][].
  const table = Array.isArray(v) && v.length > 0 && v.every((row) => isNumberList(row));
  if (!isNumberList(v) && !table) {
    if (v !== null && typeof v === 'object' && Node.isIdentifier(e)) {
      fail(e, `${e.getText()} is ${describe(v)}, which can only be read in parts here`, Array.isArray(v)
        ? 'read its numbers by index (A[i], A[i][j]) or pass it in as a parameter; constant arrays of objects cannot be copied into the function'
        : `read its fields (${e.getText()}.field), or pass it in as a parameter`);
    }
    if (v === null && Node.isIdentifier(e)) refuseNonConstant(e);
    return null;
  }
  let state = constantArrays.get(L);
  if (!state) {
    state = { names: new Map(), prelude: [] };
    constantArrays.set(L, state);
  }
  const root = chainRoot(e)!;
  const decl = root.getSymbol()?.getDeclarations()[0];
  const key = `${decl?.getSourceFile().getFilePath() ?? ''}:${decl?.getStart() ?? root.getText()}:${e.getText().slice(root.getText().length)}`;
  let name = state.names.get(key);
  if (!name) {
    const rowType = { kind: 'array' as const, ctor: 'Array' as const, elem: num };
    const type: VarType = table ? { kind: 'array', ctor: 'Array', elem: rowType } : rowType;
    name = L.fresh(Node.isIdentifier(e) ? e.getText() : `${root.getText()}_values`, type);
    state.names.set(key, name);
    // `const COEFS = [1, -0.5, 0.25];`: the literal, as a constant operand (never differentiated).
    const list = (xs: readonly number[]) => `[${xs.map((x) => constantText(x)).join(', ')}]`;
    const numbers = v as readonly number[];
    const literal = table ? `[${(v as readonly (readonly number[])[]).map(list).join(', ')}]` : numbers.length ? list(numbers) : '[] as number[]';
    state.prelude.push({ kind: 'assign', target: name, expr: { kind: 'copy', src: { kind: 'text', text: literal } }, loc: L.loc(e) });
  }
  return { base: name, path: [] };
}

/**
 * A constant passed to a callee parameter wengert does not differentiate
 * (a string, an enum, a flag): the literal, or the parameter or local
 * holding it. Null when `e` is none of these.
 */
export function constantArgument(L: Lowerer, e: Expression): Operand | null {
  if (Node.isIdentifier(e)) {
    const b = L.lookup(e.getText());
    if (b?.kind === 'var') return varOp(b.name);
  }
  const leaf = constantCondition(L, e);
  if (leaf?.kind === 'operand') return leaf.op;
  if (leaf?.kind === 'bool') return { kind: 'text', text: String(leaf.value) };
  return null;
}

/**
 * `k ?? c` for an optional `k`: `k` when it is given, else `c`. A
 * derivative flows through `c` only (k is a constant of the function), so
 * this is a branch, `if (k != null) t = k ?? 0; else t = c`, or one pure
 * assignment `t = k ?? c` when `c` is a constant.
 */
export function lowerNullish(L: Lowerer, e: BinaryExpression, out: Stmt[], target: string | null): Operand {
  const left = e.getLeft();
  const right = e.getRight();
  if (!left.getType().isNullable()) return lowerExpression(L, left, out, target);
  const value = toPExpr(L, left, out, 'if');
  const result = target ?? L.temp();
  const constant = Node.isNumericLiteral(right) ? Number(right.getText().replace(/_/g, '')) : constantNumberOperand(L, right)?.kind === 'const' ? constantValue(right) : null;
  if (typeof constant === 'number') {
    out.push(L.assignPure(result, { kind: 'binary', op: '??', left: value, right: { kind: 'operand', op: constOp(constant) } }, e));
    return varOp(result);
  }
  const given: Stmt[] = [L.assignPure(result, { kind: 'binary', op: '??', left: value, right: { kind: 'operand', op: constOp(0) } }, e)];
  const fallback: Stmt[] = [];
  L.assignNumber(result, right, fallback);
  const isGiven: PExpr = { kind: 'binary', op: '!=', left: value, right: text('null') };
  out.push({ kind: 'if', cond: isGiven, then: given, else: fallback, loc: L.loc(e) });
  return varOp(result);
}

/**
 * A type text for a local holding a value wengert does not differentiate,
 * that the generated file can spell without imports: literal types as
 * written (`'relu' | 'tanh'`, `string`), or for a value read through `ref`
 * from a parameter, the type of that place (`(typeof cfg)['activation']`).
 * Null when there is none.
 */
export function portableOpaqueType(L: Lowerer, type: Type, ref: Ref | null): string | null {
  const literal = literalTypeText(type);
  if (literal !== null) return literal;
  if (!ref || !L.fn.params.some((p) => p.name === ref.base)) return null;
  let text = `(typeof ${ref.base})`;
  let at = L.fn.params.find((p) => p.name === ref.base)!.type;
  for (const step of ref.path) {
    if (step.kind === 'prop') {
      text += `[${JSON.stringify(step.name)}]`;
      at = at.kind === 'object' ? (at.fields.find((f) => f.name === step.name)?.type ?? at) : at;
    } else if (at.kind === 'tuple' && step.index.kind === 'const') {
      text += `[${step.index.value}]`;
      at = at.elems[step.index.value] ?? at;
    } else {
      text += '[number]';
      at = at.kind === 'array' ? at.elem : at;
    }
  }
  return text;
}

/** `'a' | 'b'`, `string`, `number`, `boolean`, `true`: types whose text needs no import. */
function literalTypeText(type: Type): string | null {
  const parts = type.isUnion() && !type.isBoolean() ? type.getUnionTypes() : [type];
  const texts: string[] = [];
  for (const t of parts) {
    if (t.isStringLiteral() || (t.isNumberLiteral() && !t.isEnumLiteral())) texts.push(JSON.stringify(t.getLiteralValue()));
    else if (t.isString()) texts.push('string');
    else if (t.isNumber()) texts.push('number');
    else if (t.isBoolean() || t.isBooleanLiteral()) texts.push(t.getText());
    else if (t.isUndefined()) texts.push('undefined');
    else return null;
  }
  return [...new Set(texts)].join(' | ');
}
