/**
 * `tsc --noEmit --strict` over many generated files at once, through the
 * TypeScript API: one program per batch, with the repository's compiler
 * options (so `wengert` resolves to runtime/). Parsed library and runtime
 * files are cached across calls, which makes later batches cheap.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let options: ts.CompilerOptions | null = null;
const cache = new Map<string, ts.SourceFile>();
let host: ts.CompilerHost | null = null;
let previous: ts.Program | undefined;

function compilerOptions(): ts.CompilerOptions {
  if (options) return options;
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('cannot read tsconfig.json');
  options = { ...parsed.options, strict: true, noEmit: true };
  return options;
}

/** A host that keeps parsed files that are not under test/.generated (libraries, runtime). */
function cachingHost(): ts.CompilerHost {
  if (host) return host;
  const base = ts.createCompilerHost(compilerOptions());
  const generated = path.join(root, 'test', '.generated');
  host = {
    ...base,
    getSourceFile(fileName, languageVersion, onError, shouldCreate) {
      if (fileName.startsWith(generated)) return base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
      let sf = cache.get(fileName);
      if (!sf) {
        sf = base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (sf) cache.set(fileName, sf);
      }
      return sf;
    },
  };
  return host;
}

/** Key of the errors that belong to no file (compiler options, global types): they spoil every file. */
export const PROGRAM_ERRORS = '(program)';

/**
 * Type errors per file (absolute paths) among `files`, plus program-wide
 * ones under PROGRAM_ERRORS; files without errors are absent. Errors of the
 * files they import (the runtime) are not computed: they are checked once,
 * by `npm run typecheck`, not once per batch.
 */
export function typecheck(files: readonly string[]): Map<string, string[]> {
  const program = ts.createProgram({ rootNames: files as string[], options: compilerOptions(), host: cachingHost(), oldProgram: previous });
  previous = program;
  const errors = new Map<string, string[]>();
  const diagnostics: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const file of files) {
    const sf = program.getSourceFile(path.resolve(file));
    if (sf) diagnostics.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
    else errors.set(PROGRAM_ERRORS, [...(errors.get(PROGRAM_ERRORS) ?? []), `${file}: file not found`]);
  }
  for (const d of diagnostics) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    const file = d.file ? path.resolve(d.file.fileName) : PROGRAM_ERRORS;
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
    const text = `${where ? `${path.basename(file)}:${where.line + 1}:${where.character + 1}: ` : ''}TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    errors.set(file, [...(errors.get(file) ?? []), text]);
  }
  return errors;
}
