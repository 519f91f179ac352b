/**
 * Runs the oracle over compiled programs in a worker thread with a
 * per-program time limit and a heap limit. When a program's derivatives
 * never return (or exhaust memory), the worker is terminated, the program
 * is reported as a `hang`, and a fresh worker goes on with the rest.
 */
import { Worker } from 'node:worker_threads';
import type { Program } from './ast.ts';
import type { OracleOptions } from './oracle.ts';
import { bump, type CheckKind, type Failure, type SkipReason, type Tally } from './report.ts';

export interface WorkerItem {
  n: number;
  program: Program;
  sourcePath: string;
  gradPath: string;
}

export interface WorkerInput {
  entry: string;
  items: WorkerItem[];
  opts: OracleOptions;
}

export interface WorkerResult {
  n: number;
  failures: Failure[];
  checks: [CheckKind, number][];
  skipped: [SkipReason, number][];
}

export interface IsolateOptions extends OracleOptions {
  /** A program whose checks take longer than this is reported as a hang. */
  timeoutMs: number;
  /** Heap limit of the worker, in MB. */
  heapMb: number;
}

const boot = new URL('./worker-boot.mjs', import.meta.url);
const entry = new URL('./check-worker.ts', import.meta.url).href;

/** Checks `items`; returns each program's failures by index and adds the counts to `tally`. */
export async function checkIsolated(items: readonly WorkerItem[], tally: Tally, opts: IsolateOptions): Promise<Map<number, Failure[]>> {
  const out = new Map<number, Failure[]>();
  let rest = items.slice();
  while (rest.length > 0) {
    const done = await runWorker(rest, opts, (r) => {
      out.set(r.n, r.failures);
      for (const [k, v] of r.checks) bump(tally.checks, k, v);
      for (const [k, v] of r.skipped) bump(tally.skipped, k, v);
    });
    rest = rest.slice(done.count);
    if (done.stopped) {
      // The program being checked when the worker stopped.
      const stuck = rest.shift()!;
      out.set(stuck.n, [{ kind: 'hang', message: done.stopped }]);
    }
  }
  return out;
}

/** Runs one worker until it finishes or stops; `count` programs reported back. */
function runWorker(items: WorkerItem[], opts: IsolateOptions, onResult: (r: WorkerResult) => void): Promise<{ count: number; stopped: string | null }> {
  return new Promise((resolve) => {
    const input: WorkerInput = { entry, items, opts: { points: opts.points } };
    const worker = new Worker(boot, { workerData: input, resourceLimits: { maxOldGenerationSizeMb: opts.heapMb } });
    let count = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (stopped: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve({ count, stopped });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(`its derivatives did not return within ${opts.timeoutMs / 1000} s (the checks of program ${items[count]?.n} were stopped)`), opts.timeoutMs);
    };
    worker.on('message', (r: WorkerResult) => {
      count++;
      onResult(r);
      arm();
    });
    worker.on('error', (e) => finish(`the check worker died: ${e.message}`));
    worker.on('exit', () => finish(count < items.length ? 'the check worker exited early' : null));
    arm();
  });
}
