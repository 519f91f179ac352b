/**
 * The checkpoint schedules of runtime/checkpoint.ts, run on a model loop
 * whose state is its trip index: the binomial cost formula against the
 * optimum found by dynamic programming, the schedule's advances against the
 * formula, and (fast-check) that every schedule reverses each trip exactly
 * once, last first, from the right state, within its snapshot budget.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { binomial, defaultSnapshots, LoopCheckpoints, repetitions, revolveCost, revolveSplit, type CheckpointOptions } from '../../runtime/checkpoint.ts';

/** Optimal advances by brute force: T(n, s) = min over m of m + T(m, s) + T(n - m, s - 1); T(1, s) = 0; T(n, 1) = n (n - 1) / 2. */
function optimalCost(maxN: number, maxS: number): number[][] {
  const t: number[][] = [];
  for (let s = 0; s <= maxS; s++) t.push(new Array<number>(maxN + 1).fill(Infinity));
  for (let s = 1; s <= maxS; s++) {
    t[s]![0] = 0;
    t[s]![1] = 0;
    for (let n = 2; n <= maxN; n++) {
      if (s === 1) {
        t[s]![n] = (n * (n - 1)) / 2;
        continue;
      }
      let best = Infinity;
      for (let m = 1; m < n; m++) best = Math.min(best, m + t[s]![m]! + t[s - 1]![n - m]!);
      t[s]![n] = best;
    }
  }
  return t;
}

interface Run {
  /** Primal trips run by the forward sweep and the 'advance' steps. */
  primalTrips: number;
  /** Trips advanced by 'advance' steps only. */
  advanced: number;
  /** Start of each trip range reversed, in order. */
  reversed: [number, number][];
  /** Trips where the forward sweep saved. */
  forwardSaves: number[];
  maxHeld: number;
  maxRecorded: number;
}

/** Drives a schedule on a loop whose state is [trip]; throws when a step is impossible. */
function drive(cp: LoopCheckpoints, n: number): Run {
  const run: Run = { primalTrips: 0, advanced: 0, reversed: [], forwardSaves: [], maxHeld: 0, maxRecorded: 0 };
  let state = 0;
  for (let trip = 0; trip < n; trip++) {
    if (trip === cp.nextSave) {
      cp.save([state]);
      run.forwardSaves.push(trip);
    }
    run.maxHeld = Math.max(run.maxHeld, cp.heldCount);
    state++;
    run.primalTrips++;
  }
  cp.finish(n);
  let valid = true;
  let reversedDownTo = n;
  for (let step = cp.next(), guard = 0; step !== 'done'; step = cp.next(), guard++) {
    if (guard > 100 * (n + 10) * (n + 10)) throw new Error('schedule does not end');
    run.maxHeld = Math.max(run.maxHeld, cp.heldCount);
    if (step === 'restore') {
      state = cp.saved()[0] as number;
      valid = true;
    } else if (step === 'advance') {
      if (!valid) throw new Error('advance from an unknown state');
      if (cp.trips <= 0) throw new Error('empty advance');
      state += cp.trips;
      run.advanced += cp.trips;
      run.primalTrips += cp.trips;
    } else if (step === 'save') {
      if (!valid) throw new Error('save of an unknown state');
      cp.save([state]);
    } else {
      if (!valid) throw new Error('reverse from an unknown state');
      if (state + cp.trips !== reversedDownTo) throw new Error(`reversed [${state}, ${state + cp.trips}) after ${reversedDownTo}`);
      run.reversed.push([state, state + cp.trips]);
      run.maxRecorded = Math.max(run.maxRecorded, cp.trips);
      reversedDownTo = state;
      valid = false;
    }
  }
  if (reversedDownTo !== 0) throw new Error(`trips [0, ${reversedDownTo}) were never reversed`);
  expect(cp.heldCount).toBe(0);
  return run;
}

describe('binomial schedule costs', () => {
  test('β(s, r) = C(s + r, s)', () => {
    expect([binomial(1, 0), binomial(1, 1), binomial(2, 2), binomial(3, 2), binomial(5, 3), binomial(10, 4)]).toEqual([1, 2, 6, 10, 56, 1001]);
    expect(binomial(3, -1)).toBe(0);
  });

  test('the repetition number is the smallest r with β(s, r) >= n', () => {
    for (let s = 1; s <= 8; s++) {
      for (let n = 2; n <= 200; n++) {
        const r = repetitions(n, s);
        expect(binomial(s, r)).toBeGreaterThanOrEqual(n);
        expect(binomial(s, r - 1)).toBeLessThan(n);
      }
    }
  });

  test('revolveCost is the optimum found by dynamic programming', () => {
    const opt = optimalCost(120, 7);
    for (let s = 1; s <= 7; s++) for (let n = 1; n <= 120; n++) expect(revolveCost(n, s), `n=${n} s=${s}`).toBe(opt[s]![n]);
  });

  test('closed forms: one snapshot costs n(n-1)/2, n - 1 snapshots cost n - 1', () => {
    for (const n of [2, 7, 50, 1000]) {
      expect(revolveCost(n, 1)).toBe((n * (n - 1)) / 2);
      expect(revolveCost(n, n - 1)).toBe(n - 1);
    }
    // 10^4 steps, 10 snapshots: β(10, 6) = C(16, 6) = 8008 < 10^4 <= β(10, 7) = 19448, so r = 7 and
    // t = 7 * 10^4 - β(11, 6) = 70000 - C(17, 6) = 70000 - 12376.
    expect(repetitions(10_000, 10)).toBe(7);
    expect(revolveCost(10_000, 10)).toBe(57_624);
  });

  test('revolveSplit picks an optimal split', () => {
    for (let s = 2; s <= 9; s++) {
      for (let n = 2; n <= 300; n++) {
        const m = revolveSplit(n, s);
        expect(m).toBeGreaterThanOrEqual(1);
        expect(m).toBeLessThan(n);
        expect(m + revolveCost(m, s) + revolveCost(n - m, s - 1), `n=${n} s=${s}`).toBe(revolveCost(n, s));
      }
    }
  });

  test('default snapshots advance no step more than twice', () => {
    for (const steps of [1, 2, 3, 10, 100, 1000, 12345]) {
      const s = defaultSnapshots(steps);
      expect(repetitions(steps, s)).toBeLessThanOrEqual(2);
      if (s > 1) expect(repetitions(steps, s - 1)).toBeGreaterThan(2);
    }
  });
});

describe('LoopCheckpoints, counted', () => {
  test('single-trip steps advance exactly the binomial cost', () => {
    for (const s of [1, 2, 3, 5, 8]) {
      for (const n of [1, 2, 3, 10, 37, 100, 250]) {
        const run = drive(LoopCheckpoints.counted(n, { every: 1, snapshots: s }), n);
        // The forward sweep's advances up to the last snapshot it takes are the schedule's first descent.
        const descent = run.forwardSaves.length ? run.forwardSaves[run.forwardSaves.length - 1]! : 0;
        expect(descent + run.advanced, `n=${n} s=${s}`).toBe(revolveCost(n, s));
        expect(run.reversed.length).toBe(n);
        expect(run.maxHeld).toBeLessThanOrEqual(s);
        expect(run.maxRecorded).toBe(n ? 1 : 0);
      }
    }
  });

  test('the default: steps of ceil(sqrt n) trips, each trip advanced at most three times in all', () => {
    for (const n of [0, 1, 5, 99, 100, 1000, 10_000, 100_000]) {
      const run = drive(LoopCheckpoints.counted(n), n);
      const every = Math.max(1, Math.ceil(Math.sqrt(n)));
      expect(run.maxRecorded).toBeLessThanOrEqual(every);
      expect(run.maxHeld).toBeLessThanOrEqual(defaultSnapshots(Math.ceil(n / every)));
      expect(run.primalTrips).toBeLessThanOrEqual(3 * n);
    }
  });

  test('a loop that runs other than the announced trips is still reversed exactly once', () => {
    for (const [planned, actual] of [[10, 7], [10, 13], [0, 5], [100, 1], [3, 300]] as const) {
      const run = drive(LoopCheckpoints.counted(planned, { snapshots: 3 }), actual);
      expect(run.reversed.flatMap(([lo, hi]) => Array.from({ length: hi - lo }, (_, k) => lo + k)).length).toBe(actual);
    }
  });
});

describe('LoopCheckpoints, online', () => {
  test('default: O(sqrt n) snapshots and trips recorded at once, one extra primal sweep', () => {
    for (const n of [0, 1, 2, 17, 1000, 65_536, 100_001]) {
      const run = drive(LoopCheckpoints.online(), n);
      const root = Math.sqrt(n);
      expect(run.maxHeld).toBeLessThanOrEqual(2 * Math.ceil(2 * root) + 2);
      expect(run.maxRecorded).toBeLessThanOrEqual(Math.max(1, Math.ceil(2 * root)));
      expect(run.primalTrips).toBeLessThanOrEqual(2 * n);
    }
  });

  test('snapshots(s) holds at most s', () => {
    for (const s of [1, 2, 4, 10]) {
      const run = drive(LoopCheckpoints.online({ snapshots: s }), 1000);
      expect(run.maxHeld).toBeLessThanOrEqual(s + 1);
    }
  });
});

describe('every schedule reverses each trip once, last first (fast-check)', () => {
  const options = fc.record(
    { every: fc.option(fc.integer({ min: 1, max: 25 }), { nil: undefined }), snapshots: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }) },
    { requiredKeys: [] },
  );
  const clean = (o: CheckpointOptions): CheckpointOptions => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

  test('counted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), options, (n, o) => {
        const run = drive(LoopCheckpoints.counted(n, clean(o)), n);
        expect(run.reversed.length).toBe(Math.ceil(n / (o.every ?? Math.max(1, Math.ceil(Math.sqrt(n))))));
        if (o.snapshots !== undefined) expect(run.maxHeld).toBeLessThanOrEqual(o.snapshots);
      }),
      { numRuns: 300 },
    );
  });

  test('counted with a wrong announcement', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), options, (planned, n, o) => {
        drive(LoopCheckpoints.counted(planned, clean(o)), n);
      }),
      { numRuns: 200 },
    );
  });

  test('online', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), options, (n, o) => {
        const run = drive(LoopCheckpoints.online(clean(o)), n);
        if (o.snapshots !== undefined) expect(run.maxHeld).toBeLessThanOrEqual(o.snapshots + 1);
      }),
      { numRuns: 200 },
    );
  });
});

test('options are checked', () => {
  expect(() => LoopCheckpoints.counted(10, { snapshots: 0 })).toThrow(/snapshots\(0\)/);
  expect(() => LoopCheckpoints.online({ every: 1.5 })).toThrow(/every\(1.5\)/);
});
