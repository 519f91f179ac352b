/**
 * Timing the way ADBench times tools: double the repeat count until one
 * batch of calls takes at least `minBatchSeconds`, then keep the minimum
 * per-call time over up to `maxSamples` such batches, stopping early once
 * `timeLimitSeconds` have been spent on the samples.
 */

export interface TimingOptions {
  /** A batch must last this long to count (ADBench: 0.5 s). */
  minBatchSeconds: number;
  /** At most this many batches (ADBench: 10). */
  maxSamples: number;
  /** Stop sampling after this long, once at least one batch counted. */
  timeLimitSeconds: number;
}

export const adbenchTiming: TimingOptions = { minBatchSeconds: 0.5, maxSamples: 10, timeLimitSeconds: 2 };

/** For smoke runs (`--quick`): numbers are noisier. */
export const quickTiming: TimingOptions = { minBatchSeconds: 0.1, maxSamples: 3, timeLimitSeconds: 0.5 };

export interface Timing {
  /** Minimum time per call, in milliseconds. */
  ms: number;
  /** Calls per batch. */
  repeats: number;
  /** Batches measured at that repeat count. */
  samples: number;
}

/** Written by every timed call so the calls cannot be optimised away. */
let sink: unknown;

/** Returns a value derived from everything the timed calls returned (keeps `sink` observable). */
export function timingSink(): unknown {
  return sink;
}

type BatchLoop = (fn: () => unknown, repeats: number) => unknown;

/**
 * A fresh copy of the repeat loop for each measured function, so its call
 * site sees one `fn` and stays monomorphic (as bench/harness.ts does).
 */
function freshBatchLoop(): BatchLoop {
  return new Function('fn', 'repeats', 'let out;\nfor (let i = 0; i < repeats; i++) out = fn();\nreturn out;') as BatchLoop;
}

/** The ADBench measurement of `fn`. */
export function measure(fn: () => unknown, options: TimingOptions = adbenchTiming): Timing {
  const loop = freshBatchLoop();
  const batchSeconds = (f: () => unknown, repeats: number): number => {
    const start = process.hrtime.bigint();
    sink = loop(f, repeats);
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  let repeats = 1;
  let seconds = batchSeconds(fn, repeats);
  while (seconds < options.minBatchSeconds) {
    repeats *= 2;
    seconds = batchSeconds(fn, repeats);
  }
  let best = seconds / repeats;
  let samples = 1;
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (samples < options.maxSamples && elapsed() < options.timeLimitSeconds) {
    best = Math.min(best, batchSeconds(fn, repeats) / repeats);
    samples++;
  }
  return { ms: best * 1000, repeats, samples };
}
