/**
 * What the build reports to the user: the compiler's located diagnostics
 * and the build's own errors (a file it refused to overwrite, a path that
 * does not exist), printed as `relative/path.ts:LINE:COL: error: message`
 * followed by an indented hint line. Warnings print as `warning:` and do
 * not fail the build.
 */
import * as path from 'node:path';
import { formatDiagnostic, isError, type Severity } from '../frontend/diagnostics.ts';

/** A build error or warning. A compiler `Diagnostic` is one; the build's own errors may have no line. */
export interface BuildMessage {
  /** The file the message is about (absolute or relative to the working directory). */
  file: string;
  /** 1-based line, when the message points into the file. */
  line?: number;
  /** 1-based column, with `line`. */
  column?: number;
  message: string;
  /** What to do about it. */
  hint?: string;
  /** 'error' when absent; warnings are printed but leave the exit code 0. */
  severity?: Severity;
}

/** How many of `messages` are errors (not warnings). */
export function errorCount(messages: readonly BuildMessage[]): number {
  return messages.filter(isError).length;
}

/** How many of `messages` are warnings. */
export function warningCount(messages: readonly BuildMessage[]): number {
  return messages.length - errorCount(messages);
}

/** `src/model.ts:3:5: error: ...` (or `warning:`) with the path relative to `cwd`. */
export function formatBuildMessage(m: BuildMessage, cwd: string = process.cwd()): string {
  const file = displayPath(m.file, cwd);
  if (m.line !== undefined && m.column !== undefined) {
    return formatDiagnostic({ file, line: m.line, column: m.column, message: m.message, hint: m.hint, severity: m.severity });
  }
  const hint = m.hint ? `\n  hint: ${m.hint}` : '';
  return `${file}: ${m.severity ?? 'error'}: ${m.message}${hint}`;
}

/** `file` relative to `cwd` when it lies below it, else as given; always with `/`. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, path.resolve(cwd, file));
  if (relative === '') return '.';
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  return shown.split(path.sep).join('/');
}
