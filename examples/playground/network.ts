/**
 * Creating the playground's network: weights drawn uniformly from
 * [-0.5, 0.5] and biases of 0.1 (playground.tensorflow.org's choice, which
 * suits inputs of size a few units), from a seed.
 */
import { Rng, fromTypedArray } from 'wengert';
import type { Layer, Net } from './model.ts';

function layer(inputs: number, outputs: number, rng: Rng): Layer {
  const weights = new Float32Array(inputs * outputs).map(() => rng.uniform() - 0.5);
  return {
    W: fromTypedArray(weights, [inputs, outputs]),
    b: fromTypedArray(new Float32Array(outputs).fill(0.1), [outputs]),
  };
}

/** A network from `inputs` features through hidden layers of the given sizes to one output. */
export function createNet(inputs: number, hidden: readonly number[], seed: number): Net {
  const rng = new Rng(seed);
  const sizes = [inputs, ...hidden];
  return {
    hidden: hidden.map((size, i) => layer(sizes[i]!, size, rng)),
    output: layer(sizes[sizes.length - 1]!, 1, rng),
  };
}

/** Every layer of the network, the output last. */
export function allLayers(net: Net): Layer[] {
  return [...net.hidden, net.output];
}
