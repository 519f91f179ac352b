/**
 * The parts of examples/word2vec that reproduce word2vec.c's behaviour,
 * each against the reference's formula: Brown corpus cleaning, the
 * vocabulary (</s> first, min-count, sorted by count), subsampling keep
 * probabilities, the unigram^0.75 noise table, target drawing, the
 * learning-rate schedule, thread slices, the text vector format, PCA, the
 * SVG, and the command line's defaults.
 */
import { describe, expect, test } from 'vitest';
import { Rng } from 'wengert';
import { brownCorpusFiles, cleanBrownLine, cleanBrownToken, forEachToken } from '../../examples/word2vec/corpus.ts';
import { pca2 } from '../../examples/word2vec/pca.ts';
import { drawTargets, keepProbabilities, noiseTable } from '../../examples/word2vec/sampling.ts';
import { VectorIndex } from '../../examples/word2vec/similarity.ts';
import { scatterSvg } from '../../examples/word2vec/svg.ts';
import { learningRate, sliceOf } from '../../examples/word2vec/schedule.ts';
import { formatVectors, parseVectors } from '../../examples/word2vec/vectors-file.ts';
import { buildVocabulary, encodeCorpus, vocabularyFromCounts } from '../../examples/word2vec/vocab.ts';

describe('Brown corpus text', () => {
  test('part-of-speech tags are stripped, words lower-cased, punctuation dropped', () => {
    expect(cleanBrownToken('The/at')).toBe('the');
    expect(cleanBrownToken("Atlanta's/np$")).toBe("atlanta's");
    expect(cleanBrownToken('1/2/cd')).toBe('1/2');
    expect(cleanBrownToken('./.')).toBeNull();
    expect(cleanBrownToken('``/``')).toBeNull();
    expect(cleanBrownLine('\tThe/at Fulton/np-tl County/nn-tl said/vbd ,/, ``/`` no/at ./.')).toBe('the fulton county said no');
  });

  test('the package holds the 500 files ca01 ... cr09', () => {
    const files = brownCorpusFiles();
    expect(files).toHaveLength(500);
    expect(files[0]).toBe('ca01');
    expect(files.at(-1)).toBe('cr09');
  });

  test('tokens split on white space, and each newline is a sentence end', () => {
    const seen: Array<string | null> = [];
    forEachToken('a b\tc\r\n\nd', (w) => seen.push(w));
    expect(seen).toEqual(['a', 'b', 'c', null, null, 'd']);
  });
});

describe('vocabulary', () => {
  const text = 'b a b c\nb a d\nc b a\n';

  test('</s> first, then words by count (ties in order of appearance); min-count drops rare words', () => {
    const vocab = buildVocabulary(text, 2);
    expect(vocab.words).toEqual(['</s>', 'b', 'a', 'c']);
    expect(Array.from(vocab.counts)).toEqual([3, 4, 3, 2]);
    expect(vocab.trainWords).toBe(12);
  });

  test('the corpus is encoded as indices with 0 at each sentence end, unknown words skipped', () => {
    const vocab = buildVocabulary(text, 2);
    expect(Array.from(encodeCorpus(text, vocab))).toEqual([1, 2, 1, 3, 0, 1, 2, 0, 3, 1, 2, 0]);
  });

  test('sentences longer than 1,000 words are cut there, as word2vec.c does', () => {
    const long = Array.from({ length: 2500 }, () => 'w').join(' ') + '\n';
    const tokens = encodeCorpus(long, buildVocabulary(long, 1));
    const ends = Array.from(tokens.entries()).filter(([, id]) => id === 0).map(([k]) => k);
    expect(ends).toEqual([1000, 2001, 2502]);
  });
});

describe('sampling', () => {
  const vocab = vocabularyFromCounts([
    ['</s>', 100],
    ['the', 50_000],
    ['city', 2_000],
    ['rare', 5],
  ]);

  test('keep probability (sqrt(c / (s T)) + 1) (s T) / c, capped at 1', () => {
    const keep = keepProbabilities(vocab, 1e-3);
    const t = 1e-3 * vocab.trainWords;
    expect(keep[1]).toBeCloseTo((Math.sqrt(50_000 / t) + 1) * (t / 50_000), 6);
    expect(keep[1]).toBeLessThan(0.25);
    expect(keep[3]).toBe(1);
    expect(Array.from(keepProbabilities(vocab, 0))).toEqual([1, 1, 1, 1]);
  });

  test('the noise table gives each word a share c^0.75 / sum c^0.75 of its slots', () => {
    const size = 1_000_000;
    const table = noiseTable(vocab.counts, size);
    const total = Array.from(vocab.counts).reduce((s, c) => s + c ** 0.75, 0);
    const slots = new Array(4).fill(0);
    for (const w of table) slots[w]++;
    for (let w = 0; w < 4; w++) expect(slots[w] / size).toBeCloseTo(vocab.counts[w]! ** 0.75 / total, 4);
  });

  test('targets: the true word first with label 1, noise words after with label 0, never the true word, never </s>', () => {
    const table = noiseTable(vocab.counts, 10_000);
    const random = new Rng(1);
    const targets = new Int32Array(6);
    const labels = new Float32Array(6);
    let skipped = 0;
    for (let trial = 0; trial < 2_000; trial++) {
      const count = drawTargets(1, 5, table, 4, random, targets, labels);
      expect(targets[0]).toBe(1);
      expect(labels[0]).toBe(1);
      for (let j = 1; j < count; j++) {
        expect([2, 3]).toContain(targets[j]);
        expect(labels[j]).toBe(0);
      }
      skipped += 6 - count;
    }
    // 'the' (index 1) has most of the noise mass, so many draws are skipped.
    expect(skipped).toBeGreaterThan(2_000);
  });
});

describe('training schedule', () => {
  test('linear decay alpha0 (1 - done / (total + 1)), floored at alpha0 1e-4', () => {
    expect(learningRate(0.025, 0, 1000)).toBeCloseTo(0.025, 12);
    expect(learningRate(0.025, 500, 999)).toBeCloseTo(0.0125, 12);
    expect(learningRate(0.025, 1000, 1000)).toBeCloseTo(0.025 / 1001, 12);
    expect(learningRate(0.025, 1001, 1000)).toBe(0.025 * 1e-4);
  });

  test('threads take equal, adjacent slices of the corpus', () => {
    const slices = [0, 1, 2].map((id) => sliceOf(10, id, 3));
    expect(slices).toEqual([
      { begin: 0, end: 3 },
      { begin: 3, end: 6 },
      { begin: 6, end: 10 },
    ]);
  });
});

describe('outputs', () => {
  const vectors = { words: ['</s>', 'a', 'b'], dim: 2, vectors: Float32Array.from([0, 0, 0.5, -1.25, 3, 4]) };

  test('word2vec text format: "count dim", then "word v1 ... vd"; it parses back, word2vec.c trailing spaces too', () => {
    const text = formatVectors(vectors);
    expect(text).toBe('3 2\n</s> 0 0\na 0.5 -1.25\nb 3 4\n');
    expect(parseVectors(text)).toEqual(vectors);
    expect(parseVectors('2 2\na 0.500000 -1.250000 \nb 3.000000 4.000000 \n').words).toEqual(['a', 'b']);
  });

  test('cosine neighbours and a - b + c', () => {
    const index = new VectorIndex({
      words: ['</s>', 'king', 'queen', 'man', 'woman', 'apple'],
      dim: 3,
      vectors: Float32Array.from([0, 0, 1, 1, 1, 0, 1, -1, 0, 0.1, 1, 0, 0.1, -1, 0, -1, 0, 0.2]),
    });
    expect(index.neighbours('king', 1)[0]!.word).toBe('man');
    expect(index.analogy('king', 'man', 'woman', 1)[0]!.word).toBe('queen');
    expect(index.similarity('king', 'king')).toBeCloseTo(1, 6);
  });

  test('PCA finds the direction of largest spread first', () => {
    const points = [-2, -1, 0, 1, 2].flatMap((t) => [
      [3 * t, t, 0.1],
      [3 * t, t, -0.1],
    ]);
    const { points: projected, explained } = pca2(points);
    expect(explained[0]).toBeGreaterThan(0.99);
    const xs = projected.map((p) => Math.abs(p[0]));
    expect(Math.max(...xs)).toBeCloseTo(Math.sqrt(40), 6);
    expect(Math.max(...projected.map((p) => Math.abs(p[1])))).toBeCloseTo(0.1, 4);
  });

  test('the SVG has one dot and one label per word, escaped', () => {
    const svg = scatterSvg(
      [
        { word: 'monday', group: 'weekdays', x: 0, y: 0 },
        { word: 'a<b', group: 'other', x: 1, y: 2 },
      ],
      'title & more',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(4); // two words, two legend dots
    expect(svg).toContain('>monday</text>');
    expect(svg).toContain('>a&lt;b</text>');
    expect(svg).toContain('title &amp; more');
  });
});
