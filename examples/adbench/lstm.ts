/**
 * ADBench LSTM objective: the next-character loss of a diagonal LSTM with l
 * layers of width b over a sequence of c steps, written as plain loops over
 * Float64Arrays (definition in examples/adbench/data/DEFINITIONS.md). wengert
 * generates its gradient into lstm.grad.ts.
 */

/**
 * The logistic function 1 / (1 + e^-x).
 *
 * @differentiable wrt(x)
 */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The loss of predicting each sequence row from the previous ones. Layer i's
 * main params are 8b values at 8bi: weights (forget, ingate, outgate,
 * change), then biases in the same order; extraParams holds in_weight,
 * out_weight and out_bias (b each). The initial state (hidden, cell per
 * layer) is read, not modified.
 *
 * @differentiable wrt(mainParams, extraParams)
 */
export function lstmObjective(
  l: number,
  c: number,
  b: number,
  mainParams: Float64Array,
  extraParams: Float64Array,
  state: Float64Array,
  sequence: Float64Array,
): number {
  const hidden = new Float64Array(l * b);
  const cell = new Float64Array(l * b);
  for (let i = 0; i < l; i++) {
    for (let k = 0; k < b; k++) {
      hidden[i * b + k] = state[2 * i * b + k];
      cell[i * b + k] = state[(2 * i + 1) * b + k];
    }
  }

  const input = new Float64Array(b);
  const ypred = new Float64Array(b);
  let total = 0;
  for (let t = 0; t < c - 1; t++) {
    // Predict row t + 1 from row t.
    for (let k = 0; k < b; k++) input[k] = sequence[t * b + k] * extraParams[k];
    for (let i = 0; i < l; i++) {
      const w = 8 * b * i; // this layer's weights; its biases start at w + 4b
      for (let k = 0; k < b; k++) {
        const h = hidden[i * b + k];
        const forget = sigmoid(input[k] * mainParams[w + k] + mainParams[w + 4 * b + k]);
        const ingate = sigmoid(h * mainParams[w + b + k] + mainParams[w + 5 * b + k]);
        const outgate = sigmoid(input[k] * mainParams[w + 2 * b + k] + mainParams[w + 6 * b + k]);
        const change = Math.tanh(h * mainParams[w + 3 * b + k] + mainParams[w + 7 * b + k]);
        cell[i * b + k] = cell[i * b + k] * forget + ingate * change;
        hidden[i * b + k] = outgate * Math.tanh(cell[i * b + k]);
        input[k] = hidden[i * b + k]; // the next layer's input
      }
    }
    for (let k = 0; k < b; k++) ypred[k] = input[k] * extraParams[b + k] + extraParams[2 * b + k];

    // log(2 + sum exp(y)): the "+ 2" is ADBench's, kept for comparability.
    let sumExp = 0;
    for (let k = 0; k < b; k++) sumExp += Math.exp(ypred[k]);
    const lse = Math.log(2 + sumExp);
    for (let k = 0; k < b; k++) total += sequence[(t + 1) * b + k] * (ypred[k] - lse);
  }
  return -total / ((c - 1) * b);
}
