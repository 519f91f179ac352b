/**
 * Located build messages. Every construct the compiler refuses is reported
 * as `file:line:col: error: message` with a hint saying what to do instead;
 * the compiler never throws a bare exception at a user. A few messages are
 * warnings (`file:line:col: warning: ...`, such as a misspelled tag): they
 * are printed, but they do not fail the build.
 */
import { lineAndColumnAt } from './line-index.ts';
import type { Node } from 'ts-morph';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Path of the source file, as given to the compiler. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** What is wrong. */
  message: string;
  /** What to do about it. Every diagnostic has one. */
  hint: string;
  /** 'error' when absent. Warnings do not stop a file from being generated. */
  severity?: Severity;
}

/** Thrown inside the compiler to abort one function; caught and reported. */
export class CompileError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(formatDiagnostic(diagnostic));
  }
}

/** True unless the message is a warning. */
export function isError(d: { severity?: Severity }): boolean {
  return d.severity !== 'warning';
}

/** `file:line:col: error: message` (or `warning:`), then an indented hint line. */
export function formatDiagnostic(d: Pick<Diagnostic, 'file' | 'line' | 'column' | 'message' | 'severity'> & { hint?: string }): string {
  const hint = d.hint ? `\n  hint: ${d.hint}` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity ?? 'error'}: ${d.message}${hint}`;
}

/** A diagnostic at the start of `node`. */
export function diagnosticAt(node: Node, message: string, hint: string, severity?: Severity): Diagnostic {
  const sf = node.getSourceFile();
  const { line, column } = lineAndColumnAt(sf, node.getStart());
  const d: Diagnostic = { file: sf.getFilePath(), line, column, message, hint };
  if (severity) d.severity = severity;
  return d;
}

/** Abort compiling the current function with a located error. */
export function fail(node: Node, message: string, hint: string): never {
  throw new CompileError(diagnosticAt(node, message, hint));
}
