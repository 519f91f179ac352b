/**
 * The numbers of the generated-gradient checks (Node and browser): the
 * network of page/model.ts with fixed float32 parameters, a batch, and a
 * cotangent of its output, as plain arrays so that the page gets the same
 * values.
 */
import { values } from './values.ts';

export interface ModelCase {
  shapes: { W1: number[]; b1: number[]; W2: number[]; b2: number[]; x: number[]; dy: number[] };
  W1: number[];
  b1: number[];
  W2: number[];
  b2: number[];
  x: number[];
  dy: number[];
}

export function modelCase(batch = 5, inputs = 7, hidden = 33, classes = 3): ModelCase {
  const arr = (n: number, seed: number, scale: number): number[] => Array.from(values(n, seed, -scale, scale));
  return {
    shapes: { W1: [inputs, hidden], b1: [hidden], W2: [hidden, classes], b2: [classes], x: [batch, inputs], dy: [batch, classes] },
    W1: arr(inputs * hidden, 1, 0.5),
    b1: arr(hidden, 2, 0.1),
    W2: arr(hidden * classes, 3, 0.5),
    b2: arr(classes, 4, 0.1),
    x: arr(batch * inputs, 5, 1),
    dy: arr(batch * classes, 6, 1),
  };
}
