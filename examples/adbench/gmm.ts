/**
 * ADBench GMM objective: the log-likelihood of a Gaussian mixture with a
 * Wishart prior on the inverse covariances, written as plain loops over
 * Float64Arrays (definition in examples/adbench/data/DEFINITIONS.md). wengert
 * generates its gradient into gmm.grad.ts.
 */

/**
 * log(sum_i exp(v_i)) over the first n entries, shifted by the maximum so
 * that large entries do not overflow.
 *
 * @differentiable wrt(v)
 */
export function logsumexp(v: Float64Array, n: number): number {
  let mx = v[0];
  for (let i = 1; i < n; i++) {
    if (v[i] > mx) mx = v[i];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(v[i] - mx);
  return mx + Math.log(sum);
}

/**
 * The GMM objective for n points x (rows of d) and k components with
 * weights alpha, means (rows of d) and inverse Cholesky factors icf (rows of
 * d(d+1)/2: the logs of the diagonal, then the strict lower triangle column
 * by column), with Wishart prior parameters gamma and m.
 *
 * @differentiable wrt(alpha, means, icf)
 */
export function gmmObjective(
  d: number,
  k: number,
  n: number,
  alpha: Float64Array,
  means: Float64Array,
  icf: Float64Array,
  x: Float64Array,
  gamma: number,
  m: number,
): number {
  const icfSize = (d * (d + 1)) / 2;

  // The diagonal of each Q_j and the sum of its logs.
  const qdiag = new Float64Array(k * d);
  const sumQ = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let r = 0; r < d; r++) {
      qdiag[j * d + r] = Math.exp(icf[j * icfSize + r]);
      s += icf[j * icfSize + r];
    }
    sumQ[j] = s;
  }

  // sum_i logsumexp_j(alpha_j + sumq_j - 0.5 |Q_j (x_i - mu_j)|^2)
  const main = new Float64Array(k);
  const xc = new Float64Array(d);
  const qxc = new Float64Array(d);
  let sumLse = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      for (let r = 0; r < d; r++) xc[r] = x[i * d + r] - means[j * d + r];
      for (let r = 0; r < d; r++) qxc[r] = qdiag[j * d + r] * xc[r];
      let li = j * icfSize + d;
      for (let c = 0; c < d; c++) {
        for (let r = c + 1; r < d; r++) {
          qxc[r] += icf[li] * xc[c];
          li++;
        }
      }
      let sqnorm = 0;
      for (let r = 0; r < d; r++) sqnorm += qxc[r] * qxc[r];
      main[j] = alpha[j] + sumQ[j] - 0.5 * sqnorm;
    }
    sumLse += logsumexp(main, k);
  }

  // The Wishart prior.
  let prior = 0;
  for (let j = 0; j < k; j++) {
    let frob = 0;
    for (let r = 0; r < d; r++) frob += qdiag[j * d + r] * qdiag[j * d + r];
    for (let t = d; t < icfSize; t++) frob += icf[j * icfSize + t] * icf[j * icfSize + t];
    prior += 0.5 * gamma * gamma * frob - m * sumQ[j];
  }

  const constant = -0.5 * n * d * Math.log(2 * Math.PI);
  return constant + sumLse - n * logsumexp(alpha, k) + prior - k * wishartConstant(d, gamma, m);
}

/**
 * C = N d (log gamma - 0.5 log 2) - logGammaMultivariate(0.5 N, d) with
 * N = d + m + 1: the part of the prior that does not depend on the
 * parameters. Not differentiable (it needs lgamma); called with constants.
 */
export function wishartConstant(d: number, gamma: number, m: number): number {
  const dof = d + m + 1;
  return dof * d * (Math.log(gamma) - 0.5 * Math.log(2)) - logGammaMultivariate(0.5 * dof, d);
}

/** log Gamma_p(a) = 0.25 p (p - 1) log(pi) + sum_{j=1..p} lgamma(a + 0.5 (1 - j)). */
export function logGammaMultivariate(a: number, p: number): number {
  let out = 0.25 * p * (p - 1) * Math.log(Math.PI);
  for (let j = 1; j <= p; j++) out += lgamma(a + 0.5 * (1 - j));
  return out;
}

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log|Gamma(z)| by the Lanczos approximation (about 1e-15 relative error), with reflection below 0.5. */
export function lgamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - lgamma(1 - z);
  const zm1 = z - 1;
  let series = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_G + 2; i++) series += LANCZOS_COEFFICIENTS[i] / (zm1 + i);
  const t = zm1 + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (zm1 + 0.5) * Math.log(t) - t + Math.log(series);
}
