/**
 * word2vec.c's schedule: the linear learning-rate decay over all threads'
 * words, and the equal slices of the corpus its threads train on.
 */

/** The learning rate after `done` of `total` words. */
export function learningRate(alpha0: number, done: number, total: number): number {
  return Math.max(alpha0 * (1 - done / (total + 1)), alpha0 * 1e-4);
}

/** Token range [begin, end) of thread `id` of `threads`. */
export function sliceOf(tokenCount: number, id: number, threads: number): { begin: number; end: number } {
  return { begin: Math.floor((tokenCount * id) / threads), end: Math.floor((tokenCount * (id + 1)) / threads) };
}
