/**
 * The two embedding matrices of word2vec, vocabulary x dimension, row-major
 * float32 over SharedArrayBuffers so worker threads update them in place
 * (Hogwild): `input` is word2vec.c's syn0 (the word vectors it saves),
 * `output` its syn1neg (the negative-sampling output layer).
 *
 * Initialised as word2vec.c does: input uniform in [-0.5, 0.5) / dim,
 * output zero.
 */
import { Rng } from 'wengert';

export interface Embeddings {
  vocabSize: number;
  dim: number;
  /** syn0: row w holds word w's vector, floats [w * dim, (w + 1) * dim). */
  input: Float32Array;
  /** syn1neg: row w is word w's output (context) vector. */
  output: Float32Array;
}

/** A float32 array of `length` zeros over a SharedArrayBuffer. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** Fresh embeddings, initialised as word2vec.c's InitNet. */
export function createEmbeddings(vocabSize: number, dim: number, seed: number): Embeddings {
  const input = sharedFloat32(vocabSize * dim);
  const output = sharedFloat32(vocabSize * dim);
  const random = new Rng(seed);
  for (let k = 0; k < input.length; k++) input[k] = (random.uniform() - 0.5) / dim;
  return { vocabSize, dim, input, output };
}

/** Embeddings over existing shared storage (a worker thread's view of the main thread's). */
export function embeddingsOver(vocabSize: number, dim: number, input: Float32Array, output: Float32Array): Embeddings {
  return { vocabSize, dim, input, output };
}
