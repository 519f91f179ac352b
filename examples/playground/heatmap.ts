/**
 * Heat maps over the square [-DOMAIN, DOMAIN]^2: a grid of sample points,
 * the colour scale of the playground (orange for -1 / label 0, white for 0,
 * blue for +1 / label 1), painting a grid of values into a canvas (one
 * pixel per sample; CSS scales it up smoothly), and the data points drawn
 * on top of the decision boundary.
 */
import { DOMAIN, type Point } from './datasets.ts';

/** Samples per side of every heat map. */
export const GRID = 50;

const NEGATIVE = [245, 147, 34];
const MIDDLE = [232, 234, 235];
const POSITIVE = [8, 119, 189];

/** The grid's sample points, row by row from the top (x2 = DOMAIN) down, left (x1 = -DOMAIN) to right. */
export function gridPoints(): { x1: number; x2: number }[] {
  const points: { x1: number; x2: number }[] = [];
  for (let row = 0; row < GRID; row++) {
    for (let column = 0; column < GRID; column++) {
      points.push({ x1: toDomain(column), x2: -toDomain(row) });
    }
  }
  return points;
}

/** Grid index (0 .. GRID-1, at pixel centres) to a coordinate in [-DOMAIN, DOMAIN]. */
function toDomain(index: number): number {
  return ((index + 0.5) / GRID) * 2 * DOMAIN - DOMAIN;
}

/** The colour of a value in [-1, 1] (clamped), as r, g, b. */
export function colorOf(value: number): [number, number, number] {
  const v = Math.max(-1, Math.min(1, Number.isNaN(value) ? 0 : value));
  const [from, to, t] = v < 0 ? [MIDDLE, NEGATIVE, -v] : [MIDDLE, POSITIVE, v];
  return [0, 1, 2].map((k) => Math.round(from[k]! + (to[k]! - from[k]!) * t)) as [number, number, number];
}

/**
 * Paints GRID x GRID values (read at `offset + stride * i` for sample i)
 * into a canvas of GRID x GRID pixels, each value divided by `scale` first.
 */
export function paintGrid(canvas: HTMLCanvasElement, values: ArrayLike<number>, options: { offset?: number; stride?: number; scale?: number; shift?: number } = {}): void {
  const { offset = 0, stride = 1, scale = 1, shift = 0 } = options;
  canvas.width = GRID;
  canvas.height = GRID;
  const context = canvas.getContext('2d');
  if (!context) return;
  const image = context.createImageData(GRID, GRID);
  for (let i = 0; i < GRID * GRID; i++) {
    const [r, g, b] = colorOf((values[offset + stride * i]! - shift) / scale);
    image.data.set([r, g, b, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}

/** Draws points of `radius` pixels over a canvas whose CSS box is the square domain; test points get a dark outline. */
export function drawPoints(canvas: HTMLCanvasElement, points: { train: readonly Point[]; test: readonly Point[] }, radius = 3.5): void {
  const size = canvas.clientWidth || 300;
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext('2d');
  if (!context) return;
  context.clearRect(0, 0, size, size);
  const toPixel = (v: number) => ((v + DOMAIN) / (2 * DOMAIN)) * size;
  const draw = (point: Point, outline: string) => {
    const [r, g, b] = colorOf(point.label === 1 ? 1 : -1);
    context.beginPath();
    context.arc(toPixel(point.x1), size - toPixel(point.x2), radius, 0, 2 * Math.PI);
    context.fillStyle = `rgb(${r}, ${g}, ${b})`;
    context.fill();
    if (radius < 2) return;
    context.strokeStyle = outline;
    context.lineWidth = 1;
    context.stroke();
  };
  for (const point of points.train) draw(point, 'white');
  for (const point of points.test) draw(point, '#222');
}
