/**
 * GMM gradients compared in one process, interleaved: the objective, the
 * hand-written gradient (examples/adbench/gmm-manual.ts) and one or more
 * generated gmm.grad.ts files, timed in rounds for SECONDS (timing.ts
 * measureTogether), each keeping its minimum time per call. Changes of machine load move them all
 * alike, so two versions of the generated code can be told apart by a few
 * percent, which the bench's process per file (index.ts) cannot do.
 *
 *   npx tsx bench/adbench/compare-gmm.ts FILE SECONDS [GRAD_FILE...]
 *
 * FILE is gmm_d2_K5, ..., or gmm_test. Each GRAD_FILE is a gmm.grad.ts,
 * built from examples/adbench/gmm.ts by some version of the compiler (copy
 * the file aside before rebuilding); the default is the current
 * examples/adbench/gmm.grad.ts. Each line gives its largest relative
 * difference from the hand-written gradient, J, J/f and J/hand-written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gmmGradient } from '../../examples/adbench/gmm-manual.ts';
import { gmmObjective } from '../../examples/adbench/gmm.ts';
import { adbenchPath, readGmm } from '../../examples/adbench/io.ts';
import { measureTogether } from './timing.ts';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/adbench');
const [file, seconds, ...given] = process.argv.slice(2);
if (!file || !seconds) {
  console.error('usage: npx tsx bench/adbench/compare-gmm.ts FILE SECONDS [GRAD_FILE...]');
  process.exit(2);
}
const gradFiles = given.length ? given : [path.join(examples, 'gmm.grad.ts')];
// Each copy imports gmm.ts (wishartConstant) from examples/adbench wherever it lies.
const modules = await Promise.all(
  gradFiles.map(async (g, i) => {
    const copy = path.join(os.tmpdir(), `wengert-compare-gmm-${process.pid}-${i}.grad.ts`);
    fs.writeFileSync(copy, fs.readFileSync(g, 'utf8').replaceAll("from './", `from '${examples}/`));
    return (await import(pathToFileURL(copy).href)) as { grad_gmmObjective: typeof gmmGradient };
  }),
);

const input = readGmm(adbenchPath(`gmm/${file === 'gmm_test' ? 'test' : file}.txt`));
const args = [input.d, input.k, input.n, input.alpha, input.means, input.icf, input.x, input.gamma, input.m] as const;

const reference = gmmGradient(...args);
const errors = modules.map((m) => {
  const got = m.grad_gmmObjective(...args);
  let err = 0;
  for (let q = 0; q < 3; q++) for (let i = 0; i < got[q].length; i++) err = Math.max(err, Math.abs(got[q][i]! - reference[q][i]!) / (1 + Math.abs(reference[q][i]!)));
  return err;
});
// Batches of at least 60 ms, interleaved round after round (timing.ts), for SECONDS in all.
const runs = [() => gmmObjective(...args), () => gmmGradient(...args), ...modules.map((m) => () => m.grad_gmmObjective(...args))];
const [objectiveTiming, handTiming, ...generated] = measureTogether(runs, { minBatchSeconds: 0.06, maxSamples: Infinity, timeLimitSeconds: Number(seconds) / runs.length });
const objective = objectiveTiming!.ms;
const hand = handTiming!.ms;
const best = generated.map((t) => t.ms);
console.log(`${file}: f ${objective.toPrecision(4)} ms, hand-written ${hand.toPrecision(4)} ms (hand-written/f ${(hand / objective).toFixed(2)})`);
gradFiles.forEach((g, q) => {
  const j = best[q]!;
  console.log(`  ${g}: max rel. difference ${errors[q]!.toExponential(1)}, J ${j.toPrecision(4)} ms, J/f ${(j / objective).toFixed(2)}, J/hand-written ${(j / hand).toFixed(2)}`);
});
