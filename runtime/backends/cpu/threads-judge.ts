/**
 * Whether splitting work over the CPU backend's worker pool pays, judged
 * after each split job (threads.ts): on a machine whose cores other
 * processes hold, a worker may get no core for milliseconds, and a split
 * that waits for it is slower than the calling thread alone. Splits that
 * do not pay pause splitting for a while, so threads cost a busy machine
 * about one slow job per pause.
 */

/** Splitting stays off until then (performance.now()); `backoffMs` is the next pause. */
let backoffUntil = 0;
let backoffMs = 0;
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1600;
/** Jobs kept on the calling thread because a split just before did not pay (for tests and benchmarks). */
let declined = 0;

/**
 * After a split job: it paid when it took less time than the caller, at
 * the pace it ran its own chunks, would have taken for all of them (with a
 * 10% margin). It did not when the workers got no core in time and the
 * caller did every chunk, or waited long for a worker that lost its core
 * mid-chunk (both seen on a 2-core machine other processes load). Then
 * splitting pauses for 50 ms, doubling up to 1.6 s while it keeps not
 * paying; a split that pays ends the pause sequence. A job the caller ran
 * no chunk of (a woken worker took them all, often while the caller waited
 * for its core) says nothing either way. (Exported for tests.)
 */
export function judgeSplit(callerChunks: number, chunks: number, workedMs: number, waitedMs: number): void {
  if (callerChunks === 0) return;
  if (workedMs + waitedMs < 0.9 * workedMs * (chunks / callerChunks)) {
    backoffMs = 0;
    return;
  }
  backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, 2 * backoffMs));
  backoffUntil = performance.now() + backoffMs;
}

/** True (and the job counted as declined) while splitting is paused. */
export function splitPaused(now: number): boolean {
  if (now >= backoffUntil) return false;
  declined++;
  return true;
}

/** Jobs kept on the calling thread during pauses so far. */
export function declinedJobs(): number {
  return declined;
}

/** Forgets the pause (setCpuThreads): the next large job is split again. */
export function resetBackoff(): void {
  backoffUntil = 0;
  backoffMs = 0;
}
