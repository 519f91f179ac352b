/**
 * The playground's model and training without a browser: the generated
 * gradient of `loss` (examples/playground/model.grad.ts, written by the
 * build as the Vite plugin writes it) against central finite differences
 * and forward mode against reverse mode, for every activation, for no,
 * one and three hidden layers, with L1 and L2 penalties; `forward` agrees
 * with `loss`; and the trainer, driven as the page drives it, separates
 * the circle and XOR datasets, with batch sizes 1 (online), 10 and the
 * whole training set (full batch).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Rng, flatten, fromArray, randn, unflatten, type Tensor } from 'wengert';
import { build } from '../../compiler/build/build.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { repoRoot } from '../build/helpers/temp.ts';
import { generateDataset, splitTrainTest } from '../../examples/playground/datasets.ts';
import { ACTIVATIONS, forward, loss, type Net } from '../../examples/playground/model.ts';
import { POINT_COUNT, parseSettings, trainingSetSize } from '../../examples/playground/settings.ts';

type Grad = typeof import('../../examples/playground/model.grad.ts');
let grad: Grad;
let Trainer: typeof import('../../examples/playground/trainer.ts').Trainer;

beforeAll(async () => {
  const result = build([path.join(repoRoot, 'examples', 'playground', 'model.ts')], { quiet: true, log: () => {}, logError: () => {} });
  expect(result.exitCode).toBe(0);
  grad = await import('../../examples/playground/model.grad.ts');
  ({ Trainer } = await import('../../examples/playground/trainer.ts'));
}, 120_000);

const rng = new Rng(11);
const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });

function net(sizes: number[]): Net {
  const widths = [3, ...sizes];
  return {
    hidden: sizes.map((size, i) => ({ W: f64([widths[i]!, size]), b: f64([size]) })),
    output: { W: f64([widths[widths.length - 1]!, 1]), b: f64([1]) },
  };
}

const x = f64([9, 3]);
const y = fromArray(Array.from({ length: 9 }, (_, i) => [i % 3 === 0 ? 1 : 0]), undefined, 'float64');

describe('the generated gradient of the playground loss', () => {
  for (const sizes of [[], [4], [3, 5, 2]]) {
    for (const [code, name] of ACTIVATIONS.entries()) {
      test(`${sizes.length} hidden layers, ${name}: reverse against finite differences, forward against reverse`, () => {
        const p = net(sizes);
        const args = [p, x, y, code, 0.03, 0.05] as const;
        const g = flatten(grad.grad_loss(...args));
        const fd = finiteDifferenceGradient(loss as (...a: unknown[]) => number, [...args], [0], 1e-6);
        expect(g.length).toBe(flatten(p).length);
        expect(maxRelError(g, fd)).toBeLessThan(1e-6);
        const direction = unflatten(p, flatten(p).map((_, k) => Math.cos(k)));
        const [value, tangent] = grad.jvp_loss(...args, direction);
        expect(value).toBeCloseTo(loss(...args), 12);
        expect(tangent).toBeCloseTo(dotFlat(g, flatten(direction)), 9);
        const [v2] = grad.valueAndGrad_loss(...args);
        expect(v2).toBe(loss(...args));
      });
    }
  }

  test('without penalties the loss is the cross-entropy of forward\'s output', () => {
    const p = net([4, 2]);
    for (const code of ACTIVATIONS.keys()) {
      const outputs = forward(p, x, code);
      const probabilities = outputs[outputs.length - 1]!.dataSync();
      const labels = y.dataSync();
      let expected = 0;
      probabilities.forEach((q, i) => (expected -= labels[i]! * Math.log(q) + (1 - labels[i]!) * Math.log(1 - q)));
      expect(loss(p, x, y, code, 0, 0)).toBeCloseTo(expected / probabilities.length, 9);
      expect(outputs.map((t: Tensor) => t.shape)).toEqual([[9, 4], [9, 2], [9, 1]]);
    }
  });
});

describe('training as the page does', () => {
  function train(query: string, steps: number): number {
    const settings = parseSettings(query);
    const points = generateDataset(settings.dataset, POINT_COUNT, settings.noise / 100, settings.seed);
    const data = splitTrainTest(points, trainingSetSize(settings.trainPercent), settings.seed);
    const trainer = new Trainer(settings, data);
    const before = trainer.figures();
    for (let i = 0; i < steps; i++) trainer.step();
    const after = trainer.figures();
    expect(after.step).toBe(steps);
    expect(after.testLoss).toBeLessThan(before.testLoss);
    return after.testAccuracy;
  }

  test('circle with the address of the issue: 95% test accuracy within 10000 minibatch steps', () => {
    expect(train('dataset=circle&layers=4,2&activation=tanh&seed=1', 10_000)).toBeGreaterThanOrEqual(0.95);
  });

  test('online (batch size 1) and full-batch gradient descent both learn; full batch counts one epoch per step', () => {
    expect(train('dataset=xor&layers=4&activation=relu&seed=2&batchSize=1&learningRate=0.03', 8000)).toBeGreaterThanOrEqual(0.9);
    expect(train('dataset=circle&layers=&features=x1sq,x2sq&seed=2&batchSize=250&learningRate=0.1', 400)).toBeGreaterThanOrEqual(0.95);
    const settings = parseSettings('dataset=gauss&batchSize=250');
    const data = splitTrainTest(generateDataset('gauss', POINT_COUNT, 0, 1), 250, 1);
    const trainer = new Trainer(settings, data);
    trainer.step();
    trainer.step();
    expect(trainer.figures().epoch).toBe(2);
  });

  test('L1 regularization drives weights of an unused feature toward 0', () => {
    const settings = parseSettings('dataset=gauss&layers=&features=x1,x2,sinx1&regularization=l1&regularizationRate=0.03&learningRate=0.03&seed=4');
    const data = splitTrainTest(generateDataset('gauss', POINT_COUNT, 0, 4), 250, 4);
    const trainer = new Trainer(settings, data);
    for (let i = 0; i < 3000; i++) trainer.step();
    const [w1, w2, wSin] = Array.from(trainer.net.output.W.dataSync());
    expect(Math.abs(wSin!)).toBeLessThan(0.05);
    expect(Math.min(Math.abs(w1!), Math.abs(w2!))).toBeGreaterThan(0.1);
  });
});
