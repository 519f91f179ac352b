/**
 * runtime/zero-slab.ts: zerosLike of a Float64Array longer than 8 numbers is
 * a view cut from a shared zeroed slab (a fresh typed array over 64 bytes
 * is slow in V8). Every view must start zeroed, have the right length, and
 * never alias another, across slab boundaries too.
 */
import { describe, expect, test } from 'vitest';
import { zerosLike } from 'wengert';
import { zeroFloat64 } from '../../runtime/zero-slab.ts';

describe('zeroed Float64Arrays from slabs', () => {
  test('views are zero, of the asked length, and independent, over many slabs', () => {
    const views: Float64Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const n = 1 + (i % 40);
      const v = zeroFloat64(n);
      expect(v).toBeInstanceOf(Float64Array);
      expect(v.length).toBe(n);
      expect(v.every((x) => x === 0)).toBe(true);
      v.fill(i + 1);
      views.push(v);
    }
    // No later view overwrote an earlier one.
    views.forEach((v, i) => expect(v.every((x) => x === i + 1)).toBe(true));
  });

  test('zerosLike of a long Float64Array uses them; long and short arrays still come out right', () => {
    for (const n of [0, 3, 8, 9, 11, 512, 513, 10_000]) {
      const z = zerosLike(new Float64Array(n).fill(2));
      expect(z).toBeInstanceOf(Float64Array);
      expect(z.length).toBe(n);
      expect(z.every((x) => x === 0)).toBe(true);
    }
    const z = zerosLike(new Float64Array(11));
    expect(z.buffer.byteLength).toBeGreaterThan(11 * 8);
  });
});
