/**
 * The page's controls: the toolbar (reset, play/pause, step, learning
 * rate, activation, regularization and its rate) and the data panel
 * (dataset, noise, share of training data, batch size, seed). They report
 * changes as partial settings; `sync` shows the settings and the playing
 * state they are given.
 */
import { DATASET_NAMES, generateDataset, type DatasetName } from './datasets.ts';
import { drawPoints } from './heatmap.ts';
import { ACTIVATIONS } from './model.ts';
import { LEARNING_RATES, POINT_COUNT, REGULARIZATIONS, REGULARIZATION_RATES, trainingSetSize, type Settings } from './settings.ts';

export interface ControlEvents {
  change(patch: Partial<Settings>): void;
  togglePlay(): void;
  step(): void;
  reset(): void;
}

const ACTIVATION_LABELS: Record<(typeof ACTIVATIONS)[number], string> = {
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  relu: 'ReLU',
  leakyRelu: 'Leaky ReLU',
  softplus: 'Softplus',
  linear: 'Linear',
};

const DATASET_LABELS: Record<DatasetName, string> = { circle: 'Circle', xor: 'XOR', gauss: 'Two Gaussians', spiral: 'Spiral' };

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

function fillSelect(select: HTMLSelectElement, options: readonly { value: string; label: string }[]): void {
  select.replaceChildren(...options.map(({ value, label }) => new Option(label, value)));
}

/** How the batch size reads: online, minibatch or full batch. */
export function batchKind(batchSize: number, trainCount: number): string {
  if (batchSize >= trainCount) return 'full batch';
  return batchSize === 1 ? 'online' : 'minibatch';
}

export class Controls {
  private readonly play = element<HTMLButtonElement>('play');
  private readonly learningRate = element<HTMLSelectElement>('learningRate');
  private readonly activation = element<HTMLSelectElement>('activation');
  private readonly regularization = element<HTMLSelectElement>('regularization');
  private readonly regularizationRate = element<HTMLSelectElement>('regularizationRate');
  private readonly noise = element<HTMLInputElement>('noise');
  private readonly trainPercent = element<HTMLInputElement>('trainPercent');
  private readonly batchSize = element<HTMLInputElement>('batchSize');
  private readonly seed = element<HTMLInputElement>('seed');
  private readonly datasets = element<HTMLDivElement>('datasets');

  constructor(private readonly events: ControlEvents) {
    fillSelect(this.learningRate, LEARNING_RATES.map((rate) => ({ value: String(rate), label: String(rate) })));
    fillSelect(this.activation, ACTIVATIONS.map((name) => ({ value: name, label: ACTIVATION_LABELS[name] })));
    fillSelect(this.regularization, REGULARIZATIONS.map((name) => ({ value: name, label: name === 'none' ? 'None' : name.toUpperCase() })));
    fillSelect(this.regularizationRate, REGULARIZATION_RATES.map((rate) => ({ value: String(rate), label: String(rate) })));
    element('reset').addEventListener('click', () => events.reset());
    this.play.addEventListener('click', () => events.togglePlay());
    element('step-once').addEventListener('click', () => events.step());
    this.onChange(this.learningRate, () => ({ learningRate: Number(this.learningRate.value) }));
    this.onChange(this.activation, () => ({ activation: this.activation.value as Settings['activation'] }));
    this.onChange(this.regularization, () => ({ regularization: this.regularization.value as Settings['regularization'] }));
    this.onChange(this.regularizationRate, () => ({ regularizationRate: Number(this.regularizationRate.value) }));
    this.onChange(this.noise, () => ({ noise: Number(this.noise.value) }));
    this.onChange(this.trainPercent, () => ({ trainPercent: Number(this.trainPercent.value) }));
    this.onChange(this.batchSize, () => ({ batchSize: Number(this.batchSize.value) }));
    this.onChange(this.seed, () => ({ seed: Math.max(0, Math.round(Number(this.seed.value) || 0)) }));
    this.batchSize.addEventListener('input', () => this.showBatchSize(Number(this.batchSize.value), Number(this.batchSize.max)));
  }

  private onChange(input: HTMLInputElement | HTMLSelectElement, patch: () => Partial<Settings>): void {
    input.addEventListener('change', () => this.events.change(patch()));
  }

  private showBatchSize(batchSize: number, trainCount: number): void {
    element('batchSize-value').textContent = `${batchSize} (${batchKind(batchSize, trainCount)})`;
  }

  /** Shows `settings` in every control, and whether training runs. */
  sync(settings: Settings, playing: boolean): void {
    this.play.textContent = playing ? '❚❚ Pause' : '▶ Play';
    this.learningRate.value = String(settings.learningRate);
    this.activation.value = settings.activation;
    this.regularization.value = settings.regularization;
    this.regularizationRate.value = String(settings.regularizationRate);
    this.regularizationRate.disabled = settings.regularization === 'none';
    this.noise.value = String(settings.noise);
    element('noise-value').textContent = `${settings.noise}%`;
    this.trainPercent.value = String(settings.trainPercent);
    element('trainPercent-value').textContent = `${settings.trainPercent}%`;
    const trainCount = trainingSetSize(settings.trainPercent);
    this.batchSize.max = String(trainCount);
    this.batchSize.value = String(settings.batchSize);
    this.showBatchSize(settings.batchSize, trainCount);
    this.seed.value = String(settings.seed);
    this.syncDatasets(settings);
  }

  /** One button per dataset, with a thumbnail of its points at the current noise and seed. */
  private syncDatasets(settings: Settings): void {
    this.datasets.replaceChildren(
      ...DATASET_NAMES.map((name) => {
        const choice = document.createElement('button');
        choice.type = 'button';
        choice.className = 'dataset';
        choice.dataset.dataset = name;
        choice.title = DATASET_LABELS[name];
        choice.classList.toggle('active', name === settings.dataset);
        const thumbnail = document.createElement('canvas');
        choice.append(thumbnail);
        choice.addEventListener('click', () => this.events.change({ dataset: name }));
        queueMicrotask(() => drawPoints(thumbnail, { train: generateDataset(name, POINT_COUNT / 2, settings.noise / 100, settings.seed), test: [] }, 1.5));
        return choice;
      }),
    );
  }
}
