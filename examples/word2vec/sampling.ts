/**
 * The two distributions word2vec samples from, as word2vec.c computes them.
 *
 * - Frequent-word subsampling: word w with count c is kept with
 *   probability (sqrt(c / (s T)) + 1) (s T) / c, where s is `--sample` and
 *   T the number of training words (values above 1 mean always kept).
 * - Negative samples come from the unigram distribution raised to 0.75,
 *   through a table in which word w fills a share c_w^0.75 / sum c^0.75 of
 *   the slots (InitUnigramTable). word2vec.c's table has 1e8 slots (400 MB);
 *   this one has 1e7 by default, which leaves every word of a vocabulary
 *   below 100,000 words at least one slot on the Brown corpus.
 */
import type { Vocabulary } from './vocab.ts';

export const DEFAULT_NOISE_TABLE_SIZE = 10_000_000;

/** Keep probability of each word index for subsampling rate `sample` (0 turns it off: all 1). */
export function keepProbabilities(vocab: Vocabulary, sample: number): Float32Array {
  const keep = new Float32Array(new SharedArrayBuffer(vocab.counts.length * 4));
  for (let w = 0; w < vocab.counts.length; w++) {
    const count = vocab.counts[w]!;
    if (sample <= 0 || count === 0) {
      keep[w] = 1;
      continue;
    }
    const threshold = sample * vocab.trainWords;
    keep[w] = Math.min(1, (Math.sqrt(count / threshold) + 1) * (threshold / count));
  }
  return keep;
}

/** The unigram^0.75 table, filled as word2vec.c's InitUnigramTable does. */
export function noiseTable(counts: Float64Array, size = DEFAULT_NOISE_TABLE_SIZE, power = 0.75): Int32Array {
  const table = new Int32Array(new SharedArrayBuffer(size * 4));
  const vocabSize = counts.length;
  let total = 0;
  for (let w = 0; w < vocabSize; w++) total += Math.pow(counts[w]!, power);
  let word = 0;
  let cumulative = Math.pow(counts[0]!, power) / total;
  for (let slot = 0; slot < size; slot++) {
    table[slot] = word;
    if (slot / size > cumulative && word < vocabSize - 1) {
      word++;
      cumulative += Math.pow(counts[word]!, power) / total;
    }
  }
  return table;
}

/** What drawTargets needs to pick random words. */
export interface UintSource {
  nextUint32(): number;
}

/**
 * The output words of one group, as word2vec.c picks them: the true word
 * first (label 1), then `negative` draws from the noise table (label 0); a
 * draw of `</s>` (index 0) is replaced by a uniform word, and a draw of the
 * true word itself is skipped. Writes `targets` and `labels` and returns
 * how many were written (at most negative + 1).
 */
export function drawTargets(
  trueWord: number,
  negative: number,
  noise: Int32Array,
  vocabSize: number,
  random: UintSource,
  targets: Int32Array,
  labels: Float32Array,
): number {
  targets[0] = trueWord;
  labels[0] = 1;
  let count = 1;
  for (let d = 0; d < negative; d++) {
    const r = random.nextUint32();
    let target = noise[r % noise.length]!;
    if (target === 0) target = (r % (vocabSize - 1)) + 1;
    if (target === trueWord) continue;
    targets[count] = target;
    labels[count] = 0;
    count++;
  }
  return count;
}
