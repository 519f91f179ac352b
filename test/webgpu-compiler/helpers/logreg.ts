/**
 * A logistic regression written without matmul (SwiftShader runs a matmul
 * in about 0.25 s however small, so the tests that run 1,000 training steps
 * use it): the source the ownership and memory tests compile.
 */
import type { Tensor } from 'wengert';

export interface LogregParams {
  w: Tensor;
  b: Tensor;
}

export const logregSource = `
import { add, meanAll, mul, softplus, sub, sum, type Tensor } from 'wengert';
export interface P { w: Tensor; b: Tensor }
/** Logistic regression written without matmul. @differentiable wrt(p) */
export function loss(p: P, x: Tensor, y: Tensor): Tensor {
  const z = add(sum(mul(x, p.w), 1), p.b);
  return meanAll(sub(softplus(z), mul(z, y)));
}
`;
