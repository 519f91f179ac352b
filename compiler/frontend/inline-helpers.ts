/**
 * Small differentiable helpers inlined into their callers (issue #11).
 *
 * A call of a `@differentiable` function costs the reverse sweep more than
 * the helper's own arithmetic: the helper's derivative reruns its forward
 * sweep, allocates a cotangent for each array argument, returns a tuple,
 * and the caller pushes the call's result (LSTM's `sigmoid`) or adds the
 * returned cotangent into its own (GMM's `logsumexp(main, k)`). A small
 * helper is cheaper inlined: its body is lowered at the call, the way a
 * local function's is (lower-closures.ts), so the analyses see its
 * statements, recompute its values from the caller's and accumulate into
 * the caller's cotangents in place. Its statements keep the helper's source
 * lines in comments and source maps.
 *
 * Inlined: an exported function declared in the same file (a helper that is
 * not exported is refused as before, whether or not it would be inlined),
 * marked `@differentiable`,
 * with no user-written derivative (`@derivative vjp(f)`), no local
 * functions, calls of named functions (so no recursion), checkpointed
 * loops or `this` in its body, a body of at most
 * INLINE_MAX_NODES syntax nodes, parameters that are numbers or arrays of
 * numbers, and a number result. The helper's `wrt` list is kept: a number parameter
 * outside it gets a copy no derivative flows through, as the call gave; an
 * array parameter outside it stops the inlining.
 */
import { Node, SyntaxKind } from 'ts-morph';
import type { CallExpression, FunctionDeclaration, SourceFile } from 'ts-morph';
import { varOp, type Callee, type Operand, type Stmt } from '../ir/ir.ts';
import { readCustom } from './discover.ts';
import type { Lowerer } from './lower.ts';
import { callArguments, inlineCall, parameterAssigned } from './lower-closures.ts';

/** Syntax nodes a helper's body may hold to be inlined (LSTM's sigmoid has 12, GMM's logsumexp 95). */
export const INLINE_MAX_NODES = 160;

/** `sigmoid(x)` where sigmoid is a small differentiable helper of this file: its body inlined, its result as an operand; or null. */
export function inlinedHelperCall(L: Lowerer, e: CallExpression, callee: Callee, declaration: Node, out: Stmt[], target: string | null): Operand | null {
  if (!Node.isFunctionDeclaration(declaration) || declaration === L.annotated.node || !declaration.isExported() || !inlineable(declaration, callee, L.sourceFile)) return null;
  const args = callArguments(L, declaration, e, out).map((a, i) => {
    if (callee.wrt[i] || a.kind !== 'operand') return a;
    // A constant, or a parameter of the caller outside its wrt list and never assigned, carries no derivative: passed as it is.
    if (a.op.kind === 'const' || (a.op.kind === 'var' && isConstantParameter(L, a.op.name))) return { ...a, direct: 'unassigned' as const };
    // Otherwise, outside the helper's wrt list: a copy the derivative does not flow through, as it did not through the call.
    const local = L.fresh(declaration.getParameters()[i]!.getName(), { kind: 'number' });
    out.push(L.assignPure(local, { kind: 'operand', op: a.op }, e));
    return { kind: 'operand' as const, op: varOp(local), direct: 'unassigned' as const };
  });
  return inlineCall(L, declaration, args, 'number', target, out, e, []) as Operand;
}

/** Is `v` a parameter of the function being lowered that is not differentiated and never assigned? */
function isConstantParameter(L: Lowerer, v: string): boolean {
  const p = L.fn.params.find((q) => q.name === v);
  if (!p || p.wrt) return false;
  const node = L.annotated.node;
  const decl = 'getParameters' in node ? (node as FunctionDeclaration).getParameters().find((q) => q.getName() === v) : undefined;
  return decl !== undefined && !parameterAssigned(node as FunctionDeclaration, decl);
}

function inlineable(fn: FunctionDeclaration, callee: Callee, sf: SourceFile): boolean {
  const body = fn.getBody();
  if (!body || fn.getSourceFile() !== sf || callee.module !== null || callee.method || callee.outParam !== undefined) return false;
  if (callee.returns.kind !== 'number' || fn.getParameters().length !== callee.params.length) return false;
  const arrayOfNumbers = (t: Callee['params'][number]) => t.kind === 'array' && t.elem.kind === 'number';
  if (!callee.params.every((t, i) => t.kind === 'number' || (arrayOfNumbers(t) && callee.wrt[i]))) return false;
  if (fn.getParameters().some((p) => p.isRestParameter() || p.hasInitializer() || p.hasQuestionToken())) return false;
  const name = fn.getName();
  if (!name || sf.getStatements().some((s) => readCustom(s)?.of === name)) return false;
  if (body.getText().includes('@checkpoint')) return false;
  let nodes = 0;
  let refused = false;
  body.forEachDescendant((n, traversal) => {
    nodes++;
    const k = n.getKind();
    // A call of a named function (the helper itself, the caller, another helper) is left to the call machinery.
    const namedCall = Node.isCallExpression(n) && Node.isIdentifier(n.getExpression());
    if (namedCall || k === SyntaxKind.ArrowFunction || k === SyntaxKind.FunctionExpression || k === SyntaxKind.FunctionDeclaration || k === SyntaxKind.ThisKeyword || nodes > INLINE_MAX_NODES) {
      refused = true;
      traversal.stop();
    }
  });
  return !refused;
}
