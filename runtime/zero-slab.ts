/**
 * Fresh zeroed Float64Arrays for adjoints, cut from shared slabs.
 *
 * V8 keeps a typed array's storage on its own heap only up to 64 bytes
 * (eight doubles); a longer `new Float64Array(n)` allocates an external
 * backing store, which costs about 1 us (measured on node 20: 0.09 us for 8
 * elements, 0.7 to 1.3 us for 9 to 11). Generated reverse mode makes one
 * such array per array argument per call (`zerosLike(cam)` for BA's 11-number
 * camera), which was most of the Jacobian's time. A view into a fresh slab
 * costs a tenth of that. Slabs are never reused, so every view starts zeroed
 * and views never alias; a view keeps its slab (64 KiB) alive while it lives,
 * and `view.buffer` is the slab, not a buffer of the view's own.
 */
const SLAB_LENGTH = 8192;
/** Longer arrays are allocated on their own (their allocation cost is small next to their use). */
const MAX_FROM_SLAB = 512;

let slab = new Float64Array(SLAB_LENGTH);
let used = 0;

/** A zeroed Float64Array of length n. */
export function zeroFloat64(n: number): Float64Array {
  if (n <= 8 || n > MAX_FROM_SLAB) return new Float64Array(n);
  if (used + n > SLAB_LENGTH) {
    slab = new Float64Array(SLAB_LENGTH);
    used = 0;
  }
  const view = slab.subarray(used, used + n);
  used += n;
  return view;
}
