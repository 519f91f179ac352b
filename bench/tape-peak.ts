/**
 * Peak tape bytes of one gradient call (issue #11): the most the shared tapes
 * (runtime/tape.ts) hold at once during the call, counted as 8 bytes per
 * value, 4 per control entry, and for each reference the referenced typed
 * array's or number array's bytes plus 8 (a tensor or object counts 8).
 *
 *   npx tsx bench/tape-peak.ts           (after `node bin/wengert.js build examples`)
 *
 * It watches the value and control tapes' storage (`watchStack`, which also
 * sees the loops that keep a tape's top in locals) and wraps the reference
 * tape's push and pop, for the measured call only, so the generated code and the runtime are the ones
 * timed elsewhere; nothing here is timed.
 */
import { tape, watchStack } from '../runtime/tape.ts';
import { grad_gmmObjective } from '../examples/adbench/gmm.grad.ts';
import { grad_logistic } from '../examples/seed/model.grad.ts';
import { adbenchPath, readGmm } from '../examples/adbench/io.ts';

export interface TapePeak {
  /** The most bytes held at once. */
  peakBytes: number;
  /** Pushes on each tape during the call. */
  pushes: { values: number; control: number; refs: number };
}

function refBytes(v: unknown): number {
  if (ArrayBuffer.isView(v)) return v.byteLength + 8;
  if (Array.isArray(v) && v.every((e) => typeof e === 'number')) return v.length * 8 + 8;
  return 8;
}

/** Runs `call` once with the tapes instrumented. */
export function measureTapePeak(call: () => unknown): TapePeak {
  let bytes = 0;
  let peakBytes = 0;
  const pushes = { values: 0, control: 0, refs: 0 };
  const refSizes: number[] = [];
  const r = tape.refs;
  const saved = { rPush: r.push, rPop: r.pop };
  const grow = (n: number) => {
    bytes += n;
    if (bytes > peakBytes) peakBytes = bytes;
  };
  r.push = function (x: unknown) {
    pushes.refs++;
    const n = refBytes(x);
    refSizes.push(n);
    grow(n);
    saved.rPush.call(this, x);
  };
  r.pop = function <T>(): T {
    bytes -= refSizes.pop() ?? 8;
    return saved.rPop.call(this) as T;
  };
  const values = { push: () => (pushes.values++, grow(8)), pop: () => void (bytes -= 8) };
  const control = { push: () => (pushes.control++, grow(4)), pop: () => void (bytes -= 4) };
  try {
    watchStack(tape.values, values, () => watchStack(tape.control, control, call));
  } finally {
    // Delete the instance properties: the prototype's methods are seen again.
    delete (r as { push?: unknown }).push;
    delete (r as { pop?: unknown }).pop;
  }
  return { peakBytes, pushes };
}

function main(): void {
  const g = readGmm(adbenchPath('gmm/gmm_d10_K5.txt'));
  const gmm = measureTapePeak(() => grad_gmmObjective(g.d, g.k, g.n, g.alpha, g.means, g.icf, g.x, g.gamma, g.m));
  const logistic = measureTapePeak(() => grad_logistic(0.3, 1_000_000));
  const show = (name: string, p: TapePeak) =>
    console.log(`${name.padEnd(24)} peak ${(p.peakBytes / 1e6).toFixed(3)} MB   pushes: ${p.pushes.values} values, ${p.pushes.control} control, ${p.pushes.refs} refs`);
  show('gmm d10_K5 (n = 1000)', gmm);
  show('logistic n = 10^6', logistic);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
