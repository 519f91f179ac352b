/**
 * The tapes' storage (runtime/tape.ts): `reserve(top, n)` makes room for n
 * more entries above top by doubling, keeps what is below top, sets the
 * top, and is seen by watchStack like `grow` (the generated counted loops
 * of compiler/emit/tape-cursors.ts push into what it returns without
 * testing for a full buffer).
 */
import { describe, expect, test } from 'vitest';
import { F64Stack, I32Stack, watchStack } from 'wengert';

describe('reserve', () => {
  test.each([
    ['F64Stack', () => new F64Stack(4)],
    ['I32Stack', () => new I32Stack(4)],
  ] as const)('%s: room for n more above top, by doubling, contents kept', (_, make) => {
    const s = make();
    for (let i = 0; i < 3; i++) s.push(i + 1);
    // Room enough: the storage is not replaced.
    const same = s.buf;
    expect(s.reserve(3, 1)).toBe(same);
    expect(s.length).toBe(3);
    // 3 + 6 entries need 16 (two doublings of 4).
    const grown = s.reserve(3, 6);
    expect(grown).toBe(s.buf);
    expect(grown.length).toBe(16);
    expect(Array.from(grown.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(s.length).toBe(3);
    // The top given wins over the stack's (a loop's cursor moved it).
    grown[3] = 9;
    expect(s.reserve(4, 12).length).toBe(16);
    expect(s.length).toBe(4);
    expect(s.pop()).toBe(9);
    expect(s.reserve(0, 0)).toBe(s.buf);
  });

  test('watchStack sees the entries written into reserved storage as pushes, and the copies as nothing', () => {
    const s = new F64Stack(2);
    let pushes = 0;
    let pops = 0;
    watchStack(s, { push: () => pushes++, pop: () => pops++ }, () => {
      const buf = s.reserve(0, 5);
      let top = 0;
      for (let i = 0; i < 5; i++) buf[top++] = i;
      s.length = top;
      expect(s.pop()).toBe(4);
    });
    expect(pushes).toBe(5);
    expect(pops).toBe(1);
    expect(s.buf.length).toBe(8);
  });
});
