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

// The reverse sweep's work list, a stack of tasks in typed arrays (kind, then up to four numbers), so
// that a schedule of millions of steps allocates nothing per step.
const SEGMENT = 0; // lo, hi, every, slots: reverse trips [lo, hi) in steps of `every`, with a snapshot at lo and `slots` in all
const LINEAR = 1; // lo, hi, every: the same with one snapshot
const RESTORE = 2; // at
const ADVANCE = 3; // to
const SAVE = 4;
const REVERSE = 5; // lo, hi
const FREE = 6; // at

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
  // Snapshots held, by trip, in increasing order: the schedules take and free them last in, first out.
  private readonly heldAt: number[] = [];
  private readonly heldState: unknown[][] = [];
  private readonly heldBytes: number[] = [];
  private kinds = new Int8Array(64);
  private args = new Float64Array(256);
  private depth = 0;
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
        if (this.heldAt.length > (this.limit ?? 2 * this.stride)) this.thin();
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
    while (this.heldAt.length && this.heldAt[this.heldAt.length - 1]! >= trips) this.drop(this.heldAt.length - 1);
    const positions = this.heldAt.slice();
    // Stretches between snapshots, the last reversed first: pushed first to last on the task stack.
    positions.forEach((lo, j) => {
      const hi = j + 1 < positions.length ? positions[j + 1]! : trips;
      this.push(FREE, lo);
      if (!asPlanned) this.push(SEGMENT, lo, hi, hi - lo, 1);
      else this.push(SEGMENT, lo, hi, this.every, Math.max(1, this.slots - j));
    });
  }

  /** The next step of the reverse sweep. */
  next(): CheckpointStep {
    while (this.depth > 0) {
      const d = --this.depth;
      const args = this.args; // push() may have grown it
      const a = args[4 * d]!;
      switch (this.kinds[d]) {
        case RESTORE: {
          if (this.at === a) continue;
          this.restoring = this.heldState[this.indexOf(a)]!;
          this.at = a;
          return 'restore';
        }
        case ADVANCE:
          if (this.at === a) continue;
          this.trips = a - this.at;
          this.at = a;
          return 'advance';
        case SAVE:
          return 'save';
        case REVERSE:
          this.trips = args[4 * d + 1]! - a;
          this.at = -1;
          return 'reverse';
        case FREE:
          this.drop(this.indexOf(a));
          continue;
        case SEGMENT:
          this.expand(a, args[4 * d + 1]!, args[4 * d + 2]!, args[4 * d + 3]!);
          continue;
        case LINEAR: {
          // One snapshot: reverse the steps last first, each reached from the snapshot.
          const hi = args[4 * d + 1]!;
          const every = args[4 * d + 2]!;
          const last = a + Math.floor((hi - a - 1) / every) * every;
          if (last > a) this.push(LINEAR, a, last, every);
          this.push(REVERSE, last, hi);
          this.push(ADVANCE, last);
          this.push(RESTORE, a);
          continue;
        }
        default:
          throw new Error('internal: unknown checkpoint task');
      }
    }
    return 'done';
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
    return this.heldAt.length;
  }

  private push(kind: number, a: number, b = 0, c = 0, d = 0): void {
    if (this.depth === this.kinds.length) {
      const kinds = new Int8Array(this.kinds.length * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
      const args = new Float64Array(this.args.length * 2);
      args.set(this.args);
      this.args = args;
    }
    const k = this.depth++;
    this.kinds[k] = kind;
    this.args[4 * k] = a;
    this.args[4 * k + 1] = b;
    this.args[4 * k + 2] = c;
    this.args[4 * k + 3] = d;
  }

  private expand(lo: number, hi: number, every: number, slots: number): void {
    const steps = Math.ceil((hi - lo) / every);
    if (steps <= 1) {
      this.push(REVERSE, lo, hi);
      this.push(RESTORE, lo);
      return;
    }
    if (slots <= 1) {
      this.push(LINEAR, lo, hi, every);
      return;
    }
    const mid = lo + revolveSplit(steps, slots) * every;
    // In order: restore lo, advance to mid, save, reverse [mid, hi) with one snapshot fewer, free mid, reverse [lo, mid).
    this.push(SEGMENT, lo, mid, every, slots);
    this.push(FREE, mid);
    this.push(SEGMENT, mid, hi, every, slots - 1);
    this.push(SAVE, 0);
    this.push(ADVANCE, mid);
    this.push(RESTORE, lo);
  }

  /** Online: double the stride and keep the snapshots at its multiples. */
  private thin(): void {
    while (this.heldAt.length > (this.limit ?? 2 * this.stride)) {
      this.stride *= 2;
      for (let k = this.heldAt.length - 1; k >= 0; k--) if (this.heldAt[k]! % this.stride !== 0) this.drop(k);
    }
  }

  /** Where the snapshot of trip `at` is held (searched from the newest: it is almost always that one). */
  private indexOf(at: number): number {
    for (let k = this.heldAt.length - 1; k >= 0; k--) if (this.heldAt[k] === at) return k;
    throw new Error(`internal: no snapshot of trip ${at}`);
  }

  private store(at: number, state: unknown[]): void {
    // Snapshots come in increasing trip order (the forward sweep's, then each stretch's inside the last one held).
    while (this.heldAt.length && this.heldAt[this.heldAt.length - 1]! >= at) this.drop(this.heldAt.length - 1);
    const bytes = stateBytes(state);
    this.heldAt.push(at);
    this.heldState.push(state);
    this.heldBytes.push(bytes);
    checkpointMemory.bytes += bytes;
    if (checkpointMemory.bytes > checkpointMemory.peakBytes) checkpointMemory.peakBytes = checkpointMemory.bytes;
  }

  private drop(k: number): void {
    checkpointMemory.bytes -= this.heldBytes[k]!;
    if (k === this.heldAt.length - 1) {
      this.heldAt.pop();
      this.heldState.pop();
      this.heldBytes.pop();
      return;
    }
    this.heldAt.splice(k, 1);
    this.heldState.splice(k, 1);
    this.heldBytes.splice(k, 1);
  }
}
