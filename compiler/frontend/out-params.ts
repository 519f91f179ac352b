/**
 * Out parameters: a differentiable function that returns nothing (`void`)
 * and fills an array it is given, in the style of C numerical code
 * (`function step(x: number[], out: number[]): void { out[i] = ... }`).
 * Its result is the filled array: the compiler treats it as a function
 * returning that array (a copy of the parameter, filled, then written back
 * into it), so `jvp_step` / `vjp_step` are those of a vector-valued
 * function, and a caller's adjoint flows back through the written array.
 */
import { Node, SyntaxKind } from 'ts-morph';
import type { ArrowFunction, FunctionDeclaration, FunctionExpression, MethodDeclaration, ParameterDeclaration } from 'ts-morph';

type FunctionLikeDeclaration = FunctionDeclaration | MethodDeclaration | ArrowFunction | FunctionExpression;
import type { VarType } from '../ir/ir.ts';
import { classifyType } from './types.ts';

/** A function or method as the compiler meets it. */
export type { FunctionLikeDeclaration };

export type OutParameter = { index: number; name: string } | { error: string; hint: string; at: Node };

/** True when `fn` is declared or inferred to return nothing. */
export function returnsVoid(fn: FunctionLikeDeclaration): boolean {
  const t = fn.getReturnType();
  return t.isVoid() || t.isUndefined();
}

/** The one array parameter a void function writes into, or why there is not exactly one. */
export function outParameter(fn: FunctionLikeDeclaration): OutParameter {
  const params = fn.getParameters();
  const written = params.map((p, i) => ({ p, i })).filter(({ p }) => isNumberArray(classifyType(p.getType())) && isWrittenIn(fn, p));
  const name = (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn) ? fn.getName() : undefined) ?? 'this function';
  if (written.length === 1) return { index: written[0]!.i, name: written[0]!.p.getName() };
  const at = fn.getReturnTypeNode() ?? fn;
  if (written.length === 0) {
    return {
      error: `${name} returns nothing and fills no array parameter, so it has no result to differentiate`,
      hint: 'return the number it computes, or write its result into a number[] parameter (out[i] = ...)',
      at,
    };
  }
  return {
    error: `${name} fills ${written.map(({ p }) => p.getName()).join(' and ')}: a differentiable function fills one array`,
    hint: 'fill one array (out[i] for the first part, out[n + i] for the second), or split the function in two',
    at,
  };
}

/** number[], Float64Array or Float32Array. */
export function isNumberArray(t: VarType): t is Extract<VarType, { kind: 'array' }> {
  return t.kind === 'array' && t.elem.kind === 'number';
}

/** Does the body assign an element of `p` (`p[i] = e`, `p[i] += e`, `p[i]++`) or call a method that changes it? */
function isWrittenIn(fn: FunctionLikeDeclaration, p: ParameterDeclaration): boolean {
  const body = fn.getBody();
  if (!body) return false;
  const symbol = p.getNameNode().getSymbol();
  const isP = (e: Node): boolean => {
    while (Node.isParenthesizedExpression(e) || Node.isNonNullExpression(e)) e = e.getExpression();
    return Node.isIdentifier(e) && e.getSymbol() === symbol;
  };
  const elementOfP = (e: Node): boolean => {
    while (Node.isParenthesizedExpression(e) || Node.isNonNullExpression(e)) e = e.getExpression();
    return Node.isElementAccessExpression(e) && isP(e.getExpression());
  };
  for (const n of body.getDescendants()) {
    if (Node.isBinaryExpression(n)) {
      const op = n.getOperatorToken().getKind();
      if (op >= SyntaxKind.FirstAssignment && op <= SyntaxKind.LastAssignment && elementOfP(n.getLeft())) return true;
    }
    if ((Node.isPrefixUnaryExpression(n) || Node.isPostfixUnaryExpression(n)) && elementOfP(n.getOperand())) {
      const op = n.getOperatorToken();
      if (op === SyntaxKind.PlusPlusToken || op === SyntaxKind.MinusMinusToken) return true;
    }
    if (Node.isCallExpression(n)) {
      const callee = n.getExpression();
      if (Node.isPropertyAccessExpression(callee) && isP(callee.getExpression()) && ['fill', 'reverse', 'push', 'pop', 'shift'].includes(callee.getName())) return true;
    }
  }
  return false;
}
