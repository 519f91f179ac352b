/**
 * The word2vec losses whose gradients wengert generates (loss.grad.ts).
 *
 * A group scores an input vector against `count` output rows: the first
 * is the true word (label 1), the others are negative samples (label 0).
 * Its loss is the negative-sampling objective of Mikolov et al.,
 * -sum_j log sigmoid(s_j <input, output_j>), with s_j = +1 for the true
 * word and -1 for a noise word.
 *
 * `rows` holds only the embedding rows the group touches, gathered by the
 * training loop (train-step.ts) into one buffer, input rows first, then
 * the output rows, `dim` floats each. So the gradient is as small as the
 * group, never vocabulary x dimension.
 *
 * Written this way for speed (README.md has the measurements):
 * - plain loops over a Float32Array: the tensor form (`matmul` then
 *   `sigmoidCrossEntropy`) differentiates too, but takes about three times
 *   as long per group because of per-op overhead at this size;
 * - one buffer for all rows: the generated gradient allocates one array
 *   per differentiated parameter on every call, so one parameter instead
 *   of two saves an allocation per group;
 * - the inner loops run a flat index `q` that starts at 0 and is never
 *   reset, which the generated reverse sweep walks back without any tape
 *   entry (a counter reset for each output row, or one that starts from a
 *   parameter, is recorded on the tape at every element).
 */

/**
 * Skip-gram group loss: rows[0, dim) is the context word's input row
 * (syn0), then `count` output rows (syn1neg), the true word's first.
 * @differentiable wrt(rows)
 */
export function skipGramLoss(rows: Float32Array, labels: Float32Array, count: number, dim: number): number {
  let loss = 0;
  let q = 0;
  for (let j = 0; j < count; j++) {
    let dot = 0;
    while (q < (j + 1) * dim) {
      dot += rows[q - j * dim] * rows[q + dim];
      q++;
    }
    const z = (2 * labels[j] - 1) * dot;
    loss += z > 0 ? Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)) - z;
  }
  return loss;
}

/**
 * CBOW group loss: the mean of the first `contextCount` rows (the context
 * words' input rows) is the input vector, scored against the `count`
 * output rows that follow them, as in skipGramLoss.
 * @differentiable wrt(rows)
 */
export function cbowLoss(rows: Float32Array, contextCount: number, labels: Float32Array, count: number, dim: number): number {
  const hidden = new Float64Array(dim);
  let p = 0;
  for (let c = 0; c < contextCount; c++) {
    while (p < (c + 1) * dim) {
      hidden[p - c * dim] += rows[p] / contextCount;
      p++;
    }
  }
  let loss = 0;
  let q = 0;
  for (let j = 0; j < count; j++) {
    let dot = 0;
    while (q < (j + 1) * dim) {
      dot += hidden[q - j * dim] * rows[q + contextCount * dim];
      q++;
    }
    const z = (2 * labels[j] - 1) * dot;
    loss += z > 0 ? Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)) - z;
  }
  return loss;
}
