/**
 * Training on N threads over shared memory, as word2vec.c does with
 * pthreads: each thread takes an equal slice of the corpus and updates the
 * same embedding matrices without locks (Hogwild). One thread runs in the
 * calling thread; more run on node:worker_threads workers, which see the
 * embeddings, the corpus and the tables through SharedArrayBuffers.
 */
import { Worker } from 'node:worker_threads';
import type { Embeddings } from './embeddings.ts';
import { createWordCounter, trainSlice, wordsDone, type SliceStats, type TrainingData, type TrainOptions } from './trainer.ts';
import type { WorkerInput, WorkerMessage } from './worker.ts';

export interface TrainResult {
  stats: SliceStats;
  /** Wall-clock training time in seconds (from the start signal to the last thread's end). */
  seconds: number;
  /** Seconds spent starting worker threads before training began (0 with one thread). */
  startupSeconds: number;
  /**
   * CPU seconds of the whole process while training (all threads, and V8's
   * own helper threads): words / cpuSeconds is words per second per busy
   * thread, the figure word2vec.c prints as Words/thread/sec (it divides
   * by clock(), the process's CPU time).
   */
  cpuSeconds: number;
}

/** CPU seconds (user + system) of this process since `since`. */
function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Sums the threads' statistics. */
export function addStats(parts: readonly SliceStats[]): SliceStats {
  const total: SliceStats = { words: 0, groups: 0, loss: 0, floatsRead: 0, floatsWritten: 0 };
  for (const part of parts) {
    total.words += part.words;
    total.groups += part.groups;
    total.loss += part.loss;
    total.floatsRead += part.floatsRead;
    total.floatsWritten += part.floatsWritten;
  }
  return total;
}

/**
 * Trains `embeddings` in place on options.threads threads. `onProgress`
 * gets the words done so far (all threads): every 10,000 words with one
 * thread, every 100 ms with workers.
 */
export async function train(
  embeddings: Embeddings,
  data: TrainingData,
  options: TrainOptions,
  onProgress?: (done: number) => void,
): Promise<TrainResult> {
  const counter = createWordCounter();
  const started = performance.now();
  if (options.threads <= 1) {
    const cpuStart = process.cpuUsage();
    const stats = trainSlice(embeddings, data, { ...options, threads: 1 }, 0, counter, onProgress);
    return { stats, seconds: (performance.now() - started) / 1000, startupSeconds: 0, cpuSeconds: cpuSecondsSince(cpuStart) };
  }
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url);
  const workers = Array.from({ length: options.threads }, (_, id) => {
    const job: WorkerInput = {
      entry,
      id,
      options,
      vocabSize: embeddings.vocabSize,
      input: embeddings.input,
      output: embeddings.output,
      data,
      counter,
    };
    return new Worker(bootstrap, { workerData: job });
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    const finished = workers.map((worker) => workerResult(worker));
    await Promise.all(finished.map((f) => f.ready));
    const trainingStarted = performance.now();
    const cpuStart = process.cpuUsage();
    for (const worker of workers) worker.postMessage('go');
    if (onProgress) timer = setInterval(() => onProgress(wordsDone(counter)), 100);
    const parts = await Promise.all(finished.map((f) => f.done));
    const seconds = (performance.now() - trainingStarted) / 1000;
    onProgress?.(wordsDone(counter));
    const cpuSeconds = cpuSecondsSince(cpuStart);
    return { stats: addStats(parts), seconds, startupSeconds: (trainingStarted - started) / 1000, cpuSeconds };
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** Promises for a worker's 'ready' and 'done' messages; both reject if it fails or exits before sending them. */
function workerResult(worker: Worker): { ready: Promise<void>; done: Promise<SliceStats> } {
  const awaitMessage = <T>(pick: (message: WorkerMessage) => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        const value = pick(message);
        if (value !== undefined) resolve(value);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`word2vec worker exited with code ${code} before finishing`)));
    });
  const ready = awaitMessage((message) => (message.type === 'ready' ? true : undefined)).then(() => {});
  const done = awaitMessage((message) => (message.type === 'done' ? message.stats : undefined));
  // A failure during training also rejects `ready`, which nobody awaits any more.
  ready.catch(() => {});
  return { ready, done };
}
