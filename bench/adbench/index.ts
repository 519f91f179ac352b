/**
 * ADBench with wengert: for every GMM, LSTM and BA input file, time the
 * objective and the derivative wengert generates (the gradient, or for BA the
 * sparse Jacobian) the way ADBench times tools, and print J/f; for GMM also
 * time the hand-written gradient and print wengert's time over it. The
 * functions of one file are timed together, their batches interleaved
 * (timing.ts `measureTogether`).
 *
 *   npm run bench:adbench -- [--json FILE] [--filter REGEX] [--quick] [--ba-max-obs N|all] [--no-generate]
 *
 * The derivatives are generated first (examples/adbench/generate.ts);
 * `--no-generate` times the .grad.ts files already there instead.
 *
 * Time budget: the BA files have up to 225,911 observations; by default only
 * the first 20,000 of each are used (J/f does not depend on the count, and
 * the printout says so), which keeps a full run near a minute and a half.
 * `--ba-max-obs all` times the whole files.
 *   npm run bench -- --only adbench        (the same, through bench/index.ts)
 *
 * JSON entries: { case: "adbench/<file>", impl: "wengert" | "hand-written",
 * objectiveMs, derivativeMs, ratio (= J/f), nsPerCall (= derivativeMs in ns,
 * for bench/harness.ts) }. The two test.txt files are "adbench/gmm_test" and
 * "adbench/ba_test".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type AdbenchModel, generateAdbenchDerivatives, gradPath } from '../../examples/adbench/generate.ts';
import { adbenchPath } from '../../examples/adbench/io.ts';
import { type BenchModule, QUICK_MEASURE_OPTIONS, writeJsonResults } from '../harness.ts';
import { type AdbenchEntry, type FileOptions, type FileResult, caseName } from './one-file.ts';
import { type TimingOptions, adbenchTiming, quickTiming } from './timing.ts';

export type { AdbenchEntry } from './one-file.ts';

export interface AdbenchOptions {
  /** Write the entries to this JSON file. */
  json?: string;
  /** Only the cases whose name ("adbench/gmm_d2_K5", ...) matches. */
  filter?: RegExp;
  timing?: TimingOptions;
  /** Use only the first N observations of each BA file (the printout says so); default 20,000. */
  baMaxObservations?: number;
  /** Time the .grad.ts files already in examples/adbench instead of generating them. */
  noGenerate?: boolean;
  /** Where the table goes (default: console.log). */
  log?: (line: string) => void;
}

/** BA files are cut to this many observations unless told otherwise (see the top comment). */
const DEFAULT_BA_MAX_OBSERVATIONS = 20_000;

/** Null when the generated module of `model` is there (generating it first unless told not to), else why not. */
function generatedOrWhy(model: AdbenchModel, generate: boolean): string | null {
  try {
    if (!generate) return existsSync(gradPath(model)) ? null : `${gradPath(model)} does not exist (--no-generate)`;
    const result = generateAdbenchDerivatives([model]);
    return result.ok ? null : result.reason;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Times one file in a child process (one-file.ts): the same loader (tsx), a fresh V8. */
function timeInChild(model: AdbenchModel, file: string, options: FileOptions): FileResult {
  const script = fileURLToPath(new URL('./one-file.ts', import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, script, model, file, JSON.stringify(options)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`timing ${model}/${file} failed (exit ${child.status}): ${child.stderr.trim()}`);
  const last = child.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as FileResult;
}

function dataFiles(folder: string): string[] {
  return readdirSync(adbenchPath(folder))
    .filter((f) => f.endsWith('.txt'))
    .sort();
}

export async function run(options: AdbenchOptions = {}): Promise<AdbenchEntry[]> {
  const timing = options.timing ?? adbenchTiming;
  const log = options.log ?? ((line: string) => console.log(line));
  const wanted = (name: string) => options.filter === undefined || options.filter.test(name);
  const entries: AdbenchEntry[] = [];
  const started = performance.now();

  log(
    `ADBench timing: each file in a process of its own, its functions' batches interleaved; batches doubled to >= ${timing.minBatchSeconds} s, ` +
      `min of up to ${timing.maxSamples} batches (sampling stops after ${timing.timeLimitSeconds} s per function)`,
  );
  const about = { gmm: 'GMM: no wengert gradient (%s); timing the hand-written one only', lstm: 'LSTM: no wengert gradient (%s); timing the objective only', ba: 'BA: no wengert Jacobian (%s); timing the objective only' };
  for (const model of ['gmm', 'lstm', 'ba'] as const) {
    const files = dataFiles(model).filter((file) => wanted(caseName(model, file)));
    if (files.length === 0) continue;
    const missing = generatedOrWhy(model, !options.noGenerate);
    if (missing !== null) log(about[model].replace('%s', missing));
    for (const file of files) {
      const result = timeInChild(model, file, { timing, baMaxObservations: Number.isFinite(options.baMaxObservations ?? DEFAULT_BA_MAX_OBSERVATIONS) ? (options.baMaxObservations ?? DEFAULT_BA_MAX_OBSERVATIONS) : null, missing });
      entries.push(...result.entries);
      log(result.line);
    }
  }

  log(`ADBench done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (options.json) {
    writeJsonResults(options.json, entries);
    log(`wrote ${entries.length} entries to ${options.json}`);
  }
  return entries;
}

/** The ADBench benchmark for bench/index.ts (`npm run bench -- --only adbench`). */
export const adbenchBench: BenchModule = {
  name: 'adbench',
  description: 'ADBench GMM, LSTM and BA: J/f timed the ADBench way, wengert vs the hand-written GMM gradient',
  async run(ctx) {
    const timing = ctx.options === QUICK_MEASURE_OPTIONS ? quickTiming : adbenchTiming;
    for (const entry of await run({ timing })) ctx.record(entry);
  },
};

/** Reads `--json FILE`, `--filter REGEX`, `--quick`, `--ba-max-obs N|all` and `--no-generate`. */
export function parseArgs(argv: readonly string[]): AdbenchOptions {
  const options: AdbenchOptions = {};
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = value(++i, arg);
    else if (arg === '--filter') options.filter = new RegExp(value(++i, arg));
    else if (arg === '--quick') options.timing = quickTiming;
    else if (arg === '--no-generate') options.noGenerate = true;
    else if (arg === '--ba-max-obs') {
      const v = value(++i, arg);
      options.baMaxObservations = v === 'all' ? Infinity : Number(v);
      if (!(options.baMaxObservations > 0)) throw new Error(`--ba-max-obs needs a positive count or 'all', got ${v}`);
    }
    else throw new Error(`unknown option ${arg}; expected --json FILE, --filter REGEX, --quick, --ba-max-obs N|all, --no-generate`);
  }
  return options;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run(parseArgs(process.argv.slice(2)));
}
