/**
 * The traced twin of a fuzzed program: the same functions as plain
 * JavaScript (render.ts, mode 'js'), evaluated with `new Function`, that
 * also return the list of decisions the evaluation took (branches, loop
 * tests, indexes, the side of each kink). The oracle compares traces to
 * tell whether finite differences straddle a branch or a kink.
 */
import type { Program } from './ast.ts';
import { MAIN_NAME, renderProgram } from './render.ts';

export interface TracedRun {
  value: number;
  /** The decisions taken, joined into one string for cheap comparison. */
  trace: string;
  /** The evaluation came within 1e-3 of a singular point (cbrt at 0, atan2 and hypot at the origin). */
  nearSingular: boolean;
}

export type TracedFunction = (...args: unknown[]) => TracedRun;

/** Helpers the 'js' rendering calls: each records a decision, then computes what Math would. */
const PRELUDE = `
let __tr = [];
let __near = false;
const __hazard = (...xs) => { if (xs.every((x) => Math.abs(x) < 1e-3)) __near = true; };
const __b = (c) => { __tr.push(c ? 1 : 0); return c; };
const __i = (i) => { __tr.push(i); return i; };
const __side = (u) => (u > 0 ? 1 : u < 0 ? -1 : 0);
const __abs = (u) => { __tr.push(__side(u)); return Math.abs(u); };
const __hypot = (...xs) => { __tr.push(...xs.map(__side)); __hazard(...xs); return Math.hypot(...xs); };
const __cbrt = (u) => { __tr.push(__side(u)); __hazard(u); return Math.cbrt(u); };
const __sign = (u) => { const r = Math.sign(u); __tr.push(r); return r; };
const __floor = (u) => { const r = Math.floor(u); __tr.push(r); return r; };
const __ceil = (u) => { const r = Math.ceil(u); __tr.push(r); return r; };
const __round = (u) => { const r = Math.round(u); __tr.push(r); return r; };
const __trunc = (u) => { const r = Math.trunc(u); __tr.push(r); return r; };
const __mod = (u, m) => { __tr.push(Math.trunc(u / m)); return u % m; };
const __argbest = (better, xs) => { let k = 0; for (let j = 1; j < xs.length; j++) if (better(xs[j], xs[k])) k = j; return k; };
const __max = (...xs) => { __tr.push(__argbest((a, b) => a > b, xs), xs.some((x, j) => j > 0 && x === xs[0]) ? 1 : 0); return Math.max(...xs); };
const __min = (...xs) => { __tr.push(__argbest((a, b) => a < b, xs), xs.some((x, j) => j > 0 && x === xs[0]) ? 1 : 0); return Math.min(...xs); };
const __atan2 = (a, b) => { __tr.push(b < 0 ? __side(a) : 2); __hazard(a, b); return Math.atan2(a, b); };
`;

/** Compiles the traced twin of `p`; the returned function runs the main function. */
export function tracedMain(p: Program): TracedFunction {
  const body = `${PRELUDE}\n${renderProgram(p, 'js')}\nreturn (...args) => { __tr = []; __near = false; const value = ${MAIN_NAME}(...args); return { value, trace: __tr.join(','), nearSingular: __near }; };`;
  return new Function(body)() as TracedFunction;
}
