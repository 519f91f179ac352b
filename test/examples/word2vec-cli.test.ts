/**
 * The word2vec command line end to end, as `npm run example:word2vec -- ...`
 * runs it (tsx examples/word2vec/main.ts): on a small slice of the Brown
 * corpus given with --corpus, skip-gram on 2 worker threads and CBOW on
 * one, it prints its report and writes the vectors (word2vec text format)
 * and the PCA picture; --help lists word2vec.c's option names; bad values
 * are refused. And the reference build (examples/word2vec/reference.ts)
 * says why it is skipped when there is no C compiler.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { brownCorpusText } from '../../examples/word2vec/corpus.ts';
import { generateWord2vecDerivatives } from '../../examples/word2vec/generate.ts';
import { parseVectors } from '../../examples/word2vec/vectors-file.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsxCli = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');
let folder = '';
let corpusFile = '';

beforeAll(() => {
  generateWord2vecDerivatives();
  folder = mkdtempSync(path.join(tmpdir(), 'word2vec-cli-'));
  corpusFile = path.join(folder, 'brown-20-files.txt');
  writeFileSync(corpusFile, brownCorpusText(20));
}, 120_000);

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function word2vec(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [tsxCli, 'examples/word2vec/main.ts', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run example:word2vec', () => {
  test('skip-gram on 2 threads: report, vectors in word2vec text format, PCA svg', () => {
    const out = path.join(folder, 'vectors.txt');
    const svg = path.join(folder, 'pca.svg');
    const run = word2vec('--corpus', corpusFile, '--dim', '32', '--epochs', '1', '--threads', '2', '--out', out, '--svg', svg, '--neighbours', 'the,zzzz');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/corpus: .*brown-20-files\.txt, [\d,]+ words, vocabulary [\d,]+ \(min-count 5\)/);
    expect(run.stdout).toContain('skip-gram, dim 32, window 5, negative 5, sample 0.001, epochs 1, lr 0.025, threads 2, seed 1');
    expect(run.stdout).toMatch(/trained [\d,]+ words in [\d.]+ s: [\d,]+ words\/s/);
    expect(run.stdout).toMatch(/neighbours of the: (\S+ -?[\d.]+, ){7}\S+ -?[\d.]+\n/);
    expect(run.stdout).toContain('neighbours of zzzz: not in the vocabulary');
    expect(run.stdout).toMatch(/his - he \+ she = /);

    const text = readFileSync(out, 'utf8');
    const [count, dim] = text.split('\n', 1)[0]!.split(' ').map(Number);
    expect(dim).toBe(32);
    const vectors = parseVectors(text);
    expect(vectors.words).toHaveLength(count!);
    expect(vectors.words[0]).toBe('</s>');
    expect(vectors.words[1]).toBe('the');
    expect(vectors.vectors.every(Number.isFinite)).toBe(true);

    const picture = readFileSync(svg, 'utf8');
    expect(picture).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(picture).toContain('>monday</text>');
  }, 300_000);

  test('CBOW on one thread, with its own default learning rate 0.05', () => {
    const svg = path.join(folder, 'cbow.svg');
    const run = word2vec('--corpus', corpusFile, '--dim', '16', '--epochs', '1', '--threads', '1', '--cbow', '--svg', svg, '--min-count', '3');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('CBOW, dim 16, window 5, negative 5, sample 0.001, epochs 1, lr 0.05, threads 1, seed 1');
    expect(run.stdout).toContain('(min-count 3)');
    const loss = Number(/mean group loss ([\d.]+)/.exec(run.stdout)?.[1]);
    // Chance level is (1 + negative) log 2 = 4.16 for a fresh model.
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(4.16);
  }, 300_000);

  test('--help lists the reference option names; a bad value is refused with exit code 1', () => {
    const help = word2vec('--help');
    expect(help.status).toBe(0);
    for (const option of ['--corpus', '--dim', '--window', '--negative', '--sample', '--min-count', '--epochs', '--lr', '--cbow', '--seed', '--threads', '--out']) {
      expect(help.stdout).toContain(option);
    }
    const bad = word2vec('--window', '0');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--window must be an integer >= 1');
  }, 120_000);
});

describe('word2vec.c build', () => {
  test('without a C compiler on PATH, buildReference says so instead of failing', () => {
    const script = [
      "import { buildReference } from './examples/word2vec/reference.ts';",
      'console.log(JSON.stringify(buildReference()));',
    ].join('\n');
    const emptyBin = mkdtempSync(path.join(tmpdir(), 'word2vec-no-cc-'));
    try {
      const env = { ...process.env, PATH: emptyBin, CC: '' };
      const result = spawnSync(process.execPath, [tsxCli, '--eval', script], { cwd: repoRoot, encoding: 'utf8', env });
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout.trim())).toEqual({ ok: false, reason: 'no C compiler found (tried $CC, cc, gcc, clang)' });
    } finally {
      rmSync(emptyBin, { recursive: true, force: true });
    }
  }, 60_000);
});
