/**
 * Structural equality of IR operands, references and expressions: two
 * pieces of IR are equal when they read the same variables and constants
 * through the same operations, so they compute the same value from the
 * same state. Used by the reuse of repeated loads (analysis/cse-loads.ts)
 * and by loop fusion (transforms/fuse-loops.ts), which compares the
 * initialisations, conditions and steps of two loops.
 */
import type { Access, Expr, Operand, PExpr, Ref } from './ir.ts';

export function sameOperand(a: Operand, b: Operand): boolean {
  if (a.kind === 'var' && b.kind === 'var') return a.name === b.name;
  if (a.kind === 'const' && b.kind === 'const') return Object.is(a.value, b.value);
  if (a.kind === 'text' && b.kind === 'text') return a.text === b.text;
  if (a.kind === 'list' && b.kind === 'list') return sameList(a.items, b.items, sameOperand);
  return false;
}

export function sameRef(a: Ref, b: Ref): boolean {
  return a.base === b.base && sameList(a.path, b.path, sameAccess);
}

function sameAccess(a: Access, b: Access): boolean {
  if (a.kind === 'prop' || b.kind === 'prop') return a.kind === 'prop' && b.kind === 'prop' && a.name === b.name;
  return sameOperand(a.index, b.index);
}

export function samePExpr(a: PExpr, b: PExpr): boolean {
  switch (a.kind) {
    case 'operand':
      return b.kind === 'operand' && sameOperand(a.op, b.op);
    case 'bool':
      return b.kind === 'bool' && a.value === b.value;
    case 'binary':
      return b.kind === 'binary' && a.op === b.op && samePExpr(a.left, b.left) && samePExpr(a.right, b.right);
    case 'unary':
      return b.kind === 'unary' && a.op === b.op && samePExpr(a.expr, b.expr);
    case 'math':
      return b.kind === 'math' && a.fn === b.fn && sameList(a.args, b.args, samePExpr);
    case 'load':
    case 'length':
      return b.kind === a.kind && sameRef(a.ref, b.ref);
    case 'element':
      return b.kind === 'element' && sameRef(a.ref, b.ref) && samePExpr(a.index, b.index);
    case 'cond':
      return b.kind === 'cond' && samePExpr(a.test, b.test) && samePExpr(a.whenTrue, b.whenTrue) && samePExpr(a.whenFalse, b.whenFalse);
    default:
      return a satisfies never;
  }
}

/** Equal arithmetic: primitives, copies and pure expressions (anything else, a load or a call, is never equal). */
export function samePureExpr(a: Expr, b: Expr): boolean {
  if (a.kind === 'prim' && b.kind === 'prim') return a.prim === b.prim && sameList(a.args, b.args, sameOperand);
  if (a.kind === 'copy' && b.kind === 'copy') return sameOperand(a.src, b.src);
  if (a.kind === 'pure' && b.kind === 'pure') return samePExpr(a.expr, b.expr);
  return false;
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i]!));
}
