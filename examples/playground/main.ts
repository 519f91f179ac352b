/// <reference path="./env.d.ts" />
/**
 * The playground page: reads the settings from the address, builds the
 * dataset, the network and its trainer, and runs the loop (train for a few
 * milliseconds per animation frame while playing, then redraw the figures,
 * the heat maps and the loss curves). Settings that change the problem
 * (data, features, layers, activation, seed) start again; the learning
 * rate, regularization and batch size apply to the next step. The address
 * follows the settings, so a page address is a whole experiment.
 *
 * The code panel shows model.grad.ts as the wengert Vite plugin served it:
 * the `?raw` import and trainer.ts's import of `valueAndGrad_loss` are the
 * same generated module, and editing model.ts regenerates both and reloads
 * the page (with the same address, so training resumes).
 */
import generatedCode from './model.grad.ts?raw';
import modelCode from './model.ts?raw';
import { showCode } from './code-panel.ts';
import { Controls } from './controls.ts';
import { generateDataset, splitTrainTest, type Point } from './datasets.ts';
import { featureMatrix } from './features.ts';
import { drawPoints, gridPoints, paintGrid } from './heatmap.ts';
import { LossChart } from './loss-chart.ts';
import { forward } from './model.ts';
import { NetworkView } from './network-view.ts';
import { POINT_COUNT, parseSettings, settingsToQuery, trainingSetSize, type Settings } from './settings.ts';
import { Trainer, type Figures } from './trainer.ts';
import type { Tensor } from 'wengert';

/** Milliseconds of training per animation frame while playing. */
const TRAIN_MS_PER_FRAME = 12;

/** Settings whose change starts a new run; the others apply to the next step. */
const RESTARTING: readonly (keyof Settings)[] = ['dataset', 'noise', 'trainPercent', 'features', 'layers', 'activation', 'seed'];

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

interface Run {
  data: { train: Point[]; test: Point[] };
  trainer: Trainer;
  /** The grid's features, for the heat maps. */
  gridX: Tensor;
}

let settings = parseSettings(location.search);
let playing = settings.autoplay;
let run: Run;
let dirty = true;

const chart = new LossChart(element<HTMLCanvasElement>('loss-chart'));
const network = new NetworkView(element('network'), {
  toggleFeature(name) {
    const features = settings.features.includes(name) ? settings.features.filter((f) => f !== name) : [...settings.features, name];
    if (features.length > 0) change({ features });
  },
  setLayerCount(count) {
    const layers = settings.layers.slice(0, count);
    while (layers.length < count) layers.push(layers[layers.length - 1] ?? 4);
    change({ layers });
  },
  setNeurons(layer, count) {
    change({ layers: settings.layers.map((size, i) => (i === layer ? count : size)) });
  },
});
const controls = new Controls({
  change,
  togglePlay() {
    playing = !playing;
    showSettings();
  },
  step() {
    playing = false;
    run.trainer.step();
    dirty = true;
    showSettings();
  },
  reset() {
    start(settings);
  },
});

/** A new dataset, network and trainer for `next`. */
function start(next: Settings): void {
  settings = next;
  const points = generateDataset(settings.dataset, POINT_COUNT, settings.noise / 100, settings.seed);
  const data = splitTrainTest(points, trainingSetSize(settings.trainPercent), settings.seed);
  run = { data, trainer: new Trainer(settings, data), gridX: featureMatrix(gridPoints(), settings.features) };
  network.build(settings);
  drawPoints(element<HTMLCanvasElement>('points'), data);
  chart.reset();
  dirty = true;
  showSettings();
}

function change(patch: Partial<Settings>): void {
  const next = { ...settings, ...patch };
  next.batchSize = Math.min(next.batchSize, trainingSetSize(next.trainPercent));
  if (RESTARTING.some((key) => key in patch)) {
    start(next);
    return;
  }
  settings = next;
  run.trainer.update(settings);
  showSettings();
}

/** The controls and the address show the settings (and whether training runs, as autoplay). */
function showSettings(): void {
  controls.sync(settings, playing);
  history.replaceState(null, '', `?${settingsToQuery({ ...settings, autoplay: playing })}`);
}

function showFigures(figures: Figures): void {
  const show = (id: string, value: number, text: string) => {
    const target = element(id);
    target.textContent = Number.isFinite(value) ? text : '–';
    target.dataset.value = String(value);
  };
  show('step', figures.step, String(figures.step));
  show('epoch', figures.epoch, String(figures.epoch));
  show('test-loss', figures.testLoss, figures.testLoss.toFixed(3));
  show('train-loss', figures.trainLoss, figures.trainLoss.toFixed(3));
  show('test-accuracy', figures.testAccuracy, `${(figures.testAccuracy * 100).toFixed(1)}%`);
}

function render(): void {
  const { trainer, gridX } = run;
  const figures = trainer.figures();
  showFigures(figures);
  const outputs = forward(trainer.net, gridX, trainer.activationCode).map((t) => t.dataSync());
  paintGrid(element<HTMLCanvasElement>('boundary'), outputs[outputs.length - 1]!, { shift: 0.5, scale: 0.5 });
  network.paint(trainer.net, outputs);
  chart.add(figures.trainLoss, figures.testLoss);
}

function frame(): void {
  if (playing) {
    const started = performance.now();
    do run.trainer.step();
    while (performance.now() - started < TRAIN_MS_PER_FRAME);
    dirty = true;
  }
  if (dirty) {
    render();
    dirty = false;
  }
  requestAnimationFrame(frame);
}

showCode(element('code'), [
  {
    name: 'model.grad.ts',
    note: 'Generated by wengert from model.ts by the Vite plugin: the module this page imports valueAndGrad_loss from. Edit model.ts and the page reloads with new derivatives',
    text: generatedCode,
    testId: 'generated-code',
  },
  { name: 'model.ts', note: 'The source: loss is marked @differentiable', text: modelCode, testId: 'model-code' },
]);
start(settings);
requestAnimationFrame(frame);
