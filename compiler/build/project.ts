/**
 * tsconfig.json handling for the build: which tsconfig a source file belongs
 * to (the nearest one above it, as tsc and editors pick it), and the source
 * files a tsconfig lists when `wengert build --project` is given no paths.
 */
import * as path from 'node:path';
import ts from 'typescript';
import type { BuildMessage } from './messages.ts';
import { isSourceFileName } from './expand.ts';

/** The nearest `tsconfig.json` at or above the directory of `filePath`, or undefined. */
export function nearestTsConfig(filePath: string): string | undefined {
  const found = ts.findConfigFile(path.dirname(path.resolve(filePath)), ts.sys.fileExists, 'tsconfig.json');
  return found === undefined ? undefined : path.resolve(found);
}

/** Groups `files` by the tsconfig to compile them with: `project` for all when given, else each one's nearest. */
export function groupByTsConfig(files: readonly string[], project: string | undefined): Map<string | undefined, string[]> {
  const groups = new Map<string | undefined, string[]>();
  for (const file of files) {
    const config = project !== undefined ? path.resolve(project) : nearestTsConfig(file);
    const group = groups.get(config);
    if (group) group.push(file);
    else groups.set(config, [file]);
  }
  return groups;
}

export type ProjectFiles = { kind: 'ok'; files: string[] } | { kind: 'error'; problem: BuildMessage };

/** The source files (not `.d.ts`, not `.grad.ts`, not under node_modules) that a tsconfig includes. */
export function projectSourceFiles(tsConfigPath: string): ProjectFiles {
  const configPath = path.resolve(tsConfigPath);
  let firstError: ts.Diagnostic | undefined;
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      firstError ??= d;
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, host);
  const error = firstError ?? parsed?.errors.find((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003);
  if (!parsed || error) {
    const message = error ? ts.flattenDiagnosticMessageText(error.messageText, '\n') : 'cannot read this tsconfig';
    return { kind: 'error', problem: { file: configPath, message } };
  }
  const files = parsed.fileNames
    .map((f) => path.resolve(f))
    .filter((f) => isSourceFileName(f) && !f.split(path.sep).includes('node_modules'));
  return { kind: 'ok', files: [...new Set(files)].sort() };
}
