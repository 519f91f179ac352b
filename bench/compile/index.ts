/**
 * Compile-time benchmarks (`npm run bench -- --only compile`): how long
 * `compileFiles` takes on a long unrolled function, a file of 200
 * functions, a function nested 50 levels deep and a ~10,000-line project,
 * at several sizes so the cost per line shows whether the compiler scales
 * linearly; and how long `wengert build --watch` takes to rebuild one
 * changed file. Each case is timed cold (a fresh `compileFiles` call, as
 * the CLI makes), the best of 3 runs (1 with --quick).
 *
 * JSON records: { case: 'compile/10k-lines', impl: 'wengert', nsPerCall, ms, lines, linesPerSecond }.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileFiles } from '../../compiler/index.ts';
import type { BenchContext, BenchModule, BenchResult } from '../harness.ts';
import { deeplyNested, lineCount, manyFunctions, projectFiles, unrolledFunction } from './sources.ts';
import { makeProjectDir } from './tempdir.ts';
import { timeWatchRebuild } from './watch.ts';

/** A compile-time record: the harness's fields plus milliseconds and size. */
export interface CompileBenchResult extends BenchResult {
  ms: number;
  lines: number;
  linesPerSecond: number;
}

interface Case {
  name: string;
  files: Map<string, string>;
}

/** The cases: the four the issue names, then two size series for the cost per line. */
export function compileCases(): Case[] {
  const one = (file: string, text: string) => new Map([[file, text]]);
  return [
    { name: 'compile/tiny-function', files: one('tiny.ts', unrolledFunction(8)) },
    { name: 'compile/2k-line-function', files: one('long.ts', unrolledFunction(2000)) },
    { name: 'compile/200-functions', files: one('many.ts', manyFunctions(200)) },
    { name: 'compile/nested-50', files: one('deep.ts', deeplyNested(50)) },
    { name: 'compile/10k-lines', files: projectFiles(50, 200) },
    ...[250, 500, 1000].map((n) => ({ name: `compile/unrolled-${n}`, files: one('long.ts', unrolledFunction(n)) })),
    ...[1250, 2500, 5000].map((n) => ({ name: `compile/project-${n}`, files: projectFiles(Math.round(n / 200), 200) })),
  ];
}

/** Best wall time of `runs` cold compileFiles calls over the case's files. */
export function timeCompile(c: Case, runs: number): { ms: number; lines: number; outputBytes: number } {
  const dir = makeProjectDir('wengert-bench-compile-');
  try {
    const paths = [...c.files].map(([name, text]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    });
    const lines = [...c.files.values()].reduce((sum, text) => sum + lineCount(text), 0);
    let best = Infinity;
    let outputBytes = 0;
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      const result = compileFiles(paths);
      best = Math.min(best, performance.now() - started);
      if (result.diagnostics.length > 0) throw new Error(`${c.name}: the benchmark source does not compile: ${result.diagnostics[0]!.message}`);
      outputBytes = result.files.reduce((sum, f) => sum + f.text.length, 0);
    }
    return { ms: best, lines, outputBytes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function record(ctx: BenchContext, name: string, ms: number, lines: number): void {
  const r: CompileBenchResult = { case: name, impl: 'wengert', nsPerCall: ms * 1e6, ms: Math.round(ms), lines, linesPerSecond: Math.round((lines / ms) * 1000) };
  ctx.record(r);
}

export const compileBench: BenchModule = {
  name: 'compile',
  description: 'compileFiles on large sources (cold, best of 3) and a --watch rebuild of one file',
  async run(ctx) {
    const runs = ctx.options.samples >= 5 ? 3 : 1;
    console.log(`\n  ${'case'.padEnd(28)} ${'lines'.padStart(7)} ${'ms'.padStart(8)} ${'lines/s'.padStart(9)} ${'ms/1k lines'.padStart(12)} ${'output'.padStart(9)}`);
    for (const c of compileCases()) {
      const { ms, lines, outputBytes } = timeCompile(c, runs);
      record(ctx, c.name, ms, lines);
      const perK = (ms / lines) * 1000;
      console.log(
        `  ${c.name.padEnd(28)} ${String(lines).padStart(7)} ${ms.toFixed(0).padStart(8)} ${Math.round((lines / ms) * 1000).toString().padStart(9)} ${perK.toFixed(0).padStart(12)} ${`${(outputBytes / 1024).toFixed(0)} KB`.padStart(9)}`,
      );
    }
    const watch = await timeWatchRebuild(runs);
    record(ctx, 'compile/watch-rebuild-1-file', watch.wallMs, watch.lines);
    record(ctx, 'compile/watch-rebuild-1-file-build-only', watch.buildMs, watch.lines);
    console.log(`  watch: one changed file (${watch.lines} lines) of a ${watch.projectFiles}-file project rebuilt ${watch.wallMs.toFixed(0)} ms after the write (build ${watch.buildMs.toFixed(0)} ms, debounce ${watch.debounceMs} ms)`);
  },
};
