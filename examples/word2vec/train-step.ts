/**
 * One SGD step on one group, with sparse updates: gather, generated
 * gradient, scatter.
 *
 *   gather   copy the rows the group reads out of the embedding matrices
 *            into one small buffer: the input row (skip-gram) or the
 *            context rows (CBOW), then the output rows of the true word
 *            and the negative samples;
 *   gradient call the derivative wengert generated from loss.ts
 *            (valueAndGrad_skipGramLoss / valueAndGrad_cbowLoss), which
 *            sees only that buffer and returns a gradient of its size;
 *   scatter  subtract alpha times each row's gradient from that row of the
 *            matrix, and touch nothing else.
 *
 * The work and memory of a step depend on dim, the window and the number
 * of negatives, never on the vocabulary size: no vocabulary x dimension
 * gradient exists. `floatsRead` and `floatsWritten` count the matrix
 * floats the steps touch (the test compares them across vocabulary sizes).
 *
 * The CBOW context rows are updated with alpha times contextCount times
 * their gradient: the gradient of the mean is 1/contextCount of the hidden
 * layer's, and word2vec.c adds the whole hidden-layer error to every
 * context row, so this is its update rule.
 */
import { valueAndGrad_cbowLoss, valueAndGrad_skipGramLoss } from './loss.grad.ts';
import type { Embeddings } from './embeddings.ts';

/** Copies row `word` of `matrix` into `into` at `offset` (a memcpy: `set` of a view). */
function gatherRow(matrix: Float32Array, word: number, dim: number, into: Float32Array, offset: number): void {
  const base = word * dim;
  into.set(matrix.subarray(base, base + dim), offset);
}

/** matrix row `word` -= step * gradient[offset .. offset + dim), four floats per trip. */
function scatterRow(matrix: Float32Array, word: number, dim: number, gradient: Float32Array, offset: number, step: number): void {
  const base = word * dim;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    matrix[base + i]! -= step * gradient[offset + i]!;
    matrix[base + i + 1]! -= step * gradient[offset + i + 1]!;
    matrix[base + i + 2]! -= step * gradient[offset + i + 2]!;
    matrix[base + i + 3]! -= step * gradient[offset + i + 3]!;
  }
  for (; i < dim; i++) matrix[base + i]! -= step * gradient[offset + i]!;
}

export class SparseStep {
  /** The output words of the current group (true word first), filled by drawTargets. */
  readonly targets: Int32Array;
  /** 1 for the true word, 0 for negative samples. */
  readonly labels: Float32Array;
  /** Context word indices of a CBOW group. */
  readonly contextWords: Int32Array;
  /** Matrix floats gathered by all steps so far. */
  floatsRead = 0;
  /** Matrix floats updated by all steps so far. */
  floatsWritten = 0;
  /** The gathered rows of the current group, input rows then output rows (its size depends on dim, window and negative only). */
  readonly rows: Float32Array;

  constructor(
    private readonly embeddings: Embeddings,
    negative: number,
    window: number,
  ) {
    this.targets = new Int32Array(negative + 1);
    this.labels = new Float32Array(negative + 1);
    this.contextWords = new Int32Array(2 * window);
    this.rows = new Float32Array((2 * window + negative + 1) * embeddings.dim);
  }

  /**
   * Skip-gram: the input row of `inputWord` (the context word, as in
   * word2vec.c) against the output rows targets[0 .. count). Returns the
   * group's loss before the update.
   */
  skipGram(inputWord: number, count: number, alpha: number): number {
    const { input, output, dim } = this.embeddings;
    const { rows, targets } = this;
    gatherRow(input, inputWord, dim, rows, 0);
    for (let j = 0; j < count; j++) gatherRow(output, targets[j]!, dim, rows, (j + 1) * dim);
    const [loss, gradient] = valueAndGrad_skipGramLoss(rows, this.labels, count, dim);
    scatterRow(input, inputWord, dim, gradient, 0, alpha);
    for (let j = 0; j < count; j++) scatterRow(output, targets[j]!, dim, gradient, (j + 1) * dim, alpha);
    this.floatsRead += (count + 1) * dim;
    this.floatsWritten += (count + 1) * dim;
    return loss;
  }

  /**
   * CBOW: the mean of the input rows of contextWords[0 .. contextCount)
   * against the output rows targets[0 .. count). Returns the loss before
   * the update.
   */
  cbow(contextCount: number, count: number, alpha: number): number {
    const { input, output, dim } = this.embeddings;
    const { rows, targets, contextWords } = this;
    for (let c = 0; c < contextCount; c++) gatherRow(input, contextWords[c]!, dim, rows, c * dim);
    for (let j = 0; j < count; j++) gatherRow(output, targets[j]!, dim, rows, (contextCount + j) * dim);
    const [loss, gradient] = valueAndGrad_cbowLoss(rows, contextCount, this.labels, count, dim);
    const contextStep = alpha * contextCount;
    for (let c = 0; c < contextCount; c++) scatterRow(input, contextWords[c]!, dim, gradient, c * dim, contextStep);
    for (let j = 0; j < count; j++) scatterRow(output, targets[j]!, dim, gradient, (contextCount + j) * dim, alpha);
    this.floatsRead += (contextCount + count) * dim;
    this.floatsWritten += (contextCount + count) * dim;
    return loss;
  }
}
