/**
 * The training loop of one thread, word2vec.c's TrainModelThread: read a
 * sentence of its slice of the corpus (dropping frequent words by
 * subsampling), then for each position pick a window size
 * window - b with b = rand % window, and train the (center, context,
 * negatives) groups of that window, skip-gram or CBOW. The learning rate
 * decays linearly over all threads' words, alpha0 (1 - done / (epochs
 * total + 1)), floored at alpha0 1e-4, and is recomputed every 10,000
 * words from the shared word counter, as word2vec.c does.
 */
import { Rng } from 'wengert';
import type { Embeddings } from './embeddings.ts';
import { MAX_SENTENCE_LENGTH } from './corpus.ts';
import { drawTargets } from './sampling.ts';
import { learningRate, sliceOf } from './schedule.ts';
import { SparseStep } from './train-step.ts';

export interface TrainOptions {
  dim: number;
  window: number;
  negative: number;
  sample: number;
  epochs: number;
  /** Starting learning rate (0.025 skip-gram, 0.05 CBOW by default). */
  alpha: number;
  cbow: boolean;
  seed: number;
  threads: number;
}

/** What every thread reads: the encoded corpus and the sampling tables (all shared memory). */
export interface TrainingData {
  /** Word indices, 0 at each sentence end (vocab.ts encodeCorpus). */
  tokens: Int32Array;
  /** Subsampling keep probability per word. */
  keep: Float32Array;
  /** The unigram^0.75 noise table. */
  noise: Int32Array;
}

/** How often a thread publishes its word count and recomputes alpha (word2vec.c: 10,000). */
export const PROGRESS_INTERVAL = 10_000;

/** The words all threads have processed, one BigInt64 slot in shared memory. */
export type WordCounter = BigInt64Array;

export function createWordCounter(): WordCounter {
  return new BigInt64Array(new SharedArrayBuffer(8));
}

export function wordsDone(counter: WordCounter): number {
  return Number(Atomics.load(counter, 0));
}

export interface SliceStats {
  /** Corpus words read (including `</s>` and subsampled words), as word2vec.c counts them. */
  words: number;
  /** Groups trained (skip-gram: (context, center) pairs; CBOW: center words). */
  groups: number;
  /** Sum of the group losses. */
  loss: number;
  floatsRead: number;
  floatsWritten: number;
}

/**
 * Trains thread `id` of `options.threads` on its slice of the corpus for
 * `options.epochs` epochs, updating `embeddings` in place. `onProgress`
 * runs every PROGRESS_INTERVAL words with the total count of all threads.
 */
export function trainSlice(
  embeddings: Embeddings,
  data: TrainingData,
  options: TrainOptions,
  id: number,
  counter: WordCounter,
  onProgress?: (done: number) => void,
): SliceStats {
  const { tokens, keep, noise } = data;
  const { window, negative, epochs, cbow } = options;
  const vocabSize = embeddings.vocabSize;
  const total = epochs * tokens.length;
  const { begin, end } = sliceOf(tokens.length, id, options.threads);
  const random = new Rng(options.seed * 7919 + id + 1);
  const step = new SparseStep(embeddings, negative, window);
  const { targets, labels, contextWords } = step;
  const sentence = new Int32Array(MAX_SENTENCE_LENGTH);
  const stats: SliceStats = { words: 0, groups: 0, loss: 0, floatsRead: 0, floatsWritten: 0 };
  let alpha = learningRate(options.alpha, wordsDone(counter), total);
  let unpublished = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    let position = begin;
    while (position < end) {
      // Read one sentence, subsampled.
      let length = 0;
      while (position < end) {
        const word = tokens[position++]!;
        unpublished++;
        if (word === 0) break;
        if (keep[word]! < random.uniform()) continue;
        sentence[length++] = word;
        if (length >= MAX_SENTENCE_LENGTH) break;
      }
      if (unpublished >= PROGRESS_INTERVAL) {
        const done = Number(Atomics.add(counter, 0, BigInt(unpublished))) + unpublished;
        stats.words += unpublished;
        unpublished = 0;
        alpha = learningRate(options.alpha, done, total);
        onProgress?.(done);
      }
      for (let center = 0; center < length; center++) {
        const word = sentence[center]!;
        const b = random.nextUint32() % window;
        const from = Math.max(0, center - window + b);
        const to = Math.min(length - 1, center + window - b);
        if (cbow) {
          let contextCount = 0;
          for (let c = from; c <= to; c++) if (c !== center) contextWords[contextCount++] = sentence[c]!;
          if (contextCount === 0) continue;
          const count = drawTargets(word, negative, noise, vocabSize, random, targets, labels);
          stats.loss += step.cbow(contextCount, count, alpha);
          stats.groups++;
        } else {
          for (let c = from; c <= to; c++) {
            if (c === center) continue;
            const count = drawTargets(word, negative, noise, vocabSize, random, targets, labels);
            stats.loss += step.skipGram(sentence[c]!, count, alpha);
            stats.groups++;
          }
        }
      }
    }
  }
  if (unpublished > 0) {
    const done = Number(Atomics.add(counter, 0, BigInt(unpublished))) + unpublished;
    stats.words += unpublished;
    onProgress?.(done);
  }
  stats.floatsRead = step.floatsRead;
  stats.floatsWritten = step.floatsWritten;
  return stats;
}
