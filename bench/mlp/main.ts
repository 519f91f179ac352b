/**
 * Runs only the MLP benchmark: `npm run bench:mlp [-- --quick] [-- --json FILE]`.
 * (`npm run bench` runs it with the others.)
 */
import { benchOptions, parseBenchArgs, writeJsonResults, type BenchResult } from '../harness.ts';
import { mlpBench } from './index.ts';

const args = parseBenchArgs(process.argv.slice(2));
const results: BenchResult[] = [];
console.log(`node ${process.version}; ${mlpBench.description}`);
await mlpBench.run({ options: benchOptions(args), record: (r) => results.push(r) });
if (args.json) writeJsonResults(args.json, results);
