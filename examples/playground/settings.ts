/**
 * The playground's settings and their query-parameter form, so that a page
 * address describes a whole experiment and tests can drive the page:
 *
 *   ?dataset=circle&noise=10&trainPercent=50&features=x1,x2&layers=4,2
 *   &activation=tanh&learningRate=0.03&regularization=l2&regularizationRate=0.001
 *   &batchSize=10&seed=1&autoplay=1
 *
 * Missing or invalid parameters take their defaults; numbers are clamped
 * to the ranges the controls offer.
 */
import { ACTIVATIONS, type ActivationName } from './model.ts';
import { FEATURE_NAMES, type FeatureName } from './features.ts';
import { DATASET_NAMES, type DatasetName } from './datasets.ts';

export type Regularization = 'none' | 'l1' | 'l2';
export const REGULARIZATIONS: readonly Regularization[] = ['none', 'l1', 'l2'];

/** The learning rates and regularization rates the controls offer (as playground.tensorflow.org does). */
export const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
export const REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

export const MAX_HIDDEN_LAYERS = 6;
export const MAX_NEURONS = 8;

export interface Settings {
  dataset: DatasetName;
  /** Label noise, in percent (0 to 50). */
  noise: number;
  /** Share of the points used for training, in percent (10 to 90); the rest is the test set. */
  trainPercent: number;
  features: FeatureName[];
  /** Neurons per hidden layer: 0 to 6 layers of 1 to 8 neurons. */
  layers: number[];
  activation: ActivationName;
  learningRate: number;
  regularization: Regularization;
  regularizationRate: number;
  /** Points per gradient step: 1 is online (stochastic) gradient descent, the training-set size is full-batch. */
  batchSize: number;
  seed: number;
  /** Start training as soon as the page loads. */
  autoplay: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = {
  dataset: 'circle',
  noise: 0,
  trainPercent: 50,
  features: ['x1', 'x2'],
  layers: [4, 2],
  activation: 'tanh',
  learningRate: 0.03,
  regularization: 'none',
  regularizationRate: 0,
  batchSize: 10,
  seed: 1,
  autoplay: false,
};

/** How many points each dataset has (as on playground.tensorflow.org). */
export const POINT_COUNT = 500;

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function numberOr(value: string | null, fallback: number): number {
  if (value === null || value.trim() === '') return fallback;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

/** `4,2` -> [4, 2]; `` or `0` -> no hidden layer; at most 6 layers of 1 to 8 neurons. */
export function parseLayers(value: string | null): number[] {
  if (value === null) return [...DEFAULT_SETTINGS.layers];
  const sizes = value
    .split(',')
    .map((part) => Math.round(Number(part)))
    .filter((size) => Number.isFinite(size) && size > 0);
  return sizes.slice(0, MAX_HIDDEN_LAYERS).map((size) => clamp(size, 1, MAX_NEURONS));
}

function parseFeatures(value: string | null): FeatureName[] {
  if (value === null) return [...DEFAULT_SETTINGS.features];
  const chosen = value.split(',').filter((name): name is FeatureName => FEATURE_NAMES.includes(name as FeatureName));
  return chosen.length > 0 ? FEATURE_NAMES.filter((name) => chosen.includes(name)) : [...DEFAULT_SETTINGS.features];
}

/** The settings a query string (`location.search`) describes. */
export function parseSettings(search: string): Settings {
  const q = new URLSearchParams(search);
  const d = DEFAULT_SETTINGS;
  const trainPercent = clamp(Math.round(numberOr(q.get('trainPercent'), d.trainPercent)), 10, 90);
  return {
    dataset: oneOf(q.get('dataset'), DATASET_NAMES, d.dataset),
    noise: clamp(Math.round(numberOr(q.get('noise'), d.noise)), 0, 50),
    trainPercent,
    features: parseFeatures(q.get('features')),
    layers: parseLayers(q.get('layers')),
    activation: oneOf(q.get('activation'), ACTIVATIONS, d.activation),
    learningRate: clamp(numberOr(q.get('learningRate'), d.learningRate), 0, 10),
    regularization: oneOf(q.get('regularization'), REGULARIZATIONS, d.regularization),
    regularizationRate: clamp(numberOr(q.get('regularizationRate'), d.regularizationRate), 0, 10),
    batchSize: clamp(Math.round(numberOr(q.get('batchSize'), d.batchSize)), 1, trainingSetSize(trainPercent)),
    seed: Math.round(numberOr(q.get('seed'), d.seed)) >>> 0,
    autoplay: q.get('autoplay') === '1' || q.get('autoplay') === 'true',
  };
}

/** The query string (without `?`) that gives back `settings`. */
export function settingsToQuery(settings: Settings): string {
  const q = new URLSearchParams({
    dataset: settings.dataset,
    noise: String(settings.noise),
    trainPercent: String(settings.trainPercent),
    features: settings.features.join(','),
    layers: settings.layers.join(','),
    activation: settings.activation,
    learningRate: String(settings.learningRate),
    regularization: settings.regularization,
    regularizationRate: String(settings.regularizationRate),
    batchSize: String(settings.batchSize),
    seed: String(settings.seed),
  });
  if (settings.autoplay) q.set('autoplay', '1');
  return q.toString().replaceAll('%2C', ',');
}

/** How many of the POINT_COUNT points train at `trainPercent`. */
export function trainingSetSize(trainPercent: number): number {
  return Math.round((POINT_COUNT * trainPercent) / 100);
}

/** The penalty weights `loss` takes: (l1, l2). */
export function penaltyWeights(settings: Settings): { l1: number; l2: number } {
  const rate = settings.regularizationRate;
  return { l1: settings.regularization === 'l1' ? rate : 0, l2: settings.regularization === 'l2' ? rate : 0 };
}
