/**
 * The shape of a derivative rule. One rule per primitive, with its JVP
 * (forward mode) and VJP (reverse mode) side by side. Rules are source
 * templates: they take the TypeScript expressions of the operands (always
 * plain variable names or literals, never expressions with side effects)
 * and return the TypeScript expression of the result.
 *
 * The compiler decides which operand values the reverse sweep must keep by
 * looking at which operand names a rule's VJP mentions, so a rule that does
 * not use an operand costs no tape traffic for it.
 */
export interface RuleContext {
  /** Operand expressions, in order. */
  args: readonly string[];
  /** The primal result (a variable name). */
  out: string;
}

export interface Rule {
  /** Number of operands, or -1 for any number (`Math.hypot`). */
  arity: number;
  /** The primal expression, for example `Math.exp(${a})`. */
  primal(args: readonly string[]): string;
  /**
   * Tangent of the result from the operands' tangents. A tangent is `null`
   * where the operand is constant (zero tangent). Returns `null` when the
   * result's tangent is zero.
   */
  jvp(c: RuleContext & { dargs: readonly (string | null)[] }): string | null;
  /**
   * The contribution of the result's cotangent `g` to operand `i`'s
   * cotangent, or `null` where the operand gets none (non-differentiable
   * operand, zero derivative).
   */
  vjp(c: RuleContext & { g: string }, i: number): string | null;
}
