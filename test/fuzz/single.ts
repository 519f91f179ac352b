/**
 * Builds and checks one fuzzed program with a warm ts-morph project, for
 * shrinking, where hundreds of candidates are tried one at a time and
 * creating a project per candidate (what `compileFiles` does) would
 * dominate. The project is created once with the repository's tsconfig,
 * exactly as `compileFiles` would, and each candidate is added to it,
 * compiled and removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Project } from 'ts-morph';
import { formatDiagnostic } from 'wengert/compiler';
import { compileSourceFile, createProject } from '../../compiler/pipeline.ts';
import type { Program } from './ast.ts';
import { checkProgram, describeThrow, type OracleOptions } from './oracle.ts';
import { renderProgram } from './render.ts';
import { emptyTally, type Failure } from './report.ts';
import { fuzzDir } from './runner.ts';
import { tracedMain } from './traced.ts';
import { typecheck } from './typecheck.ts';

export interface SingleResult {
  failures: Failure[];
  sourcePath: string;
  gradText: string | null;
}

export class WarmRunner {
  private project: Project | null = null;
  private count = 0;
  private readonly dir: string;

  constructor(
    dirName: string,
    private readonly opts: OracleOptions & { tsc: boolean },
  ) {
    this.dir = path.join(fuzzDir, dirName);
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Builds, loads and checks `p` under a fresh file name. */
  async run(p: Program): Promise<SingleResult> {
    const sourcePath = path.join(this.dir, `c${++this.count}.ts`);
    fs.writeFileSync(sourcePath, renderProgram(p));
    this.project ??= createProject([sourcePath]);
    const sf = this.project.getSourceFile(sourcePath) ?? this.project.addSourceFileAtPath(sourcePath);
    let compiled: ReturnType<typeof compileSourceFile>;
    try {
      compiled = compileSourceFile(sf);
    } catch (e) {
      return { failures: [{ kind: 'internal-error', message: describeThrow('compileSourceFile', e) }], sourcePath, gradText: null };
    } finally {
      this.project.removeSourceFile(sf);
    }
    const failures: Failure[] = compiled.diagnostics.map((d) => ({
      kind: d.message.startsWith('internal compiler error') ? 'internal-error' : 'compile-error',
      message: formatDiagnostic(d),
    }));
    const file = compiled.file;
    if (!file) return { failures, sourcePath, gradText: null };
    fs.writeFileSync(file.outputPath, file.text);
    try {
      const source = (await import(/* @vite-ignore */ pathToFileURL(sourcePath).href)) as Record<string, unknown>;
      const grad = (await import(/* @vite-ignore */ pathToFileURL(file.outputPath).href)) as Record<string, unknown>;
      failures.push(...checkProgram(p, { source, grad }, tracedMain(p), emptyTally(), this.opts));
    } catch (e) {
      failures.push({ kind: 'runtime-exception', message: describeThrow('loading or checking', e) });
    }
    if (this.opts.tsc) {
      const errors = typecheck([file.outputPath]).get(path.resolve(file.outputPath));
      if (errors) failures.push({ kind: 'tsc', message: `${path.basename(file.outputPath)} fails tsc --strict:\n${errors.join('\n')}` });
    }
    return { failures, sourcePath, gradText: file.text };
  }
}
