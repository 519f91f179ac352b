/**
 * `npm run bench [-- --json FILE] [-- --only scalar] [-- --quick]`: runs
 * every benchmark module listed below, in one process, and writes the
 * results as a JSON array of { case, impl, nsPerCall } when asked.
 *
 * To add a benchmark, write a module that exports a `BenchModule` (see
 * bench/harness.ts) and add it to `modules`; nothing registers itself.
 */
import { benchOptions, parseBenchArgs, sinkValue, writeJsonResults, type BenchModule, type BenchResult } from './harness.ts';
import { adbenchBench } from './adbench/index.ts';
import { compileBench } from './compile/index.ts';
import { scalarBench } from './scalar.ts';
import { mlpBench } from './mlp/index.ts';
import { word2vecBench } from './word2vec/index.ts';
import { checkpointBench } from './checkpoint/index.ts';
import { higherOrderBench } from './higher-order/index.ts';
import { webgpuBench } from './webgpu/index.ts';

const modules: readonly BenchModule[] = [scalarBench, adbenchBench, mlpBench, compileBench, word2vecBench, checkpointBench, webgpuBench, higherOrderBench];

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const unknown = (args.only ?? []).filter((name) => !modules.some((m) => m.name === name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; have ${modules.map((m) => m.name).join(', ')}`);
  const selected = modules.filter((m) => !args.only || args.only.includes(m.name));
  const results: BenchResult[] = [];
  const options = benchOptions(args);
  console.log(`node ${process.version}, ${args.quick ? 'quick settings (noisy)' : `min of ${options.samples} samples of >= ${options.minSampleMs} ms`}`);
  for (const module of selected) {
    console.log(`\n== ${module.name}: ${module.description}`);
    await module.run({ options, record: (r) => results.push(r) });
  }
  if (args.json) {
    writeJsonResults(args.json, results);
    console.log(`\nwrote ${results.length} results to ${args.json}`);
  }
  // Reading the sink keeps every timed result observable to V8.
  if (process.env.BENCH_PRINT_SINK) console.log(`sink ${sinkValue()}`);
}

await main();
