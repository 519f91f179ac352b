/**
 * What a fuzzing run found: checks run and skipped (with the reason) per
 * kind, and failures, each tagged with the kind of bug it points at.
 */

/** Kinds of failure; `fuzzer` marks an inconsistency of the fuzzer itself, not of the compiler. */
export type FailureKind =
  | 'compile-error'
  | 'internal-error'
  | 'tsc'
  | 'runtime-exception'
  | 'tape-unbalanced'
  | 'input-mutated'
  | 'gradient-shape'
  | 'value'
  | 'reverse-vs-fd'
  | 'forward-vs-reverse'
  | 'vjp-scaling'
  /** The derivatives did not return in time, or exhausted memory. */
  | 'hang'
  | 'fuzzer';

export interface Failure {
  kind: FailureKind;
  /** What went wrong, with expected and actual values. */
  message: string;
  /** The input point, when the failure is numeric. */
  args?: unknown[];
}

export type CheckKind = 'compile' | 'tsc' | 'value' | 'reverse-vs-fd' | 'forward-vs-reverse' | 'vjp-scaling';

export type SkipReason =
  | 'near a branch or kink'
  | 'near a singular point'
  | 'finite differences unstable'
  | 'value not finite or out of range'
  | 'derivative not finite'
  | 'not compiled';

export interface Tally {
  programs: number;
  checks: Map<CheckKind, number>;
  skipped: Map<SkipReason, number>;
  failures: number;
}

export function emptyTally(): Tally {
  return { programs: 0, checks: new Map(), skipped: new Map(), failures: 0 };
}

export function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

export function mergeTally(into: Tally, from: Tally): void {
  into.programs += from.programs;
  into.failures += from.failures;
  for (const [k, v] of from.checks) bump(into.checks, k, v);
  for (const [k, v] of from.skipped) bump(into.skipped, k, v);
}

export function totalChecks(t: Tally): number {
  return [...t.checks.values()].reduce((a, b) => a + b, 0);
}

export function formatTally(t: Tally): string {
  const lines = [`programs built: ${t.programs}`, `checks run: ${totalChecks(t)}`];
  for (const [k, v] of [...t.checks].sort()) lines.push(`  ${k}: ${v}`);
  const skipped = [...t.skipped.values()].reduce((a, b) => a + b, 0);
  lines.push(`checks skipped: ${skipped}`);
  for (const [k, v] of [...t.skipped].sort()) lines.push(`  ${k}: ${v}`);
  lines.push(`failures: ${t.failures}`);
  return lines.join('\n');
}

/** A failure's message with names and numbers blurred, so two failures of one bug compare equal. */
export function bugSignature(f: Failure): string {
  if (f.kind !== 'compile-error' && f.kind !== 'internal-error' && f.kind !== 'runtime-exception' && f.kind !== 'tsc') return f.kind;
  // For tsc, the first error (the first line only names the file).
  const lines = f.message.split('\n');
  const firstLine = (f.kind === 'tsc' ? lines[1] : lines[0]) ?? '';
  const blurred = firstLine
    .replace(/^\S+:\d+:\d+: /, '')
    .replace(/\b[a-zA-Z_]+\d+(_\d+)?\b/g, 'ID')
    .replace(/-?\d+(\.\d+)?(e-?\d+)?/g, 'N');
  return `${f.kind}: ${blurred}`;
}
