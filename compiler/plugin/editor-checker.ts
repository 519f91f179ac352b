/**
 * What the editor shows for one file: the build's errors and warnings for
 * the file as the editor holds it, plus the zero-gradient warnings of
 * frontend/check.ts, each with its offset in the file.
 *
 * Per request it brings the ts-morph mirror up to date (editor-mirror.ts),
 * runs the build's syntax check and discovery on the file, and checks each
 * differentiable function, taking unchanged functions from the memo
 * (function-memo.ts). Files that cannot hold a differentiable function
 * (the build's quick text filter) and generated or declaration files cost
 * nothing. A file with syntax errors gets no messages from wengert: the
 * build would report only those, and TypeScript already shows them.
 * When a function's check meets an internal error, the build itself
 * (`compileSourceFile`) is asked for the file's errors, so the editor shows
 * what `wengert build` would print.
 */
import { isSourceFileName } from '../build/expand.ts';
import { checkFile, checkFunction, type ZeroGradientWarning } from '../frontend/check.ts';
import { isError, type Diagnostic } from '../frontend/diagnostics.ts';
import { mentionsTagLike } from '../frontend/near-miss-tags.ts';
import { compileSourceFile } from '../pipeline.ts';
import { EditorMirror, type EditorView } from './editor-mirror.ts';
import { FunctionMemo } from './function-memo.ts';
import { LineIndex } from '../frontend/line-index.ts';

/** Which check a message comes from (each gets its own diagnostic code). */
export type EditorRule = 'build-error' | 'build-warning' | ZeroGradientWarning['rule'];

export interface EditorDiagnostic extends Diagnostic {
  rule: EditorRule;
  /** Offset of the message's position in the file's text. */
  start: number;
}

/** How one request went, for the plugin's log and the tests. */
export interface CheckStats {
  fileName: string;
  /** The whole request. */
  ms: number;
  /** Bringing the mirror up to date (parsing changed files; on the first request, making the project). */
  syncMs: number;
  functions: number;
  /** Functions whose results came from the memo. */
  reused: number;
}

export class EditorChecker {
  private readonly mirror = new EditorMirror();
  private readonly memo = new FunctionMemo();
  /** The last answer per file, reused while neither it nor another file changed. */
  private readonly answers = new Map<string, { version: string; othersStamp: number; diagnostics: EditorDiagnostic[] }>();
  lastStats: CheckStats | null = null;

  /** wengert's messages for `fileName` as `view` holds it. */
  check(view: EditorView, fileName: string): EditorDiagnostic[] {
    const started = performance.now();
    const file = view.program.getSourceFile(fileName);
    if (!file || !isSourceFileName(fileName) || !mayHoldDifferentiable(file.text)) {
      this.memo.forget(fileName);
      return [];
    }
    const mirrored = this.mirror.sync(view, file.fileName);
    if (!mirrored) return [];
    const version = view.versionOf(file.fileName);
    const answer = this.answers.get(file.fileName);
    if (answer && answer.version === version && answer.othersStamp === mirrored.othersStamp) return answer.diagnostics;

    const syncMs = performance.now() - started;
    const { sf, othersStamp } = mirrored;
    const found = checkFile(sf);
    let diagnostics: Diagnostic[] = [];
    let functions = 0;
    let reused = 0;
    if (found.parses) {
      const checks = this.memo.checkAll(sf, found.found, othersStamp, (a) => checkFunction(a, sf, found.custom));
      functions = checks.results.length;
      reused = checks.reused;
      const warnings = checks.results.flatMap((r) => r.warnings);
      const errors = checks.results.some((r) => r.unexpected !== undefined)
        ? compileSourceFile(sf).diagnostics.filter(isError)
        : [...found.diagnostics.filter(isError), ...checks.results.flatMap((r) => r.errors)];
      diagnostics = [...errors, ...found.diagnostics.filter((d) => !isError(d)), ...warnings];
    }
    const index = new LineIndex(sf.getFullText());
    const located = diagnostics
      .filter((d) => d.file === sf.getFilePath())
      .map((d): EditorDiagnostic => ({ ...d, rule: ruleOf(d), start: index.offsetOf(d.line, d.column) }));
    this.answers.set(file.fileName, { version, othersStamp, diagnostics: located });
    this.lastStats = { fileName: file.fileName, ms: performance.now() - started, syncMs, functions, reused };
    return located;
  }
}

function ruleOf(d: Diagnostic): EditorRule {
  const rule = (d as Partial<ZeroGradientWarning>).rule;
  if (rule) return rule;
  return isError(d) ? 'build-error' : 'build-warning';
}

/**
 * The build's quick filter (build/expand.ts `mayHoldDifferentiable`), on
 * the editor's text instead of the file on disk: only a file that mentions
 * `differentiable` or a tag like it goes to the compiler.
 */
function mayHoldDifferentiable(text: string): boolean {
  return text.includes('differentiable') || mentionsTagLike(text);
}
