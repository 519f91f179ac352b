/** `npm run bench:webgpu [-- --json FILE] [-- --quick]`: the WebGPU benchmark alone. */
import { benchOptions, parseBenchArgs, writeJsonResults, type BenchResult } from '../harness.ts';
import { webgpuBench } from './index.ts';

const args = parseBenchArgs(process.argv.slice(2));
const results: BenchResult[] = [];
console.log(`== ${webgpuBench.name}: ${webgpuBench.description}`);
await webgpuBench.run({ options: benchOptions(args), record: (r) => results.push(r) });
if (args.json) writeJsonResults(args.json, results);
// Dawn keeps the process alive while a device exists.
process.exit(0);
