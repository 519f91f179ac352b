/**
 * Checkpointing schedules for `/** @checkpoint *\/` loops: the reverse sweep
 * keeps snapshots of the loop-carried state at a few trips and recomputes
 * the trips between them, instead of recording every trip on the tape.
 *
 * Generated code drives one `LoopCheckpoints` per run of a checkpointed
 * loop. The forward sweep runs the loop's primal code and calls `save` at
 * the start of the trip `nextSave` names; `finish` gives the trip count.
 * (Generated code runs the trips up to `nextSave` in an inner loop.)
 * The adjoint sweep then asks `next()` for the schedule's steps, in order:
 *
 *   'restore'  set the loop-carried state to `saved()` (a snapshot stays
 *              where it is: it may be restored again);
 *   'advance'  run `trips` trips of primal code from the current state;
 *   'save'     store the current state (`save(state)`);
 *   'reverse'  run `trips` trips from the current state recording them on
 *              the tape, then reverse those trips, last first;
 *   'done'     the loop is reversed.
 *
 * The trips are reversed exactly once each, last first, and a 'reverse'
 * step always starts from the state at the start of its first trip.
 *
 * Schedules. The trips are grouped in *steps* of `every` trips (the last
 * one may be shorter). A 'reverse' step records one step, so the tape holds
 * at most `every` trips at a time.
 *   - counted (the trip count is known when the loop starts): the binomial
 *     schedule of Griewank and Walther (Revolve) over the steps, with at most
 *     `snapshots` snapshots held at once; it advances the fewest steps
 *     possible, `revolveCost(steps, snapshots)`. Defaults: every = ceil(sqrt(n)),
 *     snapshots = the fewest with which no step is advanced more than twice
 *     (about sqrt(2 sqrt n)), so memory is O(sqrt n) and time about two
 *     extra primal sweeps.
 *   - online (a `while` loop: the count is known when it ends): a snapshot
 *     every `stride` trips, the stride doubling (and every other snapshot
 *     dropped) whenever more than `snapshots` (default 2 stride) are held;
 *     each stretch between snapshots is then reversed as one step. Memory
 *     O(sqrt n) by default, O(s + n / s) with snapshots(s); time one extra
 *     primal sweep.
 * A counted schedule whose loop ran a different number of trips than
 * announced (floating-point bounds) still reverses correctly: the saved
 * snapshots split the trips, each stretch reversed with the snapshots left.
 */

export type CheckpointStep = 'restore' | 'advance' | 'save' | 'reverse' | 'done';

export interface CheckpointOptions {
  /** Most snapshots held at once. */
  snapshots?: number;
  /** Trips per step (counted), or the first stride (online). */
  every?: number;
}

/** β(s, r) = C(s + r, s): how many steps s snapshots reverse with each step advanced at most r times (Griewank). */
export function binomial(s: number, r: number): number {
  if (r < 0 || s < 0) return 0;
  let b = 1;
  // C(s + r, r) = prod_{k=1..r} (s + k) / k, exact in doubles while it fits.
  for (let k = 1; k <= r; k++) b = (b * (s + k)) / k;
  return Math.round(b);
}

/** The repetition number: the smallest r with β(slots, r) >= steps. */
export function repetitions(steps: number, slots: number): number {
  if (slots < 1) throw new RangeError('a checkpoint schedule needs at least one snapshot');
  let r = 0;
  // β(s, r) = β(s, r - 1) (s + r) / r
  for (let b = 1; b < steps; ) {
    r++;
    b = Math.round((b * (slots + r)) / r);
  }
  return r;
}

/**
 * Fewest forward steps that reverse `steps` steps with `slots` snapshots
 * (the first holding the initial state): r steps - β(slots + 1, r - 1)
 * (Griewank and Walther, Algorithm 799), counting the advances from the
 * initial state, not the recording of the step being reversed.
 */
export function revolveCost(steps: number, slots: number): number {
  if (steps <= 1) return 0;
  const r = repetitions(steps, slots);
  return r * steps - binomial(slots + 1, r - 1);
}

/**
 * Where the binomial schedule puts its next snapshot: the number of steps m
 * to advance from a held snapshot before saving, for `steps` > 1 steps and
 * `slots` >= 2 snapshots. Any m with β(slots, r - 2) <= m <= β(slots, r - 1) and
 * β(slots - 1, r - 1) <= steps - m <= β(slots - 1, r) is optimal: the first part
 * (same snapshots) then advances each step r - 1 more times, the rest (one
 * snapshot fewer) r times, and the costs add up to revolveCost by Pascal's rule.
 */
export function revolveSplit(steps: number, slots: number): number {
  const r = repetitions(steps, slots);
  return Math.max(1, Math.min(binomial(slots, r - 1), steps - binomial(slots - 1, r - 1)));
}

/** The fewest snapshots with which the binomial schedule advances no step more than twice: β(s, 2) >= steps. */
export function defaultSnapshots(steps: number): number {
  let s = 1;
  while (binomial(s, 2) < steps) s++;
  return s;
}

type Task =
  | { k: 'segment'; lo: number; hi: number; every: number; slots: number }
  | { k: 'linear'; lo: number; hi: number; every: number }
  | { k: 'restore'; at: number }
  | { k: 'advance'; to: number }
  | { k: 'save' }
  | { k: 'reverse'; lo: number; hi: number }
  | { k: 'free'; at: number };

/** Bytes of snapshots held by all checkpointed loops, now and at most (for benchmarks). */
export const checkpointMemory = {
  bytes: 0,
  peakBytes: 0,
  /** Starts a new peak from what is held now. */
  resetPeak(): void {
    this.peakBytes = this.bytes;
  },
};

/** 8 bytes a number or reference; an array copied into a snapshot counts its elements. */
function stateBytes(state: readonly unknown[]): number {
  let bytes = 16 + 8 * state.length;
  for (const v of state) {
    if (Array.isArray(v)) bytes += 16 + 8 * v.length;
    else if (ArrayBuffer.isView(v)) bytes += 16 + v.byteLength;
  }
  return bytes;
}

/** The schedule of one run of a checkpointed loop (see the top of this file). */
export class LoopCheckpoints {
  /** The trip at whose start the forward sweep saves next; Infinity when no more. */
  nextSave = 0;
  /** For 'advance' and 'reverse': how many trips. */
  trips = 0;
  private readonly held = new Map<number, { state: unknown[]; bytes: number }>();
  private readonly tasks: Task[] = [];
  /** The trip the loop-carried state is at (-1: unknown, after a 'reverse'). */
  private at = 0;
  private restoring: unknown[] | null = null;
  private reversing = false;
  // counted
  private readonly planned: number;
  private readonly every: number;
  private readonly slots: number;
  private readonly plan: number[] = [];
  private planIndex = 0;
  // online
  private readonly online: boolean;
  private stride: number;
  private readonly limit: number | null;

  private constructor(planned: number, options: CheckpointOptions) {
    const every = options.every;
    const snapshots = options.snapshots;
    if (every !== undefined && !(Number.isInteger(every) && every >= 1)) throw new RangeError(`checkpoint every(${every}): needs a whole number >= 1`);
    if (snapshots !== undefined && !(Number.isInteger(snapshots) && snapshots >= 1)) throw new RangeError(`checkpoint snapshots(${snapshots}): needs a whole number >= 1`);
    this.online = !(Number.isFinite(planned) && planned >= 0);
    this.planned = this.online ? -1 : Math.ceil(planned);
    if (this.online) {
      this.every = 1;
      this.stride = every ?? 1;
      this.limit = snapshots ?? null;
      this.slots = snapshots ?? Infinity;
    } else {
      const n = this.planned;
      this.every = every ?? Math.max(1, Math.ceil(Math.sqrt(n)));
      const steps = Math.ceil(n / this.every);
      this.slots = snapshots ?? defaultSnapshots(steps);
      this.stride = 0;
      this.limit = null;
      // The binomial schedule's first descent: the snapshots it takes on the way to the last step.
      let lo = 0;
      let left = steps;
      let slots = this.slots;
      this.plan.push(0);
      while (left > 1 && slots > 1) {
        const m = revolveSplit(left, slots);
        lo += m;
        left -= m;
        slots--;
        this.plan.push(lo * this.every);
      }
    }
  }

  /** A loop whose trip count is known when it starts (an estimate is fine: see the top of this file). */
  static counted(trips: number, options: CheckpointOptions = {}): LoopCheckpoints {
    // A bound already passed announces no trips (NaN stays NaN: the online schedule).
    return new LoopCheckpoints(trips < 0 ? 0 : trips, options);
  }

  /** A loop whose trip count is known only when it ends. */
  static online(options: CheckpointOptions = {}): LoopCheckpoints {
    return new LoopCheckpoints(NaN, options);
  }

  /**
   * Stores `state`: in the forward sweep, the state at the start of trip
   * `nextSave`; after a 'save' step, the current state.
   */
  save(state: unknown[]): void {
    if (!this.reversing) {
      this.at = this.nextSave;
      this.store(this.at, state);
      if (this.online) {
        if (this.held.size > (this.limit ?? 2 * this.stride)) this.thin();
        this.nextSave = (Math.floor(this.at / this.stride) + 1) * this.stride;
      } else {
        this.planIndex++;
        this.nextSave = this.planIndex < this.plan.length ? this.plan[this.planIndex]! : Infinity;
      }
      return;
    }
    this.store(this.at, state);
  }

  /** The forward sweep ran `trips` trips: plans the reverse sweep. */
  finish(trips: number): void {
    this.reversing = true;
    this.nextSave = Infinity;
    this.at = trips;
    // A counted loop that ran another number of trips than announced: each stretch between the snapshots
    // taken is reversed as one step (correct, and never quadratic; the estimate is exact for integer bounds).
    const asPlanned = !this.online && trips === this.planned;
    const positions = [...this.held.keys()].filter((p) => p < trips).sort((a, b) => a - b);
    for (const p of [...this.held.keys()]) if (p >= trips) this.drop(p);
    // Stretches between snapshots, the last reversed first: pushed first to last on the task stack.
    positions.forEach((lo, j) => {
      const hi = j + 1 < positions.length ? positions[j + 1]! : trips;
      this.tasks.push({ k: 'free', at: lo });
      if (!asPlanned) this.tasks.push({ k: 'segment', lo, hi, every: hi - lo, slots: 1 });
      else this.tasks.push({ k: 'segment', lo, hi, every: this.every, slots: Math.max(1, this.slots - j) });
    });
  }

  /** The next step of the reverse sweep. */
  next(): CheckpointStep {
    for (;;) {
      const t = this.tasks.pop();
      if (!t) return 'done';
      switch (t.k) {
        case 'restore':
          if (this.at === t.at) continue;
          this.restoring = this.held.get(t.at)!.state;
          this.at = t.at;
          return 'restore';
        case 'advance':
          if (this.at === t.to) continue;
          this.trips = t.to - this.at;
          this.at = t.to;
          return 'advance';
        case 'save':
          return 'save';
        case 'reverse':
          this.trips = t.hi - t.lo;
          this.at = -1;
          return 'reverse';
        case 'free':
          this.drop(t.at);
          continue;
        case 'segment':
          this.expand(t);
          continue;
        case 'linear': {
          // One snapshot: reverse the steps last first, each reached from the snapshot.
          const last = t.lo + Math.floor((t.hi - t.lo - 1) / t.every) * t.every;
          if (last > t.lo) this.tasks.push({ k: 'linear', lo: t.lo, hi: last, every: t.every });
          this.tasks.push({ k: 'reverse', lo: last, hi: t.hi }, { k: 'advance', to: last }, { k: 'restore', at: t.lo });
          continue;
        }
        default:
          return t satisfies never;
      }
    }
  }

  /** The snapshot a 'restore' step restores. */
  saved(): unknown[] {
    return this.restoring!;
  }

  /** Copies a saved array back into the loop's array (its identity is kept: other names may share it). */
  restoreArray(into: { length: number; [k: number]: number }, from: ArrayLike<number>): void {
    for (let k = 0; k < from.length; k++) into[k] = from[k]!;
  }

  /** Snapshots held now (for tests). */
  get heldCount(): number {
    return this.held.size;
  }

  private expand(t: Extract<Task, { k: 'segment' }>): void {
    const steps = Math.ceil((t.hi - t.lo) / t.every);
    if (steps <= 1) {
      this.tasks.push({ k: 'reverse', lo: t.lo, hi: t.hi }, { k: 'restore', at: t.lo });
      return;
    }
    if (t.slots <= 1) {
      this.tasks.push({ k: 'linear', lo: t.lo, hi: t.hi, every: t.every });
      return;
    }
    const mid = t.lo + revolveSplit(steps, t.slots) * t.every;
    // In order: restore lo, advance to mid, save, reverse [mid, hi) with one snapshot fewer, free mid, reverse [lo, mid).
    this.tasks.push(
      { k: 'segment', lo: t.lo, hi: mid, every: t.every, slots: t.slots },
      { k: 'free', at: mid },
      { k: 'segment', lo: mid, hi: t.hi, every: t.every, slots: t.slots - 1 },
      { k: 'save' },
      { k: 'advance', to: mid },
      { k: 'restore', at: t.lo },
    );
  }

  /** Online: double the stride and keep the snapshots at its multiples. */
  private thin(): void {
    while (this.held.size > (this.limit ?? 2 * this.stride)) {
      this.stride *= 2;
      for (const p of [...this.held.keys()]) if (p % this.stride !== 0) this.drop(p);
    }
  }

  private store(at: number, state: unknown[]): void {
    this.drop(at);
    const bytes = stateBytes(state);
    this.held.set(at, { state, bytes });
    checkpointMemory.bytes += bytes;
    if (checkpointMemory.bytes > checkpointMemory.peakBytes) checkpointMemory.peakBytes = checkpointMemory.bytes;
  }

  private drop(at: number): void {
    const h = this.held.get(at);
    if (!h) return;
    checkpointMemory.bytes -= h.bytes;
    this.held.delete(at);
  }
}
