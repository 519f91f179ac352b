/**
 * The build's last check before it writes: every generated file is
 * type-checked, under `strict`, against the user's sources and the runtime.
 * A generated file with a type error is not written: the error is reported
 * at the source line the failing code came from (the `// model.ts:58`
 * comment above it), naming the generated location and whose fault it is:
 * - a callee's generated module that this build did not regenerate (on
 *   disk, possibly stale): build them together;
 * - type errors in the user's own source: fix those first;
 * - otherwise wengert's: an internal error, to report.
 *
 * What the check runs under:
 * - the project's compiler options with `strict` on, and `noUnusedLocals` /
 *   `noUnusedParameters` off (generated sweeps may declare what one path
 *   does not read; neither is part of `strict`);
 * - the generated files of this build as they are about to be written (a
 *   file importing another one's derivatives sees the new text);
 * - the runtime as the project resolves `wengert`. Where it does not
 *   resolve (no `npm install` yet), the compiler's own runtime, the one the
 *   code was generated for.
 *
 * The program is built with ts-morph's TypeScript and takes every file the
 * compiler's program has already parsed (the sources, the runtime, the
 * libraries in ts-morph's in-memory lib folder) as it is; only the
 * generated texts are parsed anew. Only errors inside them count.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts, type Project } from 'ts-morph';
import type { Diagnostic } from './frontend/diagnostics.ts';
import type { GeneratedFile } from './pipeline.ts';

/** The options of the check: the project's, strict, no unused-name errors, nothing emitted. */
function checkOptions(options: ts.CompilerOptions): ts.CompilerOptions {
  const out: ts.CompilerOptions = { ...options, strict: true, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
  // strict's members follow `strict` unless the project turned one off: the check turns them all on.
  for (const flag of ['noImplicitAny', 'noImplicitThis', 'strictNullChecks', 'strictFunctionTypes', 'strictBindCallApply', 'strictPropertyInitialization', 'alwaysStrict', 'useUnknownInCatchVariables'] as const) delete out[flag];
  return out;
}

/** The runtime this compiler generates code for: its declarations beside the compiler (dist/) or its source (a checkout). */
function ownRuntimeEntry(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, '..', 'runtime', 'index.d.ts'), path.join(here, '..', 'runtime', 'index.ts')]) {
    if (fs.existsSync(candidate)) return path.resolve(candidate);
  }
  return null;
}

/**
 * Type-checks `files` (generated, not yet written) in `project`'s program.
 * Returns the files that pass and one error per file that does not.
 */
export function typecheckOutputs(project: Project, files: readonly GeneratedFile[]): { passed: GeneratedFile[]; diagnostics: Diagnostic[] } {
  if (files.length === 0) return { passed: [], diagnostics: [] };
  // ts-morph's own TypeScript, so that the files its program has parsed (the sources, the runtime, the libraries in its in-memory lib folder) are used again as they are.
  const base = project.getProgram().compilerObject;
  const options = checkOptions(project.getCompilerOptions());
  const texts = new Map(files.map((f) => [path.resolve(f.outputPath), f.text]));
  const runtime = ownRuntimeEntry();
  const host = ts.createCompilerHost(options, true);
  const libFolder = path.posix.dirname(base.getSourceFiles().find((sf) => base.isSourceFileDefaultLibrary(sf))?.fileName ?? host.getDefaultLibFileName(options));
  host.getDefaultLibLocation = () => libFolder;
  host.getDefaultLibFileName = (o) => path.posix.join(libFolder, ts.getDefaultLibFileName(o));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = texts.get(path.resolve(fileName));
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true, ts.ScriptKind.TS);
    return base.getSourceFile(fileName) ?? getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => texts.has(path.resolve(fileName)) || base.getSourceFile(fileName) !== undefined || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => texts.get(path.resolve(fileName)) ?? base.getSourceFile(fileName)?.text ?? readFile(fileName);
  host.resolveModuleNameLiterals = (literals, containingFile, redirect, opts, containingSourceFile) =>
    literals.map((literal) => {
      const mode = ts.getModeForUsageLocation(containingSourceFile, literal, opts);
      const found = ts.resolveModuleName(literal.text, containingFile, opts, host, undefined, redirect, mode);
      if (found.resolvedModule || literal.text !== 'wengert' || !runtime) return found;
      return { resolvedModule: { resolvedFileName: runtime, extension: runtime.endsWith('.d.ts') ? ts.Extension.Dts : ts.Extension.Ts, isExternalLibraryImport: runtime.endsWith('.d.ts') } };
    });
  const program = ts.createProgram({ rootNames: [...texts.keys(), ...files.map((f) => path.resolve(f.sourcePath))], options, host });
  const passed: GeneratedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(path.resolve(file.outputPath));
    if (!sf) {
      // Never expected (each text is a root of the program); a file the check did not see is not passed.
      diagnostics.push({ file: file.sourcePath, line: 1, column: 1, message: `internal error: the type check did not load the generated ${path.basename(file.outputPath)}`, hint: 'this is a wengert bug; the file was not written' });
      continue;
    }
    const errors = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length === 0) {
      passed.push(file);
      continue;
    }
    const others = otherDerivativeModules(file, texts);
    diagnostics.push(failure(file, errors[0]!, errors.length, sourceErrors(program, file.sourcePath), others));
  }
  return { passed, diagnostics };
}

/** The first type error of the user's own source, if it has one. */
function sourceErrors(program: ts.Program, sourcePath: string): ts.Diagnostic | undefined {
  const sf = program.getSourceFile(path.resolve(sourcePath));
  return sf ? program.getSemanticDiagnostics(sf).find((d) => d.category === ts.DiagnosticCategory.Error) : undefined;
}

/**
 * The generated modules `file` imports that this build did not generate
 * (`./lib.grad.ts` of a callee in another file, as it is on disk), as
 * source names (`lib.ts`): a stale one fails the check through no fault of
 * the compiler.
 */
function otherDerivativeModules(file: GeneratedFile, texts: ReadonlyMap<string, string>): string[] {
  const dir = path.dirname(path.resolve(file.outputPath));
  const out: string[] = [];
  for (const m of file.text.matchAll(/from '(\.{1,2}\/[^']*)\.grad(\.[mc]?tsx?)?'/g)) {
    const generated = path.resolve(dir, `${m[1]}.grad${m[2] ?? '.ts'}`);
    if (!texts.has(generated)) out.push(`${path.relative(dir, path.resolve(dir, m[1]!)).split(path.sep).join('/')}${m[2] ?? '.ts'}`);
  }
  return [...new Set(out)];
}

/** One located error for a generated file that failed the check. */
function failure(file: GeneratedFile, first: ts.Diagnostic, count: number, ownError: ts.Diagnostic | undefined, others: readonly string[]): Diagnostic {
  const name = path.basename(file.outputPath);
  const at = first.file && first.start !== undefined ? first.file.getLineAndCharacterOfPosition(first.start) : { line: 0, character: 0 };
  const where = `${name}:${at.line + 1}:${at.character + 1}: TS${first.code}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`;
  const more = count > 1 ? ` (and ${count - 1} more)` : '';
  const line = sourceLineAbove(file.text, at.line, path.basename(file.sourcePath));
  if (ownError) {
    const own = ownError.file && ownError.start !== undefined ? ownError.file.getLineAndCharacterOfPosition(ownError.start) : { line: 0, character: 0 };
    return {
      file: file.sourcePath,
      line: own.line + 1,
      column: own.character + 1,
      message: `the generated ${name} does not type-check (${where}${more}), and this file has type errors of its own (TS${ownError.code}: ${ts.flattenDiagnosticMessageText(ownError.messageText, ' ')})`,
      hint: `fix the type errors in ${path.basename(file.sourcePath)} first; ${name} was not written`,
    };
  }
  if (others.length > 0) {
    return {
      file: file.sourcePath,
      line,
      column: 1,
      message: `the generated ${name} does not type-check (${where}${more}): it uses the derivatives of ${others.join(', ')}, which this build did not regenerate, and they may be stale`,
      hint: `build ${[...others, path.basename(file.sourcePath)].join(' and ')} together (or their folder); ${name} was not written`,
    };
  }
  return {
    file: file.sourcePath,
    line,
    column: 1,
    message: `internal error: the generated ${name} does not type-check under strict (${where}${more}); please report this with the source of the function at this line`,
    hint: `this is a wengert bug; ${name} was not written`,
  };
}

/** The source line named by the nearest `// model.ts:58` (or `58-60`) comment at or above generated line `line` (0-based); 1 when none. */
export function sourceLineAbove(text: string, line: number, sourceName: string): number {
  const lines = text.split('\n');
  const marker = new RegExp(`^\\s*// ${sourceName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`);
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = marker.exec(lines[i]!);
    if (m) return Number(m[1]);
  }
  return 1;
}
