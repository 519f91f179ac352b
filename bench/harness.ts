/**
 * Shared helpers for the benchmarks (`npm run bench`): a careful timing
 * loop, the result record, printing, and the `--json FILE` output.
 *
 * API
 *   measure(fn, options?): Measurement
 *     Times `fn(i)`, called with an increasing counter `i` (vary inputs with
 *     it so V8 cannot hoist the call out of the loop). `fn` returns a number
 *     derived from its result; the harness adds it to a module-level sink so
 *     V8 cannot drop the call. Warm-up, then a batch size calibrated to
 *     about 5 ms, then `samples` samples that each run batches until
 *     `minSampleMs` has passed; nsPerCall is the minimum over the samples.
 *     Each measured fn gets its own copy of the loop (monomorphic call).
 *     options: { minSampleMs = 300, samples = 5, warmupMs = 150 }, or the
 *     quick settings when `--quick` was passed (see benchOptions()).
 *   measureAsync(fn, options?): Promise<Measurement>   same, for async fn.
 *   BenchResult { case, impl, nsPerCall }: one JSON record.
 *   BenchModule { name, description, run(ctx) }: what bench/index.ts runs.
 *   BenchContext { options, record(result) }: passed to run(); record() adds
 *     a result to the JSON output.
 *   parseBenchArgs(argv): { json?, only?, quick }   `--json FILE`, `--only a,b`, `--quick`.
 *   formatNs(ns): '12.3 ns', '4.56 µs', '7.89 ms'.
 *   printTable(title, rows): aligned table of { impl, nsPerCall, note? }.
 *   ratio(a, b): a / b, printed as '1.23x' by formatRatio().
 *   writeJsonResults(file, results): writes the JSON array (folders created).
 *   assertClose(label, actual, expected, relTol): throws when a checked
 *     value disagrees, so a benchmark never times a wrong gradient.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface MeasureOptions {
  /** Each sample runs at least this long, in ms. */
  minSampleMs: number;
  /** Number of samples; the minimum is reported. */
  samples: number;
  /** Time spent calling the function before measuring, in ms. */
  warmupMs: number;
}

export const DEFAULT_MEASURE_OPTIONS: MeasureOptions = { minSampleMs: 300, samples: 5, warmupMs: 150 };
/** For smoke runs (`--quick`): numbers are noisier. */
export const QUICK_MEASURE_OPTIONS: MeasureOptions = { minSampleMs: 30, samples: 2, warmupMs: 10 };

export interface Measurement {
  /** Minimum over the samples. */
  nsPerCall: number;
  /** ns per call of every sample, in order. */
  samplesNs: number[];
  /** Calls per timed batch. */
  batch: number;
}

/** One record of `--json` output. */
export interface BenchResult {
  case: string;
  impl: string;
  nsPerCall: number;
}

export interface BenchContext {
  options: MeasureOptions;
  /** Adds a result to the `--json` output. */
  record(result: BenchResult): void;
}

export interface BenchModule {
  /** Short name used by `--only`. */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<void>;
}

export interface BenchArgs {
  json?: string;
  only?: string[];
  quick: boolean;
}

/** Results flow here so V8 must compute them. */
let sink = 0;

/** The sink's value (print it or check it so the work is observable). */
export function sinkValue(): number {
  return sink;
}

const BATCH_TARGET_MS = 5;

type BatchRunner = (fn: (i: number) => number, batch: number, i0: number) => number;

/**
 * A fresh copy of the timing loop for each measured function. A single
 * shared loop would see many different `fn`s at its call site, go
 * megamorphic and stop inlining them, adding a few ns to every call and
 * skewing the ratios of fast functions; each copy made by `new Function`
 * has its own type feedback, so its call site sees exactly one `fn`.
 */
function freshBatchRunner(): BatchRunner {
  return new Function('fn', 'batch', 'i0', 'let s = 0;\nfor (let k = 0; k < batch; k++) s += fn(i0 + k);\nreturn s;') as BatchRunner;
}

/** Times a synchronous function; see the API comment at the top. */
export function measure(fn: (i: number) => number, options: MeasureOptions = DEFAULT_MEASURE_OPTIONS): Measurement {
  const runBatch = freshBatchRunner();
  let i = 0;
  const warmEnd = performance.now() + options.warmupMs;
  do {
    sink += runBatch(fn, 16, i);
    i += 16;
  } while (performance.now() < warmEnd);

  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    sink += runBatch(fn, batch, i);
    i += batch;
    if (performance.now() - t0 >= BATCH_TARGET_MS || batch >= 1 << 30) break;
    batch *= 2;
  }

  const samplesNs: number[] = [];
  for (let s = 0; s < options.samples; s++) {
    let calls = 0;
    const t0 = performance.now();
    let elapsed = 0;
    do {
      sink += runBatch(fn, batch, i);
      i += batch;
      calls += batch;
      elapsed = performance.now() - t0;
    } while (elapsed < options.minSampleMs);
    samplesNs.push((elapsed * 1e6) / calls);
  }
  return { nsPerCall: Math.min(...samplesNs), samplesNs, batch };
}

/** Times an async function the same way (each call awaited). */
export async function measureAsync(
  fn: (i: number) => Promise<number>,
  options: MeasureOptions = DEFAULT_MEASURE_OPTIONS,
): Promise<Measurement> {
  let i = 0;
  const warmEnd = performance.now() + options.warmupMs;
  do sink += await fn(i++);
  while (performance.now() < warmEnd);

  const samplesNs: number[] = [];
  for (let s = 0; s < options.samples; s++) {
    let calls = 0;
    const t0 = performance.now();
    let elapsed = 0;
    do {
      sink += await fn(i++);
      calls++;
      elapsed = performance.now() - t0;
    } while (elapsed < options.minSampleMs);
    samplesNs.push((elapsed * 1e6) / calls);
  }
  return { nsPerCall: Math.min(...samplesNs), samplesNs, batch: 1 };
}

/** Parses `--json FILE`, `--only a,b` and `--quick`. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { quick: false };
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (arg === '--json') args.json = requireValue(argv, ++k, '--json');
    else if (arg.startsWith('--json=')) args.json = arg.slice('--json='.length);
    else if (arg === '--only') args.only = requireValue(argv, ++k, '--only').split(',');
    else if (arg.startsWith('--only=')) args.only = arg.slice('--only='.length).split(',');
    else if (arg === '--quick') args.quick = true;
    else throw new Error(`unknown benchmark argument '${arg}' (expected --json FILE, --only NAMES, --quick)`);
  }
  return args;
}

function requireValue(argv: readonly string[], k: number, flag: string): string {
  const value = argv[k];
  if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
  return value;
}

/** The measure options for the parsed arguments. */
export function benchOptions(args: BenchArgs): MeasureOptions {
  return args.quick ? QUICK_MEASURE_OPTIONS : DEFAULT_MEASURE_OPTIONS;
}

/** `12.3 ns`, `4.56 µs`, `7.89 ms`, `1.23 s` */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

export function ratio(a: number, b: number): number {
  return a / b;
}

/** `1.23x` */
export function formatRatio(r: number): string {
  return `${r < 10 ? r.toFixed(2) : r < 100 ? r.toFixed(1) : r.toFixed(0)}x`;
}

export interface TableRow {
  impl: string;
  nsPerCall: number;
  note?: string;
}

/** Prints an aligned table: impl, ns/call, and a note. */
export function printTable(title: string, rows: readonly TableRow[]): void {
  const width = Math.max(...rows.map((r) => r.impl.length), 4);
  console.log(`\n${title}`);
  for (const row of rows) {
    const ns = `${row.nsPerCall.toFixed(1)} ns/call`.padStart(18);
    const human = `(${formatNs(row.nsPerCall)})`.padEnd(12);
    console.log(`  ${row.impl.padEnd(width)}  ${ns}  ${human}${row.note ? `  ${row.note}` : ''}`);
  }
}

/** Writes the results as a JSON array, creating the folder. */
export function writeJsonResults(file: string, results: readonly BenchResult[]): void {
  const absolute = path.resolve(file);
  fs.mkdirSync(path.dirname(absolute), { recursive: true });
  fs.writeFileSync(absolute, JSON.stringify(results, null, 2) + '\n');
}

/** Throws unless |actual - expected| <= relTol * max(1, |expected|). */
export function assertClose(label: string, actual: number, expected: number, relTol: number): void {
  const scale = Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= relTol * scale)) {
    throw new Error(`${label}: got ${actual}, expected ${expected} (relative tolerance ${relTol})`);
  }
}
