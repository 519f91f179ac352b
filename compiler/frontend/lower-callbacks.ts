/**
 * Array methods with callbacks (issue #10, item 3), lowered to the loops
 * they stand for, the callback inlined in the loop body
 * (lower-closures.ts), so both derivative modes and the analyses see plain
 * loops:
 *
 *   xs.map(f)               a new array, f(xs[k], k, xs) pushed (stored into a typed array)
 *   xs.filter(p)            a new array of the xs[k] for which p holds
 *   xs.forEach(f)           the loop, for f's effects on the enclosing locals
 *   xs.reduce(f, init)      acc = f(acc, xs[k], k, xs) from init (from xs[0] without it); reduceRight backwards
 *   xs.some(p), every(p)    a flag, the loop stopping at the first element that decides it
 *   xs.findIndex(p)         the first k for which p holds, or -1 (a plain number)
 *   xs.find(p)!             that element (its derivative flows), where `!` says one is found
 *   Array.from(xs, f)       like map, f(xs[k], k); Array.from({ length: n }, (_, i) => ...) for k < n
 *
 * Elements may be numbers, rows of a number[][], objects (`p.layers`) and
 * Tensors; results are numbers or Tensors. A predicate gives no
 * derivative: only the elements it keeps or finds do.
 */
import { Node } from 'ts-morph';
import type { CallExpression, Expression } from 'ts-morph';
import { constOp, num, varOp, type ArrayCtor, type Operand, type PExpr, type Ref, type Stmt, type VarType } from '../ir/ir.ts';
import { fail } from './diagnostics.ts';
import type { Lowerer } from './lower.ts';
import type { Allocation } from './lower-array-methods.ts';
import { assignTensor, lowerExpression, tryLowerRef } from './lower-expr.ts';
import { inlineCall, localFunctionOf, parameterAssigned, type ArgValue, type CallContext, type LocalFunction } from './lower-closures.ts';
import { classifyType, typeForMessage } from './types.ts';

/** The array methods whose first argument is a callback wengert inlines. */
export const CALLBACK_METHODS = ['map', 'filter', 'forEach', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex'];

const FROM: Record<string, ArrayCtor> = { Array: 'Array', Float64Array: 'Float64Array', Float32Array: 'Float32Array' };

type ArrayType = Extract<VarType, { kind: 'array' }>;

const operand = (op: Operand): PExpr => ({ kind: 'operand', op });
const binary = (op: string, left: PExpr, right: PExpr): PExpr => ({ kind: 'binary', op, left, right });
const at = (ref: Ref, index: Operand): Ref => ({ base: ref.base, path: [...ref.path, { kind: 'index', index }] });

/** Which argument of `call` is a callback wengert inlines: 0 in `xs.map(f)`, 1 in `Array.from(xs, f)`; null for other calls. */
export function callbackPosition(call: CallExpression): number | null {
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return null;
  const name = callee.getName();
  const obj = callee.getExpression();
  if (name === 'from' && Node.isIdentifier(obj) && Object.hasOwn(FROM, obj.getText())) return call.getArguments().length >= 2 ? 1 : null;
  return CALLBACK_METHODS.includes(name) ? 0 : null;
}

interface Receiver {
  ref: Ref;
  type: ArrayType;
}

/** The array a method is called on: a reference to it, or a new local array it is computed into (`xs.slice().map(f)`). */
function receiverOf(L: Lowerer, e: CallExpression, out: Stmt[]): Receiver {
  const callee = e.getExpression() as import('ts-morph').PropertyAccessExpression;
  const obj = callee.getExpression();
  const ref = tryLowerRef(L, obj, out) ?? { base: L.lowerArrayValue(obj, out), path: [] };
  const type = L.refType(ref, obj);
  if (type.kind !== 'array') {
    fail(obj, `${callee.getName()} with a callback is supported on arrays, and ${obj.getText()} is not one`, 'call it on a number[], a Float64Array, a number[][] or an array of objects or Tensors');
  }
  return { ref, type };
}

/** The callback argument: an inline arrow or function, or a local function of this body. */
function callbackOf(L: Lowerer, e: CallExpression, index: number, method: string): LocalFunction {
  const args = e.getArguments() as Expression[];
  const arg = args[index];
  if (!arg) fail(e, `${method} needs a callback`, `write ${method}((v) => ...)`);
  const fn = localFunctionOf(L, arg);
  if (!fn) fail(arg, `the callback of ${method} must be an arrow function or a function declared in this body`, `write it inline, as in xs.${method}((v) => ...), or declare it before: const f = (v: number) => ...`);
  const extra = args[index + (method === 'reduce' || method === 'reduceRight' ? 2 : 1)];
  if (extra) fail(extra, `the thisArg of ${method} is not supported`, 'use an arrow function, which reads the enclosing this, and drop the argument');
  return fn;
}

/** The loop counter, named after the callback's index parameter when the callback does not assign it. */
function counter(L: Lowerer, fn: LocalFunction, indexParam: number): string {
  const p = fn.getParameters()[indexParam];
  return L.fresh(p && !parameterAssigned(fn, p) ? p.getName() : 'k', num);
}

/**
 * `k = from; while (k < length && more) { body; k++ }` (backwards for
 * reduceRight: `k = length - 1; while (k >= 0) { body; k-- }`).
 */
function loop(L: Lowerer, k: string, recv: Receiver | { count: Operand }, at_: Node, out: Stmt[], body: (inner: Stmt[]) => void, opts: { from?: PExpr; more?: PExpr; backwards?: boolean } = {}): void {
  const length: PExpr = 'ref' in recv ? { kind: 'length', ref: recv.ref } : operand(recv.count);
  const loc = L.loc(at_);
  const from = opts.from ?? (opts.backwards ? binary('-', length, operand(constOp(1))) : operand(constOp(0)));
  if (from.kind === 'operand') out.push({ kind: 'assign', target: k, expr: { kind: 'copy', src: from.op }, loc });
  else out.push(L.assignPure(k, from, at_));
  const inner: Stmt[] = [];
  body(inner);
  inner.push({ kind: 'assign', target: k, expr: { kind: 'prim', prim: opts.backwards ? 'sub' : 'add', args: [varOp(k), constOp(1)] }, loc });
  const bound = opts.backwards ? binary('>=', operand(varOp(k)), operand(constOp(0))) : binary('<', operand(varOp(k)), length);
  const cond = opts.more ? binary('&&', opts.more, bound) : bound;
  out.push({ kind: 'loop', cond, body: inner, test: 'pre', loc });
}

/** The arguments a callback gets for element k: (xs[k], k, xs). */
function elementArgs(recv: Receiver, k: string, withArray = true): ArgValue[] {
  const args: ArgValue[] = [
    { kind: 'load', ref: at(recv.ref, varOp(k)) },
    { kind: 'operand', op: varOp(k), direct: 'unassigned' },
  ];
  if (withArray) args.push({ kind: 'ref', ref: recv.ref });
  return args;
}

/** What a callback's value must be, from the type of what it returns. */
function valueContext(e: Node, t: VarType, what: string): CallContext {
  if (t.kind === 'number' || t.kind === 'tensor') return t.kind;
  if (t.kind === 'array' && t.ctor === 'Array' && t.elem.kind === 'number') return 'row';
  fail(e, `${what} gives ${t.kind === 'opaque' ? t.text : t.kind === 'array' ? 'arrays' : `a ${t.kind}`}, and callbacks inlined here give numbers or Tensors`, 'return a number or a Tensor from the callback; build arrays of arrays with a loop and push');
}

/** The result of an inlined callback as an operand (a condition's value goes into a flag). */
function asOperand(v: Operand | PExpr | null): Operand {
  if (!v || !('kind' in v) || v.kind === 'bool' || v.kind === 'binary' || v.kind === 'unary' || v.kind === 'math' || v.kind === 'load' || v.kind === 'element' || v.kind === 'length' || v.kind === 'cond') {
    throw new Error('internal: a callback gave no value');
  }
  return v.kind === 'operand' ? v.op : (v as Operand);
}

/** The result of an inlined predicate as a condition. */
function asCondition(v: Operand | PExpr | null): PExpr {
  if (!v) throw new Error('internal: a predicate gave no value');
  if (v.kind === 'var' || v.kind === 'const' || v.kind === 'text' || v.kind === 'list') return operand(v);
  return v;
}

// ---- new arrays: map, filter, Array.from ----

/** `xs.map(f)`, `xs.filter(p)`, `Array.from(xs, f)`, `Array.from({ length: n }, f)` as a new local array; null for other calls. */
export function callbackAllocation(L: Lowerer, e: CallExpression, type: ArrayType, out: Stmt[]): Allocation | null {
  const position = callbackPosition(e);
  if (position === null) return null;
  const callee = e.getExpression() as import('ts-morph').PropertyAccessExpression;
  const name = callee.getName();
  if (name === 'from') return fromAllocation(L, e, type, out);
  if (name === 'map') {
    const recv = receiverOf(L, e, out);
    const fn = callbackOf(L, e, 0, 'map');
    return mappedInto(L, e, type, recv, out, (k) => elementArgs(recv, k), fn, counter(L, fn, 1));
  }
  if (name === 'filter') return filterAllocation(L, e, type, out);
  if (name === 'reduce' || name === 'reduceRight') {
    fail(e, `${name}(...) gives an array here, and a reduce is inlined for a number or a Tensor`, 'reduce to a number or a Tensor, or build the array with a loop and push');
  }
  return null;
}

/**
 * A new array whose element k is f(args(k)), for each element of `recv`:
 * pushed onto a number[] (or an array of Tensors), stored into a typed array.
 */
function mappedInto(L: Lowerer, e: CallExpression, type: ArrayType, recv: Receiver | { count: Operand }, out: Stmt[], args: (k: string) => ArgValue[], fn: LocalFunction, k: string): Allocation {
  const ctx = valueContext(e, type.elem, `${e.getExpression().getText()}(...)`);
  if (type.ctor === 'Array') {
    return {
      expr: { kind: 'newArray', ctor: 'Array', size: null, elems: [], ...(ctx === 'number' ? {} : { elem: type.elem }) },
      pushes: [],
      then: (target, out2) =>
        loop(L, k, recv, e, out2, (inner) => {
          const v = asOperand(inlineCall(L, fn, args(k), ctx, null, inner, e));
          inner.push({ kind: 'push', ref: { base: target, path: [] }, value: v, loc: L.loc(e) });
        }),
    };
  }
  let size: Operand;
  if ('count' in recv) size = recv.count;
  else {
    const n = L.fresh('n', num);
    out.push(L.assignPure(n, { kind: 'length', ref: recv.ref }, e));
    size = varOp(n);
  }
  return {
    expr: { kind: 'newArray', ctor: type.ctor, size, elems: [] },
    pushes: [],
    then: (target, out2) =>
      loop(L, k, recv, e, out2, (inner) => {
        const v = asOperand(inlineCall(L, fn, args(k), ctx, null, inner, e));
        inner.push({ kind: 'store', ref: at({ base: target, path: [] }, varOp(k)), value: v, loc: L.loc(e) });
      }),
  };
}

/** `Array.from(xs, f)` (f gets the element and its index) and `Array.from({ length: n }, (_, i) => ...)`. */
function fromAllocation(L: Lowerer, e: CallExpression, type: ArrayType, out: Stmt[]): Allocation {
  const [source] = e.getArguments() as Expression[];
  const fn = callbackOf(L, e, 1, 'Array.from');
  let inner: Node = source!;
  while (Node.isParenthesizedExpression(inner) || Node.isAsExpression(inner)) inner = inner.getExpression();
  if (Node.isObjectLiteralExpression(inner)) {
    const props = inner.getProperties();
    const length = props.length === 1 && Node.isPropertyAssignment(props[0]!) && props[0].getName() === 'length' ? props[0].getInitializerOrThrow() : null;
    if (!length) fail(inner, 'Array.from takes an array or { length: n } here', 'write Array.from({ length: n }, (_, i) => ...)');
    const count = lowerExpression(L, length, out, null);
    const k = counter(L, fn, 1);
    return mappedInto(L, e, type, { count }, out, (kk) => [{ kind: 'undefined' }, { kind: 'operand', op: varOp(kk), direct: 'unassigned' }], fn, k);
  }
  const ref = tryLowerRef(L, source!, out) ?? { base: L.lowerArrayValue(source!, out), path: [] };
  const srcType = L.refType(ref, source!);
  if (srcType.kind !== 'array') fail(source!, `Array.from takes an array or { length: n }, and ${source!.getText()} is neither`, 'pass an array, or { length: n }');
  const recv: Receiver = { ref, type: srcType };
  return mappedInto(L, e, type, recv, out, (k) => elementArgs(recv, k, false), fn, counter(L, fn, 1));
}

/** `xs.filter(p)`: the elements p keeps, pushed in order (a typed array is made from them at the end). */
function filterAllocation(L: Lowerer, e: CallExpression, type: ArrayType, out: Stmt[]): Allocation {
  const recv = receiverOf(L, e, out);
  const fn = callbackOf(L, e, 0, 'filter');
  if (recv.type.elem.kind !== 'number') {
    fail(e, `filter is supported on number arrays, and ${e.getExpression().getText().replace(/\.filter$/, '')} holds ${recv.type.elem.kind === 'opaque' ? recv.type.elem.text : `${recv.type.elem.kind}s`}`, 'loop over the elements and push the ones to keep into a local number[]');
  }
  const keepInto = (target: string, out2: Stmt[]) => {
    const k = counter(L, fn, 1);
    loop(L, k, recv, e, out2, (inner) => {
      const p0 = fn.getParameters()[0];
      const v = L.fresh(p0 && !parameterAssigned(fn, p0) ? p0.getName() : 'v', num);
      inner.push({ kind: 'assign', target: v, expr: { kind: 'load', ref: at(recv.ref, varOp(k)) }, loc: L.loc(e) });
      const args: ArgValue[] = [{ kind: 'operand', op: varOp(v), direct: 'unassigned' }, { kind: 'operand', op: varOp(k), direct: 'unassigned' }, { kind: 'ref', ref: recv.ref }];
      const keep = asCondition(inlineCall(L, fn, args, 'bool', null, inner, e));
      inner.push({ kind: 'if', cond: keep, then: [{ kind: 'push', ref: { base: target, path: [] }, value: varOp(v), loc: L.loc(e) }], else: [], loc: L.loc(e) });
    });
  };
  if (type.ctor === 'Array') return { expr: { kind: 'newArray', ctor: 'Array', size: null, elems: [] }, pushes: [], then: keepInto };
  // A typed array cannot grow: the kept elements go into a number[] first.
  const kept = L.fresh('kept', { kind: 'array', ctor: 'Array', elem: num });
  out.push({ kind: 'assign', target: kept, expr: { kind: 'newArray', ctor: 'Array', size: null, elems: [] }, loc: L.loc(e) });
  keepInto(kept, out);
  return { expr: { kind: 'copyArray', ctor: type.ctor, src: { base: kept, path: [] } }, pushes: [] };
}

// ---- values: reduce, findIndex, find ----

/** `xs.reduce(f, init)`, `xs.reduceRight(f)`, `xs.findIndex(p)`, `xs.find(p)!` as a value; null for other calls. */
export function callbackValue(L: Lowerer, e: CallExpression, out: Stmt[], target: string | null): Operand | null {
  if (callbackPosition(e) !== 0) return null;
  const name = (e.getExpression() as import('ts-morph').PropertyAccessExpression).getName();
  if (name === 'reduce' || name === 'reduceRight') return reduce(L, e, name, out);
  if (name === 'findIndex') return findIndex(L, e, out, target);
  if (name === 'find') return find(L, e, out);
  return null;
}

/** `acc = init; for each element: acc = f(acc, xs[k], k, xs)`, the accumulator named after f's first parameter. */
function reduce(L: Lowerer, e: CallExpression, name: 'reduce' | 'reduceRight', out: Stmt[]): Operand {
  const recv = receiverOf(L, e, out);
  const fn = callbackOf(L, e, 0, name);
  const type = classifyType(e.getType());
  const ctx = valueContext(e, type, `${name}(...)`);
  if (ctx === 'row') fail(e, `${name}(...) gives an array here, and a reduce is inlined for a number or a Tensor`, 'reduce to a number or a Tensor, or build the array with a loop and push');
  const accType: VarType = ctx === 'tensor' ? { kind: 'tensor' } : num;
  const accParam = fn.getParameters()[0];
  const acc = L.fresh(accParam ? accParam.getName() : 'acc', accType);
  const init = (e.getArguments() as Expression[])[1];
  const backwards = name === 'reduceRight';
  const length: PExpr = { kind: 'length', ref: recv.ref };
  let from: PExpr | undefined;
  if (init) {
    if (ctx === 'number') L.assignNumber(acc, init, out);
    else assignTensor(L, acc, init, out);
  } else {
    // No initial value: the first element (the last for reduceRight) starts the accumulator.
    // JavaScript throws on an empty array; here the accumulator reads undefined.
    let first: Operand = constOp(0);
    if (backwards) {
      const last = L.fresh('last', num);
      out.push(L.assignPure(last, binary('-', length, operand(constOp(1))), e));
      first = varOp(last);
    }
    out.push({ kind: 'assign', target: acc, expr: { kind: 'load', ref: at(recv.ref, first) }, loc: L.loc(e) });
    from = backwards ? binary('-', length, operand(constOp(2))) : operand(constOp(1));
  }
  const k = counter(L, fn, 2);
  loop(L, k, recv, e, out, (inner) => {
    const args: ArgValue[] = [{ kind: 'operand', op: varOp(acc), direct: 'always' }, ...elementArgs(recv, k)];
    const v = asOperand(inlineCall(L, fn, args, ctx, acc, inner, e));
    if (!(v.kind === 'var' && v.name === acc)) inner.push({ kind: 'assign', target: acc, expr: { kind: 'copy', src: v }, loc: L.loc(e) });
  }, { from, backwards });
  return varOp(acc);
}

/** `xs.findIndex(p)`: the first k for which p holds, or -1; a plain number. */
function findIndex(L: Lowerer, e: CallExpression, out: Stmt[], target: string | null): Operand {
  const recv = receiverOf(L, e, out);
  const fn = callbackOf(L, e, 0, 'findIndex');
  const found = target ?? L.fresh('found', num);
  out.push(L.assignPure(found, operand(constOp(-1)), e));
  const k = counter(L, fn, 1);
  loop(L, k, recv, e, out, (inner) => {
    const hit = asCondition(inlineCall(L, fn, elementArgs(recv, k), 'bool', null, inner, e));
    inner.push({ kind: 'if', cond: hit, then: [L.assignPure(found, operand(varOp(k)), e)], else: [], loc: L.loc(e) });
  }, { more: binary('<', operand(varOp(found)), operand(constOp(0))) });
  return varOp(found);
}

/** `xs.find(p)!`: the first element for which p holds; its derivative is that element's. */
function find(L: Lowerer, e: CallExpression, out: Stmt[]): Operand {
  let parent = e.getParent();
  while (parent && Node.isParenthesizedExpression(parent)) parent = parent.getParent();
  if (!parent || !Node.isNonNullExpression(parent)) {
    fail(e, 'find gives undefined when no element matches, which is not a number', 'write xs.find(...)! where an element is always found, or use findIndex and test for -1');
  }
  const recv = receiverOf(L, e, out);
  if (recv.type.elem.kind !== 'number') fail(e, `find is supported on number arrays here, and ${typeForMessage(e.getType(), e)} is found`, 'use findIndex and read the element at that index');
  const fn = callbackOf(L, e, 0, 'find');
  const done = L.fresh('found', { kind: 'bool' });
  const value = L.fresh('match', num);
  out.push(L.assignPure(done, { kind: 'bool', value: false }, e));
  out.push({ kind: 'assign', target: value, expr: { kind: 'copy', src: constOp(NaN) }, loc: L.loc(e) });
  const k = counter(L, fn, 1);
  loop(L, k, recv, e, out, (inner) => {
    const p0 = fn.getParameters()[0];
    const v = L.fresh(p0 && !parameterAssigned(fn, p0) ? p0.getName() : 'v', num);
    inner.push({ kind: 'assign', target: v, expr: { kind: 'load', ref: at(recv.ref, varOp(k)) }, loc: L.loc(e) });
    const args: ArgValue[] = [{ kind: 'operand', op: varOp(v), direct: 'unassigned' }, { kind: 'operand', op: varOp(k), direct: 'unassigned' }, { kind: 'ref', ref: recv.ref }];
    inner.push(L.assignPure(done, asCondition(inlineCall(L, fn, args, 'bool', null, inner, e)), e));
    inner.push({ kind: 'if', cond: operand(varOp(done)), then: [{ kind: 'assign', target: value, expr: { kind: 'copy', src: varOp(v) }, loc: L.loc(e) }], else: [], loc: L.loc(e) });
  }, { more: { kind: 'unary', op: '!', expr: operand(varOp(done)) } });
  return varOp(value);
}

// ---- conditions: some, every ----

/** `xs.some(p)`, `xs.every(p)` in a condition: a flag set by a loop that stops once the answer is known; null for other calls. */
export function callbackCondition(L: Lowerer, e: CallExpression, out: Stmt[], where: 'if' | 'loop'): PExpr | null {
  if (callbackPosition(e) !== 0) return null;
  const name = (e.getExpression() as import('ts-morph').PropertyAccessExpression).getName();
  if (name === 'find') fail(e, 'find gives undefined when no element matches, which is not a number', 'write xs.find(...)! where an element is always found, or use findIndex and test for -1');
  if (name !== 'some' && name !== 'every') return null;
  if (where === 'loop') fail(e, `the loop condition calls ${name}`, 'compute it into a variable before the loop and again at the end of the body');
  const recv = receiverOf(L, e, out);
  const fn = callbackOf(L, e, 0, name);
  const flag = L.fresh(name === 'some' ? 'any' : 'all', { kind: 'bool' });
  out.push(L.assignPure(flag, { kind: 'bool', value: name === 'every' }, e));
  const k = counter(L, fn, 1);
  const flagRead = operand(varOp(flag));
  loop(L, k, recv, e, out, (inner) => {
    inlineCall(L, fn, elementArgs(recv, k), 'bool', flag, inner, e);
  }, { more: name === 'some' ? { kind: 'unary', op: '!', expr: flagRead } : flagRead });
  return flagRead;
}

// ---- statements: forEach ----

/** `xs.forEach(f)`: the loop, f inlined for its effects; false for other calls. */
export function callbackStatement(L: Lowerer, e: CallExpression, out: Stmt[]): boolean {
  if (callbackPosition(e) !== 0) return false;
  const name = (e.getExpression() as import('ts-morph').PropertyAccessExpression).getName();
  if (name !== 'forEach') return false;
  const recv = receiverOf(L, e, out);
  const fn = callbackOf(L, e, 0, 'forEach');
  const k = counter(L, fn, 1);
  loop(L, k, recv, e, out, (inner) => {
    inlineCall(L, fn, elementArgs(recv, k), 'void', null, inner, e);
  });
  return true;
}
