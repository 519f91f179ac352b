/**
 * Math functions rendered in forms that keep each inside its domain and
 * away from its singular points (`Math.log(1 + u * u)`, `Math.asin(0.9 *
 * Math.tanh(u))`, `Math.exp(Math.tanh(u))` so values stay bounded); `form`
 * picks one. In the traced twin, functions with kinks or jumps call
 * recording wrappers (traced.ts).
 */
import type { MathFn } from './ast.ts';
import { atom, compound, paren, type Ctx, type Rendered } from './render-context.ts';

const SQUASH = [
  (u: string) => `Math.tanh(${u})`,
  (u: string) => `Math.sin(${u})`,
  (u: string) => `${u} / (1 + ${u} * ${u})`,
  (u: string) => `Math.cos(${u})`,
];

export function renderMath(fn: MathFn, form: number, args: Rendered[], ctx: Ctx): Rendered {
  const js = ctx.mode === 'js';
  const u = args[0] ?? atom('1');
  const v = args[1] ?? args[0] ?? atom('0.5');
  const w = args[2];
  const S = (x: Rendered) => SQUASH[form % SQUASH.length]!(paren(x));
  const k = Math.floor(form / SQUASH.length);
  const sq = (x: Rendered) => `${paren(x)} * ${paren(x)}`;
  switch (fn) {
    case 'exp':
    case 'expm1':
    case 'sinh':
    case 'cosh':
    case 'tan':
      return atom(`Math.${fn}(${S(u)})`);
    case 'log':
      return atom([`Math.log(1 + ${sq(u)})`, `Math.log(2 + Math.sin(${u.s}))`, `Math.log(1.5 + ${S(u)})`][k % 3]!);
    case 'log1p':
      return atom([`Math.log1p(${sq(u)})`, `Math.log1p(0.5 * ${paren(compound(S(u)))})`][k % 2]!);
    case 'sqrt':
      return atom([`Math.sqrt(1 + ${sq(u)})`, `Math.sqrt(2 + Math.cos(${u.s}))`, `Math.sqrt(${sq(u)} + 0.25)`][k % 3]!);
    case 'cbrt':
      if (k % 2 === 0) return atom(js ? `__cbrt(${u.s})` : `Math.cbrt(${u.s})`);
      return atom(`Math.cbrt(2 + ${S(u)})`);
    case 'sin':
    case 'cos':
    case 'atan':
    case 'tanh':
      return atom(`Math.${fn}(${u.s})`);
    case 'asin':
    case 'acos':
      return atom(`Math.${fn}(0.9 * ${paren(compound(S(u)))})`);
    case 'abs':
    case 'sign':
    case 'floor':
    case 'ceil':
    case 'round':
    case 'trunc':
      return atom(js ? `__${fn}(${u.s})` : `Math.${fn}(${u.s})`);
    case 'pow':
      return [
        atom(`Math.pow(1 + ${sq(u)}, ${S(v)})`),
        compound(`(1 + ${sq(u)}) ** ${paren(compound(S(v)))}`),
        atom(`Math.pow(2, ${S(u)})`),
        atom(`Math.pow(${u.s}, ${k % 4})`),
      ][k % 4]!;
    case 'atan2':
      if (k % 2 === 0) return atom(`Math.atan2(${u.s}, 1 + ${sq(v)})`);
      return atom(js ? `__atan2(${u.s}, ${v.s})` : `Math.atan2(${u.s}, ${v.s})`);
    case 'max':
    case 'min':
    case 'hypot': {
      const list = [u, v, ...(w && k % 2 === 1 ? [w] : [])].map((x) => x.s);
      // hypot has a kink where all its arguments are 0: the trace records their signs.
      const args = fn === 'hypot' && k % 3 === 2 ? [u.s] : list;
      return atom(js ? `__${fn}(${args.join(', ')})` : `Math.${fn}(${args.join(', ')})`);
    }
    default:
      return fn satisfies never;
  }
}
