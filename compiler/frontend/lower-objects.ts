/**
 * Structured values that hold tensors and records (issue #10 item 1):
 * object literals (`dense({ W: p.W1, b: p.b1 }, x)`, `const layer = { W, b }`,
 * `layers.push({ W, b })`), tuple literals of tensors (`[h, c]`), local
 * arrays of tensors and of objects (`const hs: Tensor[] = []`, `hs.push(h)`,
 * `concat(hs, 0)`, `stack([a, b])`), results of functions returning them
 * (`const [h, c] = lstmCell(...)`, `const s = cell(...); s.h`), and such
 * functions' own results (`return [h, c]`, `return { h, c }`).
 *
 * A record is one IR `record` expression; a local array of tensors or
 * objects is a `newArray` grown with `push`. A structured field (a local
 * array or record) is shared with its record as JavaScript shares it, and a
 * field read from a parameter is a load (`p.W1`), so fields are numbers,
 * tensors, booleans, constants, or local structures.
 */
import { Node } from 'ts-morph';
import type { ArrayBindingPattern, ArrayLiteralExpression, Expression } from 'ts-morph';
import { constOp, varOp, type Operand, type Stmt, type VarType } from '../ir/ir.ts';
import { fail } from './diagnostics.ts';
import type { Lowerer } from './lower.ts';
import { lowerExpression, lowerOperand, lowerRefOrFail, lowerTensor, toPExpr, tryLowerRef } from './lower-expr.ts';
import { lowerInOrder } from './lower-effects.ts';
import type { Allocation } from './lower-array-methods.ts';
import { classifyType, varTypeForMessage } from './types.ts';

type ArrayType = Extract<VarType, { kind: 'array' }>;
type RecordType = Extract<VarType, { kind: 'object' | 'tuple' }>;

/** A type whose values are structures holding something other than numbers: tensors, records, booleans. */
export function isStructureType(t: VarType): boolean {
  if (t.kind === 'object') return true;
  if (t.kind === 'array') return t.elem.kind === 'tensor' || t.elem.kind === 'object' || t.elem.kind === 'tuple';
  if (t.kind === 'tuple') return t.elems.length > 0 && t.elems.some((e) => e.kind !== 'number');
  return false;
}

/** A local array whose elements are tensors or records (not numbers, not number[] rows). */
export function isStructureArray(t: VarType): boolean {
  return t.kind === 'array' && t.ctor === 'Array' && (t.elem.kind === 'tensor' || t.elem.kind === 'object' || t.elem.kind === 'tuple');
}

function strip(e: Expression): Expression {
  while (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isSatisfiesExpression(e) || Node.isNonNullExpression(e)) e = e.getExpression();
  return e;
}

/** `[]`, `[a, b]`, `xs.slice()`, `[...xs]` for a local `Tensor[]` or `Layer[]`; null when `init` is not an allocation. */
export function structureArrayAllocation(L: Lowerer, init: Expression, type: ArrayType, out: Stmt[]): Allocation | null {
  const e = strip(init);
  if (Node.isArrayLiteralExpression(e)) {
    const elems = e.getElements();
    if (elems.length === 1 && Node.isSpreadElement(elems[0]!)) {
      return { expr: { kind: 'copyArray', ctor: 'Array', src: lowerRefOrFail(L, elems[0].getExpression(), out) }, pushes: [] };
    }
    const pushes = lowerInOrder(L, elems, out, (el) => {
      if (Node.isSpreadElement(el)) fail(el, 'spread is supported only as [...xs]', 'copy with xs.slice(), or push the elements one by one');
      return elementValue(L, el as Expression, type.elem, out);
    });
    return { expr: { kind: 'newArray', ctor: 'Array', size: null, elems: [], elem: type.elem }, pushes };
  }
  if (Node.isCallExpression(e)) {
    const callee = e.getExpression();
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'slice' && e.getArguments().length === 0) {
      return { expr: { kind: 'copyArray', ctor: 'Array', src: lowerRefOrFail(L, callee.getExpression(), out) }, pushes: [] };
    }
  }
  return null;
}

/** One element pushed into (or listed in) a local array of tensors or records. */
export function elementValue(L: Lowerer, e: Expression, elem: VarType, out: Stmt[]): Operand {
  if (elem.kind === 'tensor') return lowerTensor(L, e, out, null);
  if (elem.kind === 'object' || elem.kind === 'tuple') return varOp(structuredValue(L, e, elem, out));
  return lowerExpression(L, e, out, null);
}

/** `concat([a, b], 1)`, `stack([h1, h2])`: an array literal of tensors passed to a tensor op, as a new local Tensor[]. */
export function tensorListOperand(L: Lowerer, e: Expression, out: Stmt[]): Operand | null {
  const inner = strip(e);
  if (!Node.isArrayLiteralExpression(inner) || inner.getElements().length === 0) return null;
  if (!inner.getElements().every((x) => !Node.isSpreadElement(x) && classifyType(x.getType()).kind === 'tensor')) return null;
  const type: ArrayType = { kind: 'array', ctor: 'Array', elem: { kind: 'tensor' } };
  const list = L.fresh('parts', type);
  const alloc = structureArrayAllocation(L, inner, type, out)!;
  out.push({ kind: 'assign', target: list, expr: alloc.expr, loc: L.loc(inner) });
  for (const v of alloc.pushes) out.push({ kind: 'push', ref: { base: list, path: [] }, value: v, loc: L.loc(inner) });
  return varOp(list);
}

/**
 * A structured value of type `type` (an object or tuple holding tensors, or
 * an array of tensors or records) in a local: a literal becomes a record or
 * a new array, a call its result, a local its own name, a part of a
 * parameter a load. Returns the local's name (`into`, when given, for the
 * new ones).
 */
export function structuredValue(L: Lowerer, e: Expression, type: VarType, out: Stmt[], into?: string): string {
  const inner = strip(e);
  const name = () => into ?? L.temp(type);
  if (Node.isObjectLiteralExpression(inner)) {
    if (type.kind !== 'object') fail(inner, `an object literal where ${varTypeForMessage(type)} is expected`, 'give the value the declared type');
    return record(L, inner, type, out, name());
  }
  if (Node.isArrayLiteralExpression(inner) && type.kind === 'tuple') return tupleRecord(L, inner, type, out, name());
  if (Node.isArrayLiteralExpression(inner) && type.kind === 'array' && isStructureArray(type)) {
    const target = name();
    const alloc = structureArrayAllocation(L, inner, type, out)!;
    out.push({ kind: 'assign', target, expr: alloc.expr, loc: L.loc(inner) });
    for (const v of alloc.pushes) out.push({ kind: 'push', ref: { base: target, path: [] }, value: v, loc: L.loc(inner) });
    return target;
  }
  if (Node.isCallExpression(inner)) {
    const target = name();
    lowerExpression(L, inner, out, target);
    return target;
  }
  const ref = tryLowerRef(L, inner, out);
  if (ref) {
    // A whole local or parameter is used as it is (shared, as in JavaScript).
    if (ref.path.length === 0) return ref.base;
    const target = name();
    out.push({ kind: 'assign', target, expr: { kind: 'load', ref }, loc: L.loc(inner) });
    return target;
  }
  fail(inner, `cannot make ${varTypeForMessage(type)} from ${inner.getText().slice(0, 40)}`, 'write an object or array literal, a call of a differentiable function, or a local or parameter of this type');
}

/** `{ W: p.W1, b }`: one record, its fields in the order of the declared type. */
function record(L: Lowerer, lit: import('ts-morph').ObjectLiteralExpression, type: Extract<VarType, { kind: 'object' }>, out: Stmt[], target: string): string {
  const given = new Map<string, Expression>();
  for (const prop of lit.getProperties()) {
    if (Node.isPropertyAssignment(prop)) given.set(prop.getName(), prop.getInitializerOrThrow());
    else if (Node.isShorthandPropertyAssignment(prop)) given.set(prop.getName(), prop.getNameNode());
    else fail(prop, 'only plain fields (name: value or a shorthand name) are supported in an object literal', 'write each field as name: value; spread an object by naming its fields');
  }
  for (const k of given.keys()) {
    if (!type.fields.some((f) => f.name === k)) fail(lit, `the object literal has a field ${k} its type does not declare`, `declare ${k} in the type, or leave it out`);
  }
  const present = type.fields.filter((f) => given.has(f.name));
  const missing = type.fields.find((f) => !given.has(f.name));
  if (missing) fail(lit, `the object literal has no field ${missing.name}`, `give every field of the type a value (${type.fields.map((f) => f.name).join(', ')})`);
  const values = lowerInOrder(L, present.map((f) => given.get(f.name)!), out, (v) => fieldValue(L, v, present.find((f) => given.get(f.name) === v)!.type, out));
  const fields = present.map((f, i) => ({ name: f.name, value: values[i]! }));
  out.push({ kind: 'assign', target, expr: { kind: 'record', fields, type }, loc: L.loc(lit) });
  return target;
}

/** `[h, c]` where a tuple `[Tensor, Tensor]` is expected. */
function tupleRecord(L: Lowerer, lit: ArrayLiteralExpression, type: Extract<VarType, { kind: 'tuple' }>, out: Stmt[], target: string): string {
  const elems = lit.getElements();
  if (elems.length !== type.elems.length) fail(lit, `${elems.length} values where the tuple has ${type.elems.length}`, `give exactly ${type.elems.length} values`);
  const values = lowerInOrder(L, elems, out, (el) => {
    if (Node.isSpreadElement(el)) fail(el, 'spread is not supported in a tuple', 'list the values one by one');
    return fieldValue(L, el as Expression, type.elems[elems.indexOf(el)]!, out);
  });
  const fields = values.map((value, k) => ({ name: String(k), value }));
  out.push({ kind: 'assign', target, expr: { kind: 'record', fields, type }, loc: L.loc(lit) });
  return target;
}

/** The value of one field: a number, a tensor, a flag, a constant, or a local structure (shared, as in JavaScript). */
function fieldValue(L: Lowerer, e: Expression, t: VarType, out: Stmt[]): Operand {
  switch (t.kind) {
    case 'number':
      return lowerExpression(L, e, out, null);
    case 'tensor':
      return lowerTensor(L, e, out, null);
    case 'bool': {
      const cond = toPExpr(L, e, out, 'if');
      if (cond.kind === 'operand' && cond.op.kind === 'var') return cond.op;
      const flag = L.temp({ kind: 'bool' });
      out.push(L.assignPure(flag, cond, e));
      return varOp(flag);
    }
    case 'opaque':
      return lowerOperand(L, e, out);
    default: {
      const inner = strip(e);
      const made = Node.isObjectLiteralExpression(inner) || Node.isArrayLiteralExpression(inner) || Node.isCallExpression(inner);
      if (!made) {
        const ref = tryLowerRef(L, inner, out);
        const local = ref && ref.path.length === 0 && L.fn.locals.has(ref.base);
        if (!local) {
          fail(e, `${e.getText()} cannot be a field here: a field holding ${varTypeForMessage(t)} must be made in the function (a literal, a call, or a local built with push)`, 'put its numbers and tensors into the object field by field, or pass it as its own argument');
        }
      }
      return varOp(structuredValue(L, inner, t, out));
    }
  }
}

/** `const [h, c] = lstmCell(...)` for a result holding tensors: the structure, then one local per element. */
export function destructureStructure(L: Lowerer, pattern: ArrayBindingPattern, init: Expression, isConst: boolean, out: Stmt[]): boolean {
  const type = classifyType(init.getType());
  if (type.kind !== 'tuple' || !isStructureType(type)) return false;
  const whole = structuredValue(L, init, type, out);
  pattern.getElements().forEach((el, k) => {
    if (Node.isOmittedExpression(el)) return;
    const elName = el.getNameNode();
    if (!Node.isIdentifier(elName) || el.getDotDotDotToken()) fail(el, 'only simple names are supported in array destructuring', 'name each element, as in const [h, , c] = f(x)');
    const t = type.elems[k];
    if (!t) fail(el, `the tuple has ${type.elems.length} elements`, `destructure at most ${type.elems.length}`);
    const ref = { base: whole, path: [{ kind: 'index' as const, index: constOp(k) }] };
    if (t.kind === 'number' || t.kind === 'tensor') {
      const name = L.fresh(elName.getText(), t);
      L.bind(elName.getText(), { kind: 'var', name, type: t, isConst, isParam: false });
      out.push({ kind: 'assign', target: name, expr: { kind: 'load', ref }, loc: L.loc(el) });
    } else {
      L.bind(elName.getText(), { kind: 'alias', ref, type: t, mutable: false });
    }
  });
  return true;
}

/** `[h, c] = lstmCell(p, x, [h, c])`: the call first (reading the old h and c), then each target from its result. */
export function destructuringAssignStructure(L: Lowerer, targets: readonly Node[], right: Expression, out: Stmt[]): boolean {
  const type = classifyType(right.getType());
  if (type.kind !== 'tuple' || !isStructureType(type) || !Node.isCallExpression(strip(right))) return false;
  const whole = structuredValue(L, right, type, out);
  targets.forEach((t, k) => {
    if (Node.isOmittedExpression(t)) return;
    const b = Node.isIdentifier(t) ? L.lookup(t.getText()) : undefined;
    const et = type.elems[k];
    if (!b || b.kind !== 'var' || b.isConst || !et || (et.kind !== 'number' && et.kind !== 'tensor') || b.type.kind !== et.kind) {
      fail(t, `cannot assign element ${k} of ${right.getText().slice(0, 30)} to ${t.getText()}`, 'assign tensors and numbers to let variables of the same type');
    }
    out.push({ kind: 'assign', target: b.name, expr: { kind: 'load', ref: { base: whole, path: [{ kind: 'index', index: constOp(k) }] } }, loc: L.loc(t) });
  });
  return true;
}

/** An argument made at the call (`dense({ W: p.W1, b: p.b1 }, x)`, `cell(x, [h, c])`) for a structured parameter; null otherwise. */
export function madeArgument(L: Lowerer, e: Expression, pt: VarType, out: Stmt[]): Operand | null {
  const inner = strip(e);
  if (!isStructureType(pt)) return null;
  if (pt.kind === 'array' && isStructureArray(pt) && Node.isCallExpression(inner) && Node.isPropertyAccessExpression(inner.getExpression())) {
    // `total(hs.slice())`: a copy made at the call.
    const alloc = structureArrayAllocation(L, inner, pt, out);
    if (!alloc) return null;
    const copy = L.temp(pt);
    out.push({ kind: 'assign', target: copy, expr: alloc.expr, loc: L.loc(inner) });
    return varOp(copy);
  }
  if (!(Node.isObjectLiteralExpression(inner) || Node.isArrayLiteralExpression(inner))) return null;
  return varOp(structuredValue(L, inner, pt, out));
}

/** `const layer = { W, b }`, `const s = cell(x, state)`: a new local structure; false for other initializers. */
export function declareStructure(L: Lowerer, sourceName: string, type: VarType, init: Expression, isConst: boolean, out: Stmt[]): boolean {
  if (!isStructureType(type)) return false;
  const inner = strip(init);
  const call = Node.isCallExpression(inner) && !Node.isPropertyAccessExpression(inner.getExpression());
  // An array of tensors or records is declared here only as a call's result; literals are allocations (structureArrayAllocation).
  if (type.kind === 'array') {
    if (!call) return false;
  } else if (type.kind !== 'object' && type.kind !== 'tuple') return false;
  const made = Node.isObjectLiteralExpression(inner) || Node.isArrayLiteralExpression(inner) || call;
  if (!made) return false;
  const name = L.fresh(sourceName, type);
  structuredValue(L, inner, type, out, name);
  L.bind(sourceName, { kind: 'var', name, type, isConst, isParam: false });
  return true;
}

/**
 * Refuses a write into a field of a local record (`layer.b = ...`,
 * `pts[i].x = ...`): a record is shared with the arrays it was pushed into,
 * and its fields are read back in the reverse sweep as they were made.
 */
export function refuseRecordWrite(L: Lowerer, ref: import('../ir/ir.ts').Ref, at: Expression): void {
  const base = L.fn.locals.get(ref.base);
  if (!base || !(base.kind === 'object' || base.kind === 'tuple' || isStructureArray(base))) return;
  fail(at, `cannot write into ${at.getText()}: the fields of a local object are fixed when it is made`, 'make a new object with the new value (pts.push({ x: v, y: p.y })), or keep the value in a let variable');
}

/**
 * `return [a, b]` or `return cell(...)` in a function returning a structure
 * from several places: the record or the call's result is made into
 * `result`, once per call (a return leaves the function).
 */
export function returnStructure(L: Lowerer, e: Expression, type: VarType, result: string, out: Stmt[]): void {
  const inner = strip(e);
  const made = Node.isObjectLiteralExpression(inner) || Node.isArrayLiteralExpression(inner) || (Node.isCallExpression(inner) && !Node.isPropertyAccessExpression(inner.getExpression()));
  if (!made) {
    fail(e, `${L.annotated.name} returns ${varTypeForMessage(type)} from several places: return a literal or a call here`, `write the value out (return [h, c] or return { h, c }), or return once, at the end`);
  }
  structuredValue(L, inner, type, out, result);
}
