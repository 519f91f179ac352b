/**
 * The training text of the transformer example and what turns it into
 * tensors: a few sentences written here (nothing is downloaded), a
 * character vocabulary, random windows of the text as [batch, time] token
 * tensors with their next-token targets, and the causal mask.
 */
import { fromTypedArray, Rng, type DType, type Tensor } from 'wengert';

/** A few sentences; the model learns to continue them character by character. */
export const SENTENCES: readonly string[] = [
  'the cat sat on the mat and looked at the dog.',
  'the dog sat on the rug and looked at the cat.',
  'a small model learns the shape of the words it reads.',
  'the gradient flows back through every layer of the model.',
  'attention lets each letter look at the letters before it.',
];

/** The characters of a text, sorted, and the maps between characters and token ids. */
export interface Vocabulary {
  chars: string[];
  ids: Map<string, number>;
}

export function vocabularyOf(text: string): Vocabulary {
  const chars = [...new Set(text)].sort();
  return { chars, ids: new Map(chars.map((c, i) => [c, i])) };
}

/** The token ids of a text (every character must be in the vocabulary). */
export function encode(vocabulary: Vocabulary, text: string): Int32Array {
  return Int32Array.from(text, (c) => {
    const id = vocabulary.ids.get(c);
    if (id === undefined) throw new Error(`character ${JSON.stringify(c)} is not in the vocabulary`);
    return id;
  });
}

/** Token windows [batch, time] (int32) and the tokens that follow each position, flattened row by row. */
export interface Batch {
  tokens: Tensor;
  targets: Int32Array;
}

/** The windows of `time` tokens of `ids` starting at `starts`, each target the token after it. */
export function windowsAt(ids: Int32Array, starts: readonly number[], time: number): Batch {
  const tokens = new Int32Array(starts.length * time);
  const targets = new Int32Array(starts.length * time);
  starts.forEach((start, b) => {
    if (start < 0 || start + time + 1 > ids.length) throw new Error(`a window of ${time} at ${start} and its targets do not fit in ${ids.length} tokens`);
    tokens.set(ids.subarray(start, start + time), b * time);
    targets.set(ids.subarray(start + 1, start + time + 1), b * time);
  });
  return { tokens: fromTypedArray(tokens, [starts.length, time]), targets };
}

/** `batch` windows of `time` tokens at random offsets of `ids`. */
export function randomBatch(ids: Int32Array, batch: number, time: number, rng: Rng): Batch {
  return windowsAt(ids, Array.from({ length: batch }, () => rng.int(ids.length - time)), time);
}

/** Consecutive windows of `time` tokens covering the text from its start (the evaluation set). */
export function coveringWindows(ids: Int32Array, time: number): Batch {
  return windowsAt(ids, Array.from({ length: Math.floor((ids.length - 1) / time) }, (_, i) => i * time), time);
}

/** One sequence of ids as a [1, n] int32 tensor. */
export function sequenceTensor(ids: Int32Array): Tensor {
  return fromTypedArray(Int32Array.from(ids), [1, ids.length]);
}

/** [time, time]: 0 where position i may attend to position j (j <= i), -1e9 where it may not. */
export function causalMask(time: number, dtype: DType = 'float32'): Tensor {
  const values = dtype === 'float64' ? new Float64Array(time * time) : new Float32Array(time * time);
  for (let i = 0; i < time; i++) for (let j = i + 1; j < time; j++) values[i * time + j] = -1e9;
  return fromTypedArray(values, [time, time]);
}
