/**
 * The MLP benchmark problem: fixed initial weights (Glorot), a fixed batch
 * of 128 inputs and labels, as plain arrays so every framework starts from
 * exactly the same numbers.
 */
import { Rng } from 'wengert';

export interface Problem {
  inputs: number;
  hidden: number;
  classes: number;
  batch: number;
  lr: number;
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
  x: Float32Array;
  labels: Int32Array;
}

/** One SGD step; returns the loss before the update. */
export type StepFn = () => number;

export function makeProblem(batch = 128, inputs = 784, hidden = 128, classes = 10): Problem {
  const rng = new Rng(7);
  const uniform = (n: number, a: number) => Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * a);
  return {
    inputs,
    hidden,
    classes,
    batch,
    lr: 0.1,
    W1: uniform(inputs * hidden, Math.sqrt(6 / (inputs + hidden))),
    b1: new Float32Array(hidden),
    W2: uniform(hidden * classes, Math.sqrt(6 / (hidden + classes))),
    b2: new Float32Array(classes),
    x: Float32Array.from({ length: batch * inputs }, () => rng.uniform()),
    labels: Int32Array.from({ length: batch }, () => rng.int(classes)),
  };
}
