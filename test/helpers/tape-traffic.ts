/**
 * Tape traffic of one call of generated code: how many values and control
 * entries it pushed on the shared tapes (runtime/tape.ts), and whether the
 * three tapes hold after it what they held before (every generated function
 * pops what it pushes). Used by the tests of what the reverse sweep records.
 */
import { tape } from 'wengert';

export interface Traffic {
  values: number;
  control: number;
  balanced: boolean;
}

export function traffic(call: () => unknown): Traffic {
  const before = [tape.values.length, tape.control.length, tape.refs.length];
  const counts = { values: 0, control: 0 };
  for (const kind of ['values', 'control'] as const) {
    const push = tape[kind].push;
    tape[kind].push = function (x: number) {
      counts[kind]++;
      push.call(this, x);
    };
  }
  try {
    call();
  } finally {
    delete (tape.values as { push?: unknown }).push;
    delete (tape.control as { push?: unknown }).push;
  }
  const after = [tape.values.length, tape.control.length, tape.refs.length];
  return { ...counts, balanced: after.every((n, i) => n === before[i]) };
}
