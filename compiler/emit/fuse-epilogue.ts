/**
 * Matrix products that take a fused elementwise chain as their epilogue
 * (docs/fusion.md). A `const` computed by `matmul`, `matmulGradA` or
 * `matmulGradB` whose one value read is an operand of a fused group of the
 * same statement list becomes operand 0 of that group's kernel, and the
 * group's call becomes `matmulFused(kernel, a, b, [operands], tA, tB)`
 * (or `matmulGradAFused` / `matmulGradBFused`): the product never exists
 * on its own.
 *
 * Reads that need only the product's shape (`unbroadcast(g, t6)`, which the
 * adjoint of a bias add writes) do not stop it: the product's declaration
 * stays, as `const t6 = productLike(h, W)`, a shape with no storage.
 */
import { ts } from 'ts-morph';
import { runtimeRef, runtimeRefOf } from './template.ts';
import { prologueCalls, withInitializer } from './fuse-prologue.ts';

const f = ts.factory;

/** The product ops, and the runtime call that runs each with an epilogue. */
const fusedProductOps: ReadonlyMap<string, string> = new Map([
  ['matmul', 'matmulFused'],
  ['matmulGradA', 'matmulGradAFused'],
  ['matmulGradB', 'matmulGradBFused'],
]);

/** Runtime calls with a fused kernel, and the index of their operand array (for the lifetimes analysis). */
export const fusedCallOperands: ReadonlyMap<string, number> = new Map([
  ['fused', 1],
  ['matmulFused', 3],
  ['matmulGradAFused', 4],
  ['matmulGradBFused', 4],
  ...prologueCalls.map((name) => [name, 1] as const),
  ['fusedLike', 1],
]);

/** Calls whose argument `index` only gives a shape (and which accept a `productLike` or `fusedLike`). */
const shapeOnlyReaders: ReadonlyMap<string, number> = new Map([
  ['unbroadcast', 1],
  ['broadcastLike', 1],
  ['reduceGrad', 1],
  ['meanGrad', 1],
  ['expandReduced', 1],
]);

/** `const v = matmul(a, b, tA?, tB?)` (or `asTensor(...)` of it, or a gradient product) in a statement list. */
export interface Product {
  index: number;
  name: string;
  op: string;
  /** The call's arguments: names, and the transpose flags as literals. */
  args: readonly ts.Expression[];
  statement: ts.VariableStatement;
}

function isFlag(e: ts.Expression): boolean {
  return e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword;
}

/** The product `s` declares, if it is one whose arguments are names and flags. */
export function productOf(s: ts.Statement, index: number): Product | null {
  if (!ts.isVariableStatement(s) || !(s.declarationList.flags & ts.NodeFlags.Const)) return null;
  const [d, more] = s.declarationList.declarations;
  if (!d || more || !ts.isIdentifier(d.name) || !d.initializer || d.type) return null;
  let init = d.initializer;
  if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && runtimeRefOf(init.expression) === 'asTensor' && init.arguments.length === 1) init = init.arguments[0]!;
  if (!ts.isCallExpression(init) || !ts.isIdentifier(init.expression)) return null;
  const op = runtimeRefOf(init.expression);
  if (op === undefined || !fusedProductOps.has(op)) return null;
  const names = op === 'matmul' ? 2 : 3;
  const args = init.arguments;
  if (args.length < names || args.length > names + 2) return null;
  if (!args.every((a, i) => (i < names ? ts.isIdentifier(a) && runtimeRefOf(a) === undefined : isFlag(a)))) return null;
  return { index, name: d.name.text, op, args: [...args], statement: s };
}

/** The names a product reads (its operands). */
export function productReads(p: Product): string[] {
  return p.args.filter(ts.isIdentifier).map((a) => a.text);
}

/**
 * Counts, per name, its reads as a shape-only argument (`unbroadcast(g, v)`)
 * anywhere in `node` (nested functions included, as `countReads` does).
 */
export function countShapeOnlyReads(node: ts.Node, counts: Map<string, number>): void {
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      const op = runtimeRefOf(n.expression);
      const at = op === undefined ? undefined : shapeOnlyReaders.get(op);
      const arg = at === undefined ? undefined : n.arguments[at];
      if (arg && ts.isIdentifier(arg)) counts.set(arg.text, (counts.get(arg.text) ?? 0) + 1);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
}

/** `matmulFused(kernel, a, b, [operands], tA, tB)` (or a gradient product's) for product `p` with the group's kernel. */
export function epilogueCall(p: Product, kernel: string, operands: readonly ts.Expression[]): ts.Expression {
  const names = p.op === 'matmul' ? 2 : 3;
  const args = [f.createIdentifier(kernel), ...p.args.slice(0, names), f.createArrayLiteralExpression([...operands]), ...p.args.slice(names)];
  return f.createCallExpression(runtimeRef(fusedProductOps.get(p.op)!), undefined, args);
}

/** The product as text, for inspect (`matmul(h, t5)`). */
export function productText(p: Product): string {
  return `${p.op}(${p.args.map((a) => (ts.isIdentifier(a) ? a.text : String(a.kind === ts.SyntaxKind.TrueKeyword))).join(', ')})`;
}

/** What the product's declaration becomes when shape-only reads of it remain: `const t6 = productLike(a, b, tA, tB)`. */
export function productStandIn(p: Product): ts.Statement {
  return withInitializer(p.statement, f.createCallExpression(runtimeRef('productLike'), undefined, [...p.args]));
}
