/**
 * A quality score for word vectors trained on the Brown corpus: members of
 * closed word classes (weekdays, months, number words) should be nearer
 * each other than to other frequent words.
 *
 * For each class, `score` is the fraction of triples (member m, another
 * member m', outside word o) with cos(m, m') > cos(m, o), over a fixed list
 * of outside words: the frequent words of vocabulary ranks 100 to 1,100,
 * every fifth, that belong to no class. Random vectors score about 0.5, a
 * perfect clustering 1. Being a ranking, the score does not move when all
 * similarities shift together (short training leaves every pair of vectors
 * at a cosine near 1, for word2vec.c as for this example). `within` and
 * `outside` are the mean cosines, for the record.
 *
 * `may`, `march` and `one` are left out: in Brown they are mostly the verb,
 * the verb and the pronoun.
 */
import type { VectorIndex } from './similarity.ts';

export const CLOSED_CLASSES: Readonly<Record<string, readonly string[]>> = {
  weekdays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
  months: ['january', 'february', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december'],
  numbers: ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'],
};

export interface ClassScore {
  name: string;
  /** Fraction of (member, member, outside word) triples ranked right. */
  score: number;
  /** Mean cosine over pairs of members. */
  within: number;
  /** Mean cosine of members to outside words. */
  outside: number;
}

/** Frequent words outside every class: every fifth word of vocabulary ranks [100, 1100). */
export function comparisonWords(index: VectorIndex): string[] {
  const members = new Set(Object.values(CLOSED_CLASSES).flat());
  const out: string[] = [];
  for (let rank = 100; rank < Math.min(1100, index.words.length); rank += 5) {
    const word = index.words[rank]!;
    if (!members.has(word)) out.push(word);
  }
  return out;
}

/** The score of each class (see the file comment). */
export function closedClassScores(index: VectorIndex): ClassScore[] {
  const others = comparisonWords(index);
  return Object.entries(CLOSED_CLASSES).map(([name, members]) => {
    const present = members.filter((w) => index.has(w));
    if (present.length < 2) throw new Error(`class ${name}: only ${present.length} of its words are in the vocabulary`);
    let wins = 0;
    let triples = 0;
    let within = 0;
    let outside = 0;
    for (const m of present) {
      const toOthers = others.map((o) => index.similarity(m, o));
      for (const s of toOthers) outside += s;
      for (const m2 of present) {
        if (m2 === m) continue;
        const s = index.similarity(m, m2);
        within += s;
        for (const o of toOthers) if (s > o) wins++;
        triples += toOthers.length;
      }
    }
    const pairs = present.length * (present.length - 1);
    return { name, score: wins / triples, within: within / pairs, outside: outside / (present.length * others.length) };
  });
}

/** The mean score over the classes. */
export function meanScore(scores: readonly ClassScore[]): number {
  return scores.reduce((sum, s) => sum + s.score, 0) / scores.length;
}

/** One line per class: score, and the mean cosines within and to outside words. */
export function formatScores(scores: readonly ClassScore[]): string {
  const lines = scores.map(
    (s) => `  ${s.name.padEnd(9)} score ${s.score.toFixed(3)}  (mean cosine within ${s.within.toFixed(3)}, to outside words ${s.outside.toFixed(3)})`,
  );
  lines.push(`  mean      score ${meanScore(scores).toFixed(3)}`);
  return lines.join('\n');
}
