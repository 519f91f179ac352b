/**
 * The same word2vec model written with TensorFlow.js, for the benchmark:
 * skip-gram with negative sampling on the corpus, vocabulary and sampling
 * tables of examples/word2vec (subsampling, window b = rand % window,
 * unigram^0.75 negatives, linear learning-rate decay), with the embedding
 * matrices in plain Float32Arrays and sparse updates done the same way as
 * wengert's: gather the rows of a batch of groups into tensors, let
 * `tf.valueAndGrads` differentiate the negative-sampling loss with respect to
 * those tensors, read the gradients back and scatter them into the rows.
 *
 * `batch` groups are differentiated per call: batch 1 is the algorithm of
 * word2vec.c and of the wengert example (one (context, center, negatives)
 * group per update); larger batches amortise TF.js's per-op overhead and
 * apply the batch's gradients together.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm'; // registers the 'wasm' backend (in Node it reads its .wasm files from its own dist/)
import { Rng } from 'wengert';
import { MAX_SENTENCE_LENGTH } from '../../examples/word2vec/corpus.ts';
import type { Embeddings } from '../../examples/word2vec/embeddings.ts';
import { drawTargets } from '../../examples/word2vec/sampling.ts';
import { learningRate } from '../../examples/word2vec/schedule.ts';
import type { TrainingData } from '../../examples/word2vec/trainer.ts';

export interface TfjsRunOptions {
  backend: 'cpu' | 'wasm';
  batch: number;
  window: number;
  negative: number;
  alpha: number;
  seed: number;
  /** Stop after this many seconds of training (after the warm-up). */
  seconds: number;
  /** Seconds trained first, not timed, so kernels and V8 are warm. */
  warmupSeconds: number;
}

export interface TfjsRun {
  /** Corpus words read in the timed part. */
  words: number;
  wallSeconds: number;
  cpuSeconds: number;
  meanLoss: number;
}

/** One batched SGD step of skip-gram with negative sampling, differentiated by tf.valueAndGrads. */
class TfjsBatchStep {
  readonly inputWords: Int32Array;
  readonly targets: Int32Array;
  readonly signs: Float32Array;
  readonly weights: Float32Array;
  size = 0;
  private readonly inputRows: Float32Array;
  private readonly outputRows: Float32Array;
  private readonly valueAndGradients: (xs: tf.Tensor[]) => { value: tf.Scalar; grads: tf.Tensor[] };
  private lossSum = 0;
  groups = 0;

  constructor(
    private readonly embeddings: Embeddings,
    private readonly batch: number,
    private readonly slots: number,
  ) {
    const dim = embeddings.dim;
    this.inputWords = new Int32Array(batch);
    this.targets = new Int32Array(batch * slots);
    this.signs = new Float32Array(batch * slots);
    this.weights = new Float32Array(batch * slots);
    this.inputRows = new Float32Array(batch * dim);
    this.outputRows = new Float32Array(batch * slots * dim);
    this.valueAndGradients = tf.valueAndGrads((inputs: tf.Tensor, outputs: tf.Tensor) => this.loss(inputs as tf.Tensor2D, outputs as tf.Tensor3D));
  }

  private signsT: tf.Tensor2D | null = null;
  private weightsT: tf.Tensor2D | null = null;

  /** sum over groups and slots of weight * softplus(-sign * <input, output>) = -weight log sigmoid(sign * dot). */
  private loss(inputs: tf.Tensor2D, outputs: tf.Tensor3D): tf.Scalar {
    // [batch, 1, dim] x [batch, dim, slots]: one batched matrix product.
    const dots = tf.reshape(tf.matMul(tf.expandDims(inputs, 1), outputs, false, true), [this.batch, this.slots]);
    return tf.sum(tf.mul(this.weightsT!, tf.softplus(tf.neg(tf.mul(this.signsT!, dots))))) as tf.Scalar;
  }

  /** Gathers, differentiates and scatters the `size` groups collected so far. */
  flush(alpha: number): void {
    if (this.size === 0) return;
    const { input, output, dim } = this.embeddings;
    const { batch, slots } = this;
    for (let b = 0; b < batch; b++) {
      const w = b < this.size ? this.inputWords[b]! : 0;
      this.inputRows.set(input.subarray(w * dim, (w + 1) * dim), b * dim);
      for (let k = 0; k < slots; k++) {
        const slot = b * slots + k;
        if (b >= this.size) this.weights[slot] = 0;
        const t = this.targets[slot]!;
        this.outputRows.set(output.subarray(t * dim, (t + 1) * dim), slot * dim);
      }
    }
    // tidy() returns tensors only: it walks whatever it returns, element by element.
    const [gi, go, value] = tf.tidy(() => {
      this.signsT = tf.tensor2d(this.signs, [batch, slots]);
      this.weightsT = tf.tensor2d(this.weights, [batch, slots]);
      const inputs = tf.tensor2d(this.inputRows, [batch, dim]);
      const outputs = tf.tensor3d(this.outputRows, [batch, slots, dim]);
      const { value: loss, grads } = this.valueAndGradients([inputs, outputs]);
      return [grads[0]!, grads[1]!, loss];
    });
    const inputGradient = gi.dataSync() as Float32Array;
    const outputGradient = go.dataSync() as Float32Array;
    const loss = value.dataSync()[0]!;
    tf.dispose([gi, go, value]);
    this.lossSum += loss;
    this.groups += this.size;
    for (let b = 0; b < this.size; b++) {
      const base = this.inputWords[b]! * dim;
      for (let i = 0; i < dim; i++) input[base + i]! -= alpha * inputGradient[b * dim + i]!;
      for (let k = 0; k < slots; k++) {
        const slot = b * slots + k;
        if (this.weights[slot] === 0) continue;
        const row = this.targets[slot]! * dim;
        for (let i = 0; i < dim; i++) output[row + i]! -= alpha * outputGradient[slot * dim + i]!;
      }
    }
    this.size = 0;
  }

  meanLoss(): number {
    return this.lossSum / Math.max(1, this.groups);
  }
}

/** Trains with TF.js for options.warmupSeconds + options.seconds over the corpus (from its start, wrapping). */
export async function runTfjs(embeddings: Embeddings, data: TrainingData, options: TfjsRunOptions): Promise<TfjsRun> {
  await tf.setBackend(options.backend);
  await tf.ready();
  if (tf.getBackend() !== options.backend) throw new Error(`tfjs: backend ${options.backend} did not start`);
  const { tokens, keep, noise } = data;
  const { window, negative } = options;
  const slots = negative + 1;
  const step = new TfjsBatchStep(embeddings, options.batch, slots);
  const random = new Rng(options.seed);
  const targets = new Int32Array(slots);
  const labels = new Float32Array(slots);
  const sentence = new Int32Array(MAX_SENTENCE_LENGTH);
  let position = 0;
  let words = 0;
  let timedFrom = -1;
  let cpuFrom: NodeJS.CpuUsage | null = null;
  let wordsAtStart = 0;
  const started = performance.now();
  let now = started;
  const alpha = () => learningRate(options.alpha, words, tokens.length);
  for (;;) {
    now = performance.now();
    if (timedFrom < 0 && now - started >= options.warmupSeconds * 1000) {
      step.flush(alpha());
      timedFrom = performance.now();
      cpuFrom = process.cpuUsage();
      wordsAtStart = words;
    }
    if (timedFrom >= 0 && now - timedFrom >= options.seconds * 1000) break;
    let length = 0;
    while (true) {
      const word = tokens[position]!;
      position = (position + 1) % tokens.length;
      words++;
      if (word === 0) break;
      if (keep[word]! < random.uniform()) continue;
      sentence[length++] = word;
      if (length >= MAX_SENTENCE_LENGTH) break;
    }
    for (let center = 0; center < length; center++) {
      const word = sentence[center]!;
      const b = random.nextUint32() % window;
      const from = Math.max(0, center - window + b);
      const to = Math.min(length - 1, center + window - b);
      for (let c = from; c <= to; c++) {
        if (c === center) continue;
        const count = drawTargets(word, negative, noise, embeddings.vocabSize, random, targets, labels);
        const g = step.size;
        step.inputWords[g] = sentence[c]!;
        for (let k = 0; k < slots; k++) {
          const slot = g * slots + k;
          step.targets[slot] = k < count ? targets[k]! : 0;
          step.signs[slot] = k === 0 ? 1 : -1;
          step.weights[slot] = k < count ? 1 : 0;
        }
        step.size++;
        if (step.size === options.batch) step.flush(alpha());
      }
    }
  }
  step.flush(alpha());
  const wallSeconds = (performance.now() - timedFrom) / 1000;
  const used = process.cpuUsage(cpuFrom!);
  return { words: words - wordsAtStart, wallSeconds, cpuSeconds: (used.user + used.system) / 1e6, meanLoss: step.meanLoss() };
}
