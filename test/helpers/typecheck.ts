/**
 * Type-checks generated files (with what they import) under the repo's
 * strict tsconfig and returns the diagnostics as `file:line: message`.
 */
import * as path from 'node:path';
import { Project } from 'ts-morph';

export function typecheck(files: string[]): string[] {
  const project = new Project({ tsConfigFilePath: path.resolve('tsconfig.json'), skipAddingFilesFromTsConfig: true });
  for (const f of files) project.addSourceFileAtPath(f);
  project.resolveSourceFileDependencies();
  return project
    .getPreEmitDiagnostics()
    .map((d) => `${d.getSourceFile()?.getBaseName()}:${d.getLineNumber()}: ${project.formatDiagnosticsWithColorAndContext([d]).split('\n')[0]}`);
}
