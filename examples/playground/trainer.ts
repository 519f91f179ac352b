/**
 * Training the playground's network with the generated gradient: each
 * step takes the next `batchSize` training points (reshuffled every
 * epoch), calls `valueAndGrad_loss` from model.grad.ts and moves the
 * weights against the gradient with plain SGD. Batch size 1 is online
 * gradient descent, the training-set size is full-batch gradient descent,
 * anything between is minibatch.
 */
import { Rng, SGD, fromTypedArray, type Tensor } from 'wengert';
import { featureMatrix, featureRows } from './features.ts';
import { ACTIVATIONS, forward, loss, type Net } from './model.ts';
import { valueAndGrad_loss } from './model.grad.ts';
import { createNet } from './network.ts';
import { penaltyWeights, type Settings } from './settings.ts';
import type { Point } from './datasets.ts';

/** What the page shows about the training so far. */
export interface Figures {
  step: number;
  epoch: number;
  /** Mean cross-entropy over the training set (without the penalty). */
  trainLoss: number;
  testLoss: number;
  /** Share of test points on the right side of 0.5. */
  testAccuracy: number;
}

function labelColumn(points: readonly Point[]): Tensor {
  return fromTypedArray(Float32Array.from(points, (p) => p.label), [points.length, 1]);
}

export class Trainer {
  readonly net: Net;
  private stepCount = 0;
  private epochCount = 0;
  private readonly optimizer: SGD;
  private readonly rng: Rng;
  private order: Int32Array;
  private cursor = 0;
  private readonly trainRows: Float32Array;
  private readonly trainLabels: Float32Array;
  private readonly trainX: Tensor;
  private readonly trainY: Tensor;
  private readonly testX: Tensor;
  private readonly testY: Tensor;
  private readonly width: number;

  constructor(
    private settings: Settings,
    private readonly data: { train: Point[]; test: Point[] },
  ) {
    this.width = settings.features.length;
    this.net = createNet(this.width, settings.layers, settings.seed + 1);
    this.optimizer = new SGD({ lr: settings.learningRate });
    this.rng = new Rng(settings.seed + 2);
    this.order = this.rng.permutation(data.train.length);
    this.trainRows = featureRows(data.train, settings.features);
    this.trainLabels = Float32Array.from(data.train, (p) => p.label);
    this.trainX = featureMatrix(data.train, settings.features);
    this.trainY = labelColumn(data.train);
    this.testX = featureMatrix(data.test, settings.features);
    this.testY = labelColumn(data.test);
  }

  /** Settings that apply from the next step on (learning rate, regularization, batch size). */
  update(settings: Settings): void {
    this.settings = settings;
  }

  get activationCode(): number {
    return ACTIVATIONS.indexOf(this.settings.activation);
  }

  /** One gradient step on the next batch. */
  step(): void {
    const { x, y } = this.nextBatch();
    const { l1, l2 } = penaltyWeights(this.settings);
    const [, gradient] = valueAndGrad_loss(this.net, x, y, this.activationCode, l1, l2);
    this.optimizer.lr = this.settings.learningRate;
    this.optimizer.step(this.net, gradient);
    this.stepCount++;
  }

  /** The next `batchSize` points of this epoch's order; the whole training set as it is for full-batch steps. */
  private nextBatch(): { x: Tensor; y: Tensor } {
    const n = this.data.train.length;
    const size = Math.min(this.settings.batchSize, n);
    if (size === n) {
      this.epochCount++;
      return { x: this.trainX, y: this.trainY };
    }
    const rows = new Float32Array(size * this.width);
    const labels = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      if (this.cursor === n) this.startEpoch();
      const point = this.order[this.cursor++]!;
      rows.set(this.trainRows.subarray(point * this.width, (point + 1) * this.width), i * this.width);
      labels[i] = this.trainLabels[point]!;
    }
    return { x: fromTypedArray(rows, [size, this.width]), y: fromTypedArray(labels, [size, 1]) };
  }

  private startEpoch(): void {
    this.epochCount++;
    this.cursor = 0;
    this.order = this.rng.permutation(this.data.train.length);
  }

  /** Losses and accuracy of the network as it is now. */
  figures(): Figures {
    const code = this.activationCode;
    return {
      step: this.stepCount,
      epoch: this.epochCount,
      trainLoss: loss(this.net, this.trainX, this.trainY, code, 0, 0),
      testLoss: this.data.test.length ? loss(this.net, this.testX, this.testY, code, 0, 0) : NaN,
      testAccuracy: this.testAccuracy(),
    };
  }

  private testAccuracy(): number {
    if (this.data.test.length === 0) return NaN;
    const code = this.activationCode;
    const probabilities = predictions(this.net, this.testX, code);
    let right = 0;
    this.data.test.forEach((point, i) => {
      if ((probabilities[i]! > 0.5 ? 1 : 0) === point.label) right++;
    });
    return right / this.data.test.length;
  }
}

/** The output probability for each row of x. */
export function predictions(net: Net, x: Tensor, activation: number): ArrayLike<number> {
  const outputs = forward(net, x, activation);
  return outputs[outputs.length - 1]!.dataSync();
}
