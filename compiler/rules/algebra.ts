/**
 * Tiny helpers that build the TypeScript expressions of derivative rules,
 * folding the trivial cases (`1 * x`, `x + 0`) so the emitted code reads
 * like hand-written code. Operands are variable names or numeric literals.
 */

/** True when `e` is a numeric literal such as `2`, `0.5` or `(-3)`. */
export function isLiteral(e: string): boolean {
  return /^\(?-?\d+(\.\d+)?(e[+-]?\d+)?\)?$/.test(e);
}

export function literalValue(e: string): number {
  return Number(e.replace(/[()]/g, ''));
}

/** Wrap in parentheses unless `e` is a name, a literal or already wrapped. */
export function paren(e: string): string {
  if (/^[\w$.]+$/.test(e) || isLiteral(e)) return e;
  if (/^[\w$.]+\(.*\)$/.test(e) && balanced(e.slice(e.indexOf('(')))) return e;
  if (e.startsWith('(') && e.endsWith(')') && balanced(e)) return e;
  return `(${e})`;
}

/** True when `e` is one parenthesised group, `( ... )`, closing at the end. */
function balanced(e: string): boolean {
  let depth = 0;
  for (let i = 0; i < e.length; i++) {
    if (e[i] === '(') depth++;
    else if (e[i] === ')') {
      depth--;
      if (depth === 0 && i !== e.length - 1) return false;
    }
  }
  return depth === 0;
}

export function mul(...raw: string[]): string {
  const factors = raw.map((f) => (f === '(-1)' ? '-1' : f));
  if (factors.some((f) => f === '0')) return '0';
  const negative = factors.filter((f) => f === '-1').length % 2 === 1;
  const kept = factors.filter((f) => f !== '1' && f !== '-1');
  const product = kept.length === 0 ? '1' : kept.map(paren).join(' * ');
  return negative ? neg(product) : product;
}

export function div(a: string, b: string): string {
  if (b === '1') return a;
  return `${paren(a)} / ${paren(b)}`;
}

export function neg(a: string): string {
  if (isLiteral(a)) return literal(-literalValue(a));
  return `-${paren(a)}`;
}

/** Sum of the non-null terms, or null when all are null (a zero tangent). */
export function sum(terms: readonly (string | null)[]): string | null {
  const kept = terms.filter((t): t is string => t !== null);
  if (kept.length === 0) return null;
  return kept.reduce((acc, t) => (t.startsWith('-') ? `${acc} - ${t.slice(1)}` : `${acc} + ${t}`));
}

/** A number as TypeScript source; negative numbers in parentheses. */
export function literal(value: number): string {
  if (Object.is(value, -0)) return '(-0)';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '(-Infinity)';
  if (Number.isNaN(value)) return 'NaN';
  const text = String(value);
  return value < 0 ? `(${text})` : text;
}
