/**
 * Shrinks a failing fuzzed program with fast-check: the run's seed and the
 * program's index (its fast-check path) replay the same program, and
 * fast-check's shrinker looks for a smaller one that still fails the same
 * way (same failure kind, same blurred message; see bugSignature). The
 * smallest one found is written as a reproduction file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Program } from './ast.ts';
import { inputsAt } from './inputs.ts';
import { renderProgram } from './render.ts';
import { bugSignature, type Failure } from './report.ts';
import { WarmRunner } from './single.ts';
import { compileFiles } from 'wengert/compiler';

export interface ShrinkOptions {
  seed: number;
  /** Index of the failing program in the run. */
  n: number;
  arbitrary: fc.Arbitrary<Program>;
  failure: Failure;
  points: number;
  /** Stop shrinking after this long (the best program so far is kept). */
  timeLimitMs: number;
}

export interface Shrunk {
  program: Program;
  failure: Failure;
  /** Candidates built and checked while shrinking. */
  tried: number;
}

export async function shrinkFailure(opts: ShrinkOptions): Promise<Shrunk | null> {
  const wanted = bugSignature(opts.failure);
  const runner = new WarmRunner(`shrink-${opts.seed}-${opts.n}`, { points: opts.points, tsc: opts.failure.kind === 'tsc' });
  let best: Shrunk | null = null;
  let tried = 0;
  const property = fc.asyncProperty(opts.arbitrary, async (p) => {
    tried++;
    const r = await runner.run(p);
    const same = r.failures.find((f) => bugSignature(f) === wanted);
    if (!same) return true;
    best = { program: p, failure: same, tried };
    return false;
  });
  await fc.check(property, { seed: opts.seed, path: String(opts.n), numRuns: 1, interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false });
  const found = best as Shrunk | null;
  if (found) found.tried = tried;
  return found;
}

/** Writes `<dir>/<seed>-<n>.ts` (the program with the failure in a comment) and, when it compiles, its `.grad.ts`. */
export function writeReproduction(dir: string, seed: number, n: number, shrunk: Shrunk, original: Failure): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${seed}-${n}.ts`);
  const args = shrunk.failure.args ?? inputsAt(shrunk.program, 0);
  const header = [
    `// Fuzzing failure: ${shrunk.failure.kind}`,
    `// Replay: npm run fuzz -- --seed ${seed} --replay ${n}`,
    `// Shrunk from the original program in ${shrunk.tried} candidates.`,
    '//',
    ...shrunk.failure.message.split('\n').map((l) => `// ${l}`),
    ...(shrunk.failure.args ? [`// at f(${args.map(showArg).join(', ')})`] : []),
    ...(original.message !== shrunk.failure.message ? ['//', '// The unshrunk program failed with:', ...original.message.split('\n').slice(0, 6).map((l) => `//   ${l}`)] : []),
    '',
  ].join('\n');
  fs.writeFileSync(file, `${header}\n${renderProgram(shrunk.program)}`);
  // The generated file of the reproduction itself, for reading next to it.
  const built = compileFiles([file]);
  for (const g of built.files) fs.writeFileSync(g.outputPath, g.text);
  return file;
}

function showArg(a: unknown): string {
  if (a instanceof Float64Array) return `Float64Array.from(${JSON.stringify(Array.from(a))})`;
  return JSON.stringify(a);
}
