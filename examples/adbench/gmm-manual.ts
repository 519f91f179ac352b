/**
 * A hand-written gradient of the ADBench GMM objective (gmm.ts), written for
 * speed: one pass over the points, the per-component residuals kept in
 * scratch buffers, the mixture weights and the Q^T Q (x - mu) products fused
 * into the accumulation loops. It is the "hand-written" column of the
 * ADBench benchmark and an independent check of wengert's gradient.
 *
 * With y_ij = Q_j (x_i - mu_j) and w_ij = softmax_j(main_ij):
 *   d f / d alpha_j  = sum_i w_ij - n softmax(alpha)_j
 *   d f / d mu_j     = sum_i w_ij Q_j^T y_ij
 *   d f / d q_jr     = sum_i w_ij (1 - y_ijr exp(q_jr) (x_i - mu_j)_r) + gamma^2 exp(2 q_jr) - m
 *   d f / d L_j[r,c] = -sum_i w_ij y_ijr (x_i - mu_j)_c + gamma^2 L_j[r,c]
 */

/** The gradient of gmmObjective with respect to (alpha, means, icf), shaped like them. */
export function gmmGradient(
  d: number,
  k: number,
  n: number,
  alpha: Float64Array,
  means: Float64Array,
  icf: Float64Array,
  x: Float64Array,
  gamma: number,
  m: number,
): [Float64Array, Float64Array, Float64Array] {
  const icfSize = (d * (d + 1)) / 2;
  const gradAlpha = new Float64Array(k);
  const gradMeans = new Float64Array(k * d);
  const gradIcf = new Float64Array(k * icfSize);

  const qdiag = new Float64Array(k * d);
  const sumQ = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let r = 0; r < d; r++) {
      const q = icf[j * icfSize + r];
      qdiag[j * d + r] = Math.exp(q);
      s += q;
    }
    sumQ[j] = s;
  }

  const xc = new Float64Array(k * d); // x_i - mu_j for every j
  const y = new Float64Array(k * d); // Q_j (x_i - mu_j) for every j
  const weight = new Float64Array(k); // main_ij, then exp(main_ij - max)
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    let mx = -Infinity;
    for (let j = 0; j < k; j++) {
      const jd = j * d;
      for (let r = 0; r < d; r++) {
        const v = x[xi + r] - means[jd + r];
        xc[jd + r] = v;
        y[jd + r] = qdiag[jd + r] * v;
      }
      let li = j * icfSize + d;
      for (let c = 0; c < d; c++) {
        const xcc = xc[jd + c];
        for (let r = c + 1; r < d; r++) y[jd + r] += icf[li++] * xcc;
      }
      let sqnorm = 0;
      for (let r = 0; r < d; r++) sqnorm += y[jd + r] * y[jd + r];
      const main = alpha[j] + sumQ[j] - 0.5 * sqnorm;
      weight[j] = main;
      if (main > mx) mx = main;
    }
    let total = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(weight[j] - mx);
      weight[j] = e;
      total += e;
    }
    const inv = 1 / total;

    for (let j = 0; j < k; j++) {
      const w = weight[j] * inv;
      const jd = j * d;
      const base = j * icfSize;
      gradAlpha[j] += w;
      for (let r = 0; r < d; r++) {
        const wy = w * y[jd + r];
        gradIcf[base + r] += w - wy * qdiag[jd + r] * xc[jd + r];
        gradMeans[jd + r] += wy * qdiag[jd + r];
      }
      let li = base + d;
      for (let c = 0; c < d; c++) {
        const wxc = w * xc[jd + c];
        let lty = 0; // (L_j^T y)_c
        for (let r = c + 1; r < d; r++) {
          const yr = y[jd + r];
          gradIcf[li] -= wxc * yr;
          lty += icf[li] * yr;
          li++;
        }
        gradMeans[jd + c] += w * lty;
      }
    }
  }

  // - n logsumexp(alpha)
  let amax = alpha[0];
  for (let j = 1; j < k; j++) if (alpha[j] > amax) amax = alpha[j];
  let asum = 0;
  for (let j = 0; j < k; j++) asum += Math.exp(alpha[j] - amax);
  for (let j = 0; j < k; j++) gradAlpha[j] -= (n * Math.exp(alpha[j] - amax)) / asum;

  // The Wishart prior.
  const g2 = gamma * gamma;
  for (let j = 0; j < k; j++) {
    const base = j * icfSize;
    for (let r = 0; r < d; r++) {
      const q = qdiag[j * d + r];
      gradIcf[base + r] += g2 * q * q - m;
    }
    for (let t = d; t < icfSize; t++) gradIcf[base + t] += g2 * icf[base + t];
  }
  return [gradAlpha, gradMeans, gradIcf];
}
