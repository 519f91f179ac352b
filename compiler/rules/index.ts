/**
 * The one table of derivative rules: scalar primitives (operators and
 * `Math.*`) and the runtime's tensor ops, looked up by IR expression.
 */
import type { Expr } from '../ir/ir.ts';
import { scalarRules, zeroDerivativePrims } from './scalar.ts';
import { tensorRules, zeroDerivativeTensorPrims } from './tensor.ts';
import type { Rule } from './types.ts';

export type RuleExpr = Extract<Expr, { kind: 'prim' | 'tensorOp' }>;

export function ruleOf(e: RuleExpr): Rule {
  return e.kind === 'prim' ? (scalarRules[e.prim] as Rule) : tensorRules[e.op];
}

/** Is the derivative of this primitive zero everywhere (sign, floor, comparisons, ...)? */
export function hasZeroDerivative(e: RuleExpr): boolean {
  return e.kind === 'prim' ? zeroDerivativePrims.has(e.prim) : zeroDerivativeTensorPrims.has(e.op);
}

/** Operand positions through which a derivative flows (the rule's VJP is not null there). */
export function differentiablePositions(e: RuleExpr): number[] {
  const rule = ruleOf(e);
  const args = e.args.map((_, i) => `__arg${i}__`);
  return e.args.flatMap((_, i) => (rule.vjp({ args, out: '__out__', g: '__g__' }, i) === null ? [] : [i]));
}
