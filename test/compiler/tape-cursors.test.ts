/**
 * Tape cursors in locals across loops (compiler/emit/tape-cursors.ts,
 * issue #11): a loop that pushes and pops through the shared tapes keeps
 * their storage and top in locals and stores the top back after it; a loop
 * that calls anything that could use the tape keeps the method calls. Every
 * function is checked against central finite differences and forward
 * against reverse mode; the tapes must be balanced and the traffic counts
 * exact, also when the storage grows inside a rewritten loop.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { tape } from 'wengert';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { traffic } from '../helpers/tape-traffic.ts';

const source = `
/** Not differentiable: called with an inactive argument inside a loop. */
export function scale(i: number): number {
  return 1 + 0.1 * i;
}

/** A loop-carried value pushed on every trip. @differentiable wrt(x) */
export function carried(x: number, n: number): number {
  let s = x;
  for (let i = 0; i < n; i++) s = Math.sin(s) + 0.5 * s * x;
  return s;
}

/** A call in the loop: the loop keeps the tape's methods. @differentiable wrt(x) */
export function callsInLoop(x: number, n: number): number {
  let s = x;
  for (let i = 0; i < n; i++) s = Math.sin(s) * scale(i);
  return s;
}

/** A user name that the cursor would take. @differentiable wrt(x) */
export function clash(x: number, n: number): number {
  let valueTapeBuf = x;
  for (let i = 0; i < n; i++) valueTapeBuf = Math.cos(valueTapeBuf) * x;
  return valueTapeBuf;
}

/** Nested loops and a branch recorded per trip: one rewritten loop, the outer one. @differentiable wrt(a) */
export function nested(a: Float64Array, m: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < a.length; r++) {
      if (a[r] * s > 0.1) s = s * a[r];
      else s = Math.exp(0.3 * s) + a[r];
    }
  }
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('tape-cursors', source);
});

/** The text of one generated function. */
const body = (name: string) => {
  const rest = m.text.slice(m.text.indexOf(`export function valueAndVjp_${name}(`));
  return rest.slice(0, rest.indexOf('\n}\n'));
};

const a5 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2]);

describe('tape cursors in loops', () => {
  test('a loop-carried value: pushed and popped through locals, the top stored back after each loop', () => {
    for (const n of [0, 1, 4]) checkDerivatives(m, 'carried', [0.4, n], { wrt: [0] });
    const t = traffic(() => m.grad.grad_carried(0.4, 7));
    expect(t).toEqual({ values: 7, control: 1, balanced: true });
    const text = body('carried');
    expect(text).toMatch(/let valueTapeBuf = valueTape\.buf, valueTapeTop = valueTape\.length;/);
    expect(text).toMatch(/valueTapeBuf\[valueTapeTop\+\+\] = s;/);
    expect(text).toMatch(/= valueTapeBuf\[--valueTapeTop\]!;/);
    // Once after the forward loop, once after the reverse one.
    expect(text.match(/valueTape\.length = valueTapeTop;/g)).toHaveLength(2);
    expect(text).not.toMatch(/valueTape\.(push|pop)\(/);
  });

  test('storage that grows inside a rewritten loop keeps every value', () => {
    // 5000 trips push past the tape's initial 1024 entries (and past whatever an earlier test grew it to, by doubling).
    const n = Math.max(5000, 2 * (tape.values as unknown as { buf: Float64Array }).buf.length);
    const before = (tape.values as unknown as { buf: Float64Array }).buf.length;
    checkDerivatives(m, 'carried', [0.4, n], { wrt: [0] });
    expect((tape.values as unknown as { buf: Float64Array }).buf.length).toBeGreaterThan(before);
    expect(traffic(() => m.grad.grad_carried(0.4, n))).toEqual({ values: n, control: 1, balanced: true });
    // Against the same function's forward mode, at a point where every recorded value matters.
    const [, dfwd] = m.grad.jvp_carried(0.4, n, 1);
    expect(m.grad.grad_carried(0.4, n)).toBeCloseTo(dfwd, 12);
  });

  test('a loop that calls a function keeps the tape methods; its reverse loop, which calls nothing, does not', () => {
    for (const n of [0, 1, 4]) checkDerivatives(m, 'callsInLoop', [0.4, n], { wrt: [0] });
    // s and scale(i) per trip.
    expect(traffic(() => m.grad.grad_callsInLoop(0.4, 5))).toEqual({ values: 10, control: 1, balanced: true });
    const text = body('callsInLoop');
    const [forward, adjoint] = text.split('// adjoint sweep');
    expect(forward).toMatch(/valueTape\.push\(s\);\s*const t1 = Math\.sin\(s\);\s*const t2 = scale\(i\);\s*valueTape\.push\(t2\);/);
    expect(forward).not.toMatch(/valueTapeBuf/);
    expect(adjoint).toMatch(/const s = valueTapeBuf\[--valueTapeTop\]!;/);
  });

  test('a user name the cursor would take gets a fresh one', () => {
    for (const n of [0, 3]) checkDerivatives(m, 'clash', [0.4, n], { wrt: [0] });
    const text = body('clash');
    expect(text).toMatch(/let valueTapeBuf2 = valueTape\.buf, valueTapeTop = valueTape\.length;/);
    expect(text).toMatch(/valueTapeBuf2\[valueTapeTop\+\+\] = valueTapeBuf;/);
  });

  test('nested loops with a branch: the outermost loop is rewritten once, branch flags and values through locals', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'nested', [a5(), mm], { wrt: [0] });
    const t = traffic(() => m.grad.grad_nested(a5(), 3));
    expect(t.balanced).toBe(true);
    const text = body('nested');
    // One block for the forward nest and one for the reverse one.
    expect(text.match(/let controlTapeBuf = controlTape\.buf, controlTapeTop = controlTape\.length/g)).toHaveLength(2);
    expect(text).toMatch(/controlTapeBuf\[controlTapeTop\+\+\] = 1;/);
  });
});
