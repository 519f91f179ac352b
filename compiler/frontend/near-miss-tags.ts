/**
 * Tags meant for wengert that it does not read, reported as warnings with
 * "did you mean": a misspelled tag (`@differentable`, `@derivitive`: within
 * edit distance 2 of `@differentiable` or `@derivative`), and the right tag
 * in a comment that is not a JSDoc comment (`// @differentiable`,
 * `/* @differentiable *\/`). Without the warning such a function would
 * silently get no derivatives.
 */
import { ts } from 'ts-morph';
import type { SourceFile } from 'ts-morph';
import type { Diagnostic } from './diagnostics.ts';

/** The tags wengert reads from JSDoc comments. */
const KNOWN_TAGS = ['differentiable', 'derivative'] as const;
type KnownTag = (typeof KNOWN_TAGS)[number];

/** Largest edit distance (insertions, deletions, substitutions, swaps) still taken for a misspelling. */
const MAX_DISTANCE = 2;

/** A comment of the source, as the TypeScript scanner found it. */
export interface CommentSpan {
  pos: number;
  end: number;
}

/** Any tag in a JSDoc comment: `@word`, not inside a word or an e-mail address. */
const ANY_TAG = /(?<![\w@.])@([A-Za-z]\w*)/g;

/** In a `//` or `/* *\/` comment, only a tag that opens the comment or one of its lines counts. */
const LEADING_TAG = /(?:^\/\/+[ \t]*|^\/\*[ \t]*|\n[ \t]*\*?[ \t]*)@([A-Za-z]\w*)/g;

/** Warnings for the comments in `comments` (positions in `sf`'s full text). */
export function nearMissTagWarnings(sf: SourceFile, comments: readonly CommentSpan[]): Diagnostic[] {
  const text = sf.getFullText();
  const warnings: Diagnostic[] = [];
  for (const comment of comments) {
    const body = text.slice(comment.pos, comment.end);
    const isJsDoc = body.startsWith('/**') && !body.startsWith('/**/');
    for (const match of body.matchAll(isJsDoc ? ANY_TAG : LEADING_TAG)) {
      const written = match[1]!;
      const meant = closestKnownTag(written);
      if (!meant || (isJsDoc && written === meant)) continue;
      const at = comment.pos + match.index! + match[0].lastIndexOf('@');
      const { line, column } = sf.getLineAndColumnAtPos(at);
      warnings.push({ file: sf.getFilePath(), line, column, severity: 'warning', ...(isJsDoc ? misspelled(written, meant) : notJsDoc(body, written, meant)) });
    }
  }
  return warnings;
}

function misspelled(written: string, meant: KnownTag): Pick<Diagnostic, 'message' | 'hint'> {
  return {
    message: `unknown tag @${written}: did you mean \`@${meant}\`?`,
    hint: `spell it @${meant}; wengert reads only that exact tag, so as written the tag is ignored`,
  };
}

function notJsDoc(body: string, written: string, meant: KnownTag): Pick<Diagnostic, 'message' | 'hint'> {
  const kind = body.startsWith('//') ? '//' : '/* */';
  return {
    message: `@${written} in a ${kind} comment is ignored: did you mean \`@${meant}\` in a /** */ comment?`,
    hint: `wengert reads tags only from JSDoc comments: write /** @${meant} */ right before the declaration`,
  };
}

/** The known tag `written` is closest to, when it is within MAX_DISTANCE edits. */
export function closestKnownTag(written: string): KnownTag | null {
  let best: KnownTag | null = null;
  let bestDistance = MAX_DISTANCE + 1;
  for (const tag of KNOWN_TAGS) {
    const d = editDistance(written, tag);
    if (d < bestDistance) {
      best = tag;
      bestDistance = d;
    }
  }
  return best;
}

/** True when `text` holds a tag that is a known tag or a misspelling of one (for the build's quick filter). */
export function mentionsTagLike(text: string): boolean {
  for (const match of text.matchAll(ANY_TAG)) {
    if (closestKnownTag(match[1]!)) return true;
  }
  return false;
}

/**
 * Edit distance with adjacent swaps counted as one edit (optimal string
 * alignment), so `@differnetiable` is one edit from `@differentiable`.
 */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return MAX_DISTANCE + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** The comments right after `pos` (on its line and the lines below), as the scanner sees them. */
export function commentsAfter(sf: SourceFile, pos: number): CommentSpan[] {
  const text = sf.getFullText();
  const trailing = ts.getTrailingCommentRanges(text, pos) ?? [];
  const leading = ts.getLeadingCommentRanges(text, pos) ?? [];
  // At the start of the file the two lists overlap.
  const seen = new Set(trailing.map((c) => c.pos));
  return [...trailing, ...leading.filter((c) => !seen.has(c.pos))];
}
