// Starts a fuzz check worker: registers tsx so the worker can import
// TypeScript (the fuzzed programs and test/fuzz/check-worker.ts), then
// loads the entry module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
