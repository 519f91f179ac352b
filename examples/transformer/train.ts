/**
 * Trains the one-block transformer of model.ts to continue the sentences
 * of text.ts, character by character, with Adam on the generated gradient
 * (model.grad.ts, written by `wengert build`), and stops once the loss has
 * fallen to half its starting value.
 *
 *   npm run example:transformer -- [--lr 0.01] [--batch 16] [--time 16]
 *     [--dmodel 32] [--dhead 16] [--hidden 64] [--max-steps 1000]
 *     [--until 0.5] [--every 10] [--seed 1]
 *
 * Every `--every` steps it prints the mean training loss of those steps
 * and the loss on a fixed set of windows covering the whole text; it stops
 * when that loss is at most half what it was before the first step. Then
 * it prints a greedy continuation of a prompt.
 */
import { fileURLToPath } from 'node:url';
import { Adam, argmax, Rng, type Tensor } from 'wengert';
import { initParams, logits, loss, type Config, type Params } from './model.ts';
import { causalMask, coveringWindows, encode, randomBatch, sequenceTensor, SENTENCES, vocabularyOf, type Vocabulary } from './text.ts';

export type ValueAndGrad = (p: Params, tokens: Tensor, targets: Int32Array, mask: Tensor) => [number, Params];

export interface TrainOptions {
  lr: number;
  batch: number;
  time: number;
  dModel: number;
  dHead: number;
  hidden: number;
  maxSteps: number;
  /** Stop when the loss is at most this fraction of its starting value (0.5: fallen by half). */
  until: number;
  every: number;
  seed: number;
  /** Where progress lines go (console.log by default; a test can silence them). */
  log: (line: string) => void;
}

export const defaults: TrainOptions = {
  lr: 0.01,
  batch: 16,
  time: 16,
  dModel: 32,
  dHead: 16,
  hidden: 64,
  maxSteps: 1000,
  until: 0.5,
  every: 10,
  seed: 1,
  log: (line) => console.log(line),
};

export interface TrainResult {
  params: Params;
  vocabulary: Vocabulary;
  /** Loss on the fixed evaluation windows (the whole text) before training, and at the last report. */
  initialLoss: number;
  finalLoss: number;
  steps: number;
  /** Whether the loss reached `until` times its starting value. */
  reached: boolean;
}

/** Trains until the evaluation loss is at most `until` (default half) times its starting value, or for `maxSteps`. */
export function train(valueAndGrad: ValueAndGrad, options: Partial<TrainOptions> = {}): TrainResult {
  const o: TrainOptions = { ...defaults, ...options };
  const text = SENTENCES.join(' ');
  const vocabulary = vocabularyOf(text);
  const ids = encode(vocabulary, text);
  const config: Config = { vocab: vocabulary.chars.length, maxTime: o.time, dModel: o.dModel, dHead: o.dHead, hidden: o.hidden };
  const params = initParams(config, o.seed);
  const optimizer = new Adam({ lr: o.lr });
  const mask = causalMask(o.time);
  const rng = new Rng(o.seed);
  const held = coveringWindows(ids, o.time);
  const evaluate = () => loss(params, held.tokens, held.targets, mask);

  const initialLoss = evaluate();
  o.log(
    `transformer: ${ids.length} characters, vocabulary ${config.vocab}, d_model ${o.dModel}, one head of ${o.dHead}, ` +
      `MLP ${o.hidden}; Adam lr ${o.lr}, batch ${o.batch} x ${o.time}`,
  );
  o.log(`step    0: loss ${initialLoss.toFixed(4)} (target ${(initialLoss * o.until).toFixed(4)})`);
  let finalLoss = initialLoss;
  let running = 0;
  let step = 0;
  while (step < o.maxSteps) {
    const { tokens, targets } = randomBatch(ids, o.batch, o.time, rng);
    const [value, grads] = valueAndGrad(params, tokens, targets, mask);
    optimizer.step(params, grads);
    running += value;
    step++;
    if (step % o.every === 0) {
      finalLoss = evaluate();
      o.log(`step ${String(step).padStart(4)}: training loss ${(running / o.every).toFixed(4)}, loss ${finalLoss.toFixed(4)}`);
      running = 0;
      if (finalLoss <= initialLoss * o.until) break;
    }
  }
  const reached = finalLoss <= initialLoss * o.until;
  const goal = o.until === 0.5 ? 'fell by half' : `fell to ${o.until} of its starting value`;
  o.log(reached ? `the loss ${goal} in ${step} steps` : `the loss had not ${goal.replace('fell', 'fallen')} after ${step} steps`);
  return { params, vocabulary, initialLoss, finalLoss, steps: step, reached };
}

/** Greedy continuation: appends the most likely next character, `length` times, looking back at most `time` characters. */
export function continueText(params: Params, vocabulary: Vocabulary, prompt: string, length: number, time: number): string {
  let text = prompt;
  for (let i = 0; i < length; i++) {
    const context = encode(vocabulary, text.slice(-time));
    const n = context.length;
    const z = logits(params, sequenceTensor(context), causalMask(n));
    const next = (argmax(z, -1).dataSync() as Int32Array)[n - 1]!;
    text += vocabulary.chars[next]!;
  }
  return text;
}

function parseArgs(argv: readonly string[]): Partial<TrainOptions> {
  const names: Record<string, keyof TrainOptions> = {
    '--lr': 'lr',
    '--batch': 'batch',
    '--time': 'time',
    '--dmodel': 'dModel',
    '--dhead': 'dHead',
    '--hidden': 'hidden',
    '--max-steps': 'maxSteps',
    '--until': 'until',
    '--every': 'every',
    '--seed': 'seed',
  };
  const out: Record<string, number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!name) throw new Error(`unknown option ${argv[i]} (options: ${Object.keys(names).join(' ')})`);
    if (!Number.isFinite(value)) throw new Error(`${argv[i]} needs a number, got ${argv[i + 1]}`);
    out[name] = value;
  }
  return out as Partial<TrainOptions>;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const specifier = './model.grad.ts';
  const generated = (await import(specifier).catch(() => {
    throw new Error('examples/transformer/model.grad.ts is missing: run `npm run example:transformer` (it builds it)');
  })) as { valueAndGrad_loss: ValueAndGrad };
  const started = performance.now();
  const result = train(generated.valueAndGrad_loss, options);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${seconds} s; final loss ${result.finalLoss.toFixed(4)} from ${result.initialLoss.toFixed(4)}`);
  const time = options.time ?? defaults.time;
  const continuation = continueText(result.params, result.vocabulary, 'the dog ', 40, time);
  // At half the starting loss the model repeats common words; --until 0.15 trains on until it continues the sentences.
  console.log(`greedy continuation of "the dog ": ${JSON.stringify(continuation)}`);
  if (!result.reached) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
