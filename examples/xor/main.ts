/**
 * `npm run example:xor`: trains one sigmoid neuron and a 2-4-1 network on
 * XOR with plain gradient descent and prints each model's decision for the
 * four inputs. The neuron gets at most 3 of 4 right; the network gets all 4.
 * Uses model.grad.ts when generated, else handwritten.ts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SGD, fromArray, glorotUniform, sigmoid, zeros, type Tensor } from 'wengert';
import { netLogits, neuronLogits, type NetParams, type NeuronParams } from './model.ts';
import * as handwritten from './handwritten.ts';

type Grads = typeof handwritten;

async function gradients(): Promise<[Grads, string]> {
  if (existsSync(fileURLToPath(new URL('./model.grad.ts', import.meta.url)))) {
    const specifier = './model.grad.ts';
    const mod = (await import(specifier)) as Partial<Grads>;
    if (mod.valueAndGrad_netLoss && mod.valueAndGrad_neuronLoss) return [mod as Grads, 'generated'];
  }
  return [handwritten, 'hand-written'];
}

const x = fromArray([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const y = fromArray([[0], [1], [1], [0]]);

function decisions(logits: Tensor): { lines: string[]; right: number } {
  const p = (sigmoid(logits) as Tensor).dataSync();
  const inputs = x.toArray() as number[][];
  const targets = y.dataSync();
  let right = 0;
  const lines = inputs.map((xi, i) => {
    const decided = p[i]! > 0.5 ? 1 : 0;
    if (decided === targets[i]) right++;
    return `  ${xi.join(' xor ')} -> ${decided}  (p = ${p[i]!.toFixed(3)}, want ${targets[i]})`;
  });
  return { lines, right };
}

export async function main(): Promise<{ neuron: number; net: number }> {
  const [g, source] = await gradients();
  const neuron: NeuronParams = { w: glorotUniform([2, 1], 1), b: zeros([1]) };
  const net: NetParams = { W1: glorotUniform([2, 4], 2), b1: zeros([4]), W2: glorotUniform([4, 1], 3), b2: zeros([1]) };
  const sgd = new SGD({ lr: 1 });
  let neuronLoss = 0;
  let netLoss = 0;
  for (let step = 0; step < 2000; step++) {
    const [l1, g1] = g.valueAndGrad_neuronLoss(neuron, x, y);
    sgd.step(neuron, g1);
    const [l2, g2] = g.valueAndGrad_netLoss(net, x, y);
    sgd.step(net, g2);
    neuronLoss = l1;
    netLoss = l2;
  }
  const a = decisions(neuronLogits(neuron, x));
  const b = decisions(netLogits(net, x));
  console.log(`XOR with ${source} gradients, 2000 steps of gradient descent`);
  console.log(`one neuron (loss ${neuronLoss.toFixed(4)}): ${a.right}/4 right`);
  for (const line of a.lines) console.log(line);
  console.log(`one hidden layer of 4 tanh units (loss ${netLoss.toFixed(4)}): ${b.right}/4 right`);
  for (const line of b.lines) console.log(line);
  return { neuron: a.right, net: b.right };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
