/**
 * A fixed-seed slice of the differential fuzzer (`npm run fuzz` runs as
 * many as asked): 60 random differentiable programs built by one
 * `compileFiles` call, each checked against finite differences, forward
 * against reverse mode, values against the primal, and `tsc --strict` over
 * the generated files. Constructs with open compiler bugs are steered
 * around (KNOWN_BUG_SWITCHES); test/fuzz/findings.test.ts holds those bugs.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { programArbitrary } from './arbitraries.ts';
import { formatTally, totalChecks } from './report.ts';
import { runBatch } from './runner.ts';

const SEED = 20260101;
const COUNT = 60;

test(`${COUNT} fuzzed programs (seed ${SEED}) build, type-check and pass every derivative check`, async () => {
  const programs = fc.sample(programArbitrary(), { seed: SEED, numRuns: COUNT });
  const r = await runBatch(programs.map((program, n) => ({ n, program })), `vitest-${SEED}`, { points: 3, tsc: true });
  console.log(`fuzz slice, seed ${SEED}:\n${formatTally(r.tally)}`);
  const failures = r.outcomes.flatMap((o) => o.failures.map((f) => `program ${o.n} (${o.sourcePath}): ${f.kind}: ${f.message.split('\n').slice(0, 4).join(' | ')}`));
  expect(failures).toEqual([]);
  expect(r.tally.programs).toBe(COUNT);
  // The slice must exercise the oracle, not skip its way through.
  expect(r.tally.checks.get('reverse-vs-fd') ?? 0).toBeGreaterThan(200);
  expect(r.tally.checks.get('forward-vs-reverse') ?? 0).toBeGreaterThan(100);
  expect(totalChecks(r.tally)).toBeGreaterThan(800);
});
