/**
 * Module-level scratch for a generated `jacobian_f`'s private sweep
 * (compiler/emit/jacobian-sweep.ts). The private sweep is `valueAndVjps_f`
 * with its gradient containers and lane buffers taken from here instead of
 * allocated per call, and it copies the Jacobian rows out before it returns,
 * so nothing a caller holds points into the scratch.
 *
 * `jacobian_f` sets `busy` around the private sweep; a call that finds it set
 * (recursion, a Jacobian taken inside the sweep's own callees) takes the
 * exported, allocating sweep instead, so two sweeps never share the buffers.
 */

/** Zeroed buffers by slot, reused from call to call, and the unit cotangents of one `jacobian_f`. */
export class JacobianScratch<Units> {
  /** True while the private sweep runs (set and cleared by `jacobian_f`). */
  busy = false;
  private readonly float64Slots: Float64Array[] = [];
  private readonly numberSlots: number[][] = [];

  /**
   * @param units the k unit cotangents both sweeps are called with, shared by all calls: a sweep only
   *   reads its cotangents. They are not frozen: frozen arrays made the shared runtime helpers that
   *   read them (`addArrayInto`) polymorphic, and BA's Jacobian about 15% slower.
   */
  constructor(readonly units: Units) {}

  /** The Float64Array of `slot`, length n and all zero; made on first use and whenever n changes. */
  float64(slot: number, n: number): Float64Array {
    const have = this.float64Slots[slot];
    if (have !== undefined && have.length === n) {
      have.fill(0);
      return have;
    }
    const made = new Float64Array(n);
    this.float64Slots[slot] = made;
    return made;
  }

  /** The number[] of `slot`, length n and all zero; made on first use and whenever its length is not n. */
  numbers(slot: number, n: number): number[] {
    const have = this.numberSlots[slot];
    if (have !== undefined && have.length === n) {
      have.fill(0);
      return have;
    }
    const made = new Array<number>(n).fill(0);
    this.numberSlots[slot] = made;
    return made;
  }
}
