/**
 * A training thread (threads.ts starts one per --threads): it trains its
 * slice of the corpus on the shared embeddings (Hogwild: no locks, as in
 * word2vec.c). Protocol: it posts `{ type: 'ready' }` once loaded, starts
 * on the first message it receives (so start-up is not timed), and posts
 * `{ type: 'done', stats }` at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { embeddingsOver } from './embeddings.ts';
import { trainSlice, type SliceStats, type TrainingData, type TrainOptions, type WordCounter } from './trainer.ts';

export interface WorkerInput {
  entry: string;
  id: number;
  options: TrainOptions;
  vocabSize: number;
  input: Float32Array;
  output: Float32Array;
  data: TrainingData;
  counter: WordCounter;
}

const job = workerData as WorkerInput;
const embeddings = embeddingsOver(job.vocabSize, job.options.dim, job.input, job.output);
export type WorkerMessage = { type: 'ready' } | { type: 'done'; stats: SliceStats };

const port = parentPort!;
port.once('message', () => {
  const stats = trainSlice(embeddings, job.data, job.options, job.id, job.counter);
  port.postMessage({ type: 'done', stats } satisfies WorkerMessage);
});
port.postMessage({ type: 'ready' } satisfies WorkerMessage);
