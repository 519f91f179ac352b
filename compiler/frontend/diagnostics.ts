/**
 * Located build errors. Every construct the compiler refuses is reported as
 * `file:line:col: message` with a hint saying what to do instead; the
 * compiler never throws a bare exception at a user.
 */
import type { Node } from 'ts-morph';

export interface Diagnostic {
  /** Path of the source file, as given to the compiler. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** Thrown inside the compiler to abort one function; caught and reported. */
export class CompileError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(formatDiagnostic(diagnostic));
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? `\n  hint: ${d.hint}` : '';
  return `${d.file}:${d.line}:${d.column}: error: ${d.message}${hint}`;
}

/** A diagnostic at the start of `node`. */
export function diagnosticAt(node: Node, message: string, hint?: string): Diagnostic {
  const sf = node.getSourceFile();
  const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
  return { file: sf.getFilePath(), line, column, message, hint };
}

/** Abort compiling the current function with a located error. */
export function fail(node: Node, message: string, hint?: string): never {
  throw new CompileError(diagnosticAt(node, message, hint));
}
