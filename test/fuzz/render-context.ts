/**
 * Shared by the renderer's files: what is in scope while rendering, the
 * rendering context, names, and small text helpers.
 */
import type { Fn, Param, RenderSwitch } from './ast.ts';

export type Mode = 'ts' | 'js';

export interface NumVar {
  name: string;
  assignable: boolean;
  /** Typed `any` (an element of an unannotated `new Array(n).fill(0)`). */
  anyTyped?: boolean;
}

export interface ArrVar {
  name: string;
  type: 'number[]' | 'Float64Array';
  /** Elements typed `any` (an unannotated `new Array(n).fill(0)`). */
  anyElems: boolean;
  isParam: boolean;
  /** Allocated inside a loop body. */
  inLoop: boolean;
}

export interface Scope {
  nums: NumVar[];
  flags: string[];
  arrs: ArrVar[];
  /** Loop counters usable in indexes. */
  counters: string[];
  /** Local number[][] arrays (rectangular: every row as long as the first). */
  grids?: string[];
  /** Local functions (render-closures.ts): `writer` ones add to a captured variable and return nothing. */
  fns?: { name: string; writer: boolean }[];
}

export interface LoopFrame {
  label: string;
  labelUsed: boolean;
  /** A switch: `break` may leave it, `continue` passes it by. */
  isSwitch?: boolean;
}

/** What is known about a helper when rendering a call of it. */
export interface HelperSig {
  name: string;
  params: Param[];
  wrt: boolean[];
  /** Takes a trailing `flag: boolean` (Fn.flagParam). */
  flagParam?: boolean;
  /** Takes a trailing `mode: 'a' | 'b' | 'c'` (Fn.modeParam). */
  modeParam?: boolean;
}

export interface Ctx {
  mode: Mode;
  helpers: HelperSig[];
  loops: LoopFrame[];
  /** Arrays iterated by an enclosing for...of: nothing may push onto them. */
  iterating: Set<string>;
  /** Inside a loop condition: the compiler wants it pure (no calls). */
  pure: boolean;
  counts: Map<string, number>;
  indent: string;
  /** Constructs to steer around (Program.avoid). */
  avoid: ReadonlySet<RenderSwitch>;
  /** Inside a branch of an `if`. */
  inBranch: boolean;
  /** Inside a condition (the compiler keeps conditions as pure expressions). */
  inCond?: boolean;
  /** Shared by the whole function: a return, break or continue has been rendered. */
  fnState: { exitSeen: boolean };
  /** How many module constants (`K0`, `K1`, ... and `KS`) the program declares. */
  consts?: number;
  /** The function has a `mode` parameter. */
  hasMode?: boolean;
}

/** Names of the generated functions: `f` is the main one, helpers are `h0`, `h1`, ... */
export const MAIN_NAME = 'f';
export const helperName = (i: number): string => `h${i}`;

/** A parameter's name: `x0` for numbers, `xs1` for arrays. */
export function paramName(p: Param, i: number): string {
  return p.type === 'number' ? `x${i}` : `xs${i}`;
}

/** The effective wrt list of a function: null when every parameter is differentiated. */
export function effectiveWrt(fn: Fn, isHelper: boolean): boolean[] | null {
  if (!fn.wrt) return null;
  const wrt = fn.params.map((p, i) => {
    const w = fn.wrt![i % fn.wrt!.length]!;
    // Helpers differentiate every array parameter: callers pass active arrays.
    return isHelper && p.type !== 'number' ? true : w;
  });
  if (wrt.every((w) => w) || !wrt.some((w) => w)) return null;
  return wrt;
}

/** A new name `base1`, `base2`, ... unique in the function being rendered. */
export function fresh(ctx: Ctx, base: string): string {
  const n = (ctx.counts.get(base) ?? 0) + 1;
  ctx.counts.set(base, n);
  return `${base}${n}`;
}

/** One line of code at the current indentation. */
export function line(ctx: Ctx, text: string): string {
  return `${ctx.indent}${text}\n`;
}

/** Renders `fn` one level deeper. */
export function nested(ctx: Ctx, fn: (inner: Ctx) => string): string {
  return fn({ ...ctx, indent: ctx.indent + '  ' });
}

/** A condition; in the traced twin, wrapped so that its outcome is recorded. */
export function traced(ctx: Ctx, cond: string): string {
  return ctx.mode === 'js' ? `__b(${cond})` : cond;
}

export interface Rendered {
  s: string;
  /** An identifier, literal, call or element access: needs no parentheses as an operand. */
  atomic: boolean;
  /** Its static type may be `any` (it reads an unannotated `new Array(n).fill(0)`). */
  maybeAny: boolean;
}

export const atom = (s: string, maybeAny = false): Rendered => ({ s, atomic: true, maybeAny });
export const compound = (s: string, maybeAny = false): Rendered => ({ s, atomic: false, maybeAny });

/** `r` as an operand: in parentheses unless atomic. */
export function paren(r: Rendered): string {
  return r.atomic ? r.s : `(${r.s})`;
}

/** A number literal; negative ones need parentheses as operands. */
export function literal(v: number): Rendered {
  const s = String(v);
  return v < 0 || Object.is(v, -0) ? compound(v === 0 ? '0' : s) : atom(s);
}
