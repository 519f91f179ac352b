/**
 * Reading a tensor's shape with negative and computed indexes (issue #10
 * item 1): `x.shape.at(-1)`, `x.shape.at(i)`, and through a local
 * `const shape = x.shape`: `shape[shape.length - 1]`, `shape.at(-2)`,
 * `shape.length`. Each is a plain number (no derivative), read in the
 * generated code as `x.shape[...]`.
 */
import { Node } from 'ts-morph';
import type { Expression } from 'ts-morph';
import type { Operand, PExpr, Ref, Stmt } from '../ir/ir.ts';
import { fail } from './diagnostics.ts';
import type { Lowerer } from './lower.ts';
import { toPExpr, tryLowerRef } from './lower-expr.ts';

/** `ref` names a tensor's shape (`x.shape`, or an alias of it): the tensor's variable, else null. */
function shapeOf(L: Lowerer, ref: Ref | null): string | null {
  if (!ref || ref.path.length !== 1) return null;
  const step = ref.path[0]!;
  if (step.kind !== 'prop' || step.name !== 'shape') return null;
  const t = L.fn.locals.get(ref.base) ?? L.fn.params.find((p) => p.name === ref.base)?.type;
  return t?.kind === 'tensor' ? ref.base : null;
}

/** `shape[i]` read through a ref (`const shape = x.shape; shape[k]`): the element as a pure expression, or null. */
export function shapeElementRead(L: Lowerer, ref: Ref): PExpr | null {
  if (ref.path.length !== 2) return null;
  const base = shapeOf(L, { base: ref.base, path: ref.path.slice(0, 1) });
  const step = ref.path[1]!;
  if (!base || step.kind !== 'index') return null;
  return { kind: 'element', ref: { base, path: [ref.path[0]!] }, index: operandP(step.index) };
}

/** The value of a literal index (`2`, `-1`), or null. */
function constant(p: PExpr): number | null {
  if (p.kind === 'operand' && p.op.kind === 'const') return p.op.value;
  if (p.kind === 'unary' && p.op === '-' && p.expr.kind === 'operand' && p.expr.op.kind === 'const') return -p.expr.op.value;
  return null;
}

function operandP(op: Operand): PExpr {
  return { kind: 'operand', op };
}

/** `x.shape.at(i)` or `shape.at(i)`: the dimension, counted from the end for a negative i; null for other calls. */
export function shapeAt(L: Lowerer, e: Expression, out: Stmt[]): PExpr | null {
  if (!Node.isCallExpression(e)) return null;
  const callee = e.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'at') return null;
  const receiver = callee.getExpression();
  const isShape = Node.isPropertyAccessExpression(receiver) ? receiver.getName() === 'shape' : Node.isIdentifier(receiver);
  if (!isShape) return null;
  const ref = tryLowerRef(L, receiver, out);
  const base = shapeOf(L, ref);
  if (!base || !ref) return null;
  const [arg] = e.getArguments() as Expression[];
  if (!arg || e.getArguments().length !== 1) fail(e, 'shape.at takes one index', 'write x.shape.at(-1) for the last dimension');
  const index = toPExpr(L, arg, out, 'if');
  const length: PExpr = { kind: 'length', ref };
  const negative = (i: PExpr): PExpr => ({ kind: 'binary', op: '+', left: length, right: i });
  let at: PExpr;
  const k = constant(index);
  if (k !== null) at = k < 0 ? { kind: 'binary', op: '-', left: length, right: operandP({ kind: 'const', value: -k }) } : operandP({ kind: 'const', value: k });
  else at = { kind: 'cond', test: { kind: 'binary', op: '<', left: index, right: { kind: 'operand', op: { kind: 'const', value: 0 } } }, whenTrue: negative(index), whenFalse: index };
  return { kind: 'element', ref, index: at };
}
