/**
 * L2-regularised logistic regression on plain arrays: the loss whose
 * gradient and Hessian-vector products the Newton-CG example uses.
 * `order(2)` asks the build for `hvp_loss` and `hessian_loss` beside
 * `grad_loss` (docs/higher-order.md).
 */

/**
 * Mean logistic loss of the rows of x (n rows of d features, row-major)
 * against labels y in {0, 1}, plus (l2 / 2) |weights|^2. w holds the d
 * weights, then the bias. log(1 + e^z) is computed as z + log1p(e^-z) for
 * z > 0 and log1p(e^z) otherwise, which does not overflow (both branches
 * have the same derivatives at 0, so the Hessian is right there too).
 * @differentiable wrt(w) order(2)
 */
export function loss(w: Float64Array, x: Float64Array, y: Float64Array, d: number, l2: number): number {
  const n = y.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let z = w[d]!;
    for (let j = 0; j < d; j++) z += w[j]! * x[i * d + j]!;
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    total += softplus - y[i]! * z;
  }
  let reg = 0;
  for (let j = 0; j < d; j++) reg += w[j]! * w[j]!;
  return total / n + 0.5 * l2 * reg;
}
