/**
 * Scalar benchmark: the seed function f(x1, x2) and the logistic map with
 * n = 1000, each timed as the primal, wengert's generated gradient (from
 * examples/seed/model.grad.ts, written by `wengert build examples`), a
 * hand-written gradient, and TensorFlow.js `tf.grads` on its CPU backend.
 * Two array cases without tfjs (examples/scalar-cases): a ridge regression
 * loss over d = 16, n = 64 Float64Array rows, and GMM-style scratch arrays
 * rewritten on every trip (d = 10, 50 trips), each against a hand-written
 * gradient.
 *
 * The hand-written gradients are what a careful person would write: f's
 * closed form, and for the logistic map a reverse sweep over a
 * preallocated Float64Array tape (plus, for reference, the forward-mode
 * recurrence, which needs no tape because there is one input).
 * The tfjs calls include making the input scalars and reading the
 * gradients back with dataSync(), since callers want numbers; tfjs
 * computes in float32.
 */
import * as tf from '@tensorflow/tfjs';
import { f, logistic } from '../examples/seed/model.ts';
import { grad_f, grad_logistic } from '../examples/seed/model.grad.ts';
import { ridgeLoss, scratchNorms } from '../examples/scalar-cases/model.ts';
import { grad_ridgeLoss, grad_scratchNorms } from '../examples/scalar-cases/model.grad.ts';
import {
  assertClose,
  formatRatio,
  measure,
  printTable,
  type BenchContext,
  type BenchModule,
  type MeasureOptions,
  type TableRow,
} from './harness.ts';

const LOGISTIC_N = 1000;
const LOGISTIC_X = 0.3;

/** df/dx1 = 2 x1 + 1 - 2 x1 / (x1^2 + x2^2),  df/dx2 = -1 - 2 x2 / (x1^2 + x2^2) */
function handGradF(x1: number, x2: number): [number, number] {
  const r = x1 * x1 + x2 * x2;
  return [2 * x1 + 1 - (2 * x1) / r, -1 - (2 * x2) / r];
}

let logisticTape = new Float64Array(1024);

/** Reverse sweep: record v_i, then dv <- dv * (4 - 8 v_i) from the last step back. */
function handGradLogistic(x: number, n: number): number {
  if (logisticTape.length < n) logisticTape = new Float64Array(n);
  const tape = logisticTape;
  let v = x;
  for (let i = 0; i < n; i++) {
    tape[i] = v;
    v = 4 * v * (1 - v);
  }
  let dv = 1;
  for (let i = n - 1; i >= 0; i--) dv *= 4 - 8 * tape[i]!;
  return dv;
}

/** Forward mode: carry dv/dx along with v. */
function handForwardLogistic(x: number, n: number): number {
  let v = x;
  let dv = 1;
  for (let i = 0; i < n; i++) {
    dv *= 4 - 8 * v;
    v = 4 * v * (1 - v);
  }
  return dv;
}

/** d/dw of mean_i (w.x_i - y_i)^2 + lambda |w|^2, in one pass over the rows. */
function handGradRidge(w: Float64Array, X: readonly Float64Array[], y: Float64Array, lambda: number): Float64Array {
  const g = new Float64Array(w.length);
  const scale = 2 / X.length;
  for (let i = 0; i < X.length; i++) {
    const row = X[i]!;
    let p = 0;
    for (let j = 0; j < w.length; j++) p += w[j]! * row[j]!;
    const r = (p - y[i]!) * scale;
    for (let j = 0; j < w.length; j++) g[j] += r * row[j]!;
  }
  for (let j = 0; j < w.length; j++) g[j] += 2 * lambda * w[j]!;
  return g;
}

let scratchXc = new Float64Array(0);
let scratchQxc = new Float64Array(0);
let scratchDq = new Float64Array(0);
let scratchDx = new Float64Array(0);

/** The gradient of scratchNorms as the hand-written GMM gradient is written: each trip's forward pass, then its reverse, in reused buffers. */
function handGradScratch(a: Float64Array, l: Float64Array, trips: number): [Float64Array, Float64Array] {
  const d = a.length;
  if (scratchXc.length !== d) {
    scratchXc = new Float64Array(d);
    scratchQxc = new Float64Array(d);
    scratchDq = new Float64Array(d);
    scratchDx = new Float64Array(d);
  }
  const xc = scratchXc;
  const qxc = scratchQxc;
  const dq = scratchDq;
  const dx = scratchDx;
  const da = new Float64Array(d);
  const dl = new Float64Array(l.length);
  for (let t = 0; t < trips; t++) {
    for (let r = 0; r < d; r++) qxc[r] = xc[r] = a[r]! - 0.1 * t;
    let li = 0;
    for (let c = 0; c < d; c++) for (let r = c + 1; r < d; r++) qxc[r] += l[li++]! * xc[c]!;
    for (let r = 0; r < d; r++) {
      dq[r] = 2 * qxc[r]!;
      dx[r] = dq[r]!;
    }
    li = 0;
    for (let c = 0; c < d; c++) {
      for (let r = c + 1; r < d; r++) {
        dl[li] += dq[r]! * xc[c]!;
        dx[c] += l[li++]! * dq[r]!;
      }
    }
    for (let r = 0; r < d; r++) da[r] += dx[r]!;
  }
  return [da, dl];
}

const tfGradF = tf.grads((x1: tf.Tensor, x2: tf.Tensor) =>
  x1.square().add(x1.sub(x2)).sub(x1.square().add(x2.square()).log()),
);

function tfjsGradF(x1: number, x2: number): [number, number] {
  return tf.tidy(() => {
    const [d1, d2] = tfGradF([tf.scalar(x1), tf.scalar(x2)]);
    return [d1!.dataSync()[0]!, d2!.dataSync()[0]!];
  });
}

const tfGradLogistic = tf.grad((x: tf.Tensor) => {
  let v = x;
  for (let i = 0; i < LOGISTIC_N; i++) v = v.mul(4).mul(tf.sub(1, v));
  return v;
});

function tfjsGradLogistic(x: number): number {
  return tf.tidy(() => tfGradLogistic(tf.scalar(x)).dataSync()[0]!);
}

/** Inputs vary with the call counter so no call can be hoisted or folded. */
const jitter = (i: number, scale: number): number => (i & 7) * scale;

async function run(ctx: BenchContext): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  checkAgreement();
  timeCase(ctx, 'f', [
    { impl: 'primal', fn: (i) => f(2 + jitter(i, 1e-3), 1) },
    { impl: 'generated', fn: (i) => sum2(grad_f(2 + jitter(i, 1e-3), 1)) },
    { impl: 'hand-written', fn: (i) => sum2(handGradF(2 + jitter(i, 1e-3), 1)) },
    { impl: 'tfjs', fn: (i) => sum2(tfjsGradF(2 + jitter(i, 1e-3), 1)) },
  ]);
  timeCase(ctx, `logistic n=${LOGISTIC_N}`, [
    { impl: 'primal', fn: (i) => logistic(LOGISTIC_X + jitter(i, 1e-4), LOGISTIC_N) },
    { impl: 'generated', fn: (i) => grad_logistic(LOGISTIC_X + jitter(i, 1e-4), LOGISTIC_N) },
    { impl: 'hand-written', fn: (i) => handGradLogistic(LOGISTIC_X + jitter(i, 1e-4), LOGISTIC_N) },
    { impl: 'hand-written forward', fn: (i) => handForwardLogistic(LOGISTIC_X + jitter(i, 1e-4), LOGISTIC_N) },
    { impl: 'tfjs', fn: (i) => tfjsGradLogistic(LOGISTIC_X + jitter(i, 1e-4)) },
  ]);
  const r = ridgeInputs();
  timeCase(ctx, `ridge d=${RIDGE_D} n=${RIDGE_N}`, [
    { impl: 'primal', fn: (i) => ridgeLoss(r.w, r.X, r.y, 0.1 + jitter(i, 1e-3)) },
    { impl: 'generated', fn: (i) => grad_ridgeLoss(r.w, r.X, r.y, 0.1 + jitter(i, 1e-3))[0]! },
    { impl: 'hand-written', fn: (i) => handGradRidge(r.w, r.X, r.y, 0.1 + jitter(i, 1e-3))[0]! },
  ]);
  const sc = scratchInputs();
  timeCase(ctx, `scratch arrays d=${SCRATCH_D} trips=${SCRATCH_TRIPS}`, [
    { impl: 'primal', fn: (i) => scratchNorms(sc.a, sc.l, SCRATCH_TRIPS - (i & 1)) },
    { impl: 'generated', fn: (i) => grad_scratchNorms(sc.a, sc.l, SCRATCH_TRIPS - (i & 1))[0][0]! },
    { impl: 'hand-written', fn: (i) => handGradScratch(sc.a, sc.l, SCRATCH_TRIPS - (i & 1))[0][0]! },
  ]);
}

const RIDGE_D = 16;
const RIDGE_N = 64;
const SCRATCH_D = 10;
const SCRATCH_TRIPS = 50;

/** Deterministic inputs: a small linear congruential generator. */
function pseudoRandom(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}

function ridgeInputs(): { w: Float64Array; X: Float64Array[]; y: Float64Array } {
  const rand = pseudoRandom(7);
  const w = Float64Array.from({ length: RIDGE_D }, rand);
  const X = Array.from({ length: RIDGE_N }, () => Float64Array.from({ length: RIDGE_D }, rand));
  const y = Float64Array.from({ length: RIDGE_N }, rand);
  return { w, X, y };
}

function scratchInputs(): { a: Float64Array; l: Float64Array } {
  const rand = pseudoRandom(11);
  return { a: Float64Array.from({ length: SCRATCH_D }, rand), l: Float64Array.from({ length: (SCRATCH_D * (SCRATCH_D - 1)) / 2 }, () => 0.3 * rand()) };
}

const sum2 = (pair: readonly [number, number]): number => pair[0] + pair[1];

/** Every implementation must give the same gradient before any of them is timed. */
function checkAgreement(): void {
  const [g1, g2] = grad_f(2, 1);
  assertClose('generated grad_f(2,1)[0]', g1, 4.2, 1e-12);
  assertClose('generated grad_f(2,1)[1]', g2, -1.4, 1e-12);
  const [h1, h2] = handGradF(2, 1);
  assertClose('hand-written grad f [0]', h1, 4.2, 1e-12);
  assertClose('hand-written grad f [1]', h2, -1.4, 1e-12);
  const [t1, t2] = tfjsGradF(2, 1);
  assertClose('tfjs grad f [0] (float32)', t1, 4.2, 1e-5);
  assertClose('tfjs grad f [1] (float32)', t2, -1.4, 1e-5);

  // The map is chaotic (|d/dx| grows like 2^n), so compare at a small n in
  // float32 and at the full n only among the float64 implementations.
  const full = handGradLogistic(LOGISTIC_X, LOGISTIC_N);
  assertClose('generated grad_logistic', grad_logistic(LOGISTIC_X, LOGISTIC_N), full, 1e-9);
  assertClose('hand-written forward logistic', handForwardLogistic(LOGISTIC_X, LOGISTIC_N), full, 1e-9);
  const small = tf.tidy(() =>
    tf.grad((x: tf.Tensor) => {
      let v = x;
      for (let i = 0; i < 5; i++) v = v.mul(4).mul(tf.sub(1, v));
      return v;
    })(tf.scalar(LOGISTIC_X)).dataSync()[0]!,
  );
  assertClose('tfjs logistic n=5 (float32)', small, handGradLogistic(LOGISTIC_X, 5), 1e-4);

  const r = ridgeInputs();
  const gr = grad_ridgeLoss(r.w, r.X, r.y, 0.1);
  const hr = handGradRidge(r.w, r.X, r.y, 0.1);
  hr.forEach((h, j) => assertClose(`ridge gradient [${j}]`, gr[j]!, h, 1e-12));
  const sc = scratchInputs();
  const [ga, gl] = grad_scratchNorms(sc.a, sc.l, SCRATCH_TRIPS);
  const [ha, hl] = handGradScratch(sc.a, sc.l, SCRATCH_TRIPS);
  ha.forEach((h, j) => assertClose(`scratch gradient a[${j}]`, ga[j]!, h, 1e-12));
  hl.forEach((h, j) => assertClose(`scratch gradient l[${j}]`, gl[j]!, h, 1e-12));
}

interface Impl {
  impl: string;
  fn: (i: number) => number;
}

/** Times each implementation, records it, prints a table with the ratios. */
function timeCase(ctx: BenchContext, caseName: string, impls: readonly Impl[]): void {
  const ns = new Map<string, number>();
  for (const { impl, fn } of impls) {
    const { nsPerCall } = measure(fn, ctx.options satisfies MeasureOptions);
    ns.set(impl, nsPerCall);
    ctx.record({ case: caseName, impl, nsPerCall });
  }
  const generated = ns.get('generated')!;
  const rows: TableRow[] = impls.map(({ impl }) => ({ impl, nsPerCall: ns.get(impl)! }));
  printTable(caseName, rows);
  const tfjs = ns.get('tfjs');
  console.log(
    `  generated/hand-written ${formatRatio(generated / ns.get('hand-written')!)}` +
      `   generated/primal ${formatRatio(generated / ns.get('primal')!)}` +
      (tfjs === undefined ? '' : `   tfjs/generated ${formatRatio(tfjs / generated)}`),
  );
}

export const scalarBench: BenchModule = {
  name: 'scalar',
  description: 'seed f(x1, x2) and the logistic map (n = 1000): primal, generated, hand-written, tfjs; ridge and GMM-style scratch arrays: primal, generated, hand-written',
  run,
};
