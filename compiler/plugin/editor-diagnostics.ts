/**
 * wengert's messages as the editor's `ts.Diagnostic`s: errors in red,
 * warnings in yellow, the hint on a second line of the message (the same
 * message chain the tspc plugin gives tsc), `source: 'wengert'`, and one
 * code per kind of message so a user can tell them apart:
 *
 *   990001  a build error (the code the tspc plugin gives tsc, too)
 *   990002  a build warning (a near-miss tag)
 *   990003  a differentiated parameter that never affects the result
 *   990004  a result that depends on no differentiated parameter
 *
 * The compiler locates a message by its line and column only; the span
 * the editor underlines is the largest syntax node that starts there (not
 * counting a binary or conditional expression, whose first operand starts
 * there too), cut at the end of its line: a whole call, a parameter, the
 * first line of a function; inside a comment, the word there (a tag).
 */
import type ts from 'typescript';
import type { EditorDiagnostic, EditorRule } from './editor-checker.ts';
import { WENGERT_DIAGNOSTIC_CODE } from './index.ts';

export const DIAGNOSTIC_CODES: Record<EditorRule, number> = {
  'build-error': WENGERT_DIAGNOSTIC_CODE,
  'build-warning': 990002,
  'zero-gradient-parameter': 990003,
  'constant-result': 990004,
};

/** `d` as a diagnostic of `file`, in the editor's TypeScript (`tsi`). */
export function toTsDiagnostic(tsi: typeof ts, file: ts.SourceFile, d: EditorDiagnostic): ts.Diagnostic {
  const code = DIAGNOSTIC_CODES[d.rule];
  const category = d.rule === 'build-error' ? tsi.DiagnosticCategory.Error : tsi.DiagnosticCategory.Warning;
  const start = Math.min(d.start, file.text.length);
  return {
    file,
    start,
    length: spanLength(tsi, file, start),
    category,
    code,
    source: 'wengert',
    messageText: {
      messageText: d.message,
      category,
      code,
      next: [{ messageText: `hint: ${d.hint}`, category: tsi.DiagnosticCategory.Message, code }],
    },
  };
}

/** How many characters from `start` the editor underlines (at least one). */
export function spanLength(tsi: typeof ts, file: ts.SourceFile, start: number): number {
  const text = file.text;
  const lineEnd = endOfLine(text, start);
  const node = largestNodeStartingAt(tsi, file, start);
  let end = node ? Math.min(node.end, lineEnd) : start;
  if (!node) {
    // Inside a comment: the tag or word there.
    const word = /^@?[A-Za-z_$][\w$]*/.exec(text.slice(start, lineEnd));
    end = start + (word ? word[0].length : 0);
  }
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return Math.max(end - start, 1);
}

function endOfLine(text: string, from: number): number {
  const newline = text.slice(from).search(/\r?\n/);
  return newline < 0 ? text.length : from + newline;
}

function largestNodeStartingAt(tsi: typeof ts, file: ts.SourceFile, start: number): ts.Node | undefined {
  let best: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (node.end <= start || node.pos > start) return;
    // `f(x) * 3` starts where the call `f(x)` does; a message about the call underlines the call.
    const operation = tsi.isBinaryExpression(node) || tsi.isConditionalExpression(node);
    if (!operation && node.getStart(file) === start && (!best || node.end > best.end)) best = node;
    tsi.forEachChild(node, visit);
  };
  tsi.forEachChild(file, visit);
  return best;
}
