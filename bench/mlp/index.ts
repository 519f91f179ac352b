/**
 * MLP benchmark: one SGD step (forward, backward, update) of the
 * 784-128-10 tanh MLP of examples/mnist-mlp, batch 128, in ms per step:
 * wengert on its CPU backend (the generated valueAndGrad_loss when
 * examples/mnist-mlp/model.grad.ts exists, and the hand-written one), each
 * with one CPU thread and with all of them (setCpuThreads; WENGERT_THREADS
 * or the machine's available parallelism), TensorFlow.js on its cpu and wasm backends, and jax-js on wasm under jit.
 * All start from the same weights and batch; the first losses are checked
 * to agree before anything is timed. Samples are taken in interleaved
 * rounds and the minimum per implementation is reported, in wall time and
 * in process CPU time per step (all threads together): on a machine other
 * jobs load, the CPU time of a one-thread implementation moves much less
 * than its wall time, so the one-thread ratios are read from it as well.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SGD, cpuPoolStatus, cpuThreads, cpuThreadsReady, fromTypedArray, setCpuThreads, type Tensor } from 'wengert';
import * as handwritten from '../../examples/mnist-mlp/handwritten.ts';
import type { Params } from '../../examples/mnist-mlp/model.ts';
import { assertClose, formatRatio, measure, printTable, type BenchContext, type BenchModule, type TableRow } from '../harness.ts';
import { makeProblem, type Problem, type StepFn } from './problem.ts';
import { jaxStep, tfjsStep } from './peers.ts';

type ValueAndGrad = (p: Params, x: Tensor, labels: Int32Array) => [number, Params];

function wengertStep(p: Problem, vg: ValueAndGrad): StepFn {
  const params: Params = {
    W1: fromTypedArray(p.W1.slice(), [p.inputs, p.hidden]),
    b1: fromTypedArray(p.b1.slice(), [p.hidden]),
    W2: fromTypedArray(p.W2.slice(), [p.hidden, p.classes]),
    b2: fromTypedArray(p.b2.slice(), [p.classes]),
  };
  const x = fromTypedArray(p.x, [p.batch, p.inputs]);
  const sgd = new SGD({ lr: p.lr });
  return () => {
    const [value, grads] = vg(params, x, p.labels);
    sgd.step(params, grads);
    return value;
  };
}

async function generatedValueAndGrad(): Promise<ValueAndGrad | null> {
  const path = fileURLToPath(new URL('../../examples/mnist-mlp/model.grad.ts', import.meta.url));
  if (!existsSync(path)) return null;
  const specifier = '../../examples/mnist-mlp/model.grad.ts';
  const mod = (await import(specifier)) as { valueAndGrad_loss?: ValueAndGrad };
  return mod.valueAndGrad_loss ?? null;
}

/**
 * A wengert step run with `threads` CPU threads (set before a step when the
 * count in use differs: setting it also ends the pool's pause after splits
 * that lost time, which the bench must see like any program).
 */
function onThreads(step: StepFn, threads: number): StepFn {
  return () => {
    if (cpuThreads() !== threads) setCpuThreads(threads);
    return step();
  };
}

/** The implementations, in table order; `null` step = not available (with the reason). */
async function implementations(p: Problem): Promise<{ impl: string; step: StepFn | null; note?: string }[]> {
  const generated = await generatedValueAndGrad();
  // The CPU backend with one thread and with all of them (WENGERT_THREADS or the machine's parallelism).
  setCpuThreads(null);
  const all = cpuThreads();
  const workers = await cpuThreadsReady();
  const threadings = all > 1 ? [1, all] : [1];
  const label = (t: number) => (t === 1 ? '1 thread' : `${t} threads${workers === all - 1 ? '' : `, ${workers} workers ready`}`);
  const wengert = (name: string, vg: ValueAndGrad | null, note?: string) =>
    threadings.map((t) => ({ impl: `wengert cpu (${name}, ${label(t)})`, step: vg ? onThreads(wengertStep(p, vg), t) : null, note }));
  return [
    ...wengert('generated', generated, generated ? undefined : 'not yet: examples/mnist-mlp/model.grad.ts is not generated'),
    ...wengert('hand-written', handwritten.valueAndGrad_loss),
    { impl: 'tfjs cpu', step: await tfjsStep('cpu', p) },
    { impl: 'tfjs wasm', step: await tfjsStep('wasm', p) },
    { impl: 'jax-js wasm (jit)', step: await jaxStep(p) },
  ];
}

export const mlpBench: BenchModule = {
  name: 'mlp',
  description: 'one SGD step of the 784-128-10 tanh MLP, batch 128 (forward, backward, update)',
  async run(ctx: BenchContext): Promise<void> {
    const p = makeProblem();
    // Each implementation gets its own problem copy; the first loss must agree.
    const impls = await implementations(p);
    let reference: number | null = null;
    const ready: { impl: string; step: StepFn }[] = [];
    for (const { impl, step, note } of impls) {
      if (step === null) {
        console.log(`  ${impl}: skipped (${note})`);
        continue;
      }
      const first = step();
      reference ??= first;
      assertClose(`${impl}: first loss`, first, reference, 1e-4);
      ready.push({ impl, step });
    }
    // Interleaved rounds, one sample per implementation per round, so a
    // change of machine load mid-run does not favour one implementation.
    const best = new Map<string, number>();
    const bestCpu = new Map<string, number>();
    const perRound = { ...ctx.options, samples: 1 };
    for (let round = 0; round < ctx.options.samples; round++) {
      for (const { impl, step } of ready) {
        const m = measure(() => step(), round === 0 ? perRound : { ...perRound, warmupMs: 20 });
        best.set(impl, Math.min(best.get(impl) ?? Infinity, m.nsPerCall));
        bestCpu.set(impl, Math.min(bestCpu.get(impl) ?? Infinity, cpuNsPerStep(step, ctx.options.minSampleMs / 2)));
      }
    }
    setCpuThreads(null);
    const pool = cpuPoolStatus();
    console.log(`  CPU pool: ${pool.splitJobs} jobs split, ${pool.declinedJobs} kept on the calling thread after a split that lost time`);
    const report = (title: string, caseName: string, ns: Map<string, number>) => {
      const rows: TableRow[] = ready.map(({ impl }) => ({ impl, nsPerCall: ns.get(impl)! }));
      for (const r of rows) ctx.record({ case: caseName, impl: r.impl, nsPerCall: r.nsPerCall });
      const ours = rows.find((r) => r.impl.startsWith('wengert cpu (generated')) ?? rows.find((r) => r.impl.startsWith('wengert'))!;
      for (const r of rows) r.note = r === ours ? 'reference' : `${formatRatio(r.nsPerCall / ours.nsPerCall)} the time of ${ours.impl}`;
      printTable(title, rows);
    };
    report('ms per SGD step (lower is better)', 'mlp-sgd-step', best);
    report('CPU ms per SGD step, all threads (lower is better)', 'mlp-sgd-step-cpu', bestCpu);
  },
};

/** Process CPU time (user + system, every thread) per step, over steps run for at least `ms` of wall time. */
function cpuNsPerStep(step: StepFn, ms: number): number {
  const wallEnd = performance.now() + ms;
  const t0 = process.cpuUsage();
  let steps = 0;
  do {
    step();
    steps++;
  } while (performance.now() < wallEnd);
  const used = process.cpuUsage(t0);
  return ((used.user + used.system) * 1000) / steps;
}
