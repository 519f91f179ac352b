/**
 * Readers for the ADBench input files (GMM, LSTM, BA) in the formats that
 * /work/shared/adbench/README.md describes. The data is the copy in
 * examples/adbench/data (or the folder named by the ADBENCH_DATA environment
 * variable).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The ADBench data folder: `$ADBENCH_DATA`, else the copy in examples/adbench/data (MIT, from ADBench). */
export const adbenchDataDir: string = process.env['ADBENCH_DATA'] ?? path.resolve(repoRoot, 'examples', 'adbench', 'data');

/** Absolute path of a data file given relative to the data folder, e.g. `gmm/test.txt`. */
export function adbenchPath(relative: string): string {
  return path.join(adbenchDataDir, relative);
}

/** Reads whitespace-separated numbers one at a time; line breaks carry no meaning. */
class NumberReader {
  private readonly tokens: string[];
  private next = 0;

  constructor(readonly file: string) {
    this.tokens = readFileSync(file, 'utf8').split(/\s+/).filter((t) => t.length > 0);
  }

  number(): number {
    const token = this.tokens[this.next++];
    if (token === undefined) throw new Error(`${this.file}: ended after ${this.next - 1} numbers`);
    const value = Number(token);
    if (Number.isNaN(value)) throw new Error(`${this.file}: '${token}' is not a number`);
    return value;
  }

  integer(): number {
    const value = this.number();
    if (!Number.isInteger(value)) throw new Error(`${this.file}: expected an integer, got ${value}`);
    return value;
  }

  array(length: number): Float64Array {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = this.number();
    return out;
  }
}

export interface GmmInput {
  /** Dimension of the points. */
  d: number;
  /** Number of mixture components. */
  k: number;
  /** Number of points. */
  n: number;
  /** Mixture weights before the softmax, k values. */
  alpha: Float64Array;
  /** Component means, k rows of d. */
  means: Float64Array;
  /** Inverse Cholesky factors, k rows of d(d+1)/2: d log-diagonal values, then the lower triangle by column. */
  icf: Float64Array;
  /** Points, n rows of d. */
  x: Float64Array;
  /** Wishart prior parameters. */
  gamma: number;
  m: number;
}

/** Reads a full (not "replicate point") GMM file: `d k n`, alpha, means, icf, x, `gamma m`. */
export function readGmm(file: string): GmmInput {
  const r = new NumberReader(file);
  const d = r.integer();
  const k = r.integer();
  const n = r.integer();
  const icfSize = (d * (d + 1)) / 2;
  const alpha = r.array(k);
  const means = r.array(k * d);
  const icf = r.array(k * icfSize);
  const x = r.array(n * d);
  const gamma = r.number();
  const m = r.integer();
  return { d, k, n, alpha, means, icf, x, gamma, m };
}

export interface LstmInput {
  /** Number of layers. */
  l: number;
  /** Sequence length. */
  c: number;
  /** Width of each layer. */
  b: number;
  /** Per layer: 4b weights (forget, ingate, outgate, change), then 4b biases; 8lb values. */
  mainParams: Float64Array;
  /** in_weight (b), out_weight (b), out_bias (b). */
  extraParams: Float64Array;
  /** Per layer: hidden (b) then cell (b); 2lb values. */
  state: Float64Array;
  /** c rows of b values. */
  sequence: Float64Array;
}

/** Reads an LSTM file: `l c b`, main params, extra params, initial state, sequence. */
export function readLstm(file: string): LstmInput {
  const r = new NumberReader(file);
  const l = r.integer();
  const c = r.integer();
  const b = r.integer();
  const mainParams = r.array(2 * l * 4 * b);
  const extraParams = r.array(3 * b);
  const state = r.array(2 * l * b);
  const sequence = r.array(c * b);
  return { l, c, b, mainParams, extraParams, state, sequence };
}

export interface BaInput {
  /** Number of cameras. */
  n: number;
  /** Number of points. */
  m: number;
  /** Number of observations. */
  p: number;
  /** n rows of 11: rotation (3), centre (3), focal length, u0, v0, k1, k2. */
  cams: Float64Array;
  /** m rows of 3. */
  points: Float64Array;
  /** p weights. */
  weights: Float64Array;
  /** p rows of 2. */
  features: Float64Array;
  /** p rows of 2: the camera and point index of each observation. */
  obs: Int32Array;
}

/**
 * Reads a BA file and replicates it as ADBench does: every camera equals the
 * one given, every point, weight and feature likewise, and observation i
 * pairs camera `i mod n` with point `i mod m`. `maxObservations` keeps only
 * the first observations (for quick runs); the camera and point counts stay.
 */
export function readBa(file: string, maxObservations = Infinity): BaInput {
  const r = new NumberReader(file);
  const n = r.integer();
  const m = r.integer();
  const p = Math.min(r.integer(), maxObservations);
  const cam = r.array(11);
  const point = r.array(3);
  const weight = r.number();
  const feature = r.array(2);

  const cams = new Float64Array(11 * n);
  for (let i = 0; i < n; i++) cams.set(cam, 11 * i);
  const points = new Float64Array(3 * m);
  for (let i = 0; i < m; i++) points.set(point, 3 * i);
  const weights = new Float64Array(p).fill(weight);
  const features = new Float64Array(2 * p);
  const obs = new Int32Array(2 * p);
  for (let i = 0; i < p; i++) {
    features[2 * i] = feature[0];
    features[2 * i + 1] = feature[1];
    obs[2 * i] = i % n;
    obs[2 * i + 1] = i % m;
  }
  return { n, m, p, cams, points, weights, features, obs };
}
