/**
 * The steps from text to trained vectors, shared by the command line
 * (main.ts), the tests and the benchmark: build the vocabulary, encode the
 * corpus and make the sampling tables (prepareCorpus), create and train
 * the embeddings (trainWord2vec), and read out the word vectors.
 */
import { createEmbeddings, type Embeddings } from './embeddings.ts';
import { DEFAULT_NOISE_TABLE_SIZE, keepProbabilities, noiseTable } from './sampling.ts';
import type { WordVectors } from './similarity.ts';
import { train, type TrainResult } from './threads.ts';
import type { TrainingData, TrainOptions } from './trainer.ts';
import { buildVocabulary, encodeCorpus, type Vocabulary } from './vocab.ts';

/** word2vec.c's defaults, under this example's option names. */
export const DEFAULTS = {
  dim: 100,
  window: 5,
  negative: 5,
  sample: 1e-3,
  minCount: 5,
  epochs: 5,
  skipGramAlpha: 0.025,
  cbowAlpha: 0.05,
  seed: 1,
} as const;

export interface PreparedCorpus {
  vocab: Vocabulary;
  data: TrainingData;
}

/** Vocabulary, encoded corpus and sampling tables for `text`. */
export function prepareCorpus(
  text: string,
  options: { minCount: number; sample: number; noiseTableSize?: number },
): PreparedCorpus {
  const vocab = buildVocabulary(text, options.minCount);
  if (vocab.words.length < 2) throw new Error(`no word occurs at least ${options.minCount} times (--min-count)`);
  const tokens = encodeCorpus(text, vocab);
  const keep = keepProbabilities(vocab, options.sample);
  const noise = noiseTable(vocab.counts, options.noiseTableSize ?? DEFAULT_NOISE_TABLE_SIZE);
  return { vocab, data: { tokens, keep, noise } };
}

export interface Trained {
  embeddings: Embeddings;
  result: TrainResult;
}

/** Creates embeddings for the corpus's vocabulary and trains them. */
export async function trainWord2vec(
  corpus: PreparedCorpus,
  options: TrainOptions,
  onProgress?: (done: number) => void,
): Promise<Trained> {
  const embeddings = createEmbeddings(corpus.vocab.words.length, options.dim, options.seed);
  const result = await train(embeddings, corpus.data, options, onProgress);
  return { embeddings, result };
}

/** The trained word vectors (the input embeddings, as word2vec.c saves them). */
export function wordVectors(vocab: Vocabulary, embeddings: Embeddings): WordVectors {
  return { words: vocab.words, dim: embeddings.dim, vectors: embeddings.input };
}
