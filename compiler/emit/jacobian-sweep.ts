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
import type { FunctionNames } from './names.ts';
import { id } from './nodes.ts';
import { docComment } from './printer.ts';
import { declaresBuffer } from './scratch-buffers.ts';
import { runtimeRef, stmts, type } from './template.ts';

const f = ts.factory;

/** One wrt parameter's gradient as a row copies it: a number, or the elements of a Float64Array or number[]. */
export interface RowPart {
  /** The wrt parameter. */
  name: string;
  kind: 'number' | 'float64' | 'numbers';
}

/** The function that copies one lane's gradients into a fresh row, when every wrt parameter has a RowPart kind. */
export interface RowCopy {
  name: string;
  parts: readonly RowPart[];
}

/**
 * The private sweep named `name` made from `sweep` (the k-lane `valueAndVjps_f`) for `jacobian`, or
 * null where it would not pay or cannot be made: no buffer the scratch could hold, or a return that
 * is not `[value, [g_0, ..., g_k-1]]` with `value` a name.
 */
export function jacobianSweep(sweep: ts.FunctionDeclaration, name: string, k: number, jacobian: string, rowCopy: RowCopy | null): ts.FunctionDeclaration | null {
  if (!sweep.body || !declaresBuffer(sweep)) return null;
  let fits = true;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n)) return n;
    if (ts.isReturnStatement(n)) {
      const rows = rowsOf(n.expression, k, rowCopy);
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

/**
 * `[value, [g_0, ..., g_k-1]]` -> `[row(g_0), ..., row(g_k-1)]`, or null for another shape. A lane's
 * gradients `[dA_r, dB_r]` (one wrt parameter: `dA_r`) go to the row copy as its arguments, where there
 * is one; otherwise to the runtime's `jacobianRow`, which copies any structure.
 */
function rowsOf(e: ts.Expression | undefined, k: number, rowCopy: RowCopy | null): ts.Expression | null {
  if (!e || !ts.isArrayLiteralExpression(e) || e.elements.length !== 2) return null;
  const [value, gradients] = e.elements as unknown as [ts.Expression, ts.Expression];
  if (!ts.isIdentifier(value) || !ts.isArrayLiteralExpression(gradients) || gradients.elements.length !== k) return null;
  const row = (g: ts.Expression): ts.Expression => {
    const parts = !rowCopy ? null : rowCopy.parts.length === 1 ? [g] : ts.isArrayLiteralExpression(g) ? g.elements : null;
    if (rowCopy && parts && parts.length === rowCopy.parts.length && !parts.some(ts.isSpreadElement)) {
      return f.createCallExpression(id(rowCopy.name), undefined, parts);
    }
    return f.createCallExpression(runtimeRef('jacobianRow'), undefined, [g]);
  };
  return f.createArrayLiteralExpression(gradients.elements.map(row));
}

/**
 * The row copy of `copy`: a function of one lane's gradients that returns them as one fresh row, in
 * `flatten` order (what `jacobianRow` returns, without its checks of each part's type). `names` gives
 * its locals.
 */
export function rowCopyFunction(copy: RowCopy, names: FunctionNames, jacobian: string): ts.FunctionDeclaration {
  const [row, at, i] = ['row', 'at', 'i'].map((n) => names.fresh(n)) as [string, string, string];
  const params = copy.parts.map((p) => ({ ...p, gradient: names.deriv(p.name) }));
  const length = params
    .map((p): ts.Expression => (p.kind === 'number' ? f.createNumericLiteral(1) : f.createPropertyAccessExpression(id(p.gradient), 'length')))
    .reduce((a, b) => f.createBinaryExpression(a, ts.SyntaxKind.PlusToken, b));
  const copies = params.flatMap((p) => (p.kind === 'number'
    ? stmts`${row}[${at}++] = ${p.gradient};`
    : stmts`
        for (let ${i} = 0; ${i} < ${p.gradient}.length; ${i}++) {
          ${row}[${at}++] = ${p.gradient}[${i}];
        }`));
  const body = [
    ...stmts`const ${row} = new Array<number>(${length});`,
    ...stmts`let ${at} = 0;`,
    ...copies,
    ...stmts`return ${row};`,
  ];
  const typeOf = (kind: RowPart['kind']) => (kind === 'number' ? type`number` : kind === 'float64' ? type`Float64Array` : type`readonly number[]`);
  const decl = f.createFunctionDeclaration(undefined, undefined, copy.name,
    undefined, params.map((p) => f.createParameterDeclaration(undefined, undefined, p.gradient, undefined, typeOf(p.kind))), type`number[]`, f.createBlock(body, true));
  const list = copy.parts.map((p) => p.name).join(', ');
  return docComment(decl, `One row of ${jacobian} from one lane's gradients with respect to (${list}), copied into a fresh array.`);
}
