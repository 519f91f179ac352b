/**
 * `wengert/plugin`: a ts-patch program transformer, so that `tspc` writes
 * the `*.grad.ts` files and compiles them in the same run, type-checked with
 * the code that imports them. In tsconfig.json:
 *
 *   "compilerOptions": {
 *     "plugins": [{ "transform": "wengert/plugin", "transformProgram": true }]
 *   }
 *
 * When tsc creates its Program, this transformer compiles the program's own
 * source files with the wengert compiler, writes the generated files with
 * the same safe writer as `wengert build` (hand-written files are never
 * replaced), deletes stale ones, and, when something changed on disk,
 * creates the Program again so the new files are parsed and checked. Build
 * errors become ordinary tsc errors at their file, line and column.
 * Warnings (a misspelled tag) are printed to stderr as `wengert build`
 * prints them (`model.ts:3:1: warning: ...`): tsc exits non-zero on any
 * diagnostic it reports, a warning too, and a warning must not fail the
 * build.
 *
 * A generated file ends with `//# sourceMappingURL=model.grad.ts.map`, its
 * map to the primal source. tsc would copy that comment into
 * out/model.grad.js, where it names a map that is not there (and does not
 * describe the JavaScript), so the emit drops comments after the last
 * statement of generated files; `sourceMap: true` adds tsc's own link.
 *
 * The transformer is synchronous and loaded with require() (Node >= 20.19
 * loads this ES module that way), so nothing it imports may use top-level
 * await.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ts from 'typescript';
import { isGeneratedFileName, isSourceFileName, mayHoldDifferentiable } from '../build/expand.ts';
import { formatBuildMessage, type BuildMessage } from '../build/messages.ts';
import { emptyReport, writeOutputs, type OutputReport } from '../build/write-outputs.ts';
import { CompileError, isError } from '../frontend/diagnostics.ts';
import { compileFiles, type CompileResult } from '../pipeline.ts';

/** The code tsc prints for wengert's errors (`error TS990001: ...`). */
export const WENGERT_DIAGNOSTIC_CODE = 990001;

/** The part of ts-patch's `PluginConfig` this transformer reads (kept local so the types need no ts-patch). */
export interface WengertPluginConfig {
  transform?: string;
  transformProgram?: boolean;
}

/** ts-patch's `ProgramTransformerExtras`: the TypeScript instance that runs the transformer. */
export interface ProgramTransformerExtras {
  ts: typeof ts;
}

/** The program transformer ts-patch calls from `ts.createProgram`. */
export default function wengertProgramTransformer(
  program: ts.Program,
  host: ts.CompilerHost | undefined,
  _config: WengertPluginConfig,
  extras: ProgramTransformerExtras,
): ts.Program {
  const tsi = extras.ts;
  const options = program.getCompilerOptions();
  const sources = userSourceFiles(program);
  const configFile = typeof options.configFilePath === 'string' ? options.configFilePath : undefined;

  const { result, problems } = compileSafely(sources.filter(mayHoldDifferentiable), configFile);
  // A compiler crash leaves the disk as it was: nothing written, nothing removed.
  const report = result ? writeOutputs(sources, result) : emptyReport();
  problems.push(...report.problems);

  const rootNames = nextRootNames(program, result, report);
  let next = program;
  if (report.written.length > 0 || report.removed.length > 0 || rootNames.length !== program.getRootFileNames().length) {
    next = tsi.createProgram({
      rootNames,
      options,
      host: host && hostSeeingChanges(host, [...report.written, ...report.removed]),
      oldProgram: program,
      projectReferences: program.getProjectReferences(),
      configFileParsingDiagnostics: program.getConfigFileParsingDiagnostics(),
    });
  }
  // tsc fails on any diagnostic it holds, a warning too, so warnings are printed instead.
  const errors = problems.filter(isError);
  for (const warning of problems.filter((p) => !isError(p))) process.stderr.write(`${formatBuildMessage(warning)}\n`);
  if (errors.length > 0) attachDiagnostics(tsi, next, errors);
  dropCopiedMapLinks(tsi, next);
  return next;
}

/** Makes `program.emit` leave out the trailing `//# sourceMappingURL=` comment of generated files (see the top of this file). */
function dropCopiedMapLinks(tsi: typeof ts, program: ts.Program): void {
  const emit = program.emit;
  const dropTrailingComments: ts.TransformerFactory<ts.SourceFile | ts.Bundle> = () => (node) => {
    if (tsi.isSourceFile(node) && isGeneratedFileName(node.fileName)) {
      const flags = (node as { emitNode?: { flags?: number } }).emitNode?.flags ?? 0;
      tsi.setEmitFlags(node, flags | tsi.EmitFlags.NoTrailingComments);
    }
    return node;
  };
  // Arguments after the fifth (tsc's internal forceDtsEmit, used by incremental builds) pass through.
  const emitWith = emit as (...args: unknown[]) => ts.EmitResult;
  program.emit = ((...args: unknown[]) => {
    const customTransformers = args[4] as ts.CustomTransformers | undefined;
    const transformers: ts.CustomTransformers = {
      ...customTransformers,
      after: [...(customTransformers?.after ?? []), dropTrailingComments as ts.TransformerFactory<ts.SourceFile>],
      afterDeclarations: [...(customTransformers?.afterDeclarations ?? []), dropTrailingComments],
    };
    const passed = [...args];
    passed[4] = transformers;
    return emitWith.apply(program, passed);
  }) as ts.Program['emit'];
}

/**
 * tsc's host caches `fileExists` answers, so it would still say that a file
 * written (or deleted) a moment ago does not exist (or does). This host asks
 * the disk again for those paths and delegates everything else.
 */
function hostSeeingChanges(host: ts.CompilerHost, changed: readonly string[]): ts.CompilerHost {
  if (changed.length === 0) return host;
  const paths = new Set(changed.map((f) => path.resolve(f)));
  const fresh: ts.CompilerHost = Object.create(host);
  fresh.fileExists = (fileName) => (paths.has(path.resolve(fileName)) ? fs.existsSync(fileName) : host.fileExists(fileName));
  return fresh;
}

/** The program's own TypeScript sources: not declarations, not generated, not from node_modules. */
function userSourceFiles(program: ts.Program): string[] {
  return program
    .getSourceFiles()
    .filter((sf) => !sf.isDeclarationFile && !program.isSourceFileFromExternalLibrary(sf))
    .map((sf) => path.resolve(sf.fileName))
    .filter((file) => isSourceFileName(file) && !file.split(path.sep).includes('node_modules'));
}

/** Runs the compiler; a crash becomes an error message instead of killing tsc. */
function compileSafely(sources: string[], tsConfigFilePath: string | undefined): { result?: CompileResult; problems: BuildMessage[] } {
  if (sources.length === 0) return { result: { files: [], diagnostics: [] }, problems: [] };
  try {
    const result = compileFiles(sources, { typecheck: true, ...(tsConfigFilePath === undefined ? {} : { tsConfigFilePath }) });
    return { result, problems: [...result.diagnostics] };
  } catch (error) {
    const problem: BuildMessage =
      error instanceof CompileError
        ? error.diagnostic
        : {
            file: tsConfigFilePath ?? sources[0] ?? '.',
            message: `wengert internal compiler error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
            hint: 'this is a wengert bug; please report it with the source that triggers it',
          };
    return { problems: [problem] };
  }
}

/** The program's roots, less deleted generated files, plus generated files it did not list. */
function nextRootNames(program: ts.Program, result: CompileResult | undefined, report: OutputReport): string[] {
  const removed = new Set(report.removed);
  const roots = program.getRootFileNames().filter((f) => !removed.has(path.resolve(f)));
  const present = new Set(roots.map((f) => path.resolve(f)));
  const refused = new Set(report.problems.map((p) => path.resolve(p.file)));
  for (const file of result?.files ?? []) {
    const output = path.resolve(file.outputPath);
    if (!present.has(output) && !refused.has(output)) roots.push(output);
  }
  return roots;
}

/** Makes tsc report `problems`: located ones as semantic errors of their file, the rest as global errors. */
function attachDiagnostics(tsi: typeof ts, program: ts.Program, problems: readonly BuildMessage[]): void {
  const byFile = new Map<ts.SourceFile, ts.Diagnostic[]>();
  const global: ts.Diagnostic[] = [];
  for (const problem of problems) {
    const diagnostic = toTsDiagnostic(tsi, program, problem);
    if (diagnostic.file) {
      const list = byFile.get(diagnostic.file) ?? [];
      list.push(diagnostic);
      byFile.set(diagnostic.file, list);
    } else {
      global.push(diagnostic);
    }
  }
  const allFileDiagnostics = [...byFile.values()].flat();

  const getSemanticDiagnostics = program.getSemanticDiagnostics;
  program.getSemanticDiagnostics = (sourceFile, cancellationToken) => {
    const own = sourceFile ? (byFile.get(sourceFile) ?? []) : allFileDiagnostics;
    return [...own, ...getSemanticDiagnostics(sourceFile, cancellationToken)];
  };
  if (global.length > 0) {
    const getGlobalDiagnostics = program.getGlobalDiagnostics;
    program.getGlobalDiagnostics = (cancellationToken) => [...global, ...getGlobalDiagnostics(cancellationToken)];
  }
}

/** A build message as a tsc error, located in its source file when the program holds it. */
function toTsDiagnostic(tsi: typeof ts, program: ts.Program, problem: BuildMessage): ts.Diagnostic {
  const file = program.getSourceFile(problem.file) ?? program.getSourceFile(path.resolve(problem.file));
  let start: number | undefined;
  if (file) {
    start = 0;
    if (problem.line !== undefined && problem.column !== undefined) {
      const lineStarts = file.getLineStarts();
      const lineStart = lineStarts[Math.min(Math.max(problem.line - 1, 0), lineStarts.length - 1)] ?? 0;
      start = Math.min(lineStart + Math.max(problem.column - 1, 0), file.text.length);
    }
  }
  const category = tsi.DiagnosticCategory.Error;
  const where = file ? '' : `${problem.file}: `;
  const messageText: string | ts.DiagnosticMessageChain = problem.hint
    ? {
        messageText: `${where}${problem.message}`,
        category,
        code: WENGERT_DIAGNOSTIC_CODE,
        next: [{ messageText: `hint: ${problem.hint}`, category: tsi.DiagnosticCategory.Message, code: WENGERT_DIAGNOSTIC_CODE }],
      }
    : `${where}${problem.message}`;
  return {
    category,
    code: WENGERT_DIAGNOSTIC_CODE,
    file,
    start,
    length: file ? 1 : undefined,
    messageText,
    source: 'wengert',
  };
}
