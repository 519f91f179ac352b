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
import { buildFixture, type Built, withoutReservations } from '../helpers/generate.ts';
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

/** Counted inner loops that push on every trip, inside an outer loop: they reserve. @differentiable wrt(a) */
export function countedInner(a: Float64Array, m: number, lim: number): number {
  const w = new Float64Array(a.length);
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < lim; r++) w[r] = a[r] * (j + 1) + 0.1 * s;
    for (let r = 0; r < lim; r++) s += Math.sin(w[r]) * w[r];
  }
  return s;
}

/** Literal bounds: 3 reserves (only the counter is tested); 2.5 does not (B - c would read 2.5 for 3 trips). @differentiable wrt(a) */
export function literalBounds(a: Float64Array, m: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < 3; r++) s += Math.sin(a[r] * s + j) * a[r];
    for (let r = 0; r < 2.5; r++) s += Math.cos(a[r] + s) * a[r];
  }
  return s;
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

  test('a counted loop reserves what it pushes and pushes without the full-buffer test', () => {
    for (const mm of [0, 1, 3]) for (const lim of [0, 1, 5]) checkDerivatives(m, 'countedInner', [a5(), mm, lim], { wrt: [0] });
    const text = body('countedInner');
    const reserving = /if \(Number\.isSafeInteger\(lim\) && Number\.isSafeInteger\(r(_\d+)?\)\) \{\s*(\/\/[^\n]*\n\s*)?const valueTapePushes = 2 \* Math\.max\(0, lim - r(_\d+)?\);\s*if \(valueTapeBuf\.length - valueTapeTop < valueTapePushes\) \{\s*valueTapeBuf = valueTape\.reserve\(valueTapeTop, valueTapePushes\);\s*\}\s*while \(r(_\d+)? < lim\) \{([^}]*)\}\s*\}\s*else \{\s*while/g;
    const copies = [...text.matchAll(reserving)];
    // The second inner loop of the forward sweep pushes w[r] and its sine on every trip; the first pushes nothing.
    expect(copies).toHaveLength(1);
    for (const c of copies) {
      expect(c[5]).toMatch(/valueTapeBuf\[valueTapeTop\+\+\] = /);
      expect(c[5]).not.toMatch(/grow|valueTapeBuf\.length/);
    }
  });

  test('literal bounds: an integer one reserves, 2.5 keeps the test on every push', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'literalBounds', [a5(), mm], { wrt: [0] });
    const text = withoutReservations(body('literalBounds'));
    expect(body('literalBounds')).toMatch(/if \(Number\.isSafeInteger\(r(_\d+)?\)\) \{\s*(\/\/[^\n]*\n\s*)?const valueTapePushes = 2 \* Math\.max\(0, 3 - r(_\d+)?\);/);
    expect(body('literalBounds')).not.toMatch(/2\.5 - r/);
    expect(text).not.toMatch(/reserve\(/);
    // Both loops push two values per trip, 3 trips each: 12 per outer trip, the same with and without reserving.
    expect(traffic(() => m.grad.grad_literalBounds(a5(), 2)).values).toBe(24);
  });

  test('a bound that is not an integer takes the copy that tests for a full buffer, with the same values pushed', () => {
    // r = 0, 1, 2 either way.
    checkDerivatives(m, 'countedInner', [a5(), 2, 2.5], { wrt: [0] });
    const exact = traffic(() => m.grad.grad_countedInner(a5(), 2, 3));
    const checked = traffic(() => m.grad.grad_countedInner(a5(), 2, 2.5));
    expect(checked.balanced && exact.balanced).toBe(true);
    expect(checked.values).toBe(exact.values);
    expect(m.grad.grad_countedInner(a5(), 2, 2.5)).toEqual(m.grad.grad_countedInner(a5(), 2, 3));
  });

  test('reserving at every amount of room left on the tape, and past its storage, keeps every value', () => {
    const values = tape.values as unknown as { buf: Float64Array; length: number; push(v: number): void; pop(): number };
    expect(values.length).toBe(0);
    const storage = values.buf;
    const expected = Array.from(m.grad.grad_countedInner(a5(), 3, 5));
    try {
      // 0 to 34 entries left in a small storage. Each of the 3 outer trips reserves 2 x 5 entries on top of what
      // the trips before pushed: the storage must grow where fewer than 30 are left, and only there.
      for (let room = 0; room <= 34; room++) {
        values.buf = new Float64Array(64);
        for (let i = 0; i < 64 - room; i++) values.push(i);
        const got = Array.from(m.grad.grad_countedInner(a5(), 3, 5));
        const grew = values.buf.length > 64;
        for (let i = 64 - room - 1; i >= 0; i--) expect(values.pop()).toBe(i);
        expect(got).toEqual(expected);
        expect(grew).toBe(room < 30);
      }
      // One reservation of more than the whole storage: grown by several doublings at once.
      values.buf = new Float64Array(64);
      const n = 300;
      const big = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1);
      const dir = Float64Array.from({ length: n }, (_, i) => (i % 3) - 1);
      const [, dfwd] = m.grad.jvp_countedInner(big, 1, n, dir);
      const g = m.grad.grad_countedInner(big, 1, n) as Float64Array;
      expect(values.buf.length).toBe(1024);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += g[i]! * dir[i]!;
      expect(Math.abs(dot - dfwd)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(dfwd)));
    } finally {
      values.buf = storage;
      values.length = 0;
    }
  });

  test('nested loops with a branch: the outermost loop is rewritten once, branch flags and values through locals', () => {
    for (const mm of [0, 1, 3]) checkDerivatives(m, 'nested', [a5(), mm], { wrt: [0] });
    const t = traffic(() => m.grad.grad_nested(a5(), 3));
    expect(t.balanced).toBe(true);
    const text = body('nested');
    // One block for the forward nest and one for the reverse one.
    expect(text.match(/let controlTapeBuf = controlTape\.buf, controlTapeTop = controlTape\.length/g)).toHaveLength(2);
    expect(text).toMatch(/controlTapeBuf\[controlTapeTop\+\+\] = 1;/);
    // Refused: the inner loop pushes its branch flags under an if, not the same number on every trip.
    expect(text).not.toMatch(/reserve\(/);
  });
});
