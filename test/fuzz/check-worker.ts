/**
 * A worker thread that imports and checks fuzzed programs, one message per
 * program. The parent (runner.ts) terminates it when one program runs too
 * long, so generated code that never returns is reported as a hang instead
 * of stopping the fuzzer.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { checkProgram, describeThrow } from './oracle.ts';
import { emptyTally, type Failure } from './report.ts';
import { tracedMain } from './traced.ts';
import type { WorkerInput, WorkerResult } from './isolate.ts';

const input = workerData as WorkerInput;
for (const item of input.items) {
  const tally = emptyTally();
  let failures: Failure[];
  try {
    const source = (await import(pathToFileURL(item.sourcePath).href)) as Record<string, unknown>;
    const grad = (await import(pathToFileURL(item.gradPath).href)) as Record<string, unknown>;
    failures = checkProgram(item.program, { source, grad }, tracedMain(item.program), tally, input.opts);
  } catch (e) {
    failures = [{ kind: 'runtime-exception', message: describeThrow('loading or checking', e) }];
  }
  const result: WorkerResult = { n: item.n, failures, checks: [...tally.checks], skipped: [...tally.skipped] };
  parentPort!.postMessage(result);
}
