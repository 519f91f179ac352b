/**
 * Fusion and inserted lifetimes on the CPU: `npm run bench:fusion`.
 * Compiles examples/mnist-mlp/model.ts three ways (fused with lifetimes,
 * the build's default; unfused with lifetimes; neither, the code before
 * issue #9) and times one SGD step of each generated `valueAndGrad_loss`
 * (784-128-10 tanh MLP, batch 128) and of `valueAndGrad_regularizedLoss`
 * in interleaved rounds, minimum per variant. Ratios are against the
 * default build in the same run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SGD, fromTypedArray, type Tensor } from 'wengert';
import { compileFiles } from '../../compiler/pipeline.ts';
import { setFusion } from '../../compiler/emit/fuse.ts';
import { setLifetimes } from '../../compiler/analysis/lifetimes.ts';
import type { Params } from '../../examples/mnist-mlp/model.ts';
import { assertClose, benchOptions, formatRatio, measure, parseBenchArgs, printTable, type TableRow } from '../harness.ts';
import { makeProblem, type Problem } from './problem.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const model = path.resolve(here, '../../examples/mnist-mlp/model.ts');
const outDir = path.resolve(here, '../../bench/.generated/fusion');

interface Variant {
  name: string;
  fuse: boolean;
  lifetimes: boolean;
}

const variants: Variant[] = [
  { name: 'fused + lifetimes (default)', fuse: true, lifetimes: true },
  { name: 'unfused + lifetimes', fuse: false, lifetimes: true },
  { name: 'unfused, no lifetimes', fuse: false, lifetimes: false },
];

type Grad = Record<string, (...a: any[]) => [number | Tensor, Params]>;

async function build(v: Variant, i: number): Promise<Grad> {
  const dir = path.join(outDir, `v${i}`);
  fs.mkdirSync(dir, { recursive: true });
  const source = path.join(dir, 'model.ts');
  fs.copyFileSync(model, source);
  const wasFuse = setFusion(v.fuse);
  const wasLife = setLifetimes(v.lifetimes);
  try {
    const result = compileFiles([source]);
    const file = result.files[0];
    if (!file) throw new Error(`no generated file: ${result.diagnostics.map((d) => d.message).join('; ')}`);
    fs.writeFileSync(file.outputPath, file.text);
    return (await import(file.outputPath)) as Grad;
  } finally {
    setFusion(wasFuse);
    setLifetimes(wasLife);
  }
}

function params(p: Problem): Params {
  return {
    W1: fromTypedArray(p.W1.slice(), [p.inputs, p.hidden]),
    b1: fromTypedArray(p.b1.slice(), [p.hidden]),
    W2: fromTypedArray(p.W2.slice(), [p.hidden, p.classes]),
    b2: fromTypedArray(p.b2.slice(), [p.classes]),
  };
}

const args = parseBenchArgs(process.argv.slice(2));
const options = benchOptions(args);
const p = makeProblem();
const x = fromTypedArray(p.x, [p.batch, p.inputs]);
const grads = await Promise.all(variants.map(build));
console.log(`node ${process.version}; one SGD step of the 784-128-10 MLP, batch 128, generated code built three ways`);
for (const fn of ['valueAndGrad_loss', 'valueAndGrad_regularizedLoss'] as const) {
  const steps = grads.map((g) => {
    const q = params(p);
    const sgd = new SGD({ lr: p.lr });
    const call = fn === 'valueAndGrad_loss' ? () => g[fn]!(q, x, p.labels) : () => g[fn]!(q, x, p.labels, false, 0.25, 7, 1e-4);
    return () => {
      const [value, gr] = call();
      sgd.step(q, gr);
      return typeof value === 'number' ? value : value.dataSync()[0]!;
    };
  });
  const first = steps.map((s) => s());
  for (const v of first) assertClose(`${fn}: first loss`, v, first[0]!, 1e-5);
  const best = variants.map(() => Infinity);
  for (let round = 0; round < options.samples; round++) {
    steps.forEach((s, i) => {
      const m = measure(() => s(), round === 0 ? { ...options, samples: 1 } : { ...options, samples: 1, warmupMs: 20 });
      best[i] = Math.min(best[i]!, m.nsPerCall);
    });
  }
  const rows: TableRow[] = variants.map((v, i) => ({ impl: v.name, nsPerCall: best[i]!, note: i === 0 ? 'reference' : `${formatRatio(best[i]! / best[0]!)} the time of the default` }));
  printTable(`${fn}: ms per SGD step (lower is better)`, rows);
}
