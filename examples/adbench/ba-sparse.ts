/**
 * The whole ADBench BA problem from the per-observation functions of ba.ts:
 * the residual vector (2p reprojection errors, then p weight errors) and its
 * sparse Jacobian in CSR form, (2p + p) x (11n + 3m + p), assembled from the
 * per-observation Jacobians that wengert generates.
 */
import { baReprojectionError, baWeightError } from './ba.ts';
import type { BaInput } from './io.ts';

/** The derivatives ba-sparse needs, as ba.grad.ts exports them. */
export interface BaDerivatives {
  /** 2 x 15 Jacobian of baReprojectionError: columns are cam (11), x (3), w (1). */
  jacobian_baReprojectionError(
    cam: Float64Array,
    x: Float64Array,
    w: number,
    featX: number,
    featY: number,
  ): number[][];
  /** d(1 - w^2)/dw. */
  grad_baWeightError(w: number): number;
}

/** A sparse matrix in compressed sparse row form. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  /** rows + 1 offsets into colIndex and values. */
  rowStart: Int32Array;
  colIndex: Int32Array;
  values: Float64Array;
}

/** Writes the residuals: reprojErr gets 2 values per observation, weightErr 1. */
export function baObjective(input: BaInput, reprojErr: Float64Array, weightErr: Float64Array): void {
  const { p, cams, points, weights, features, obs } = input;
  for (let i = 0; i < p; i++) {
    const c = obs[2 * i];
    const pt = obs[2 * i + 1];
    const [ex, ey] = baReprojectionError(
      cams.subarray(11 * c, 11 * c + 11),
      points.subarray(3 * pt, 3 * pt + 3),
      weights[i],
      features[2 * i],
      features[2 * i + 1],
    );
    reprojErr[2 * i] = ex;
    reprojErr[2 * i + 1] = ey;
  }
  for (let i = 0; i < p; i++) weightErr[i] = baWeightError(weights[i]);
}

/** An empty CSR matrix with room for the BA Jacobian of `input`. */
export function allocateBaJacobian(input: BaInput): CsrMatrix {
  const { n, m, p } = input;
  const nonZeros = 2 * p * 15 + p;
  return {
    rows: 3 * p,
    cols: 11 * n + 3 * m + p,
    rowStart: new Int32Array(3 * p + 1),
    colIndex: new Int32Array(nonZeros),
    values: new Float64Array(nonZeros),
  };
}

/**
 * The Jacobian of the residuals with respect to (cams, points, weights).
 * Row 2i and 2i + 1 (observation i) hold 15 entries: its camera's 11
 * columns, its point's 3, its weight's 1; row 2p + i holds d weightErr_i / d w_i.
 * Fills `out` when given (as ADBench reuses its matrix between calls).
 */
export function baJacobian(
  input: BaInput,
  derivatives: BaDerivatives,
  out: CsrMatrix = allocateBaJacobian(input),
): CsrMatrix {
  const { n, m, p, cams, points, weights, features, obs } = input;
  const { rows, rowStart, colIndex, values } = out;
  const pointCol0 = 11 * n;
  const weightCol0 = 11 * n + 3 * m;

  let next = 0;
  for (let i = 0; i < p; i++) {
    const c = obs[2 * i];
    const pt = obs[2 * i + 1];
    const jac = derivatives.jacobian_baReprojectionError(
      cams.subarray(11 * c, 11 * c + 11),
      points.subarray(3 * pt, 3 * pt + 3),
      weights[i],
      features[2 * i],
      features[2 * i + 1],
    );
    for (let row = 0; row < 2; row++) {
      const jrow = jac[row];
      rowStart[2 * i + row] = next;
      for (let j = 0; j < 11; j++) {
        colIndex[next] = 11 * c + j;
        values[next++] = jrow[j];
      }
      for (let j = 0; j < 3; j++) {
        colIndex[next] = pointCol0 + 3 * pt + j;
        values[next++] = jrow[11 + j];
      }
      colIndex[next] = weightCol0 + i;
      values[next++] = jrow[14];
    }
  }
  for (let i = 0; i < p; i++) {
    rowStart[2 * p + i] = next;
    colIndex[next] = weightCol0 + i;
    values[next++] = derivatives.grad_baWeightError(weights[i]);
  }
  rowStart[rows] = next;
  return out;
}
