/**
 * The network picture: a column of input features (click one to use it or
 * not), a column per hidden layer with + and - buttons for its neurons,
 * and the output unit. Every unit is a small heat map of its value over
 * the input square; the links between units are lines whose width follows
 * the weight's size and whose colour its sign (blue positive, orange
 * negative).
 */
import { FEATURES, FEATURE_NAMES, featureRows, type FeatureName } from './features.ts';
import { GRID, colorOf, gridPoints, paintGrid } from './heatmap.ts';
import type { Net } from './model.ts';
import { allLayers } from './network.ts';
import { MAX_HIDDEN_LAYERS, MAX_NEURONS, type Settings } from './settings.ts';

export interface NetworkEditor {
  toggleFeature(name: FeatureName): void;
  setLayerCount(count: number): void;
  setNeurons(layer: number, count: number): void;
}

interface Link {
  line: SVGLineElement;
  /** Index into allLayers(net), and the weight's row and column. */
  layer: number;
  from: number;
  to: number;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Each feature's values on the grid, all features side by side, and each feature's largest magnitude there. */
const featureGrid = featureRows(gridPoints(), FEATURE_NAMES);
const featureScale = FEATURE_NAMES.map((_, j) => {
  let largest = 1e-9;
  for (let i = 0; i < GRID * GRID; i++) largest = Math.max(largest, Math.abs(featureGrid[i * FEATURE_NAMES.length + j]!));
  return largest;
});

function button(label: string, title: string, enabled: boolean, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.title = title;
  b.disabled = !enabled;
  b.addEventListener('click', onClick);
  return b;
}

function unitCanvas(): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.className = 'unit';
  canvas.width = GRID;
  canvas.height = GRID;
  return canvas;
}

export class NetworkView {
  private readonly svg: SVGSVGElement;
  private readonly columns: HTMLDivElement;
  /** Canvases per column: features in use, each hidden layer, the output. */
  private units: HTMLCanvasElement[][] = [];
  private links: Link[] = [];
  /** The network last painted, to colour the links again after a new layout. */
  private painted: Net | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly editor: NetworkEditor,
  ) {
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.classList.add('links');
    this.columns = document.createElement('div');
    this.columns.className = 'columns';
    container.replaceChildren(this.svg, this.columns);
    window.addEventListener('resize', () => this.layoutLinks());
  }

  /** Builds the columns and links for the network `settings` describe. */
  build(settings: Settings): void {
    this.painted = undefined;
    this.columns.replaceChildren(this.featureColumn(settings), ...settings.layers.map((size, i) => this.layerColumn(i, size)), this.outputColumn());
    this.layoutLinks();
  }

  private column(title: string, controls: HTMLElement[] = []): HTMLDivElement {
    const column = document.createElement('div');
    column.className = 'column';
    const heading = document.createElement('div');
    heading.className = 'column-title';
    heading.textContent = title;
    const bar = document.createElement('div');
    bar.className = 'column-controls';
    bar.append(...controls);
    column.append(bar, heading);
    return column;
  }

  private featureColumn(settings: Settings): HTMLDivElement {
    const column = this.column('Features');
    const used: HTMLCanvasElement[] = [];
    for (const name of FEATURE_NAMES) {
      const unit = document.createElement('label');
      unit.className = 'feature';
      const active = settings.features.includes(name);
      unit.classList.toggle('inactive', !active);
      unit.title = active ? `stop using ${FEATURES[name].label}` : `use ${FEATURES[name].label}`;
      const canvas = unitCanvas();
      const j = FEATURE_NAMES.indexOf(name);
      paintGrid(canvas, featureGrid, { offset: j, stride: FEATURE_NAMES.length, scale: featureScale[j]! });
      const caption = document.createElement('span');
      caption.textContent = FEATURES[name].label;
      unit.append(caption, canvas);
      unit.addEventListener('click', () => this.editor.toggleFeature(name));
      column.append(unit);
      if (active) used.push(canvas);
    }
    this.units = [used];
    const layers = settings.layers.length;
    const controls = column.querySelector('.column-controls')!;
    controls.append(
      button('+', 'add a hidden layer', layers < MAX_HIDDEN_LAYERS, () => this.editor.setLayerCount(layers + 1)),
      button('−', 'remove the last hidden layer', layers > 0, () => this.editor.setLayerCount(layers - 1)),
    );
    const count = document.createElement('span');
    count.textContent = `${layers} hidden ${layers === 1 ? 'layer' : 'layers'}`;
    controls.append(count);
    return column;
  }

  private layerColumn(index: number, size: number): HTMLDivElement {
    const column = this.column(`${size} ${size === 1 ? 'neuron' : 'neurons'}`, [
      button('+', 'add a neuron', size < MAX_NEURONS, () => this.editor.setNeurons(index, size + 1)),
      button('−', 'remove a neuron', size > 1, () => this.editor.setNeurons(index, size - 1)),
    ]);
    const canvases = Array.from({ length: size }, unitCanvas);
    column.append(...canvases);
    this.units.push(canvases);
    return column;
  }

  private outputColumn(): HTMLDivElement {
    const column = this.column('Output');
    const canvas = unitCanvas();
    column.append(canvas);
    this.units.push([canvas]);
    return column;
  }

  /** Places one line per weight between the centres of the units it joins. */
  private layoutLinks(): void {
    const box = this.container.getBoundingClientRect();
    this.svg.setAttribute('width', String(box.width));
    this.svg.setAttribute('height', String(box.height));
    this.svg.replaceChildren();
    this.links = [];
    for (let layer = 0; layer + 1 < this.units.length; layer++) {
      this.units[layer]!.forEach((source, from) => {
        this.units[layer + 1]!.forEach((target, to) => {
          const a = source.getBoundingClientRect();
          const b = target.getBoundingClientRect();
          const line = document.createElementNS(SVG, 'line');
          line.setAttribute('x1', String(a.right - box.left));
          line.setAttribute('y1', String(a.top + a.height / 2 - box.top));
          line.setAttribute('x2', String(b.left - box.left));
          line.setAttribute('y2', String(b.top + b.height / 2 - box.top));
          this.svg.append(line);
          this.links.push({ line, layer, from, to });
        });
      });
    }
    if (this.painted) this.paintLinks(this.painted);
  }

  /** Repaints every unit from the layer outputs on the grid (forward(...) of the grid) and every link from the weights. */
  paint(net: Net, gridOutputs: ArrayLike<number>[]): void {
    gridOutputs.forEach((values, i) => {
      const canvases = this.units[i + 1] ?? [];
      const last = i === gridOutputs.length - 1;
      canvases.forEach((canvas, j) => {
        paintGrid(canvas, values, last ? { shift: 0.5, scale: 0.5 } : { offset: j, stride: canvases.length });
      });
    });
    this.painted = net;
    this.paintLinks(net);
  }

  private paintLinks(net: Net): void {
    const layers = allLayers(net).map((layer) => ({ weights: layer.W.dataSync(), width: layer.W.shape[1]! }));
    for (const link of this.links) {
      const { weights, width } = layers[link.layer]!;
      const w = weights[link.from * width + link.to]!;
      const [r, g, b] = colorOf(w > 0 ? 1 : -1);
      link.line.setAttribute('stroke', `rgb(${r}, ${g}, ${b})`);
      link.line.setAttribute('stroke-width', String(Math.min(6, 0.5 + 2 * Math.abs(w))));
      link.line.setAttribute('stroke-opacity', String(Math.min(1, 0.25 + Math.abs(w))));
    }
  }
}
