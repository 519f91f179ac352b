/**
 * The build: source paths in, `*.grad.ts` files on disk, errors printed.
 *
 * `build(paths, options)` expands the paths into source files, compiles them
 * (grouped by their tsconfig), writes the generated files with the safe
 * writer, deletes stale generated files, prints every error as
 * `relative/path.ts:LINE:COL: error: message` with its hint, and returns
 * what it did with an exit code: 0 clean, 1 errors in the user's code or
 * files it refused to touch, 2 an internal compiler error.
 *
 * The build only reads and parses source files; it never runs user code.
 */
import * as path from 'node:path';
import { CompileError } from '../frontend/diagnostics.ts';
import { compileFiles } from '../pipeline.ts';
import { callersForBuild } from './callgraph.ts';
import { expandSourcePaths, findGeneratedFiles, mayHoldDifferentiable } from './expand.ts';
import { displayPath, errorCount, formatBuildMessage, warningCount, type BuildMessage } from './messages.ts';
import { groupByTsConfig, projectSourceFiles } from './project.ts';
import { emptyReport, removeOrphans, writeOutputs } from './write-outputs.ts';

export interface BuildOptions {
  /** tsconfig.json for every file; without it each file uses its nearest tsconfig.json. */
  project?: string;
  /** Directory that relative paths and printed paths are relative to; defaults to `process.cwd()`. */
  cwd?: string;
  /** Where progress lines go; defaults to stdout. */
  log?: (line: string) => void;
  /** Where errors go; defaults to stderr. */
  logError?: (line: string) => void;
  /** Leave out the lines about written files and the summary (errors are still printed). */
  quiet?: boolean;
  /** Walk directories for orphaned generated files (source deleted) and remove them; default true. */
  removeOrphans?: boolean;
  /** Also rebuild the files inside the build roots that import the given ones (callgraph.ts); default true. */
  rebuildCallers?: boolean;
}

export interface BuildResult {
  /** Generated files written, absolute. */
  written: string[];
  /** Generated files already up to date, absolute. */
  unchanged: string[];
  /** Stale generated files deleted, absolute. */
  removed: string[];
  /** Everything that went wrong, in the order found. */
  diagnostics: BuildMessage[];
  /** 0 clean, 1 errors to fix, 2 internal error. */
  exitCode: number;
  /** Source files compiled, absolute (the callers included). */
  sources: string[];
  /** Callers of the given files that were rebuilt with them, absolute. */
  callers: string[];
  /** Wall time in milliseconds. */
  elapsedMs: number;
}

export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_INTERNAL = 2;

/** Builds the derivatives of the source files in `paths` (files or directories). */
export function build(paths: readonly string[], options: BuildOptions = {}): BuildResult {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const logError = options.logError ?? ((line: string) => process.stderr.write(line + '\n'));
  const project = options.project === undefined ? undefined : path.resolve(cwd, options.project);

  const report = emptyReport();
  const diagnostics: BuildMessage[] = [];
  let internalError = false;

  const { sources, directories } = resolveSources(paths, project, cwd, diagnostics);
  if (sources.length === 0 && diagnostics.length === 0) {
    diagnostics.push({
      file: paths.length > 0 ? paths.join(', ') : displayPath(project ?? cwd, cwd),
      message: 'no TypeScript source files found',
      hint: 'give the build a .ts file or a folder that holds some (node_modules, dist and *.grad.ts are skipped)',
    });
  }
  const callers = options.rebuildCallers === false ? [] : callersForBuild(paths, sources, project, cwd);
  sources.push(...callers.map((c) => c.file));

  for (const [tsConfigFilePath, files] of groupByTsConfig(sources, project)) {
    const candidates = files.filter(mayHoldDifferentiable);
    try {
      const result =
        candidates.length === 0
          ? { files: [], diagnostics: [] }
          : compileFiles(candidates, { typecheck: true, ...(tsConfigFilePath === undefined ? {} : { tsConfigFilePath }) });
      diagnostics.push(...result.diagnostics);
      writeOutputs(files, result, report);
    } catch (error) {
      if (error instanceof CompileError) {
        diagnostics.push(error.diagnostic);
      } else {
        internalError = true;
        diagnostics.push(internalErrorMessage(candidates, error));
      }
    }
  }
  if (options.removeOrphans ?? true) removeOrphans(findGeneratedFiles(directories), report);
  diagnostics.push(...report.problems);

  for (const d of diagnostics) logError(formatBuildMessage(d, cwd));
  const elapsedMs = performance.now() - started;
  if (!options.quiet) {
    for (const c of callers) log(`rebuilt caller ${displayPath(c.file, cwd)}: it imports ${displayPath(c.via, cwd)}`);
    for (const file of report.written) log(`wrote ${displayPath(file, cwd)}`);
    for (const file of report.removed) log(`removed stale ${displayPath(file, cwd)}`);
    log(summaryLine(report.written.length, report.unchanged.length, report.removed.length, errorCount(diagnostics), elapsedMs, warningCount(diagnostics)));
  }
  const exitCode = internalError ? EXIT_INTERNAL : errorCount(diagnostics) > 0 ? EXIT_ERRORS : EXIT_OK;
  return {
    written: report.written,
    unchanged: report.unchanged,
    removed: report.removed,
    diagnostics,
    exitCode,
    sources,
    callers: callers.map((c) => c.file),
    elapsedMs,
  };
}

/** `wengert: 2 written, 1 unchanged, 0 removed, 0 errors in 412 ms` (`0 errors, 1 warning` when there are warnings) */
export function summaryLine(written: number, unchanged: number, removed: number, errors: number, elapsedMs: number, warnings = 0): string {
  const plural = errors === 1 ? 'error' : 'errors';
  const warned = warnings === 0 ? '' : `, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`;
  return `wengert: ${written} written, ${unchanged} unchanged, ${removed} removed, ${errors} ${plural}${warned} in ${Math.round(elapsedMs)} ms`;
}

/** The source files to compile: the expanded paths, or the project's files when no path is given. */
function resolveSources(
  paths: readonly string[],
  project: string | undefined,
  cwd: string,
  diagnostics: BuildMessage[],
): { sources: string[]; directories: string[] } {
  if (paths.length === 0 && project !== undefined) {
    const listed = projectSourceFiles(project);
    if (listed.kind === 'error') {
      diagnostics.push(listed.problem);
      return { sources: [], directories: [] };
    }
    return { sources: listed.files, directories: [] };
  }
  const expanded = expandSourcePaths(paths.length > 0 ? paths : ['.'], cwd);
  for (const missing of expanded.missing) {
    diagnostics.push({ file: missing, message: 'no such file or directory' });
  }
  return { sources: expanded.files, directories: expanded.directories };
}

/** A compiler crash, reported with its stack so it can be filed as a bug. */
function internalErrorMessage(files: readonly string[], error: unknown): BuildMessage {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    file: files.length === 1 ? files[0]! : `${files.length} files`,
    message: `internal compiler error: ${detail}`,
    hint: 'this is a wengert bug; please report it with the source that triggers it',
  };
}
