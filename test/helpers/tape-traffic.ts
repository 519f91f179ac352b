/**
 * Tape traffic of one call of generated code: how many values and control
 * entries it pushed on the shared tapes (runtime/tape.ts), and whether the
 * three tapes hold after it what they held before (every generated function
 * pops what it pushes). Used by the tests of what the reverse sweep records.
 */
import { tape, watchStack } from 'wengert';

export interface Traffic {
  values: number;
  control: number;
  balanced: boolean;
}

export function traffic(call: () => unknown): Traffic {
  const before = [tape.values.length, tape.control.length, tape.refs.length];
  const counts = { values: 0, control: 0 };
  // Watching the storage sees the pushes of loops that keep the top in locals too (compiler/emit/tape-cursors.ts).
  const nothing = () => {};
  watchStack(tape.values, { push: () => counts.values++, pop: nothing }, () => watchStack(tape.control, { push: () => counts.control++, pop: nothing }, call));
  const after = [tape.values.length, tape.control.length, tape.refs.length];
  return { ...counts, balanced: after.every((n, i) => n === before[i]) };
}

/**
 * Generated text with the tape cursors of compiler/emit/tape-cursors.ts read
 * back as the calls they stand for (`valueTape.push(e)`, `valueTape.pop()`),
 * so that tests of what is recorded can match either form.
 */
export function tapeCallsText(text: string): string {
  const handleOf = new Map<string, string>();
  for (const m of text.matchAll(/(\w+) = (\w+)\.buf, \w+ = \2\.length/g)) handleOf.set(m[1]!, m[2]!);
  return text
    .replace(/if \((\w+) === (\w+)\.length\) \{\s*\2 = (\w+)\.grow\(\1\);\s*\}\s*\2\[\1\+\+\] = ([^;\n]*);/g, '$3.push($4);')
    .replace(/(\w+)\[--\w+\]!/g, (all, buf: string) => (handleOf.has(buf) ? `${handleOf.get(buf)}.pop()` : all));
}
