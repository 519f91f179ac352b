/**
 * Pieces both derivative emitters share: signatures, source-line comments,
 * how a callee's generated derivatives are named, tangent arguments.
 */
import type { Callee, IRFunction, Loc, Operand, Param, VarType } from '../ir/ir.ts';
import type { Activity } from '../analysis/activity.ts';
import { operand, identity } from '../emit/expr.ts';

export interface EmitContext {
  /** The TypeScript type text of a parameter in generated signatures. */
  paramType(p: Param): string;
  /** The TypeScript type text of the function's result. */
  returnType: string;
}

/** Does the function return a tuple or array of numbers rather than one number? */
export function isVectorValued(fn: IRFunction): boolean {
  return fn.returnType.kind !== 'number';
}

/** Type of the output cotangent parameter of reverse-mode functions. */
export function seedType(fn: IRFunction): string {
  return isVectorValued(fn) ? 'ArrayLike<number>' : 'number';
}

export function signatureParams(fn: IRFunction, ctx: EmitContext): string[] {
  const params = fn.params.map((p) => `${p.name}: ${ctx.paramType(p)}`);
  return fn.selfType ? [`self: ${fn.selfType}`, ...params] : params;
}

export function sourceComment(fn: IRFunction, loc: Loc): string {
  return `// ${fn.sourceFile}:${loc.line}`;
}

/** `jvp_g` / `valueAndVjp_g` of a called differentiable function. */
export function calleeExport(c: Callee, kind: 'jvp' | 'vjp' | 'valueAndVjp'): string {
  return `${kind}_${c.exportName}`;
}

/** The tangent passed for one argument of a call in forward mode. */
export function tangentArg(a: Operand, type: VarType, act: Activity, d: (v: string) => string): string {
  if (a.kind === 'var' && act.isActive(a.name)) return d(a.name);
  if (type.kind === 'number') return '0';
  return `zerosLike(${operand(a, identity)})`;
}

/** The type text of the gradient returned for the wrt parameters. */
export function gradsType(fn: IRFunction, ctx: EmitContext): string {
  const wrt = fn.params.filter((p) => p.wrt);
  if (wrt.length === 1) return ctx.paramType(wrt[0]!);
  return `[${wrt.map((p) => ctx.paramType(p)).join(', ')}]`;
}
