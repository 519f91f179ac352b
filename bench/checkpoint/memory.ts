/**
 * Peak memory of one gradient call for the checkpoint benchmark: the most
 * bytes the shared tapes (runtime/tape.ts) hold at once (8 per value, 4 per
 * control entry, 8 per reference), and the most bytes of loop snapshots
 * held at once (runtime/checkpoint.ts `checkpointMemory`). The tapes' push
 * and pop are wrapped for the measured call only; nothing here is timed.
 */
import { tape } from '../../runtime/tape.ts';
import { checkpointMemory } from '../../runtime/checkpoint.ts';

export interface PeakMemory {
  /** Most bytes on the tapes at once. */
  tapeBytes: number;
  /** Most bytes of snapshots held at once. */
  snapshotBytes: number;
}

export function peakMemory(call: () => unknown): PeakMemory {
  let bytes = 0;
  let peak = 0;
  const wrap = <S extends { push(v: never): void; pop(): unknown }>(stack: S, size: number) => {
    const push = stack.push;
    const pop = stack.pop;
    Object.assign(stack, {
      push(this: S, v: never) {
        bytes += size;
        if (bytes > peak) peak = bytes;
        push.call(this, v);
      },
      pop(this: S) {
        bytes -= size;
        return pop.call(this);
      },
    });
    return () => {
      delete (stack as { push?: unknown }).push;
      delete (stack as { pop?: unknown }).pop;
    };
  };
  const undo = [wrap(tape.values, 8), wrap(tape.control, 4), wrap(tape.refs, 8)];
  checkpointMemory.resetPeak();
  const before = checkpointMemory.bytes;
  try {
    call();
  } finally {
    undo.forEach((u) => u());
  }
  return { tapeBytes: peak, snapshotBytes: checkpointMemory.peakBytes - before };
}
