/**
 * Timing the way ADBench times tools: double the repeat count until one
 * batch of calls takes at least `minBatchSeconds`, then keep the minimum
 * per-call time over up to `maxSamples` such batches, stopping early once
 * `timeLimitSeconds` have been spent on the samples. `measureTogether` does
 * it for several functions at once, their batches interleaved.
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
  return measureTogether([fn], options)[0]!;
}

/**
 * The ADBench measurement of each of `fns`, their batches interleaved: each
 * gets its repeat count the ADBench way, then rounds of one batch of each
 * run until each has `maxSamples` batches or `timeLimitSeconds` per function
 * have passed. A change of machine load during the run then moves them all
 * alike, so the ratios between them (J/f, wengert / hand-written) hold
 * better than when each is timed in its own stretch of time.
 */
export function measureTogether(fns: readonly (() => unknown)[], options: TimingOptions = adbenchTiming): Timing[] {
  const loops = fns.map(() => freshBatchLoop());
  const batchSeconds = (k: number, repeats: number): number => {
    const start = process.hrtime.bigint();
    sink = loops[k]!(fns[k]!, repeats);
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const best: number[] = [];
  const repeats = fns.map((_, k) => {
    let r = 1;
    let seconds = batchSeconds(k, r);
    while (seconds < options.minBatchSeconds) {
      r *= 2;
      seconds = batchSeconds(k, r);
    }
    best[k] = seconds / r;
    return r;
  });
  let samples = 1;
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (samples < options.maxSamples && elapsed() < options.timeLimitSeconds * fns.length) {
    for (let k = 0; k < fns.length; k++) best[k] = Math.min(best[k]!, batchSeconds(k, repeats[k]!) / repeats[k]!);
    samples++;
  }
  return fns.map((_, k) => ({ ms: best[k]! * 1000, repeats: repeats[k]!, samples }));
}
