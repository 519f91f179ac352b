/**
 * Run-time failure of the generated derivatives of recursive functions.
 *
 * A recursive `f` (direct, or through other functions of its file) has
 * derivatives that recurse as deep as `f` does, with bigger stack frames,
 * and the reverse sweep's levels share one tape. When the JavaScript stack
 * runs out somewhere inside, the generated `jvp_f` / `valueAndVjp_f` of
 * every level on the way out puts the shared tapes back where they stood
 * when that level started (so the next gradient is not read from a
 * half-written tape) and turns the stack overflow into a
 * `RecursionDepthError` naming `f`. Other errors pass through unchanged,
 * with the tapes restored all the same.
 *
 * Near the end of the stack an environment may fail in other ways than a
 * RangeError: under module runners that read imports through getters
 * (vitest), reading an import there can give `undefined`, and the call
 * fails with a TypeError. So an error that is not a RangeError counts as a
 * stack overflow too when it reaches a level with little stack left (a
 * small probe recursion overflows); it is kept as the cause.
 */
import { tape } from './tape.ts';

/** The JavaScript stack overflowed inside the generated derivative of a recursive function. */
export class RecursionDepthError extends RangeError {
  override readonly name = 'RecursionDepthError';

  constructor(
    /** The user's function (`power`, or `Body_energy` for a method). */
    readonly functionName: string,
    /** The generated function that was running (`valueAndVjp_power`). */
    readonly derivativeName: string,
    cause: unknown,
  ) {
    super(
      `${functionName} recursed too deeply: the JavaScript stack overflowed in ${derivativeName}, its generated derivative ` +
        `(the shared tapes were put back as they were). Rewrite the recursion as a loop, or give node a larger --stack-size.`,
      { cause },
    );
  }
}

/** Where the shared tapes stand: the lengths of the value, control and reference tapes. */
export type TapeMark = readonly [number, number, number];

/** The tapes' lengths as a sweep of a recursive function starts. */
export function tapeMark(): TapeMark {
  return [tape.values.length, tape.control.length, tape.refs.length];
}

/**
 * The error to rethrow from the generated `derivativeName` of the recursive
 * `functionName`, after putting the tapes back at `mark` (null for forward
 * mode, which keeps no tape).
 */
export function recursionFailed(error: unknown, functionName: string, derivativeName: string, mark: TapeMark | null): unknown {
  if (mark) {
    // Every level pops only what it pushed, so the tapes are never shorter than a level's mark.
    tape.values.length = Math.min(tape.values.length, mark[0]);
    tape.control.length = Math.min(tape.control.length, mark[1]);
    while (tape.refs.length > mark[2]) tape.refs.pop();
  }
  if (error instanceof RecursionDepthError) return error;
  const overflow = error instanceof RangeError ? /call stack/i.test(error.message) : stackNearlyExhausted();
  return overflow ? new RecursionDepthError(functionName, derivativeName, error) : error;
}

/** Frames of `probe` that must fit for the stack to count as not nearly exhausted. */
const PROBE_DEPTH = 400;

/** Is the stack so nearly used up that PROBE_DEPTH more small frames overflow it? */
function stackNearlyExhausted(): boolean {
  try {
    return probe(PROBE_DEPTH) < 0;
  } catch {
    return true;
  }
}

function probe(n: number): number {
  return n === 0 ? 0 : 1 + probe(n - 1);
}
