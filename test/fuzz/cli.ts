/**
 * `npm run fuzz -- --count N --seed S`: differential fuzzing of the
 * compiler. Generates N random differentiable programs (fast-check, seed S),
 * builds them in batches with one `compileFiles` call each, checks every
 * derivative against finite differences and the other mode, type-checks the
 * generated files, then prints what it ran, skipped and found. A failing
 * program is shrunk and its minimal reproduction written to
 * fuzz-failures/<seed>-<n>.ts (one per distinct bug, up to --shrink).
 *
 *   --replay N           check only program N of the run (then shrink it)
 *   --enable a,b         turn on constructs switched off for known bugs
 *   --disable a,b        turn off constructs (see FEATURES and MATH_* names)
 *   --no-tsc             skip the tsc --strict check of generated files
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { MATH_BINARY, MATH_UNARY, type MathFn } from './ast.ts';
import { DEFAULT_OPTIONS, FEATURES, KNOWN_BUG_SWITCHES, programArbitrary, type Feature, type GeneratorOptions } from './arbitraries.ts';
import { bugSignature, emptyTally, formatTally, mergeTally, type Failure } from './report.ts';
import { runBatch, type BatchItem } from './runner.ts';
import { shrinkFailure, writeReproduction } from './shrink.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Args {
  count: number;
  seed: number;
  batch: number;
  points: number;
  tsc: boolean;
  shrink: number;
  shrinkTime: number;
  replay?: number;
  enable: string[];
  disable: string[];
  out: string;
}

const integer = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function parseArgs(argv: string[]): Args {
  const program = new Command('fuzz')
    .description('differential fuzzing of the wengert compiler')
    .option('--count <n>', 'programs to generate', integer, 200)
    .option('--seed <s>', 'fast-check seed', integer, Date.now() % 2 ** 31)
    .option('--batch <n>', 'programs per compileFiles call', integer, 100)
    .option('--points <n>', 'input points per program', integer, 3)
    .option('--no-tsc', 'skip the tsc --strict check of generated files')
    .option('--shrink <k>', 'distinct bugs to shrink and write reproductions for', integer, 5)
    .option('--shrink-time <s>', 'seconds to spend shrinking one failure', integer, 180)
    .option('--replay <n>', 'check only program n of the run', integer)
    .option('--enable <names>', 'constructs to turn back on (comma-separated)', list, [])
    .option('--disable <names>', 'constructs to leave out (comma-separated)', list, [])
    .option('--out <dir>', 'where reproductions go', path.join(root, 'fuzz-failures'))
    .addHelpText('after', `\nSwitched off by default (open compiler bugs; --enable turns one back on):\n${[...KNOWN_BUG_SWITCHES].map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  program.parse(argv, { from: 'user' });
  return program.opts<Args>();
}

function generatorOptions(args: Args): GeneratorOptions {
  const known = new Set<string>([...FEATURES, ...MATH_UNARY, ...MATH_BINARY]);
  for (const name of [...args.enable, ...args.disable]) {
    if (!known.has(name)) throw new Error(`unknown construct ${name}; have ${[...known].join(', ')}`);
  }
  const disabled = new Set<Feature | MathFn>([...DEFAULT_OPTIONS.disabled, ...(args.disable as (Feature | MathFn)[])]);
  for (const name of args.enable) disabled.delete(name as Feature | MathFn);
  return { ...DEFAULT_OPTIONS, disabled };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const gen = generatorOptions(args);
  const arbitrary = programArbitrary(gen);
  const off = [...gen.disabled].map((d) => (KNOWN_BUG_SWITCHES.has(d) ? `${d} (${KNOWN_BUG_SWITCHES.get(d)})` : d));
  console.log(`fuzz: seed ${args.seed}, ${args.replay !== undefined ? `replaying program ${args.replay}` : `${args.count} programs`}${off.length ? `; switched off: ${off.join(', ')}` : ''}`);

  const first = args.replay ?? 0;
  const total = args.replay !== undefined ? 1 : args.count;
  const samples = fc.sample(arbitrary, { seed: args.seed, numRuns: first + total });
  const items: BatchItem[] = samples.slice(first).map((program, k) => ({ n: first + k, program }));

  const dir = `s${args.seed}`;
  fs.rmSync(path.join(root, 'test', '.generated', 'fuzz', dir), { recursive: true, force: true });
  const tally = emptyTally();
  const failing: { n: number; failures: Failure[] }[] = [];
  const timing = { compile: 0, check: 0, tsc: 0 };
  const bar = process.stdout.isTTY ? new SingleBar({ format: 'fuzz [{bar}] {value}/{total} programs | {failures} failing | {eta_formatted} left' }, Presets.shades_classic) : null;
  bar?.start(items.length, 0, { failures: 0 });
  const started = performance.now();
  for (let i = 0; i < items.length; i += args.batch) {
    const batch = items.slice(i, i + args.batch);
    const r = await runBatch(batch, dir, { points: args.points, tsc: args.tsc, isolate: { timeoutMs: 20_000, heapMb: 4096 } });
    mergeTally(tally, r.tally);
    for (const o of r.outcomes) if (o.failures.length > 0) failing.push(o);
    timing.compile += r.timing.compile;
    timing.check += r.timing.check;
    timing.tsc += r.timing.tsc;
    if (bar) bar.update(i + batch.length, { failures: failing.length });
    else console.log(`  ${i + batch.length}/${items.length} programs, ${failing.length} failing`);
  }
  bar?.stop();
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`\n${formatTally(tally)}`);
  console.log(`time: ${seconds(performance.now() - started)} (compileFiles ${seconds(timing.compile)}, checks ${seconds(timing.check)}, tsc ${seconds(timing.tsc)})`);

  // One entry per distinct bug, with the programs that hit it.
  const bugs = new Map<string, { n: number; failure: Failure }[]>();
  for (const o of failing) {
    for (const f of o.failures) {
      const sig = bugSignature(f);
      const seen = bugs.get(sig) ?? [];
      if (!seen.some((s) => s.n === o.n)) seen.push({ n: o.n, failure: f });
      bugs.set(sig, seen);
    }
  }
  if (bugs.size > 0) console.log(`\ndistinct failures: ${bugs.size}`);
  for (const [sig, hits] of [...bugs].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${hits.length} program(s): ${sig.slice(0, 200)}  [programs ${hits.slice(0, 6).map((h) => h.n).join(', ')}${hits.length > 6 ? ', ...' : ''}]`);
  }

  let shrunk = 0;
  for (const [sig, hits] of bugs) {
    if (shrunk >= args.shrink) break;
    shrunk++;
    const { n, failure } = hits[0]!;
    if (failure.kind === 'hang') {
      console.log(`\nprogram ${n} hangs; not shrunk (candidates run in-process): test/.generated/fuzz/${dir}/p${n}.ts`);
      continue;
    }
    console.log(`\nshrinking program ${n} (${sig.slice(0, 100)}) ...`);
    const result = await shrinkFailure({ seed: args.seed, n, arbitrary, failure, points: args.points, timeLimitMs: args.shrinkTime * 1000 });
    if (!result) {
      console.log('  it did not fail again on its own (flaky, or it needs the batch)');
      continue;
    }
    const file = writeReproduction(args.out, args.seed, n, result, failure);
    console.log(`  reproduction (${result.tried} candidates tried): ${path.relative(process.cwd(), file)}`);
    console.log(result.failure.message.split('\n').map((l) => `    ${l}`).join('\n'));
  }
  return tally.failures > 0 ? 1 : 0;
}

process.exitCode = await main();
