/**
 * Whether splitting work over the CPU backend's worker pool pays, judged
 * after each split job (threads.ts): on a machine whose cores other
 * processes hold, a worker may lose its core mid-chunk for milliseconds,
 * and a split that waits for it is slower than the calling thread alone.
 * Splits that lose pause splitting for a while, so threads cost a busy
 * machine about one slow job per pause.
 */

/** Splitting stays off until then (performance.now()); `backoffMs` is the next pause. */
let backoffUntil = 0;
let backoffMs = 0;
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1600;
/** Jobs kept on the calling thread because a split just before lost (for tests and benchmarks). */
let declined = 0;

/**
 * After a split job, against the time the caller alone would have taken
 * (`solo`: all the rows at the pace it ran its own):
 * - it paid when it took under 0.9 solo: a paying split ends the pause
 *   sequence;
 * - it lost when it took over 1.1 solo: the caller waited for a worker
 *   that lost its core mid-chunk (seen on a 2-core machine other
 *   processes load). Splitting then pauses for 50 ms, doubling up to
 *   1.6 s while splits keep losing;
 * - anything between changes nothing. That includes the caller running
 *   every row because no worker got a core in time: that cost the caller
 *   nothing but the ring.
 * A job the caller ran no row of (a woken worker took them all, often
 * while the caller waited for its core) says nothing either way.
 * (Exported for tests.)
 */
export function judgeSplit(callerRows: number, rows: number, workedMs: number, waitedMs: number): void {
  if (callerRows === 0) return;
  const soloMs = workedMs * (rows / callerRows);
  const tookMs = workedMs + waitedMs;
  if (tookMs < 0.9 * soloMs) backoffMs = 0;
  else if (tookMs > 1.1 * soloMs) {
    backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, 2 * backoffMs));
    backoffUntil = performance.now() + backoffMs;
  }
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
