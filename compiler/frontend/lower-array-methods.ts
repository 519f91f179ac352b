/**
 * Array methods on number arrays (issue #10, item 6), lowered to the loops
 * they stand for, so the analyses and both derivative modes see plain
 * loads, stores and pushes:
 *
 *   xs.slice(a, b)        a new array; its elements are loads of xs
 *   xs.concat(ys, 2, ...) a new number[] grown with push
 *   xs.indexOf(v, from)   a number, found by a loop of comparisons (no derivative)
 *   a.fill(v, s, e)       stores into a local array; also new Array(n).fill(v)
 *   a.reverse()           swaps in a local array; also xs.slice().reverse()
 *   a.pop(), a.shift()    the element removed from a local array (IR `pop`)
 *
 * Start and end arguments follow JavaScript (negative counts from the end,
 * out-of-range is clamped); when they are literals the clamping is written
 * out only where it can matter.
 */
import { Node } from 'ts-morph';
import type { CallExpression, Expression } from 'ts-morph';
import { constOp, num, varOp, type ArrayCtor, type Expr, type Operand, type PExpr, type Ref, type Stmt, type VarType } from '../ir/ir.ts';
import { fail } from './diagnostics.ts';
import type { Lowerer } from './lower.ts';
import { lowerExpression, lowerRefOrFail, toPExpr } from './lower-expr.ts';
import { classifyType } from './types.ts';

/** A new local array: its allocation, constant pushes, and statements that fill it once it is named. */
export interface Allocation {
  expr: Expr;
  pushes: Operand[];
  then?: (target: string, out: Stmt[]) => void;
}

type ArrayType = Extract<VarType, { kind: 'array' }>;

const operand = (op: Operand): PExpr => ({ kind: 'operand', op });
const binary = (op: string, left: PExpr, right: PExpr): PExpr => ({ kind: 'binary', op, left, right });
const math = (fn: string, ...args: PExpr[]): PExpr => ({ kind: 'math', fn, args });
const length = (ref: Ref): PExpr => ({ kind: 'length', ref });
const at = (ref: Ref, index: Operand): Ref => ({ base: ref.base, path: [...ref.path, { kind: 'index', index }] });

/** `name = <pure expression>` into a fresh number local. */
function pureNumber(L: Lowerer, base: string, value: PExpr, out: Stmt[], node: Node): Operand {
  if (value.kind === 'operand' && value.op.kind !== 'list') return value.op;
  const name = L.fresh(base, num);
  out.push(L.assignPure(name, value, node));
  return varOp(name);
}

/**
 * `for (k = from; k < to; k++) body(k)`, with `k` a counter the reverse
 * sweep restores by undoing its steps.
 */
function countedLoop(L: Lowerer, from: Operand, to: PExpr, node: Node, out: Stmt[], body: (k: Operand, out: Stmt[]) => void): void {
  const k = L.fresh('k', num);
  out.push({ kind: 'assign', target: k, expr: { kind: 'copy', src: from }, loc: L.loc(node) });
  const inner: Stmt[] = [];
  body(varOp(k), inner);
  inner.push({ kind: 'assign', target: k, expr: { kind: 'prim', prim: 'add', args: [varOp(k), constOp(1)] }, loc: L.loc(node) });
  out.push({ kind: 'loop', cond: binary('<', operand(varOp(k)), to), body: inner, test: 'pre', loc: L.loc(node) });
}

/**
 * A start or end argument as JavaScript reads it against `len`: negative
 * counts from the end, and the result is clamped to [0, len].
 */
function position(L: Lowerer, arg: Expression | undefined, len: PExpr, fallback: PExpr, out: Stmt[]): PExpr {
  if (!arg || (Node.isIdentifier(arg) && arg.getText() === 'undefined')) return fallback;
  const v = lowerExpression(L, arg, out, null);
  if (v.kind === 'const') {
    const c = Math.trunc(v.value);
    if (c === 0) return operand(constOp(0));
    if (c > 0) return math('min', operand(constOp(c)), len);
    return math('max', binary('+', len, operand(constOp(c))), operand(constOp(0)));
  }
  const x = math('trunc', operand(v));
  return { kind: 'cond', test: binary('<', operand(v), operand(constOp(0))), whenTrue: math('max', binary('+', len, x), operand(constOp(0))), whenFalse: math('min', x, len) };
}

/** The array a method is called on, as a reference. */
function receiver(L: Lowerer, e: CallExpression, out: Stmt[]): { ref: Ref; type: VarType } {
  const callee = e.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) throw new Error('internal: not a method call');
  const obj = callee.getExpression();
  const ref = lowerRefOrFail(L, obj, out);
  const type = L.refType(ref, obj);
  if (type.kind !== 'array' || type.elem.kind !== 'number') {
    fail(obj, `${callee.getName()} is supported on number arrays only, and ${obj.getText()} is not one`, 'call it on a number[], a Float64Array or a Float32Array');
  }
  return { ref, type };
}

const args = (e: CallExpression): Expression[] => e.getArguments() as Expression[];

/** Methods of number arrays that stay refused, with what to do instead. */
const refusedMethods: Record<string, string> = {
  sort: 'sorting reorders by comparisons: sort outside the function and pass the sorted array (or the order) in',
  splice: 'build the new array with slice and concat: xs.slice(0, i).concat(xs.slice(i + 1))',
  unshift: 'build a new array: [x].concat(xs)',
  copyWithin: 'copy the elements with a loop',
};

/** Fails for a refused method of a number array. */
function refuseMethod(L: Lowerer, e: CallExpression): void {
  const callee = e.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || !Object.hasOwn(refusedMethods, callee.getName())) return;
  const type = classifyType(callee.getExpression().getType());
  if (type.kind !== 'array' || type.elem.kind !== 'number') return;
  fail(e, `${callee.getName()} is not supported on arrays in a differentiable function`, refusedMethods[callee.getName()]!);
}

/**
 * An allocation made by an array method: `xs.slice(a, b)`, `xs.concat(...)`,
 * `<allocation>.reverse()` or `<allocation>.fill(v)`; null for anything else.
 * `inner` lowers the array a chained method is called on, when that is
 * itself an allocation (`xs.slice().reverse()`).
 */
export function methodAllocation(
  L: Lowerer,
  e: CallExpression,
  type: ArrayType,
  out: Stmt[],
  inner: (obj: Expression) => Allocation | null,
): Allocation | null {
  const callee = e.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return null;
  refuseMethod(L, e);
  const name = callee.getName();
  if (name === 'slice' && args(e).length > 0) return slice(L, e, type.ctor, out);
  if (name === 'concat') return concat(L, e, out);
  if (name === 'reverse' || name === 'fill') {
    const base = inner(callee.getExpression());
    if (!base) return null;
    const value = name === 'fill' ? fillArguments(L, e, out) : null;
    return {
      ...base,
      then: (target, out2) => {
        base.then?.(target, out2);
        const ref: Ref = { base: target, path: [] };
        if (value) fillRange(L, ref, value, e, out2);
        else reverseInPlace(L, ref, e, out2);
      },
    };
  }
  return null;
}

/** `xs.slice(a, b)`: `n = end - start` elements, copied one by one into a new array. */
function slice(L: Lowerer, e: CallExpression, ctor: ArrayCtor, out: Stmt[]): Allocation {
  const { ref: src } = receiver(L, e, out);
  const [startArg, endArg] = args(e);
  const len = length(src);
  const start = pureNumber(L, 'start', position(L, startArg, len, operand(constOp(0)), out), out, e);
  const end = position(L, endArg, len, len, out);
  const count = pureNumber(L, 'count', math('max', binary('-', end, operand(start)), operand(constOp(0))), out, e);
  return {
    expr: { kind: 'newArray', ctor, size: count, elems: [] },
    pushes: [],
    then: (target, out2) => {
      countedLoop(L, constOp(0), operand(count), e, out2, (k, body) => {
        const index = start.kind === 'const' && start.value === 0 ? k : pureNumber(L, 'i', binary('+', operand(start), operand(k)), body, e);
        const v = L.temp();
        body.push({ kind: 'assign', target: v, expr: { kind: 'load', ref: at(src, index) }, loc: L.loc(e) });
        body.push({ kind: 'store', ref: at({ base: target, path: [] }, k), value: varOp(v), loc: L.loc(e) });
      });
    },
  };
}

/** `xs.concat(ys, 2)`: a new number[], the elements of each array (or the number) pushed in order. */
function concat(L: Lowerer, e: CallExpression, out: Stmt[]): Allocation {
  const { ref: first } = receiver(L, e, out);
  const pieces: ({ kind: 'array'; ref: Ref } | { kind: 'number'; value: Operand })[] = [{ kind: 'array', ref: first }];
  for (const a of args(e)) {
    if (Node.isSpreadElement(a)) fail(a, 'spread arguments are not supported', 'pass the arrays themselves: xs.concat(ys)');
    if (Node.isArrayLiteralExpression(a)) {
      // `xs.concat([x, 2 * x])`, `xs.concat([...ys, 1])`: the literal's numbers (and spread arrays) in order.
      for (const el of a.getElements()) {
        if (Node.isSpreadElement(el)) pieces.push({ kind: 'array', ref: lowerRefOrFail(L, el.getExpression(), out) });
        else pieces.push({ kind: 'number', value: lowerExpression(L, el as Expression, out, null) });
      }
      continue;
    }
    const scratch: Stmt[] = [];
    const ref = Node.isIdentifier(a) || Node.isPropertyAccessExpression(a) || Node.isElementAccessExpression(a) ? tryArray(L, a, scratch) : null;
    if (ref) {
      out.push(...scratch);
      pieces.push({ kind: 'array', ref });
    } else {
      pieces.push({ kind: 'number', value: lowerExpression(L, a, out, null) });
    }
  }
  return {
    expr: { kind: 'newArray', ctor: 'Array', size: null, elems: [] },
    pushes: [],
    then: (target, out2) => {
      const result: Ref = { base: target, path: [] };
      for (const piece of pieces) {
        if (piece.kind === 'number') {
          out2.push({ kind: 'push', ref: result, value: piece.value, loc: L.loc(e) });
          continue;
        }
        countedLoop(L, constOp(0), length(piece.ref), e, out2, (k, body) => {
          const v = L.temp();
          body.push({ kind: 'assign', target: v, expr: { kind: 'load', ref: at(piece.ref, k) }, loc: L.loc(e) });
          body.push({ kind: 'push', ref: result, value: varOp(v), loc: L.loc(e) });
        });
      }
    },
  };
}

/** A number array named by `e`, or null when `e` is a number. */
function tryArray(L: Lowerer, e: Expression, out: Stmt[]): Ref | null {
  const ref = lowerRefOrFail(L, e, out);
  const type = L.refType(ref, e);
  if (type.kind === 'number') return null;
  if (type.kind !== 'array' || type.elem.kind !== 'number') fail(e, `concat takes number arrays and numbers, and ${e.getText()} is neither`, 'concatenate number arrays, or push the numbers');
  return ref;
}

/** The value and range of `a.fill(v, s, e)`. */
function fillArguments(L: Lowerer, e: CallExpression, out: Stmt[]): { value: Operand; start: Expression | undefined; end: Expression | undefined } {
  const [valueArg, start, end] = args(e);
  if (!valueArg) fail(e, 'fill needs the value to fill with', 'write a.fill(0) or a.fill(v, start, end)');
  return { value: lowerExpression(L, valueArg, out, null), start, end };
}

/** Stores `value` into `ref[start..end)`. */
function fillRange(L: Lowerer, ref: Ref, fill: { value: Operand; start: Expression | undefined; end: Expression | undefined }, e: CallExpression, out: Stmt[]): void {
  const len = length(ref);
  const start = pureNumber(L, 'start', position(L, fill.start, len, operand(constOp(0)), out), out, e);
  const end = fill.end ? pureNumber(L, 'end', position(L, fill.end, len, len, out), out, e) : null;
  countedLoop(L, start, end ? operand(end) : len, e, out, (k, body) => {
    body.push({ kind: 'store', ref: at(ref, k), value: fill.value, loc: L.loc(e) });
  });
}

/** Swaps `ref[i]` and `ref[j]` from both ends towards the middle. */
function reverseInPlace(L: Lowerer, ref: Ref, e: CallExpression, out: Stmt[]): void {
  const half = pureNumber(L, 'half', math('floor', binary('/', length(ref), operand(constOp(2)))), out, e);
  countedLoop(L, constOp(0), operand(half), e, out, (i, body) => {
    const j = pureNumber(L, 'j', binary('-', binary('-', length(ref), operand(constOp(1))), operand(i)), body, e);
    const a = L.temp();
    const b = L.temp();
    body.push({ kind: 'assign', target: a, expr: { kind: 'load', ref: at(ref, i) }, loc: L.loc(e) });
    body.push({ kind: 'assign', target: b, expr: { kind: 'load', ref: at(ref, j) }, loc: L.loc(e) });
    body.push({ kind: 'store', ref: at(ref, i), value: varOp(b), loc: L.loc(e) });
    body.push({ kind: 'store', ref: at(ref, j), value: varOp(a), loc: L.loc(e) });
  });
}

/** The local array a mutating method is called on (a parameter would change the caller's data). */
function localReceiver(L: Lowerer, e: CallExpression, out: Stmt[]): Ref {
  const callee = e.getExpression() as import('ts-morph').PropertyAccessExpression;
  const { ref } = receiver(L, e, out);
  if (!L.isMutableRef(ref)) {
    const obj = callee.getExpression().getText();
    fail(e, `${callee.getName()} would change ${obj}, a parameter`, `work on a copy: const copy = ${obj}.slice(); copy.${callee.getName()}(...)`);
  }
  return ref;
}

/** `a.reverse()` and `a.fill(v, s, e)` as statements on a local array; false for other calls. */
export function arrayMethodStatement(L: Lowerer, e: CallExpression, out: Stmt[]): boolean {
  const callee = e.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return false;
  refuseMethod(L, e);
  const name = callee.getName();
  if (name === 'pop' || name === 'shift') return popValue(L, e, out, L.temp()) !== null;
  if (name !== 'reverse' && name !== 'fill') return false;
  if (!isNumberArrayReceiver(L, callee.getExpression())) return false;
  const ref = localReceiver(L, e, out);
  if (name === 'reverse') reverseInPlace(L, ref, e, out);
  else fillRange(L, ref, fillArguments(L, e, out), e, out);
  return true;
}

function isNumberArrayReceiver(L: Lowerer, obj: Expression): boolean {
  const scratch: Stmt[] = [];
  try {
    const ref = lowerRefOrFail(L, obj, scratch);
    const t = L.refType(ref, obj);
    return t.kind === 'array' && t.elem.kind === 'number';
  } catch {
    return false;
  }
}

/** `v = a.pop()` / `v = a.shift()` on a local number array; null when the receiver is not a number array. */
function popValue(L: Lowerer, e: CallExpression, out: Stmt[], target: string): Operand | null {
  const callee = e.getExpression() as import('ts-morph').PropertyAccessExpression;
  if (!isNumberArrayReceiver(L, callee.getExpression())) return null;
  if (args(e).length > 0) fail(e, `${callee.getName()} takes no arguments`, `write ${callee.getExpression().getText()}.${callee.getName()}()`);
  const ref = localReceiver(L, e, out);
  const type = L.refType(ref, callee.getExpression());
  if (type.kind === 'array' && type.ctor !== 'Array') fail(e, `a ${type.ctor} has no ${callee.getName()}`, 'use a number[] for a stack or a queue');
  out.push({ kind: 'assign', target, expr: { kind: 'pop', ref, end: callee.getName() === 'pop' ? 'last' : 'first' }, loc: L.loc(e) });
  return varOp(target);
}

/**
 * `xs.indexOf(v, from)`: the first k >= from with xs[k] === v, or -1.
 * A loop of comparisons, so the result is a plain number with no derivative.
 */
export function arrayMethodValue(L: Lowerer, e: CallExpression, out: Stmt[], target: string | null): Operand | null {
  const callee = e.getExpression();
  if (Node.isPropertyAccessExpression(callee) && (callee.getName() === 'pop' || callee.getName() === 'shift')) return popValue(L, e, out, target ?? L.temp());
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'indexOf') return null;
  if (!isNumberArrayReceiver(L, callee.getExpression())) return null;
  const { ref } = receiver(L, e, out);
  const [valueArg, fromArg] = args(e);
  if (!valueArg) fail(e, 'indexOf needs the value to look for', 'write xs.indexOf(v)');
  const value = toPExpr(L, valueArg, out, 'if');
  const from = pureNumber(L, 'from', position(L, fromArg, length(ref), operand(constOp(0)), out), out, e);
  const result = target ?? L.fresh('found', num);
  out.push(L.assignPure(result, operand(constOp(-1)), e));
  const k = L.fresh('k', num);
  out.push({ kind: 'assign', target: k, expr: { kind: 'copy', src: from }, loc: L.loc(e) });
  const body: Stmt[] = [
    { kind: 'if', cond: binary('===', { kind: 'load', ref: at(ref, varOp(k)) }, value), then: [L.assignPure(result, operand(varOp(k)), e)], else: [], loc: L.loc(e) },
    { kind: 'assign', target: k, expr: { kind: 'prim', prim: 'add', args: [varOp(k), constOp(1)] }, loc: L.loc(e) },
  ];
  const cond = binary('&&', binary('<', operand(varOp(result)), operand(constOp(0))), binary('<', operand(varOp(k)), length(ref)));
  out.push({ kind: 'loop', cond, body, test: 'pre', loc: L.loc(e) });
  return varOp(result);
}
