/**
 * The input features the network may see, computed from a point's
 * coordinates (they are fixed transforms, not trained): x1, x2, their
 * squares, their product and their sines. `featureMatrix` stacks the chosen
 * features of many points into the [points, features] tensor the model takes.
 */
import { fromTypedArray, type Tensor } from 'wengert';

export const FEATURE_NAMES = ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export interface Feature {
  /** How the page labels it. */
  label: string;
  value: (x1: number, x2: number) => number;
}

export const FEATURES: Record<FeatureName, Feature> = {
  x1: { label: 'x₁', value: (x1) => x1 },
  x2: { label: 'x₂', value: (_x1, x2) => x2 },
  x1sq: { label: 'x₁²', value: (x1) => x1 * x1 },
  x2sq: { label: 'x₂²', value: (_x1, x2) => x2 * x2 },
  x1x2: { label: 'x₁x₂', value: (x1, x2) => x1 * x2 },
  sinx1: { label: 'sin(x₁)', value: (x1) => Math.sin(x1) },
  sinx2: { label: 'sin(x₂)', value: (_x1, x2) => Math.sin(x2) },
};

/** Rows of the chosen features for each (x1, x2), as a float32 array in row-major order. */
export function featureRows(points: ReadonlyArray<{ x1: number; x2: number }>, features: readonly FeatureName[]): Float32Array {
  const rows = new Float32Array(points.length * features.length);
  points.forEach((point, i) => {
    features.forEach((name, j) => {
      rows[i * features.length + j] = FEATURES[name].value(point.x1, point.x2);
    });
  });
  return rows;
}

/** The [points, features] tensor of the chosen features. */
export function featureMatrix(points: ReadonlyArray<{ x1: number; x2: number }>, features: readonly FeatureName[]): Tensor {
  return fromTypedArray(featureRows(points, features), [points.length, features.length]);
}
