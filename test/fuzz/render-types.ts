/**
 * Rendering of the fuzzed constructs of issue #10 item 5, the types people
 * write: module-level constants (`const K0 = 0.5;`, `const KS = [...] as
 * const;`) read as numbers and at computed indexes, a trailing boolean
 * parameter and boolean locals reassigned with `=`, `&&=` and `||=`, and a
 * trailing string-literal-union parameter `mode: 'a' | 'b' | 'c'` compared
 * in conditions and passed on to helpers.
 */
import type { Cond, Expr, Fn, Stmt } from './ast.ts';
import { atom, line, literal, type ArrVar, type Ctx, type HelperSig, type Mode, type Rendered, type Scope } from './render-context.ts';
import { renderCond, renderIndex } from './render-expr.ts';

/** The values of the `mode` parameter. */
export const MODE_VALUES = ['a', 'b', 'c'] as const;

/** The name of the constant array, beside `K0`, `K1`, ... */
const CONST_ARRAY = 'KS';

/** `MODE_A`, `MODE_B`, `MODE_C`: the mode values as constants typed `string`, which TypeScript does not narrow by. */
const modeConstant = (value: number) => `MODE_${MODE_VALUES[value % MODE_VALUES.length]!.toUpperCase()}`;

/**
 * The module-level constant declarations, before the functions: the number
 * constants, and the mode constants when a function takes a mode. Modes are
 * compared with constants typed `string`, not literals: a literal would be
 * narrowed by the tests around it and make the program ill-typed
 * (`mode === 'c'` where mode is already known to be 'a' | 'b').
 */
export function renderConsts(consts: readonly number[] | undefined, mode: Mode, modes: boolean): string {
  const lines: string[] = [];
  if (consts && consts.length > 0) {
    lines.push(...consts.map((v, i) => `const K${i} = ${v};`));
    lines.push(`const ${CONST_ARRAY} = [${consts.join(', ')}]${mode === 'ts' ? ' as const' : ''};`);
  }
  if (modes) lines.push(...MODE_VALUES.map((v, i) => `const ${modeConstant(i)}${mode === 'ts' ? ': string' : ''} = '${v}';`));
  return lines.length ? `${lines.join('\n')}\n\n` : '';
}

/**
 * `K1`, or `KS[i1 % KS.length]`; the literal 1 when the program declares no
 * constants. Marked like an `any` read so that a local initialised with it
 * is annotated `: number` (an element of an `as const` array has a literal
 * union type, which a later assignment of another number would not fit).
 */
export function renderKonst(e: Extract<Expr, { k: 'konst' }>, scope: Scope, ctx: Ctx): Rendered {
  const n = ctx.consts ?? 0;
  if (n === 0) return literal(1);
  if (!e.index) return atom(`K${e.ref % n}`, true);
  const array: ArrVar = { name: CONST_ARRAY, type: 'number[]', anyElems: false, isParam: false, inLoop: false };
  return atom(`${CONST_ARRAY}[${renderIndex(e.index, array, scope, ctx)}]`, true);
}

/** `mode === 'b'` or `mode !== 'b'`; `true` in a function without a mode. */
export function renderModeCond(c: Extract<Cond, { k: 'mode' }>, ctx: Ctx): string {
  if (!ctx.hasMode) return 'true';
  return `mode ${c.eq ? '===' : '!=='} ${modeConstant(c.value)}`;
}

/** `b1 = cond;`, `b1 &&= cond;`, `b1 ||= cond;` on a flag in scope (the twin writes the same in JavaScript). */
export function renderSetFlag(s: Extract<Stmt, { k: 'setFlag' }>, scope: Scope, ctx: Ctx): string {
  if (scope.flags.length === 0) return '';
  const target = scope.flags[s.ref % scope.flags.length]!;
  return line(ctx, `${target} ${s.op} ${renderCond(s.c, scope, ctx)};`);
}

/** The trailing parameters of `fn` (`flag: boolean`, `mode: Mode`), as declared and as added to the scope. */
export function extraParams(fn: Fn, mode: Mode): { declared: string[]; flags: string[]; hasMode: boolean } {
  const declared: string[] = [];
  const flags: string[] = [];
  if (fn.flagParam) {
    declared.push(mode === 'ts' ? 'flag: boolean' : 'flag');
    flags.push('flag');
  }
  if (fn.modeParam) declared.push(mode === 'ts' ? `mode: ${MODE_VALUES.map((v) => `'${v}'`).join(' | ')}` : 'mode');
  return { declared, flags, hasMode: !!fn.modeParam };
}

/** The arguments a call passes for the helper's trailing parameters: a flag in scope, the caller's mode or a literal one. */
export function extraArgs(h: HelperSig, helper: number, scope: Scope, ctx: Ctx): string[] {
  const args: string[] = [];
  if (h.flagParam) args.push(scope.flags.length > 0 ? scope.flags[helper % scope.flags.length]! : helper % 2 === 0 ? 'true' : 'false');
  if (h.modeParam) args.push(ctx.hasMode ? 'mode' : `'${MODE_VALUES[helper % MODE_VALUES.length]}'`);
  return args;
}

/** The main function's trailing arguments at input point k. */
export function extraInputs(fn: Fn, modeSeed: number | undefined, k: number, pool: readonly number[]): unknown[] {
  const args: unknown[] = [];
  if (fn.flagParam) args.push((pool[(k * 3 + 1) % pool.length] ?? 0) > 0);
  if (fn.modeParam) args.push(MODE_VALUES[((modeSeed ?? 0) + k) % MODE_VALUES.length]);
  return args;
}
