/**
 * Principal component analysis down to two dimensions, for the picture of
 * chosen words: centre the vectors, then find the top two eigenvectors of
 * their covariance by power iteration with deflation.
 */

export interface Projection {
  /** One [x, y] per input vector. */
  points: Array<[number, number]>;
  /** Share of the total variance along each of the two axes. */
  explained: [number, number];
}

/** Projects `vectors` (each of length dim) onto their first two principal components. */
export function pca2(vectors: ReadonlyArray<ArrayLike<number>>): Projection {
  const n = vectors.length;
  const dim = vectors[0]?.length ?? 0;
  const mean = new Float64Array(dim);
  for (const v of vectors) for (let i = 0; i < dim; i++) mean[i]! += v[i]! / n;
  const centred = vectors.map((v) => Float64Array.from({ length: dim }, (_, i) => v[i]! - mean[i]!));
  const covariance = new Float64Array(dim * dim);
  for (const v of centred) {
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) covariance[i * dim + j]! += (v[i]! * v[j]!) / n;
  }
  let totalVariance = 0;
  for (let i = 0; i < dim; i++) totalVariance += covariance[i * dim + i]!;
  const first = topEigenvector(covariance, dim);
  deflate(covariance, dim, first.vector, first.value);
  const second = topEigenvector(covariance, dim);
  const points = centred.map((v): [number, number] => [dotF64(v, first.vector), dotF64(v, second.vector)]);
  const share = (value: number) => (totalVariance > 0 ? value / totalVariance : 0);
  return { points, explained: [share(first.value), share(second.value)] };
}

function topEigenvector(matrix: Float64Array, dim: number): { vector: Float64Array; value: number } {
  // A fixed, non-symmetric start so the result is the same on every run.
  let vector = Float64Array.from({ length: dim }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  normalize(vector);
  let value = 0;
  for (let iteration = 0; iteration < 500; iteration++) {
    const next = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += matrix[i * dim + j]! * vector[j]!;
      next[i] = s;
    }
    value = Math.sqrt(dotF64(next, next));
    if (value === 0) break;
    normalize(next);
    const change = 1 - Math.abs(dotF64(next, vector));
    vector = next;
    if (change < 1e-12) break;
  }
  return { vector, value };
}

function deflate(matrix: Float64Array, dim: number, vector: Float64Array, value: number): void {
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) matrix[i * dim + j]! -= value * vector[i]! * vector[j]!;
}

function normalize(v: Float64Array): void {
  const norm = Math.sqrt(dotF64(v, v));
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
}

function dotF64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
