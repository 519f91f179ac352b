/**
 * word2vec's text format, which gensim (KeyedVectors.load_word2vec_format),
 * word2vec.c's own tools and others read: a first line `count dimension`,
 * then one line per word, `word v1 v2 ... vd`, in vocabulary order.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { WordVectors } from './similarity.ts';

/** The text of a vectors file. */
export function formatVectors(source: WordVectors): string {
  const { words, dim, vectors } = source;
  const lines = [`${words.length} ${dim}`];
  for (let w = 0; w < words.length; w++) {
    const values: string[] = [];
    for (let i = 0; i < dim; i++) values.push(formatFloat(vectors[w * dim + i]!));
    lines.push(`${words[w]} ${values.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/** Six significant digits, as word2vec.c's %lf prints about as many. */
function formatFloat(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

/** Writes a vectors file (folders created). */
export function writeVectors(file: string, source: WordVectors): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, formatVectors(source));
}

/** Parses the text format (word2vec.c's output too: it ends each line with a space). */
export function parseVectors(text: string): WordVectors {
  const lines = text.split('\n');
  const header = lines[0]!.trim().split(/\s+/).map(Number);
  const count = header[0]!;
  const dim = header[1]!;
  if (!(Number.isInteger(count) && Number.isInteger(dim) && dim > 0)) throw new Error(`not a word2vec text file: first line '${lines[0]}'`);
  const words: string[] = [];
  const vectors = new Float32Array(count * dim);
  for (let w = 0; w < count; w++) {
    const fields = lines[w + 1]!.trim().split(' ');
    if (fields.length !== dim + 1) throw new Error(`line ${w + 2}: expected a word and ${dim} numbers, got ${fields.length} fields`);
    words.push(fields[0]!);
    for (let i = 0; i < dim; i++) vectors[w * dim + i] = Number(fields[i + 1]);
  }
  return { words, dim, vectors };
}

/** Reads a vectors file. */
export function readVectors(file: string): WordVectors {
  return parseVectors(readFileSync(file, 'utf8'));
}
