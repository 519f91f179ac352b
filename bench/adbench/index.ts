/**
 * ADBench with wengert: for every GMM, LSTM and BA input file, time the
 * objective and the derivative wengert generates (the gradient, or for BA the
 * sparse Jacobian) the way ADBench times tools, and print J/f; for GMM also
 * time the hand-written gradient and print wengert's time over it.
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
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BaDerivatives, allocateBaJacobian, baJacobian, baObjective } from '../../examples/adbench/ba-sparse.ts';
import { type AdbenchModel, generateAdbenchDerivatives, gradPath } from '../../examples/adbench/generate.ts';
import { gmmObjective } from '../../examples/adbench/gmm.ts';
import { gmmGradient } from '../../examples/adbench/gmm-manual.ts';
import { adbenchPath, readBa, readGmm, readLstm } from '../../examples/adbench/io.ts';
import { lstmObjective } from '../../examples/adbench/lstm.ts';
import { type BenchModule, QUICK_MEASURE_OPTIONS, writeJsonResults } from '../harness.ts';
import { type Timing, type TimingOptions, adbenchTiming, measure, quickTiming } from './timing.ts';

export interface AdbenchEntry {
  case: string;
  impl: 'wengert' | 'hand-written';
  objectiveMs: number;
  derivativeMs: number;
  /** derivativeMs / objectiveMs (ADBench's J/f). */
  ratio: number;
  /** derivativeMs in nanoseconds: the field bench/harness.ts records. */
  nsPerCall: number;
  /** BA only: the observations timed (fewer than the file's when cut, see the top comment). */
  observations?: number;
}

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

type GmmGrad = {
  grad_gmmObjective(...args: Parameters<typeof gmmObjective>): [Float64Array, Float64Array, Float64Array];
};
type LstmGrad = {
  grad_lstmObjective(...args: Parameters<typeof lstmObjective>): [Float64Array, Float64Array];
};

/** The generated module of a model, or why there is none (compiler stub, diagnostics). */
async function loadGenerated<T>(model: AdbenchModel, generate: boolean): Promise<T | string> {
  try {
    if (!generate && !existsSync(gradPath(model))) return `${gradPath(model)} does not exist (--no-generate)`;
    const result = generate ? generateAdbenchDerivatives([model]) : { ok: true as const };
    if (!result.ok) return result.reason;
    return (await import(pathToFileURL(gradPath(model)).href)) as T;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function dataFiles(folder: string): string[] {
  return readdirSync(adbenchPath(folder))
    .filter((f) => f.endsWith('.txt'))
    .sort();
}

/** `adbench/gmm_d2_K5`; the two `test.txt` files become `adbench/gmm_test` and `adbench/ba_test`. */
function caseName(folder: string, file: string): string {
  const base = path.basename(file, '.txt');
  return `adbench/${base === 'test' ? `${folder}_test` : base}`;
}
const fmt = (ms: number) => (ms < 0.01 ? ms.toExponential(2) : ms.toPrecision(4));

function row(name: string, objective: Timing, derivative?: Timing, extra = ''): string {
  const f = `${name.padEnd(34)} f ${fmt(objective.ms).padStart(10)} ms`;
  if (derivative === undefined) return `${f}${extra}`;
  const ratio = (derivative.ms / objective.ms).toFixed(2);
  return `${f}  J ${fmt(derivative.ms).padStart(10)} ms  J/f ${ratio.padStart(6)}${extra}`;
}

/** Largest relative difference between two flat vectors. */
function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return worst;
}

function flat(parts: ArrayLike<number>[]): number[] {
  return parts.flatMap((p) => Array.from(p));
}

export async function run(options: AdbenchOptions = {}): Promise<AdbenchEntry[]> {
  const timing = options.timing ?? adbenchTiming;
  const log = options.log ?? ((line: string) => console.log(line));
  const wanted = (name: string) => options.filter === undefined || options.filter.test(name);
  const entries: AdbenchEntry[] = [];
  const add = (name: string, impl: AdbenchEntry['impl'], f: Timing, j: Timing, observations?: number) =>
    entries.push({
      case: name,
      impl,
      objectiveMs: f.ms,
      derivativeMs: j.ms,
      ratio: j.ms / f.ms,
      nsPerCall: j.ms * 1e6,
      ...(observations === undefined ? {} : { observations }),
    });
  const started = performance.now();

  log(
    `ADBench timing: batches doubled to >= ${timing.minBatchSeconds} s, min of up to ${timing.maxSamples} batches ` +
      `(sampling stops after ${timing.timeLimitSeconds} s)`,
  );

  // GMM: objective, wengert's gradient, the hand-written gradient.
  const gmmGen = await loadGenerated<GmmGrad>('gmm', !options.noGenerate);
  if (typeof gmmGen === 'string') log(`GMM: no wengert gradient (${gmmGen}); timing the hand-written one only`);
  for (const file of dataFiles('gmm')) {
    const name = caseName('gmm', file);
    if (!wanted(name)) continue;
    const g = readGmm(adbenchPath(`gmm/${file}`));
    const args: Parameters<typeof gmmObjective> = [g.d, g.k, g.n, g.alpha, g.means, g.icf, g.x, g.gamma, g.m];
    const objective = measure(() => gmmObjective(...args), timing);
    const manual = measure(() => gmmGradient(...args), timing);
    add(name, 'hand-written', objective, manual);
    if (typeof gmmGen === 'string') {
      log(row(`${name} (hand-written)`, objective, manual));
      continue;
    }
    const diff = maxRelativeDifference(flat(gmmGen.grad_gmmObjective(...args)), flat(gmmGradient(...args)));
    if (!(diff < 1e-8)) throw new Error(`${name}: wengert's gradient differs from the hand-written one by ${diff}`);
    const wengert = measure(() => gmmGen.grad_gmmObjective(...args), timing);
    add(name, 'wengert', objective, wengert);
    log(row(name, objective, wengert, `  hand-written ${fmt(manual.ms)} ms  wengert/hand-written ${(wengert.ms / manual.ms).toFixed(2)}`));
  }

  // LSTM: objective and wengert's gradient.
  const lstmGen = await loadGenerated<LstmGrad>('lstm', !options.noGenerate);
  if (typeof lstmGen === 'string') log(`LSTM: no wengert gradient (${lstmGen}); timing the objective only`);
  for (const file of dataFiles('lstm')) {
    const name = caseName('lstm', file);
    if (!wanted(name)) continue;
    const s = readLstm(adbenchPath(`lstm/${file}`));
    const args: Parameters<typeof lstmObjective> = [s.l, s.c, s.b, s.mainParams, s.extraParams, s.state, s.sequence];
    const objective = measure(() => lstmObjective(...args), timing);
    if (typeof lstmGen === 'string') {
      log(row(name, objective));
      continue;
    }
    const wengert = measure(() => lstmGen.grad_lstmObjective(...args), timing);
    add(name, 'wengert', objective, wengert);
    log(row(name, objective, wengert));
  }

  // BA: all residuals, and the sparse Jacobian from wengert's per-observation Jacobians.
  const baGen = await loadGenerated<BaDerivatives>('ba', !options.noGenerate);
  if (typeof baGen === 'string') log(`BA: no wengert Jacobian (${baGen}); timing the objective only`);
  for (const file of dataFiles('ba')) {
    const name = caseName('ba', file);
    if (!wanted(name)) continue;
    const input = readBa(adbenchPath(`ba/${file}`), options.baMaxObservations ?? DEFAULT_BA_MAX_OBSERVATIONS);
    const total = Number(/_p(\d+)/.exec(file)?.[1] ?? input.p);
    const note = total > input.p ? `  (first ${input.p} of ${total} observations)` : '';
    const reproj = new Float64Array(2 * input.p);
    const weightErr = new Float64Array(input.p);
    const objective = measure(() => baObjective(input, reproj, weightErr), timing);
    if (typeof baGen === 'string') {
      log(row(name, objective, undefined, note));
      continue;
    }
    const jacobian = allocateBaJacobian(input);
    const wengert = measure(() => baJacobian(input, baGen, jacobian), timing);
    add(name, 'wengert', objective, wengert, input.p);
    log(row(name, objective, wengert, note));
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
