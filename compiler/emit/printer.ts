/**
 * Prints output trees with the TypeScript printer: top-level declarations
 * separated by a blank line, two-space indentation, comments attached to
 * the nodes they describe. The printer decides parentheses; nothing here
 * looks inside the text it prints.
 */
import { ts } from 'ts-morph';

const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed, removeComments: false });

const emptyFile = ts.createSourceFile('generated.ts', '', ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);

/** A `// text` comment on its own line before `node`, after the comments it already has (or before them, with `first`). */
export function lineComment<T extends ts.Node>(node: T, text: string, first = false): T {
  if (!first) return ts.addSyntheticLeadingComment(node, ts.SyntaxKind.SingleLineCommentTrivia, ` ${text}`, true);
  const existing = ts.getSyntheticLeadingComments(node) ?? [];
  const comment: ts.SynthesizedComment = { kind: ts.SyntaxKind.SingleLineCommentTrivia, text: ` ${text}`, hasTrailingNewLine: true, pos: -1, end: -1 };
  return ts.setSyntheticLeadingComments(node, [comment, ...existing]);
}

/**
 * `s` on a new node with `comments` before its own, dropping a comment that repeats the one after it
 * (a statement moved onto another of the same source line). A new node, because passes that copy
 * statement lists share the unchanged statements between the copies.
 */
export function withLeadingComments(s: ts.Statement, comments: readonly ts.SynthesizedComment[]): ts.Statement {
  if (!comments.length) return s;
  const all = [...comments, ...(ts.getSyntheticLeadingComments(s) ?? [])].filter((c, i, list) => i + 1 >= list.length || c.text !== list[i + 1]!.text || c.kind !== list[i + 1]!.kind);
  return ts.setSyntheticLeadingComments(shallowCopy(s), all);
}

function shallowCopy(s: ts.Statement): ts.Statement {
  const f = ts.factory;
  if (ts.isExpressionStatement(s)) return f.createExpressionStatement(s.expression);
  if (ts.isVariableStatement(s)) return f.createVariableStatement(s.modifiers, s.declarationList);
  if (ts.isBlock(s)) return f.createBlock(s.statements, true);
  if (ts.isIfStatement(s)) return f.createIfStatement(s.expression, s.thenStatement, s.elseStatement);
  if (ts.isForStatement(s)) return f.createForStatement(s.initializer, s.condition, s.incrementor, s.statement);
  if (ts.isWhileStatement(s)) return f.createWhileStatement(s.expression, s.statement);
  if (ts.isDoStatement(s)) return f.createDoStatement(s.statement, s.expression);
  if (ts.isBreakStatement(s)) return f.createBreakStatement(s.label);
  if (ts.isContinueStatement(s)) return f.createContinueStatement(s.label);
  if (ts.isReturnStatement(s)) return f.createReturnStatement(s.expression);
  if (ts.isThrowStatement(s)) return f.createThrowStatement(s.expression);
  // Anything else: the comments go on a block around it.
  return f.createBlock([s], true);
}

/** A `/** text *\/` doc comment before `node` (several lines when `text` holds newlines). */
export function docComment<T extends ts.Node>(node: T, text: string): T {
  const lines = text.split('\n');
  const body = lines.length === 1 ? `* ${lines[0]} ` : `*\n${lines.map((l) => ` * ${l}`.trimEnd()).join('\n')}\n `;
  return ts.addSyntheticLeadingComment(node, ts.SyntaxKind.MultiLineCommentTrivia, body, true);
}

/** Four-space indentation (the printer's) to two. */
function reindent(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const n = line.length - line.trimStart().length;
      return ' '.repeat(Math.floor(n / 4) * 2 + (n % 4)) + line.slice(n);
    })
    .join('\n');
}

const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

/**
 * Parentheses for printing. The factory adds the ones precedence needs, but
 * it treats `*` (and `&`, `|`, `^`) as associative, printing `a * (b * c)`
 * as `a * b * c`, which rounds differently in floating point, and it prints
 * `(-a) ** b` as `-a ** b`, which does not parse. Every parenthesis already
 * in the tree is dropped, then the factory's are added back by rebuilding
 * each node, and these two cases get explicit ones.
 */
export function normalizeParentheses<T extends ts.Node>(node: T): T {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isParenthesizedExpression(n) && !ts.getSyntheticLeadingComments(n)) return visit(n.expression);
    const rebuilt = ts.visitEachChild(n, visit, nullContext);
    if (ts.isBinaryExpression(rebuilt)) {
      const op = rebuilt.operatorToken.kind;
      let { left, right } = rebuilt;
      const sameOp = (e: ts.Expression) => ts.isBinaryExpression(e) && e.operatorToken.kind === op;
      if (ASSOCIATIVE_IN_TS.has(op) && sameOp(right)) right = ts.factory.createParenthesizedExpression(right);
      if (op === ts.SyntaxKind.AsteriskAsteriskToken && (ts.isPrefixUnaryExpression(left) || ts.isTypeOfExpression(left) || ts.isVoidExpression(left) || ts.isAwaitExpression(left) || ts.isDeleteExpression(left) || ts.isTypeAssertionExpression(left))) {
        left = ts.factory.createParenthesizedExpression(left);
      }
      if (left !== rebuilt.left || right !== rebuilt.right) return ts.factory.updateBinaryExpression(rebuilt, left, rebuilt.operatorToken, right);
    }
    // `c !== 'a' as string ? x : y` does not parse (`string ?` reads as a type): the condition gets its own.
    if (ts.isConditionalExpression(rebuilt) && endsInTypeAssertion(rebuilt.condition)) {
      return ts.factory.updateConditionalExpression(rebuilt, ts.factory.createParenthesizedExpression(rebuilt.condition), rebuilt.questionToken, rebuilt.whenTrue, rebuilt.colonToken, rebuilt.whenFalse);
    }
    if (ts.isTupleTypeNode(rebuilt) || ts.isTypeLiteralNode(rebuilt)) ts.setEmitFlags(rebuilt, ts.EmitFlags.SingleLine);
    return rebuilt;
  };
  return visit(node) as T;
}

/** Does the text of `e` end in `as T` or `satisfies T` (unparenthesized)? */
function endsInTypeAssertion(e: ts.Expression): boolean {
  if (ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return true;
  if (ts.isBinaryExpression(e)) return endsInTypeAssertion(e.right);
  if (ts.isPrefixUnaryExpression(e)) return endsInTypeAssertion(e.operand);
  return false;
}

const ASSOCIATIVE_IN_TS = new Set([ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.AmpersandToken, ts.SyntaxKind.BarToken, ts.SyntaxKind.CaretToken]);

export function printNode(node: ts.Node): string {
  return reindent(printer.printNode(ts.EmitHint.Unspecified, normalizeParentheses(node), emptyFile));
}

/** Top-level statements, a blank line between declarations that span several lines. */
export function printStatements(statements: readonly ts.Statement[]): string {
  const parts: string[] = [];
  let previousMultiline = false;
  for (const s of statements) {
    const text = printNode(s);
    const multiline = text.includes('\n');
    if (parts.length && (multiline || previousMultiline)) parts.push('');
    parts.push(text);
    previousMultiline = multiline;
  }
  return parts.join('\n');
}
