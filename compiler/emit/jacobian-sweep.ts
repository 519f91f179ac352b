/**
 * The private sweep of `jacobian_f`: a copy of the k-lane reverse sweep
 * `valueAndVjps_f` that returns the Jacobian's k rows instead of
 * `[value, [gradient_0, ..., gradient_k-1]]`. Each row is copied out of the
 * lane's gradient containers by `jacobianRow` before the sweep returns, so
 * the containers may be module scratch: after the module passes,
 * compiler/emit/scratch-buffers.ts takes them, and the lane buffers of local
 * arrays, from the `JacobianScratch` of `jacobian_f`
 * (runtime/jacobian-scratch.ts) instead of allocating them per call.
 *
 * The copy is made before the module passes (simplify, local accumulators,
 * ...), which rewrite it as they rewrite `valueAndVjps_f`, so the two
 * compute the same rows bit for bit. `valueAndVjps_f` itself keeps
 * allocating: it hands its containers to its callers.
 */
import { ts } from 'ts-morph';
import { nullContext } from '../transforms/lanes.ts';
import { docComment } from './printer.ts';
import { allocatesBuffer } from './scratch-buffers.ts';
import { runtimeRef, type } from './template.ts';

const f = ts.factory;

/**
 * The private sweep named `name` made from `sweep` (the k-lane `valueAndVjps_f`) for `jacobian`, or
 * null where it would not pay or cannot be made: no buffer the scratch could hold, or a return that
 * is not `[value, [g_0, ..., g_k-1]]` with `value` a name.
 */
export function jacobianSweep(sweep: ts.FunctionDeclaration, name: string, k: number, jacobian: string): ts.FunctionDeclaration | null {
  if (!sweep.body || !sweep.body.statements.some(allocatesBuffer)) return null;
  let fits = true;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n)) return n;
    if (ts.isReturnStatement(n)) {
      const rows = rowsOf(n.expression, k);
      if (!rows) fits = false;
      return rows ? f.updateReturnStatement(n, rows) : n;
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  const body = ts.visitEachChild(sweep.body, visit, nullContext);
  if (!fits) return null;
  const decl = f.createFunctionDeclaration(undefined, undefined, name, undefined, sweep.parameters, type`number[][]`, body);
  const exported = sweep.name!.text;
  return docComment(decl, `The rows of ${jacobian}: the sweep of ${exported} over module scratch (its buffers are zeroed per call), each row copied out before it returns.`);
}

/** `[value, [g_0, ..., g_k-1]]` -> `[jacobianRow(g_0), ..., jacobianRow(g_k-1)]`, or null for another shape. */
function rowsOf(e: ts.Expression | undefined, k: number): ts.Expression | null {
  if (!e || !ts.isArrayLiteralExpression(e) || e.elements.length !== 2) return null;
  const [value, gradients] = e.elements as unknown as [ts.Expression, ts.Expression];
  if (!ts.isIdentifier(value) || !ts.isArrayLiteralExpression(gradients) || gradients.elements.length !== k) return null;
  return f.createArrayLiteralExpression(gradients.elements.map((g) => f.createCallExpression(runtimeRef('jacobianRow'), undefined, [g])));
}
