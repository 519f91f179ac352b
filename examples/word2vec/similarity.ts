/**
 * Queries on trained word vectors: cosine nearest neighbours and analogies
 * (a - b + c, word2vec's word-analogy), over unit-length copies of the
 * vectors.
 */

export interface WordVectors {
  words: string[];
  dim: number;
  /** Row-major, one row per word. */
  vectors: Float32Array;
}

export interface Neighbour {
  word: string;
  similarity: number;
}

/** Cosine similarity search over a fixed set of word vectors. */
export class VectorIndex {
  readonly words: string[];
  readonly dim: number;
  private readonly unit: Float32Array;
  private readonly indexOf: Map<string, number>;

  constructor(source: WordVectors) {
    this.words = source.words;
    this.dim = source.dim;
    this.unit = new Float32Array(source.vectors.length);
    this.indexOf = new Map(source.words.map((word, i) => [word, i]));
    const d = source.dim;
    for (let w = 0; w < source.words.length; w++) {
      let norm = 0;
      for (let i = 0; i < d; i++) norm += source.vectors[w * d + i]! ** 2;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let i = 0; i < d; i++) this.unit[w * d + i] = source.vectors[w * d + i]! * scale;
    }
  }

  has(word: string): boolean {
    return this.indexOf.has(word);
  }

  /** The unit vector of `word` (throws for an unknown word). */
  vector(word: string): Float32Array {
    const w = this.indexOf.get(word);
    if (w === undefined) throw new Error(`'${word}' is not in the vocabulary`);
    return this.unit.subarray(w * this.dim, (w + 1) * this.dim);
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    return dot(this.vector(a), this.vector(b));
  }

  /** The k words most similar to `query` (a vector), skipping `exclude`. */
  nearestTo(query: ArrayLike<number>, k: number, exclude: ReadonlySet<string> = new Set()): Neighbour[] {
    let norm = 0;
    for (let i = 0; i < this.dim; i++) norm += query[i]! ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const best: Neighbour[] = [];
    for (let w = 0; w < this.words.length; w++) {
      const word = this.words[w]!;
      if (exclude.has(word) || word === '</s>') continue;
      let s = 0;
      for (let i = 0; i < this.dim; i++) s += this.unit[w * this.dim + i]! * query[i]!;
      s *= scale;
      if (best.length < k || s > best[best.length - 1]!.similarity) {
        best.push({ word, similarity: s });
        best.sort((x, y) => y.similarity - x.similarity);
        if (best.length > k) best.pop();
      }
    }
    return best;
  }

  /** The k nearest neighbours of a word. */
  neighbours(word: string, k: number): Neighbour[] {
    return this.nearestTo(this.vector(word), k, new Set([word]));
  }

  /** Words nearest to a - b + c (so 'king', 'man', 'woman' asks for a queen), skipping a, b and c. */
  analogy(a: string, b: string, c: string, k: number): Neighbour[] {
    const va = this.vector(a);
    const vb = this.vector(b);
    const vc = this.vector(c);
    const query = new Float32Array(this.dim);
    for (let i = 0; i < this.dim; i++) query[i] = va[i]! - vb[i]! + vc[i]!;
    return this.nearestTo(query, k, new Set([a, b, c]));
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
