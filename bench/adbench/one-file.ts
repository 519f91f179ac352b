/**
 * One ADBench input file timed in a process of its own, as ADBench runs a
 * tool once per file: `tsx bench/adbench/one-file.ts MODEL FILE OPTIONS_JSON`
 * prints one JSON line, `{ entries, line, note? }` (bench/adbench/index.ts
 * starts it for each file and prints `line`).
 *
 * Why a process per file: V8 optimises the generated gradient and the
 * hand-written one for what it has seen run. Timed in one process after
 * gmm_d10_K25, gmm_d10_K5's wengert / hand-written read 1.51-1.65; in a
 * process of its own, 1.38-1.41. A process per file measures what a program
 * that solves one problem size sees.
 *
 * The generated module (examples/adbench/<model>.grad.ts) must exist; the
 * parent generates it first.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BaDerivatives, allocateBaJacobian, baJacobian, baObjective } from '../../examples/adbench/ba-sparse.ts';
import { type AdbenchModel, gradPath } from '../../examples/adbench/generate.ts';
import { gmmObjective } from '../../examples/adbench/gmm.ts';
import { gmmGradient } from '../../examples/adbench/gmm-manual.ts';
import { adbenchPath, readBa, readGmm, readLstm } from '../../examples/adbench/io.ts';
import { lstmObjective } from '../../examples/adbench/lstm.ts';
import { type Timing, type TimingOptions, measure, measureTogether } from './timing.ts';

export interface AdbenchEntry {
  case: string;
  impl: 'wengert' | 'hand-written';
  objectiveMs: number;
  derivativeMs: number;
  /** derivativeMs / objectiveMs (ADBench's J/f). */
  ratio: number;
  /** derivativeMs in nanoseconds: the field bench/harness.ts records. */
  nsPerCall: number;
  /** BA only: the observations timed (fewer than the file's when cut, see index.ts). */
  observations?: number;
}

/** What the child is told: the timing, and the BA observation cut (null: the whole file). */
export interface FileOptions {
  timing: TimingOptions;
  baMaxObservations: number | null;
  /** Why there is no generated module for this model (the objective alone is timed), or null. */
  missing: string | null;
}

export interface FileResult {
  entries: AdbenchEntry[];
  /** The table row. */
  line: string;
}

type GmmGrad = {
  grad_gmmObjective(...args: Parameters<typeof gmmObjective>): [Float64Array, Float64Array, Float64Array];
};
type LstmGrad = {
  grad_lstmObjective(...args: Parameters<typeof lstmObjective>): [Float64Array, Float64Array];
};

/** `adbench/gmm_d2_K5`; the two `test.txt` files become `adbench/gmm_test` and `adbench/ba_test`. */
export function caseName(folder: string, file: string): string {
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
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

const flat = (parts: ArrayLike<number>[]): number[] => parts.flatMap((p) => Array.from(p));

function entry(name: string, impl: AdbenchEntry['impl'], f: Timing, j: Timing, observations?: number): AdbenchEntry {
  return { case: name, impl, objectiveMs: f.ms, derivativeMs: j.ms, ratio: j.ms / f.ms, nsPerCall: j.ms * 1e6, ...(observations === undefined ? {} : { observations }) };
}

async function generated<T>(model: AdbenchModel): Promise<T> {
  return (await import(pathToFileURL(gradPath(model)).href)) as T;
}

/** Times one file of `model` (the functions of the file interleaved, timing.ts `measureTogether`). */
export async function timeFile(model: AdbenchModel, file: string, options: FileOptions): Promise<FileResult> {
  const name = caseName(model, file);
  const { timing } = options;
  if (model === 'gmm') {
    const g = readGmm(adbenchPath(`gmm/${file}`));
    const args: Parameters<typeof gmmObjective> = [g.d, g.k, g.n, g.alpha, g.means, g.icf, g.x, g.gamma, g.m];
    if (options.missing !== null) {
      const [objective, manual] = measureTogether([() => gmmObjective(...args), () => gmmGradient(...args)], timing) as [Timing, Timing];
      return { entries: [entry(name, 'hand-written', objective, manual)], line: row(`${name} (hand-written)`, objective, manual) };
    }
    const gen = await generated<GmmGrad>('gmm');
    const diff = maxRelativeDifference(flat(gen.grad_gmmObjective(...args)), flat(gmmGradient(...args)));
    if (!(diff < 1e-8)) throw new Error(`${name}: wengert's gradient differs from the hand-written one by ${diff}`);
    const [objective, manual, wengert] = measureTogether([() => gmmObjective(...args), () => gmmGradient(...args), () => gen.grad_gmmObjective(...args)], timing) as [Timing, Timing, Timing];
    const extra = `  hand-written ${fmt(manual.ms)} ms  wengert/hand-written ${(wengert.ms / manual.ms).toFixed(2)}`;
    return { entries: [entry(name, 'hand-written', objective, manual), entry(name, 'wengert', objective, wengert)], line: row(name, objective, wengert, extra) };
  }
  if (model === 'lstm') {
    const s = readLstm(adbenchPath(`lstm/${file}`));
    const args: Parameters<typeof lstmObjective> = [s.l, s.c, s.b, s.mainParams, s.extraParams, s.state, s.sequence];
    if (options.missing !== null) return { entries: [], line: row(name, measure(() => lstmObjective(...args), timing)) };
    const gen = await generated<LstmGrad>('lstm');
    const [objective, wengert] = measureTogether([() => lstmObjective(...args), () => gen.grad_lstmObjective(...args)], timing) as [Timing, Timing];
    return { entries: [entry(name, 'wengert', objective, wengert)], line: row(name, objective, wengert) };
  }
  const input = readBa(adbenchPath(`ba/${file}`), options.baMaxObservations ?? Infinity);
  const total = Number(/_p(\d+)/.exec(file)?.[1] ?? input.p);
  const note = total > input.p ? `  (first ${input.p} of ${total} observations)` : '';
  const reproj = new Float64Array(2 * input.p);
  const weightErr = new Float64Array(input.p);
  if (options.missing !== null) return { entries: [], line: row(name, measure(() => baObjective(input, reproj, weightErr), timing), undefined, note) };
  const gen = await generated<BaDerivatives>('ba');
  const jacobian = allocateBaJacobian(input);
  const [objective, wengert] = measureTogether([() => baObjective(input, reproj, weightErr), () => baJacobian(input, gen, jacobian)], timing) as [Timing, Timing];
  return { entries: [entry(name, 'wengert', objective, wengert, input.p)], line: row(name, objective, wengert, note) };
}

// Run as a script: time the file named on the command line and print the result as one JSON line.
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [model, file, json] = process.argv.slice(2);
  const result = await timeFile(model as AdbenchModel, file!, JSON.parse(json!) as FileOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
