/**
 * Newton-CG and gradient descent for a smooth convex loss of a weight
 * vector, given its value, gradient and Hessian-vector product as
 * functions (the example passes the generated `valueAndGrad_loss` and
 * `hvp_loss`), and the synthetic data set both are run on.
 */
import { Rng } from 'wengert';

export interface Problem {
  /** The number of weights. */
  size: number;
  valueAndGrad(w: Float64Array): [number, Float64Array];
  hvp(w: Float64Array, v: Float64Array): Float64Array;
}

export interface Trace {
  /** Outer iterations (Newton steps or gradient steps) until the target was reached, or the cap. */
  iterations: number;
  /** Hessian-vector products (CG steps) in all. */
  hvps: number;
  /** Gradient evaluations in all (line searches included). */
  gradients: number;
  loss: number;
  gradNorm: number;
  reached: boolean;
  ms: number;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: Float64Array) => Math.sqrt(dot(a, a));

/** Stops when the loss is at most `target` (or, without one, when |grad| < gradTol). */
export interface StopRule {
  target?: number;
  gradTol?: number;
  maxIterations: number;
}

function done(loss: number, g: Float64Array, stop: StopRule): boolean {
  return stop.target !== undefined ? loss <= stop.target : norm(g) < (stop.gradTol ?? 1e-10);
}

/**
 * Newton-CG: each step solves H p = -g by conjugate gradients on
 * Hessian-vector products (truncated at a relative residual of
 * min(0.5, sqrt|g|) |g|, Nocedal and Wright's forcing sequence), then
 * backtracks along p until the loss decreases enough (Armijo).
 */
export function newtonCg(problem: Problem, stop: StopRule, maxCg = 50): Trace {
  const start = performance.now();
  let w = new Float64Array(problem.size);
  let [loss, g] = problem.valueAndGrad(w);
  let gradients = 1;
  let hvps = 0;
  let it = 0;
  while (!done(loss, g, stop) && it < stop.maxIterations) {
    const gn = norm(g);
    const tol = Math.min(0.5, Math.sqrt(gn)) * gn;
    const p = new Float64Array(problem.size);
    const r = g.map((x) => -x);
    const dir = r.slice();
    let rr = dot(r, r);
    for (let k = 0; k < maxCg && Math.sqrt(rr) > tol; k++) {
      const hd = problem.hvp(w, dir);
      hvps++;
      const alpha = rr / dot(dir, hd);
      for (let i = 0; i < p.length; i++) {
        p[i] = p[i]! + alpha * dir[i]!;
        r[i] = r[i]! - alpha * hd[i]!;
      }
      const rrNew = dot(r, r);
      const beta = rrNew / rr;
      rr = rrNew;
      for (let i = 0; i < dir.length; i++) dir[i] = r[i]! + beta * dir[i]!;
    }
    let step = 1;
    const slope = dot(g, p);
    for (;;) {
      const next = w.map((x, i) => x + step * p[i]!);
      const [l2, g2] = problem.valueAndGrad(next);
      gradients++;
      if (l2 <= loss + 1e-4 * step * slope || step < 1e-8) {
        w = next;
        loss = l2;
        g = g2;
        break;
      }
      step /= 2;
    }
    it++;
  }
  return { iterations: it, hvps, gradients, loss, gradNorm: norm(g), reached: done(loss, g, stop), ms: performance.now() - start };
}

/** Gradient descent with a fixed step (1 / L for the bound L of the Hessian that `stepSize` gives). */
export function gradientDescent(problem: Problem, stop: StopRule, stepSize: number): Trace {
  const start = performance.now();
  const w = new Float64Array(problem.size);
  let [loss, g] = problem.valueAndGrad(w);
  let it = 0;
  while (!done(loss, g, stop) && it < stop.maxIterations) {
    for (let i = 0; i < w.length; i++) w[i] = w[i]! - stepSize * g[i]!;
    [loss, g] = problem.valueAndGrad(w);
    it++;
  }
  return { iterations: it, hvps: 0, gradients: it + 1, loss, gradNorm: norm(g), reached: done(loss, g, stop), ms: performance.now() - start };
}

/**
 * n points in d dimensions with correlated features whose scales span
 * `decades` powers of ten (an
 * ill-conditioned problem, where Newton's method shines), labels drawn
 * from a logistic model.
 */
export function makeData(n: number, d: number, seed: number, decades = 1): { x: Float64Array; y: Float64Array; scales: Float64Array } {
  const rng = new Rng(seed);
  const scales = Float64Array.from({ length: d }, (_, j) => 10 ** (decades * (j / Math.max(1, d - 1) - 0.5)));
  const truth = Float64Array.from({ length: d }, () => rng.normal());
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const shared = rng.normal();
    let z = 0.3;
    for (let j = 0; j < d; j++) {
      const v = scales[j]! * (0.6 * shared + 0.8 * rng.normal());
      x[i * d + j] = v;
      z += (truth[j]! / scales[j]!) * v;
    }
    y[i] = rng.uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { x, y, scales };
}

/**
 * The Lipschitz constant of the gradient, for gradient descent's step:
 * l2 + lambda_max(X^T X) / (4 n), with the bias column of ones, the largest
 * eigenvalue by power iteration (the logistic curvature is at most 1/4).
 */
export function curvatureBound(x: Float64Array, n: number, d: number, l2: number): number {
  let v = new Float64Array(d + 1).fill(1 / Math.sqrt(d + 1));
  let lambda = 0;
  for (let it = 0; it < 100; it++) {
    const next = new Float64Array(d + 1);
    for (let i = 0; i < n; i++) {
      let xv = v[d]!;
      for (let j = 0; j < d; j++) xv += x[i * d + j]! * v[j]!;
      for (let j = 0; j < d; j++) next[j] = next[j]! + x[i * d + j]! * xv;
      next[d] = next[d]! + xv;
    }
    lambda = norm(next);
    v = next.map((a) => a / lambda);
  }
  return l2 + lambda / (4 * n);
}
