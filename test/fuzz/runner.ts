/**
 * Runs a batch of fuzzed programs end to end: render each to
 * test/.generated/fuzz/<dir>/p<n>.ts, build them all with one
 * `compileFiles` call, write the `.grad.ts` files, import both modules,
 * check them with the oracle, and type-check all generated files with one
 * TypeScript program (typecheckBatch; a type error is a failure of its
 * program, like a wrong derivative).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import type { Program } from './ast.ts';
import { checkIsolated } from './isolate.ts';
import { checkProgram, describeThrow, type OracleOptions } from './oracle.ts';
import { renderProgram } from './render.ts';
import { bump, emptyTally, type Failure, type Tally } from './report.ts';
import { tracedMain } from './traced.ts';
import { PROGRAM_ERRORS, typecheck } from './typecheck.ts';

export const fuzzDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.generated/fuzz');

export interface BatchItem {
  /** Index of the program in its run (its fast-check path). */
  n: number;
  program: Program;
}

export interface ProgramOutcome {
  n: number;
  sourcePath: string;
  failures: Failure[];
}

export interface RunOptions extends OracleOptions {
  /** Type-check the generated files. */
  tsc: boolean;
  /** Check in a worker thread with these limits (a hang is then reported, not suffered). */
  isolate?: { timeoutMs: number; heapMb: number };
}

export interface BatchResult {
  tally: Tally;
  outcomes: ProgramOutcome[];
  /** Wall time of each phase, in ms. */
  timing: { compile: number; check: number; tsc: number };
}

/** A program of a batch as the type check sees it: its files and the failures found so far. */
export interface TscEntry {
  sourcePath: string;
  /** The generated file, or null when the program did not compile. */
  gradPath: string | null;
  failures: Failure[];
}

/**
 * Type-checks the generated files of a batch, with their sources, in one
 * TypeScript program (tsc --strict): a type error in a generated file is a
 * `tsc` failure of its program, one in a rendered source a `fuzzer` failure
 * (the generator wrote an ill-typed program).
 */
export function typecheckBatch(entries: readonly TscEntry[], tally: Tally): void {
  // Sources too: a generated file imports its source only when it calls a helper.
  const roots = entries.flatMap((e) => (e.gradPath ? [e.sourcePath, e.gradPath] : []));
  const errors = roots.length > 0 ? typecheck(roots) : new Map<string, string[]>();
  const programWide = errors.get(PROGRAM_ERRORS);
  for (const e of entries) {
    if (!e.gradPath) continue;
    bump(tally.checks, 'tsc');
    if (programWide) e.failures.push({ kind: 'tsc', message: `the batch's TypeScript program fails tsc --strict:\n${programWide.join('\n')}` });
    const own = errors.get(path.resolve(e.gradPath));
    if (own) e.failures.push({ kind: 'tsc', message: `${path.basename(e.gradPath)} fails tsc --strict:\n${own.join('\n')}` });
    const src = errors.get(path.resolve(e.sourcePath));
    if (src) e.failures.push({ kind: 'fuzzer', message: `the generated source fails tsc --strict:\n${src.join('\n')}` });
  }
}

/** Builds and checks a batch of programs whose files go to `dir` (under test/.generated/fuzz/). */
export async function runBatch(items: readonly BatchItem[], dir: string, opts: RunOptions): Promise<BatchResult> {
  const tally = emptyTally();
  const outDir = path.join(fuzzDir, dir);
  fs.mkdirSync(outDir, { recursive: true });
  const entries = items.map((it) => {
    const sourcePath = path.join(outDir, `p${it.n}.ts`);
    fs.writeFileSync(sourcePath, renderProgram(it.program));
    return { ...it, sourcePath, failures: [] as Failure[], gradPath: null as string | null };
  });

  const t0 = performance.now();
  const result = compileFiles(entries.map((e) => e.sourcePath));
  const t1 = performance.now();
  const bySource = new Map(entries.map((e) => [e.sourcePath, e]));
  for (const d of result.diagnostics) {
    const e = bySource.get(path.resolve(d.file));
    const kind = d.message.startsWith('internal compiler error') ? 'internal-error' : 'compile-error';
    const failure: Failure = { kind, message: formatDiagnostic(d) };
    if (e) e.failures.push(failure);
    else throw new Error(`diagnostic for a file outside the batch: ${formatDiagnostic(d)}`);
  }
  for (const file of result.files) {
    const e = bySource.get(path.resolve(file.sourcePath));
    if (!e) continue;
    fs.writeFileSync(file.outputPath, file.text);
    e.gradPath = file.outputPath;
  }

  for (const e of entries) {
    tally.programs++;
    bump(tally.checks, 'compile');
    if (!e.gradPath) {
      if (e.failures.length === 0) e.failures.push({ kind: 'compile-error', message: 'no generated file and no diagnostic' });
      bump(tally.skipped, 'not compiled');
    }
  }
  if (opts.isolate) {
    const compiled = entries.flatMap((e) => (e.gradPath ? [{ n: e.n, program: e.program, sourcePath: e.sourcePath, gradPath: e.gradPath }] : []));
    const found = await checkIsolated(compiled, tally, { points: opts.points, ...opts.isolate });
    for (const e of entries) e.failures.push(...(found.get(e.n) ?? []));
  }
  for (const e of entries) {
    if (!e.gradPath || opts.isolate) continue;
    try {
      const source = (await import(/* @vite-ignore */ pathToFileURL(e.sourcePath).href)) as Record<string, unknown>;
      const grad = (await import(/* @vite-ignore */ pathToFileURL(e.gradPath).href)) as Record<string, unknown>;
      e.failures.push(...checkProgram(e.program, { source, grad }, tracedMain(e.program), tally, opts));
    } catch (err) {
      e.failures.push({ kind: 'runtime-exception', message: describeThrow('loading or checking', err) });
    }
  }
  const t2 = performance.now();

  if (opts.tsc) typecheckBatch(entries, tally);
  const t3 = performance.now();

  const outcomes = entries.map((e) => ({ n: e.n, sourcePath: e.sourcePath, failures: e.failures }));
  tally.failures = outcomes.filter((o) => o.failures.length > 0).length;
  return { tally, outcomes, timing: { compile: t1 - t0, check: t2 - t1, tsc: t3 - t2 } };
}
