// Entry of a word2vec worker thread: Node 20 does not pass the tsx loader
// of the main thread on to workers, so this plain-JavaScript file registers
// tsx and then loads the TypeScript worker named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
