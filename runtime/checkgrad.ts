/**
 * checkGrad: compares a gradient function with central finite differences
 * of the function, in float64, and reports the worst relative error per
 * parameter leaf. Arguments may be numbers, arrays, typed arrays and
 * Tensors, nested in arrays and objects; float32 tensors and arrays are
 * copied to float64 before anything is evaluated (both `f` and `gradF` see
 * the float64 copies), int32 values are left alone and not differentiated.
 */
import { Tensor } from './tensor.ts';
import { cpu } from './backends/index.ts';

export interface CheckGradOptions {
  /** Indices of the arguments gradF differentiates (default: all). One index: gradF returns that gradient; several: a tuple. */
  wrt?: readonly number[];
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /**
   * Floor of the denominator of the relative error. Default: the rounding
   * noise of the central difference, 1e-15 max(1, |f|) / eps, divided by
   * `tolerance` (at least 1e-6), so gradient entries near zero are not
   * failed for noise alone.
   */
  atol?: number;
  /** Largest acceptable relative error, for `ok` (default 1e-5). */
  tolerance?: number;
}

export interface ParameterError {
  /** Where the leaf is, e.g. `args[0].W1`. */
  path: string;
  size: number;
  /** max over elements of |analytic - numeric| / max(|analytic|, |numeric|, atol). */
  worst: number;
  /** Flat index of the worst element, with both values there. */
  index: number;
  analytic: number;
  numeric: number;
}

export interface CheckGradReport {
  ok: boolean;
  /** Worst relative error over all parameters. */
  worst: number;
  parameters: ParameterError[];
  /** One line per parameter, for printing. */
  summary: string;
}

/** Deep copy with float32 tensors and arrays widened to float64. */
function toFloat64(x: unknown): unknown {
  if (x instanceof Tensor) {
    if (x.dtype === 'int32') return x;
    return cpu.fromValues(Float64Array.from(x.dataSync()), x.shape);
  }
  if (x instanceof Float32Array || x instanceof Float64Array) return Float64Array.from(x);
  if (Array.isArray(x)) return x.map(toFloat64);
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = toFloat64(v);
    return out;
  }
  return x;
}

interface Cell {
  path: string;
  /** Read / write element i of the leaf (in the float64 copy). */
  get(i: number): number;
  set(i: number, v: number): void;
  size: number;
  /** The analytic gradient's values for this leaf. */
  analytic: ArrayLike<number>;
}

function analyticValues(path: string, g: unknown, size: number): ArrayLike<number> {
  let v: ArrayLike<number>;
  if (typeof g === 'number') v = [g];
  else if (g instanceof Tensor) v = g.dataSync();
  else if (g instanceof Float32Array || g instanceof Float64Array) v = g;
  else throw new Error(`checkGrad: the gradient has no numeric entry for ${path} (got ${g === null ? 'null' : typeof g})`);
  if (v.length !== size) throw new Error(`checkGrad: the gradient for ${path} has ${v.length} values, the parameter ${size}`);
  return v;
}

function cells(x: unknown, g: unknown, path: string, out: Cell[], holder: Record<string | number, unknown>, key: string | number): void {
  if (typeof x === 'number') {
    out.push({
      path,
      size: 1,
      get: () => holder[key] as number,
      set: (_, v) => (holder[key] = v),
      analytic: analyticValues(path, g, 1),
    });
  } else if (x instanceof Tensor || x instanceof Float64Array) {
    if (x instanceof Tensor && x.dtype === 'int32') return;
    const data = (x instanceof Tensor ? x.dataSync() : x) as Float64Array;
    out.push({ path, size: data.length, get: (i) => data[i]!, set: (i, v) => (data[i] = v), analytic: analyticValues(path, g, data.length) });
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => cells(v, (g as unknown[] | undefined)?.[i], `${path}[${i}]`, out, x as unknown as Record<number, unknown>, i));
  } else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const [k, v] of Object.entries(x)) {
      cells(v, (g as Record<string, unknown> | undefined)?.[k], `${path}.${k}`, out, x as Record<string, unknown>, k);
    }
  }
}

function scalar(y: unknown): number {
  if (typeof y === 'number') return y;
  if (y instanceof Tensor && y.size === 1) return y.dataSync()[0]!;
  throw new Error(`checkGrad: f must return a number (or a 1-element tensor), got ${y instanceof Tensor ? y.toString() : typeof y}`);
}

/**
 * Checks `gradF(...args)` against central differences of `f(...args)`.
 * Returns a report; it does not throw on a mismatch (test `report.ok`).
 */
export function checkGrad(
  f: (...args: never[]) => unknown,
  gradF: (...args: never[]) => unknown,
  args: readonly unknown[],
  options: CheckGradOptions = {},
): CheckGradReport {
  const eps = options.eps ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-5;
  const wrt = options.wrt ?? [...args.keys()];
  const xs = args.map(toFloat64);
  const call = (fn: (...a: never[]) => unknown) => fn(...(xs as never[]));
  const f0 = scalar(call(f));
  const atol = options.atol ?? Math.max(1e-6, (1e-15 * Math.max(1, Math.abs(f0))) / eps / tolerance);
  const grads = call(gradF);
  const gradOf = (j: number) => (wrt.length === 1 ? grads : (grads as unknown[])[j]);

  const all: Cell[] = [];
  wrt.forEach((argIndex, j) => cells(xs[argIndex], gradOf(j), `args[${argIndex}]`, all, xs as unknown as Record<number, unknown>, argIndex));

  const parameters: ParameterError[] = [];
  for (const cell of all) {
    const rep: ParameterError = { path: cell.path, size: cell.size, worst: 0, index: -1, analytic: 0, numeric: 0 };
    for (let i = 0; i < cell.size; i++) {
      const x0 = cell.get(i);
      cell.set(i, x0 + eps);
      const fp = scalar(call(f));
      cell.set(i, x0 - eps);
      const fm = scalar(call(f));
      cell.set(i, x0);
      const numeric = (fp - fm) / (2 * eps);
      const analytic = cell.analytic[i]!;
      const err = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), atol);
      if (err > rep.worst || rep.index < 0 || Number.isNaN(err)) {
        rep.worst = Number.isNaN(err) ? Infinity : err;
        rep.index = i;
        rep.analytic = analytic;
        rep.numeric = numeric;
      }
    }
    parameters.push(rep);
  }
  const worst = parameters.reduce((m, p) => Math.max(m, p.worst), 0);
  const summary = parameters
    .map((p) => `${p.path} (${p.size}): worst relative error ${p.worst.toExponential(2)} at ${p.index} (analytic ${p.analytic}, numeric ${p.numeric})`)
    .join('\n');
  return { ok: worst <= tolerance, worst, parameters, summary };
}
