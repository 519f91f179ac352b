/**
 * Plain (non-differentiable) functions whose calls have no effect: a call
 * whose result nothing needs may be left out (compiler/emit/value-free.ts:
 * GMM's `wishartConstant`, a log-gamma the value needs and the gradient
 * does not). A differentiable function calls a plain one with numbers only
 * (lower-expr.ts), so the callee cannot reach the caller's arrays; it is
 * pure when its body
 *   - assigns, increments and declares only names declared in it (its
 *     parameters and locals), never an element or a property;
 *   - calls only `Math` functions other than `Math.random`, and plain
 *     functions of the same file that are pure themselves (a recursive call
 *     counts as pure while its own check is in progress);
 *   - holds no `new`, `throw`, `this`, `delete`, `await`, `yield`, tagged
 *     template, nested function or class, and no `debugger`.
 * Only functions of the file being compiled are judged, never one that
 * lies in another file: the build does not rebuild a caller when only the
 * body of a function it imports changes (compiler/build/callgraph.ts,
 * interface keys), so a callee elsewhere that became impure would leave
 * the caller's generated code stale. Reading constants and module-level
 * arrays is allowed. What the check
 * does not follow (getters behind a property read, a loop that never ends,
 * an implicit TypeError) is left as it is: leaving out a call whose value
 * nothing reads can only skip such a failure, never change a number.
 */
import { Node, SyntaxKind } from 'ts-morph';

const IMPURE_KINDS: ReadonlySet<SyntaxKind> = new Set([
  SyntaxKind.NewExpression,
  SyntaxKind.ThrowStatement,
  SyntaxKind.ThisKeyword,
  SyntaxKind.SuperKeyword,
  SyntaxKind.DeleteExpression,
  SyntaxKind.AwaitExpression,
  SyntaxKind.YieldExpression,
  SyntaxKind.TaggedTemplateExpression,
  SyntaxKind.ArrowFunction,
  SyntaxKind.FunctionExpression,
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.ClassExpression,
  SyntaxKind.ClassDeclaration,
  SyntaxKind.DebuggerStatement,
]);

/**
 * The functions checked during the outermost check in progress (null when none is), true while in
 * progress: a recursive call is pure if the rest is. It is not kept after the outermost check returns:
 * - a function found pure on the assumption that a caller in its cycle was might not be, while the
 *   outermost result is still right (every function in progress calls the next, so it fails when any
 *   of them does);
 * - across builds (watch mode) a callee in another file may have changed.
 */
let checking: Map<Node, boolean> | null = null;

/** Is the function `fn` (a declaration, or an arrow or function expression) free of effects, as above? */
export function isPureFunction(fn: Node): boolean {
  const outermost = checking === null;
  if (outermost) checking = new Map();
  try {
    const seen = checking!.get(fn);
    if (seen !== undefined) return seen;
    checking!.set(fn, true);
    const body = Node.isFunctionDeclaration(fn) || Node.isArrowFunction(fn) || Node.isFunctionExpression(fn) ? fn.getBody() : undefined;
    const pure = body !== undefined && bodyIsPure(fn, body);
    checking!.set(fn, pure);
    return pure;
  } finally {
    if (outermost) checking = null;
  }
}

function bodyIsPure(fn: Node, body: Node): boolean {
  const ownName = (n: Node): boolean => {
    if (!Node.isIdentifier(n)) return false;
    const decl = n.getSymbol()?.getDeclarations()[0];
    return decl !== undefined && decl.getSourceFile() === fn.getSourceFile() && decl.getStart() >= fn.getStart() && decl.getEnd() <= fn.getEnd();
  };
  let pure = true;
  body.forEachDescendant((n, traversal) => {
    if (IMPURE_KINDS.has(n.getKind())) {
      pure = false;
      traversal.stop();
      return;
    }
    if (Node.isBinaryExpression(n)) {
      const op = n.getOperatorToken().getKind();
      if (op >= SyntaxKind.FirstAssignment && op <= SyntaxKind.LastAssignment && !ownName(n.getLeft())) pure = false;
    } else if ((Node.isPrefixUnaryExpression(n) || Node.isPostfixUnaryExpression(n)) && (n.getOperatorToken() === SyntaxKind.PlusPlusToken || n.getOperatorToken() === SyntaxKind.MinusMinusToken)) {
      if (!ownName(n.getOperand())) pure = false;
    } else if (Node.isCallExpression(n) && !isPureCall(n)) pure = false;
    if (!pure) traversal.stop();
  });
  return pure;
}

function isPureCall(call: import('ts-morph').CallExpression): boolean {
  const callee = call.getExpression();
  if (Node.isPropertyAccessExpression(callee)) {
    const target = callee.getExpression();
    return Node.isIdentifier(target) && target.getText() === 'Math' && callee.getName() !== 'random' && isGlobalMath(target);
  }
  if (!Node.isIdentifier(callee)) return false;
  let symbol = callee.getSymbol();
  if (!symbol) return false;
  symbol = symbol.getAliasedSymbol() ?? symbol;
  const decl = symbol.getDeclarations()[0];
  if (!decl || decl.getSourceFile() !== call.getSourceFile()) return false;
  if (Node.isFunctionDeclaration(decl)) return isPureFunction(decl);
  if (Node.isVariableDeclaration(decl)) {
    const init = decl.getInitializer();
    const constant = decl.getVariableStatement()?.getDeclarationKind() === 'const';
    return constant && init !== undefined && (Node.isArrowFunction(init) || Node.isFunctionExpression(init)) && isPureFunction(init);
  }
  return false;
}

/** `Math` is the global one, not a local or import of that name. */
function isGlobalMath(id: Node): boolean {
  const decl = id.getSymbol()?.getDeclarations()[0];
  return decl === undefined || decl.getSourceFile().isDeclarationFile();
}
