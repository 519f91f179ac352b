/**
 * The numeric oracle for one compiled fuzzed program, at a few input points:
 *   - valueAndGrad's value and jvp's primal equal f exactly;
 *   - reverse mode against central finite differences, component by
 *     component, skipped where the traced twin shows that f(x +- h) takes
 *     another path (a branch, an index or the side of a kink), or where
 *     differences at two step sizes disagree;
 *   - forward mode against reverse mode: jvp(x, v) = grad(x) . v;
 *   - vjp with dy = 2 is exactly 2 * grad (scaling by 2 is exact in floats);
 *   - the tape is empty after every call and no input array was changed.
 */
import { tape } from 'wengert';
import type { Program } from './ast.ts';
import { copyArgs, directionFor, flat, inputsAt, withComponent } from './inputs.ts';
import { effectiveWrt, MAIN_NAME } from './render.ts';
import { bump, type Failure, type SkipReason, type Tally } from './report.ts';
import type { TracedFunction } from './traced.ts';

type AnyFn = (...args: unknown[]) => any;

export interface Modules {
  source: Record<string, unknown>;
  grad: Record<string, unknown>;
}

export interface OracleOptions {
  /** Input points per program. */
  points: number;
}

/** Largest |f| at which finite differences are still meaningful. */
const VALUE_LIMIT = 1e8;

/** Checks one program; adds to `tally` and returns its failures. */
export function checkProgram(p: Program, mods: Modules, traced: TracedFunction, tally: Tally, opts: OracleOptions): Failure[] {
  const failures: Failure[] = [];
  const f = mods.source[MAIN_NAME] as AnyFn;
  const get = (name: string) => mods.grad[`${name}_${MAIN_NAME}`] as AnyFn;
  const wrt = effectiveWrt(p.main, false);
  const wrtIndexes = p.main.params.map((_, i) => i).filter((i) => !wrt || wrt[i]);
  const fail = (kind: Failure['kind'], message: string, args: unknown[]) => {
    failures.push({ kind, message, args: copyArgs(args) });
  };

  for (let point = 0; point < opts.points; point++) {
    const args = inputsAt(p, point);
    const value = f(...args) as number;
    const tracedRun = traced(...copyArgs(args));
    if (!Object.is(tracedRun.value, value)) {
      fail('fuzzer', `the traced twin computes ${tracedRun.value}, f computes ${value}`, args);
      continue;
    }
    if (!Number.isFinite(value) || Math.abs(value) > VALUE_LIMIT) {
      bump(tally.skipped, 'value not finite or out of range');
      continue;
    }
    const before = JSON.stringify(args.map(flat));
    const call = (what: string, fn: () => unknown): unknown => {
      try {
        const out = fn();
        const left = [tape.values.length, tape.control.length, tape.refs.length];
        if (left.some((n) => n !== 0)) {
          fail('tape-unbalanced', `${what} left ${left[0]} values, ${left[1]} control entries and ${left[2]} references on the tape`, args);
          resetTape();
        }
        return out;
      } catch (e) {
        resetTape();
        fail('runtime-exception', describeThrow(what, e), args);
        return undefined;
      }
    };

    const grad = call('grad_f', () => get('grad')(...args));
    if (grad === undefined) continue;
    const gradParts = wrtIndexes.length === 1 ? [grad] : (grad as unknown[]);
    const shapeError = checkShape(gradParts, wrtIndexes.map((i) => args[i]));
    if (shapeError) {
      fail('gradient-shape', shapeError, args);
      continue;
    }
    const g = gradParts.flatMap(flat);
    if (JSON.stringify(args.map(flat)) !== before) fail('input-mutated', 'grad_f changed an input array', args);

    // valueAndGrad and jvp recompute the primal: it must be f's value, bit for bit.
    bump(tally.checks, 'value');
    const vg = call('valueAndGrad_f', () => get('valueAndGrad')(...args)) as [number, unknown] | undefined;
    if (vg) {
      if (!Object.is(vg[0], value)) fail('value', `valueAndGrad_f value ${vg[0]}, f gives ${value}`, args);
      const g2 = (wrtIndexes.length === 1 ? [vg[1]] : (vg[1] as unknown[])).flatMap(flat);
      if (JSON.stringify(g2) !== JSON.stringify(g)) fail('value', `valueAndGrad_f gradient ${JSON.stringify(g2)}, grad_f gives ${JSON.stringify(g)}`, args);
    }

    // vjp is linear in dy, and scaling by 2 is exact.
    bump(tally.checks, 'vjp-scaling');
    const vjp = call('vjp_f', () => get('vjp')(...args, 2));
    if (vjp !== undefined) {
      const v = (wrtIndexes.length === 1 ? [vjp] : (vjp as unknown[])).flatMap(flat);
      const expected = g.map((x) => 2 * x);
      // Exact, except that doubling a subnormal number can round.
      const same = v.length === expected.length && v.every((x, i) => Object.is(x, expected[i]) || Math.abs(x - expected[i]!) < 1e-300);
      if (!same) fail('vjp-scaling', `vjp_f(..., 2) gives ${JSON.stringify(v)}, expected 2 * grad = ${JSON.stringify(expected)}`, args);
    }

    // Forward mode along a pseudo-random direction against grad . v.
    const dirs = directionFor(wrtIndexes.map((i) => p.main.params[i]!), point + 1);
    if (tracedRun.nearSingular) {
      // Forward mode multiplies an infinite partial by a zero tangent there (fuzz-findings N1).
      bump(tally.skipped, 'near a singular point');
    } else if (g.every(Number.isFinite)) {
      bump(tally.checks, 'forward-vs-reverse');
      const jvp = call('jvp_f', () => get('jvp')(...args, ...dirs)) as [number, number] | undefined;
      if (jvp) {
        if (!Object.is(jvp[0], value)) fail('value', `jvp_f primal ${jvp[0]}, f gives ${value}`, args);
        const d = dirs.flatMap(flat);
        let expected = 0;
        let scale = 0;
        for (let i = 0; i < g.length; i++) {
          expected += g[i]! * d[i]!;
          scale += Math.abs(g[i]! * d[i]!);
        }
        if (!(Math.abs(jvp[1] - expected) <= 1e-9 * Math.max(1, scale))) {
          fail('forward-vs-reverse', `jvp_f tangent ${jvp[1]}, grad . v = ${expected} (direction ${JSON.stringify(d)}, gradient ${JSON.stringify(g)})`, args);
        }
      }
    } else {
      bump(tally.skipped, 'derivative not finite');
    }

    // Reverse mode against central finite differences, one component at a time.
    let offset = 0;
    for (const which of wrtIndexes) {
      const n = flat(args[which]).length;
      for (let k = 0; k < n; k++) {
        const verdict = finiteDifference(traced, args, which, k, tracedRun.trace);
        const ad = g[offset + k]!;
        if (verdict.kind === 'skip') {
          bump(tally.skipped, verdict.reason);
          continue;
        }
        bump(tally.checks, 'reverse-vs-fd');
        const tol = 1e-5 * Math.max(1, Math.abs(verdict.fd)) + 10 * verdict.spread + verdict.roundoff;
        if (!(Math.abs(ad - verdict.fd) <= tol)) {
          fail('reverse-vs-fd', `d f / d ${argLabel(p, which, k)}: reverse mode ${ad}, finite differences ${verdict.fd} (spread ${verdict.spread.toExponential(2)}, roundoff ${verdict.roundoff.toExponential(2)})`, args);
        }
      }
      offset += n;
    }
  }
  return failures;
}

/** `roundoff`: the error of the differences from rounding f's values (large |f| over a small step). */
type Verdict = { kind: 'ok'; fd: number; spread: number; roundoff: number } | { kind: 'skip'; reason: SkipReason };

/** Central differences at steps h and 4h, valid only if all four points follow x's path. */
function finiteDifference(traced: TracedFunction, args: unknown[], which: number, k: number, trace: string): Verdict {
  const x = flat(args[which])[k]!;
  const at = (step: number) => {
    const a = args.slice();
    a[which] = withComponent(args[which], k, x + step);
    return traced(...a);
  };
  const estimate = (h: number): { fd: number; roundoff: number; samePath: boolean; singular: boolean } => {
    const up = x + h;
    const down = x - h;
    const plus = at(up - x);
    const minus = at(down - x);
    const roundoff = (16 * Number.EPSILON * Math.max(Math.abs(plus.value), Math.abs(minus.value))) / (up - down);
    return { fd: (plus.value - minus.value) / (up - down), roundoff, samePath: plus.trace === trace && minus.trace === trace, singular: plus.nearSingular || minus.nearSingular };
  };
  const h = 1e-6 * Math.max(1, Math.abs(x));
  const near = estimate(h);
  const far = estimate(4 * h);
  if (!near.samePath || !far.samePath) return { kind: 'skip', reason: 'near a branch or kink' };
  if (near.singular || far.singular) return { kind: 'skip', reason: 'near a singular point' };
  if (!Number.isFinite(near.fd) || !Number.isFinite(far.fd)) return { kind: 'skip', reason: 'value not finite or out of range' };
  const spread = Math.abs(near.fd - far.fd);
  if (spread > 1e-4 * Math.max(1, Math.abs(near.fd)) + near.roundoff) return { kind: 'skip', reason: 'finite differences unstable' };
  return { kind: 'ok', fd: near.fd, spread, roundoff: near.roundoff };
}

function argLabel(p: Program, which: number, k: number): string {
  const param = p.main.params[which]!;
  return param.type === 'number' ? `x${which}` : `xs${which}[${k}]`;
}

/** Null when each gradient part is shaped like its parameter (number, number[] or Float64Array of the same length). */
function checkShape(parts: unknown[], params: unknown[]): string | null {
  if (parts.length !== params.length) return `gradient has ${parts.length} parts for ${params.length} differentiated parameters`;
  for (let i = 0; i < parts.length; i++) {
    const g = parts[i];
    const x = params[i];
    if (typeof x === 'number') {
      if (typeof g !== 'number') return `gradient part ${i} is ${describe(g)}, its parameter is a number`;
    } else if (x instanceof Float64Array) {
      if (!(g instanceof Float64Array) || g.length !== x.length) return `gradient part ${i} is ${describe(g)}, its parameter is a Float64Array(${x.length})`;
    } else if (Array.isArray(x)) {
      if (!Array.isArray(g) || g.length !== x.length) return `gradient part ${i} is ${describe(g)}, its parameter is a number[] of length ${x.length}`;
    }
  }
  return null;
}

function describe(v: unknown): string {
  if (v instanceof Float64Array) return `a Float64Array(${v.length})`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}

/** `what threw TypeError: message`, then the first frames of the stack on the next lines. */
export function describeThrow(what: string, e: unknown): string {
  if (!(e instanceof Error)) return `${what} threw ${String(e)}`;
  const frames = (e.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at ')).slice(0, 3);
  return [`${what} threw ${e.name}: ${e.message}`, ...frames.map((l) => `  ${l.trim()}`)].join('\n');
}

function resetTape(): void {
  tape.values.length = 0;
  tape.control.length = 0;
  while (tape.refs.length > 0) tape.refs.pop();
}
