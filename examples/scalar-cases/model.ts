/**
 * Array cases of the scalar benchmark (bench/scalar.ts, issue #11): a ridge
 * regression loss over Float64Array rows, and a loop over scratch arrays
 * rewritten on every trip in the style of the GMM objective (xc and qxc in
 * examples/adbench/gmm.ts). wengert generates their gradients into
 * model.grad.ts; bench/scalar.ts times them against hand-written ones.
 */

/**
 * Mean squared error of the linear model w over the rows of X, plus
 * lambda |w|^2.
 *
 * @differentiable wrt(w)
 */
export function ridgeLoss(w: Float64Array, X: Float64Array[], y: Float64Array, lambda: number): number {
  let loss = 0;
  for (let i = 0; i < X.length; i++) {
    let p = 0;
    for (let j = 0; j < w.length; j++) p += w[j] * X[i][j];
    const r = p - y[i];
    loss += r * r;
  }
  let reg = 0;
  for (let j = 0; j < w.length; j++) reg += w[j] * w[j];
  return loss / X.length + lambda * reg;
}

/**
 * sum over trips t of |L (a - 0.1 t)|^2 with L unit lower triangular (its
 * strict lower part in l, column by column), through two scratch arrays
 * rewritten on every trip.
 *
 * @differentiable wrt(a, l)
 */
export function scratchNorms(a: Float64Array, l: Float64Array, trips: number): number {
  const d = a.length;
  const xc = new Float64Array(d);
  const qxc = new Float64Array(d);
  let s = 0;
  for (let t = 0; t < trips; t++) {
    for (let r = 0; r < d; r++) xc[r] = a[r] - 0.1 * t;
    for (let r = 0; r < d; r++) qxc[r] = xc[r];
    let li = 0;
    for (let c = 0; c < d; c++) {
      for (let r = c + 1; r < d; r++) {
        qxc[r] += l[li] * xc[c];
        li++;
      }
    }
    for (let r = 0; r < d; r++) s += qxc[r] * qxc[r];
  }
  return s;
}
