/**
 * Checkpointing benchmark (`npm run bench -- --only checkpoint`, issue #12):
 * the gradient of the logistic map and of the RK4 pendulum
 * (examples/pendulum) for n = 10^4, 10^5 and 10^6 trips, on the plain tape
 * and with `@checkpoint` (the default schedule: steps of ceil(sqrt n) trips,
 * snapshots so that no step is advanced more than twice), plus the pure
 * binomial schedule (one trip per step, 30 snapshots) on the logistic map.
 *
 * For each: time per gradient call, the peak bytes held on the tapes and
 * in snapshots during one call (bench/checkpoint/memory.ts), and both as
 * ratios to the plain tape in the same run. Before timing, each
 * checkpointed gradient is checked to be identical, bit for bit, to the
 * plain tape's. The logistic sources (bench/checkpoint/logistic.ts) are
 * compiled here, into bench/checkpoint/logistic.grad.ts (not committed).
 *
 * JSON records: { case: 'checkpoint/logistic/n=1e6', impl, nsPerCall,
 * tapeBytes, snapshotBytes, peakBytes, timeRatio, memoryRatio }.
 */
import * as fs from 'node:fs';
import { compileFiles, formatDiagnostic } from '../../compiler/index.ts';
import { measure, printTable, type BenchContext, type BenchModule, type BenchResult } from '../harness.ts';
import { peakMemory, type PeakMemory } from './memory.ts';

export interface CheckpointBenchResult extends BenchResult, PeakMemory {
  /** Tape plus snapshot bytes. */
  peakBytes: number;
  /** nsPerCall over the plain tape's, same case, same run. */
  timeRatio: number;
  /** peakBytes over the plain tape's. */
  memoryRatio: number;
}

type Gradient = (n: number) => number[];

interface Impl {
  impl: string;
  grad: Gradient;
}

interface Model {
  name: string;
  impls: Impl[];
}

async function logisticModel(): Promise<Model> {
  const source = new URL('./logistic.ts', import.meta.url);
  const result = compileFiles([source.pathname]);
  const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
  if (errors.length || !result.files[0]) throw new Error(`bench/checkpoint/logistic.ts did not compile:\n${errors.map(formatDiagnostic).join('\n')}`);
  fs.writeFileSync(result.files[0].outputPath, result.files[0].text);
  const g = (await import(result.files[0].outputPath)) as Record<string, (x: number, r: number, n: number) => [number, number]>;
  const at = (f: (x: number, r: number, n: number) => [number, number]): Gradient => (n) => f(0.3, 3.7, n);
  return {
    name: 'logistic',
    impls: [
      { impl: 'plain tape', grad: at(g.grad_logisticTaped!) },
      { impl: '@checkpoint', grad: at(g.grad_logisticCheckpointed!) },
      { impl: '@checkpoint every(1) snapshots(30)', grad: at(g.grad_logisticRevolve!) },
    ],
  };
}

async function pendulumModel(): Promise<Model> {
  const g = await import('../../examples/pendulum/model.grad.ts');
  // theta0, omega0, k, c, h: a pendulum released at 1.2 rad, lightly damped, steps of 1 ms.
  const at = (f: typeof g.grad_pendulum): Gradient => (n) => f(1.2, 0, 9.81, 0.05, 0.001, n);
  return {
    name: 'pendulum',
    impls: [
      { impl: 'plain tape', grad: at(g.grad_pendulumTaped) },
      { impl: '@checkpoint', grad: at(g.grad_pendulum) },
    ],
  };
}

function sameBits(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, k) => Object.is(x, b[k]));
}

function formatBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(2)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

async function run(ctx: BenchContext): Promise<void> {
  const models = [await logisticModel(), await pendulumModel()];
  const cases = models.flatMap((model) => [4, 5, 6].map((exponent) => ({ model, exponent, n: 10 ** exponent, label: `checkpoint/${model.name}/n=1e${exponent}` })));
  // Every case is timed before any is measured for memory: the memory pass wraps the tapes' methods,
  // which would change the shape of the tape objects the timed calls use.
  const times = new Map<string, number>();
  for (const { model, n, label } of cases) {
    const reference = model.impls[0]!.grad(n);
    for (const { impl, grad } of model.impls) {
      const g = grad(n);
      if (!sameBits(g, reference)) throw new Error(`${label} ${impl}: gradient ${JSON.stringify(g)} differs from the plain tape's ${JSON.stringify(reference)}`);
      times.set(`${label} ${impl}`, measure((i) => grad(n - (i & 1))[0]!, ctx.options).nsPerCall);
    }
  }
  for (const { model, exponent, n, label } of cases) {
    const rows: { impl: string; nsPerCall: number; note: string }[] = [];
    let base: { ns: number; bytes: number } | null = null;
    for (const { impl, grad } of model.impls) {
      const memory = peakMemory(() => grad(n));
      const peakBytes = memory.tapeBytes + memory.snapshotBytes;
      const nsPerCall = times.get(`${label} ${impl}`)!;
      base ??= { ns: nsPerCall, bytes: peakBytes };
      const timeRatio = nsPerCall / base.ns;
      const memoryRatio = peakBytes / base.bytes;
      rows.push({
        impl,
        nsPerCall,
        note: `${timeRatio.toFixed(2)}x time, peak ${formatBytes(peakBytes)} (tape ${formatBytes(memory.tapeBytes)}, snapshots ${formatBytes(memory.snapshotBytes)}) = ${memoryRatio < 0.01 ? memoryRatio.toExponential(1) : memoryRatio.toFixed(3)}x memory`,
      });
      const record: CheckpointBenchResult = { case: label, impl, nsPerCall, ...memory, peakBytes, timeRatio, memoryRatio };
      ctx.record(record);
    }
    printTable(`${model.name}, n = 10^${exponent} (gradients identical bit for bit)`, rows);
  }
}

export const checkpointBench: BenchModule = {
  name: 'checkpoint',
  description: 'gradients of the logistic map and the RK4 pendulum for n = 10^4..10^6: plain tape vs @checkpoint, time and peak memory',
  run,
};
