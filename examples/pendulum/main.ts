/**
 * `npx tsx examples/pendulum/main.ts` (after `wengert build examples`): the
 * gradient of the pendulum's final energy with respect to its initial state
 * and coefficients, from the checkpointed loop and from the plain tape, with
 * the most tape values each holds during the call.
 */
import { tape } from 'wengert';
import { grad_pendulum, grad_pendulumTaped } from './model.grad.ts';

/** The most values on the values tape during `call` (its push watched for this call only). */
function peakTapeValues(call: () => unknown): number {
  const values = tape.values;
  const push = values.push;
  const start = values.length;
  let peak = start;
  values.push = function (this: typeof values, x: number) {
    push.call(this, x);
    if (this.length > peak) peak = this.length;
  };
  try {
    call();
  } finally {
    delete (values as { push?: unknown }).push;
  }
  return peak - start;
}

const n = 100_000;
const args = [1.2, 0, 9.81, 0.05, 0.001, n] as const;
const checkpointed = grad_pendulum(...args);
const taped = grad_pendulumTaped(...args);
console.log(`pendulum, ${n} RK4 steps of 1 ms from theta = 1.2 rad`);
console.log(`d energy / d (theta0, omega0, k, c), @checkpoint: ${checkpointed.map((g: number) => g.toPrecision(8)).join(', ')}`);
console.log(`                               plain tape: ${taped.map((g: number) => g.toPrecision(8)).join(', ')}`);
console.log(`identical bit for bit: ${checkpointed.every((g: number, k: number) => Object.is(g, taped[k]))}`);
console.log(`most tape values held: @checkpoint ${peakTapeValues(() => grad_pendulum(...args))}, plain tape ${peakTapeValues(() => grad_pendulumTaped(...args))}`);
