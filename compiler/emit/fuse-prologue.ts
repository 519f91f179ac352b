/**
 * Reductions that take a fused elementwise chain as their prologue
 * (docs/fusion.md). `sumAll`, `meanAll`, `sum`, `mean` or `unbroadcast`
 * of a fused group (a `const` read once, by the reduction, besides
 * shape-only reads; or a nested call) becomes `meanAllFused(kernel,
 * [operands])` and the like (runtime/ops/reduce-fused.ts): one kernel that
 * computes the chain as it reads it.
 *
 * Shape-only reads of the chain's value (`meanGrad(g, t4)`, which the
 * adjoint of `meanAll` writes) keep a storage-less stand-in,
 * `const t4 = fusedLike(kernel, [operands])`.
 */
import { ts } from 'ts-morph';
import { runtimeRef, runtimeRefOf } from './template.ts';

const f = ts.factory;

/** The reductions, and the runtime call that runs each with a prologue. */
const fusedReductionOps: ReadonlyMap<string, string> = new Map([
  ['sumAll', 'sumAllFused'],
  ['meanAll', 'meanAllFused'],
  ['sum', 'sumFused'],
  ['mean', 'meanFused'],
  ['unbroadcast', 'unbroadcastFused'],
]);

/** The runtime calls with a prologue (their operand array is argument 1). */
export const prologueCalls: readonly string[] = [...fusedReductionOps.values()];

/** `const v = red(x, ...rest)` (or `asTensor(...)` of it), or a nested `red(call, ...rest)`. */
export interface Reduction {
  op: string;
  /** The reduced value: a name, or a nested call. */
  input: ts.Expression;
  /** The other arguments (axes, keepdims, like), as written. */
  rest: readonly ts.Expression[];
}

export interface ReductionStatement extends Reduction {
  index: number;
  asTensor: boolean;
  statement: ts.VariableStatement;
}

/** Arguments a reduction may keep when its input moves into a kernel: names, literals and arrays of them. */
function isPlain(e: ts.Expression): boolean {
  if (ts.isIdentifier(e) || ts.isNumericLiteral(e) || ts.isStringLiteral(e)) return true;
  if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword) return true;
  if (ts.isPrefixUnaryExpression(e)) return ts.isNumericLiteral(e.operand);
  if (ts.isArrayLiteralExpression(e)) return e.elements.every(isPlain);
  return false;
}

/** The reduction `e` is, if it is a call of one whose other arguments are plain. */
export function reductionOf(e: ts.Expression): Reduction | null {
  if (!ts.isCallExpression(e) || !ts.isIdentifier(e.expression)) return null;
  const op = runtimeRefOf(e.expression);
  if (op === undefined || !fusedReductionOps.has(op)) return null;
  const [input, ...rest] = e.arguments;
  if (!input || !rest.every(isPlain) || (op === 'unbroadcast') !== (rest.length === 1)) return null;
  return { op, input, rest };
}

/** The reduction statement `s` is, when it reduces a name. */
export function reductionStatementOf(s: ts.Statement, index: number): ReductionStatement | null {
  if (!ts.isVariableStatement(s) || !(s.declarationList.flags & ts.NodeFlags.Const)) return null;
  const [d, more] = s.declarationList.declarations;
  if (!d || more || !ts.isIdentifier(d.name) || !d.initializer || d.type) return null;
  let init = d.initializer;
  let asTensor = false;
  if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && runtimeRefOf(init.expression) === 'asTensor' && init.arguments.length === 1) {
    asTensor = true;
    init = init.arguments[0]!;
  }
  const r = reductionOf(init);
  return r && ts.isIdentifier(r.input) ? { ...r, index, asTensor, statement: s } : null;
}

/** The reduction as text, for inspect (`unbroadcast(·, t3)`). */
export function reductionText(r: Reduction): string {
  const printer = ts.createPrinter();
  const rest = r.rest.map((e) => printer.printNode(ts.EmitHint.Expression, e, ts.createSourceFile('r.ts', '', ts.ScriptTarget.ES2022)));
  return `${r.op}(${['·', ...rest].join(', ')})`;
}

/** `meanAllFused(kernel, [operands], ...rest)` for reduction `r`. */
export function prologueCall(r: Reduction, kernel: string, operands: readonly ts.Expression[]): ts.Expression {
  return f.createCallExpression(runtimeRef(fusedReductionOps.get(r.op)!), undefined, [f.createIdentifier(kernel), f.createArrayLiteralExpression([...operands]), ...r.rest]);
}

/** `const v = fusedLike(kernel, [operands])`: the stand-in of a chain a reduction took, for its shape-only reads. */
export function chainStandIn(s: ts.VariableStatement, kernel: string, operands: readonly ts.Expression[]): ts.Statement {
  return withInitializer(s, f.createCallExpression(runtimeRef('fusedLike'), undefined, [f.createIdentifier(kernel), f.createArrayLiteralExpression([...operands])]));
}

/** `const v = call` in place of the declaration `s` (its name and comments kept, its type annotation dropped). */
export function withInitializer(s: ts.VariableStatement, call: ts.Expression): ts.VariableStatement {
  const decl = s.declarationList.declarations[0]!;
  return f.updateVariableStatement(s, s.modifiers, f.updateVariableDeclarationList(s.declarationList, [f.updateVariableDeclaration(decl, decl.name, decl.exclamationToken, undefined, call)]));
}
