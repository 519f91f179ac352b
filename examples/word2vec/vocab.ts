/**
 * The vocabulary, built as word2vec.c builds it: count every word, keep
 * `</s>` (the sentence end) at index 0, drop words seen fewer than
 * `minCount` times, sort the rest by count, most frequent first (ties in
 * order of first appearance), and encode the corpus as word indices with
 * 0 at each sentence end.
 *
 * Not done: word2vec.c's ReduceVocab, which prunes rare words while
 * counting once the hash table is 70% full (21 million words); corpora of
 * that size do not fit this example anyway.
 */
import { forEachToken, MAX_SENTENCE_LENGTH } from './corpus.ts';

export const SENTENCE_END = '</s>';

export interface Vocabulary {
  /** Words by index; words[0] is `</s>`. */
  words: string[];
  /** Corpus counts by index. */
  counts: Float64Array;
  /** Index of each word. */
  index: Map<string, number>;
  /** Sum of the counts: the number of corpus tokens training reads per epoch. */
  trainWords: number;
}

/** Counts the words of `text` and builds the vocabulary (see the file comment). */
export function buildVocabulary(text: string, minCount: number): Vocabulary {
  const counts = new Map<string, number>();
  let sentenceEnds = 0;
  forEachToken(text, (word) => {
    if (word === null) sentenceEnds++;
    else counts.set(word, (counts.get(word) ?? 0) + 1);
  });
  if (!text.endsWith('\n') && text.length > 0) sentenceEnds++;
  counts.delete(SENTENCE_END);
  const kept = [...counts.entries()].filter(([, count]) => count >= minCount);
  // Array.prototype.sort is stable: ties keep their order of first appearance.
  kept.sort((a, b) => b[1] - a[1]);
  return vocabularyFromCounts([[SENTENCE_END, sentenceEnds], ...kept]);
}

/** A vocabulary from (word, count) pairs in index order; the first must be `</s>`. */
export function vocabularyFromCounts(entries: ReadonlyArray<readonly [string, number]>): Vocabulary {
  const words = entries.map(([word]) => word);
  const counts = Float64Array.from(entries, ([, count]) => count);
  const index = new Map(words.map((word, i) => [word, i]));
  let trainWords = 0;
  for (const count of counts) trainWords += count;
  return { words, counts, index, trainWords };
}

/**
 * The corpus as word indices: words outside the vocabulary are skipped
 * (word2vec.c does not count them either), each line ends with 0 (`</s>`),
 * and runs of more than MAX_SENTENCE_LENGTH words get an extra 0 so no
 * sentence is longer (word2vec.c cuts them there too).
 */
export function encodeCorpus(text: string, vocab: Vocabulary): Int32Array {
  const ids: number[] = [];
  let sentenceLength = 0;
  forEachToken(text, (word) => {
    if (word === null) {
      ids.push(0);
      sentenceLength = 0;
      return;
    }
    const id = vocab.index.get(word);
    if (id === undefined) return;
    ids.push(id);
    sentenceLength++;
    if (sentenceLength === MAX_SENTENCE_LENGTH) {
      ids.push(0);
      sentenceLength = 0;
    }
  });
  if (ids.length > 0 && ids[ids.length - 1] !== 0) ids.push(0);
  return shareInt32(ids);
}

/** An Int32Array over a SharedArrayBuffer (worker threads read it without copying). */
export function shareInt32(values: ArrayLike<number>): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(values.length * 4));
  out.set(values);
  return out;
}
