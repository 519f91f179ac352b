/**
 * Derivative code for structured values that hold tensors (issue #10 item 1):
 * local arrays of tensors (`hs.push(h)`, `hs[t]`, `concat(hs)`), records built
 * from literals (`{ W: w, b: b }`, `[h, c]`), and functions returning tuples
 * or objects of tensors (`lstmCell(...): [Tensor, Tensor]`).
 *
 * Adjoints of structures have the primal's type and shape; a tensor leaf is
 * null until its first contribution (as `lazyZerosLike` makes them), so no
 * zero tensor is allocated for a part of a result nobody reads. A structured
 * field of a record (an array or object local) is shared with the record, as
 * JavaScript shares it, and so is its adjoint.
 */
import { ts } from 'ts-morph';
import type { Expr, IRFunction, Operand, VarType } from '../ir/ir.ts';
import { isStructured } from '../ir/ir.ts';
import { forEachStmt, pexprVars, stmtReads } from '../ir/walk.ts';
import type { Activity } from '../analysis/activity.ts';
import { id, identity, operand, recordLiteral } from '../emit/nodes.ts';
import { expr, stmt } from '../emit/template.ts';
import { docComment } from '../emit/printer.ts';
import { exportName, forwardedArgs, gradsType, param, seedType, signatureParams, type EmitContext } from './common.ts';

type Record_ = Extract<Expr, { kind: 'record' }>;

function typeOf(fn: IRFunction, v: string): VarType | undefined {
  return fn.locals.get(v) ?? fn.params.find((p) => p.name === v)?.type;
}

/** Reverse mode, forward sweep: the adjoint of a structure made here (a record or a call's result). */
export function structureAdjointInit(target: string): ts.Expression {
  return expr`lazyZerosLike(${target})`;
}

/** After `structureAdjointInit` of a record: its structured fields share their adjoints with the record's. */
export function sharedFieldAdjoints(target: string, e: Expr, fn: IRFunction, act: Activity, d: (v: string) => string): ts.Statement[] {
  const out: ts.Statement[] = [];
  if (e.kind !== 'record') return out;
  for (const field of e.fields) {
    const v = field.value;
    if (v.kind !== 'var' || !isStructured(typeOf(fn, v.name))) continue;
    if (!act.isActive(v.name) || !fn.locals.has(v.name)) continue;
    out.push(stmt`${fieldOf(id(d(target)), field.name, e)} = ${d(v.name)};`);
  }
  return out;
}

function fieldOf(base: ts.Expression, name: string, e: Record_): ts.Expression {
  if (e.type.kind === 'tuple') return ts.factory.createElementAccessExpression(base, Number(name));
  return /^[A-Za-z_$][\w$]*$/.test(name) ? ts.factory.createPropertyAccessExpression(base, name) : ts.factory.createElementAccessExpression(base, ts.factory.createStringLiteral(name, true));
}

/**
 * The result of a structure-valued function when it is a record that only
 * the return reads (`return [h, c]`, `return { h, c }`): its adjoint is the
 * output cotangent itself, so no adjoint structure is made per call.
 */
export function seedRecord(fn: IRFunction): string | null {
  const last = fn.body[fn.body.length - 1];
  if (!last || last.kind !== 'return' || last.value.kind !== 'var') return null;
  const v = last.value.name;
  let defs = 0;
  let record = false;
  let reads = 0;
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'assign' && s.target === v) {
      defs++;
      record = s.expr.kind === 'record';
    }
    if (s.kind === 'if' || s.kind === 'loop') reads += pexprVars(s.cond).filter((x) => x === v).length;
    else reads += stmtReads(s).filter((x) => x === v).length;
  });
  return defs === 1 && record && reads === 1 ? v : null;
}

/** Reverse mode, adjoint sweep of `t = record{...}`: each number or tensor field's cotangent goes to the value put there (read from `from`, t's adjoint or the seed). */
export function recordAdjoint(target: string, e: Record_, fn: IRFunction, act: Activity, d: (v: string) => string, from = d(target)): ts.Statement[] {
  const out: ts.Statement[] = [];
  for (const field of e.fields) {
    const v = field.value;
    if (v.kind !== 'var' || !act.isActive(v.name)) continue;
    const part = fieldOf(id(from), field.name, e);
    const kind = typeOf(fn, v.name)?.kind;
    if (kind === 'number') out.push(stmt`${d(v.name)} += ${part};`);
    else if (kind === 'tensor') out.push(stmt`${d(v.name)} = addTensorOrNull(${d(v.name)}, ${part});`);
  }
  return out;
}

/** Forward mode: the tangent of `t = record{...}`, a record of the fields' tangents. */
export function recordTangent(e: Record_, fn: IRFunction, act: Activity, d: (v: string) => string): ts.Expression {
  return recordLiteral(
    e.type,
    e.fields.map((field) => [field.name, tangentOf(field.value, fn, act, d)]),
  );
}

/** The tangent of an operand of any type: its tangent when active, otherwise a zero of its shape. */
export function tangentOf(o: Operand, fn: IRFunction, act: Activity, d: (v: string) => string): ts.Expression {
  if (o.kind === 'var' && act.isActive(o.name)) return id(d(o.name));
  const t = o.kind === 'var' ? typeOf(fn, o.name) : undefined;
  if (!t || t.kind === 'number') return ts.factory.createNumericLiteral(0);
  return expr`zerosLike(${operand(o, identity)})`;
}

/** Reverse mode, forward sweep of `a.push(v)` on an active array: what its adjoint gets, or null for a number (0). */
export function pushedAdjoint(v: Operand, fn: IRFunction, act: Activity, d: (v: string) => string): ts.Expression | null {
  if (v.kind !== 'var') return null;
  const t = typeOf(fn, v.name);
  if (t?.kind === 'tensor') return expr`lazyZerosLike(${v.name})`;
  if (isStructured(t)) return act.isActive(v.name) && fn.locals.has(v.name) ? id(d(v.name)) : expr`lazyZerosLike(${v.name})`;
  return null;
}

/** For a function returning a structure of tensors: `vjp_f(args..., dy)`, where `dy` has the result's type. */
export function structureWrappers(fn: IRFunction, ctx: EmitContext): ts.Statement[] {
  const f = ts.factory;
  const wrt = fn.params.filter((p) => p.wrt).map((p) => p.name).join(', ');
  const seed = ctx.module.forFunction(ctx.userNames).seed();
  const call = f.createCallExpression(id(ctx.module.ownExport(exportName(fn, 'valueAndVjp'))), undefined, [...forwardedArgs(fn), id(seed)]);
  const decl = f.createFunctionDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    undefined,
    exportName(fn, 'vjp'),
    undefined,
    [...signatureParams(fn, ctx), param(seed, seedType(fn, ctx))],
    gradsType(fn, ctx),
    f.createBlock([stmt`return ${call}[1];`], true),
  );
  return [docComment(decl, `Reverse mode: the cotangent ${seed} (a value of ${fn.name}'s result type) pulled back to (${wrt}).`)];
}
