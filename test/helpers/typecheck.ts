/**
 * Type-checks generated files (with what they import) under the repo's
 * strict tsconfig.
 *
 * `typecheck` returns every diagnostic of the files and what they import,
 * as `file:line: message` with base names (what a test of one fixture
 * wants), from a ts-morph Project.
 *
 * `typecheckOwnErrors` returns only the errors located inside the given
 * files themselves (plus program-wide ones, such as a broken tsconfig), as
 * `path/from/repo:line:col: TS1234: message`: a generated file may import a
 * user source that deliberately does not type-check, and that source's
 * errors are not the generated file's. It builds one program with the
 * TypeScript API, as `tsc` does: a ts-morph Project does not work out that
 * a `.ts` file under `"type": "module"` is an ES module, and then reports
 * `import.meta` in example sources as an error tsc does not give.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project } from 'ts-morph';
import ts from 'typescript';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function typecheck(files: string[]): string[] {
  const project = new Project({ tsConfigFilePath: path.resolve('tsconfig.json'), skipAddingFilesFromTsConfig: true });
  for (const f of files) project.addSourceFileAtPath(f);
  project.resolveSourceFileDependencies();
  return project
    .getPreEmitDiagnostics()
    .map((d) => `${d.getSourceFile()?.getBaseName()}:${d.getLineNumber()}: ${project.formatDiagnosticsWithColorAndContext([d]).split('\n')[0]}`);
}

/** The repository's tsconfig.json compiler options, with strict on and nothing emitted. */
function strictOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(repoRoot, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    },
  });
  if (!parsed) throw new Error('cannot read tsconfig.json');
  return { ...parsed.options, strict: true, noEmit: true };
}

/** Errors inside `files` (absolute paths) and program-wide errors, one line each; empty when all type-check. */
export function typecheckOwnErrors(files: readonly string[]): string[] {
  const program = ts.createProgram({ rootNames: [...files], options: strictOptions() });
  // A root file that is missing is reported among the options diagnostics (TS6053).
  const found: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const file of files) {
    const sf = program.getSourceFile(path.resolve(file));
    if (sf) found.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  return found.filter((d) => d.category === ts.DiagnosticCategory.Error).map(formatError);
}

function formatError(d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  if (!d.file || d.start === undefined) return `(program): TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${path.relative(repoRoot, d.file.fileName)}:${line + 1}:${character + 1}: TS${d.code}: ${message}`;
}
