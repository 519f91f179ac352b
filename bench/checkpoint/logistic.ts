/**
 * The logistic map v <- r v (1 - v) for the checkpoint benchmark
 * (bench/checkpoint/index.ts compiles this file when it starts): the same
 * loop on the plain tape, with the default @checkpoint schedule, and with
 * the pure binomial schedule (one trip per step, 30 snapshots).
 */

/** @differentiable wrt(x, r) */
export function logisticTaped(x: number, r: number, n: number): number {
  let v = x;
  for (let i = 0; i < n; i++) v = r * v * (1 - v);
  return v;
}

/** @differentiable wrt(x, r) */
export function logisticCheckpointed(x: number, r: number, n: number): number {
  let v = x;
  /** @checkpoint */
  for (let i = 0; i < n; i++) v = r * v * (1 - v);
  return v;
}

/** @differentiable wrt(x, r) */
export function logisticRevolve(x: number, r: number, n: number): number {
  let v = x;
  /** @checkpoint every(1) snapshots(30) */
  for (let i = 0; i < n; i++) v = r * v * (1 - v);
  return v;
}
