/**
 * The four classification datasets of the playground, points in the square
 * [-6, 6]^2 with labels 0 and 1, generated from a seed:
 *   - circle: label 1 inside radius 2.5, label 0 on a ring from 3.5 to 5;
 *   - xor: label 1 where x1 and x2 have the same sign;
 *   - gauss: two Gaussian clouds around (2, 2) and (-2, -2);
 *   - spiral: two interleaved spirals.
 * Noise (0 to 0.5) jitters each point before its label is decided (circle,
 * xor), widens the clouds (gauss) or jitters the spiral arms, so that some
 * points land on the wrong side. `splitTrainTest` shuffles and splits.
 */
import { Rng } from 'wengert';

export const DATASET_NAMES = ['circle', 'xor', 'gauss', 'spiral'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface Point {
  x1: number;
  x2: number;
  label: 0 | 1;
}

/** Half the side of the square the points and heat maps cover. */
export const DOMAIN = 6;

function uniform(rng: Rng, low: number, high: number): number {
  return low + (high - low) * rng.uniform();
}

function circle(count: number, noise: number, rng: Rng): Point[] {
  const radius = 5;
  const points: Point[] = [];
  for (let i = 0; i < count; i++) {
    const inside = i < count / 2;
    const r = inside ? uniform(rng, 0, radius * 0.5) : uniform(rng, radius * 0.7, radius);
    const angle = uniform(rng, 0, 2 * Math.PI);
    const x1 = r * Math.sin(angle);
    const x2 = r * Math.cos(angle);
    const j1 = x1 + uniform(rng, -radius, radius) * noise;
    const j2 = x2 + uniform(rng, -radius, radius) * noise;
    points.push({ x1, x2, label: Math.hypot(j1, j2) < radius * 0.5 ? 1 : 0 });
  }
  return points;
}

function xor(count: number, noise: number, rng: Rng): Point[] {
  const padding = 0.3;
  const points: Point[] = [];
  for (let i = 0; i < count; i++) {
    let x1 = uniform(rng, -5, 5);
    x1 += x1 > 0 ? padding : -padding;
    let x2 = uniform(rng, -5, 5);
    x2 += x2 > 0 ? padding : -padding;
    const j1 = x1 + uniform(rng, -5, 5) * noise;
    const j2 = x2 + uniform(rng, -5, 5) * noise;
    points.push({ x1, x2, label: j1 * j2 >= 0 ? 1 : 0 });
  }
  return points;
}

function gauss(count: number, noise: number, rng: Rng): Point[] {
  // Noise 0 gives a spread of 0.5, noise 0.5 a spread of 4 (the clouds then overlap).
  const spread = 0.5 + (noise / 0.5) * 3.5;
  const sigma = Math.sqrt(spread);
  const points: Point[] = [];
  for (let i = 0; i < count; i++) {
    const positive = i < count / 2;
    const center = positive ? 2 : -2;
    points.push({ x1: center + sigma * rng.normal(), x2: center + sigma * rng.normal(), label: positive ? 1 : 0 });
  }
  return points;
}

function spiral(count: number, noise: number, rng: Rng): Point[] {
  const perArm = count / 2;
  const points: Point[] = [];
  for (const [label, phase] of [[1, 0], [0, Math.PI]] as const) {
    for (let i = 0; i < perArm; i++) {
      const r = (i / perArm) * 5;
      const t = (1.75 * i * 2 * Math.PI) / perArm + phase;
      const x1 = r * Math.sin(t) + uniform(rng, -1, 1) * noise;
      const x2 = r * Math.cos(t) + uniform(rng, -1, 1) * noise;
      points.push({ x1, x2, label });
    }
  }
  return points;
}

const GENERATORS: Record<DatasetName, (count: number, noise: number, rng: Rng) => Point[]> = { circle, xor, gauss, spiral };

/** `count` points of dataset `name` with noise in [0, 0.5], from `seed`. */
export function generateDataset(name: DatasetName, count: number, noise: number, seed: number): Point[] {
  return GENERATORS[name](count, noise, new Rng(seed));
}

/** The points shuffled (from `seed`), the first `trainCount` for training and the rest for testing. */
export function splitTrainTest(points: readonly Point[], trainCount: number, seed: number): { train: Point[]; test: Point[] } {
  const order = new Rng(seed).permutation(points.length);
  const shuffled = Array.from(order, (i) => points[i]!);
  return { train: shuffled.slice(0, trainCount), test: shuffled.slice(trainCount) };
}
