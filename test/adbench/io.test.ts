// The ADBench readers: sizes and values read from the shared data files,
// and BA's replication of its one camera, point, weight and feature.
import { describe, expect, test } from 'vitest';
import { adbenchDataDir, adbenchPath, readBa, readGmm, readLstm } from '../../examples/adbench/io.ts';

describe('ADBench readers', () => {
  test('the data folder is the copy in examples/adbench/data (or $ADBENCH_DATA)', () => {
    expect(adbenchDataDir.endsWith('examples/adbench/data') || process.env['ADBENCH_DATA'] !== undefined).toBe(true);
  });

  test('GMM: gmm/test.txt sizes and first, last values', () => {
    const g = readGmm(adbenchPath('gmm/test.txt'));
    expect([g.d, g.k, g.n]).toEqual([2, 3, 1]);
    expect([g.alpha.length, g.means.length, g.icf.length, g.x.length]).toEqual([3, 6, 9, 2]);
    expect(g.alpha[0]).toBe(-0.649014);
    expect(Array.from(g.x)).toEqual([1.175171, 2.02916]);
    expect([g.gamma, g.m]).toEqual([1, 0]);
  });

  test('GMM: a full file has n = 1000 points of d values', () => {
    const g = readGmm(adbenchPath('gmm/gmm_d10_K25.txt'));
    expect([g.d, g.k, g.n, g.x.length, g.icf.length]).toEqual([10, 25, 1000, 10_000, 25 * 55]);
  });

  test('LSTM: sizes of the parameter, state and sequence blocks', () => {
    const s = readLstm(adbenchPath('lstm/lstm_l4_c1024.txt'));
    expect([s.l, s.c, s.b]).toEqual([4, 1024, 14]);
    expect([s.mainParams.length, s.extraParams.length, s.state.length, s.sequence.length]).toEqual([
      2 * 4 * 4 * 14,
      3 * 14,
      2 * 4 * 14,
      1024 * 14,
    ]);
  });

  test('BA: one camera, point, weight and feature replicated; observation i uses camera i mod n, point i mod m', () => {
    const ba = readBa(adbenchPath('ba/test.txt'));
    expect([ba.n, ba.m, ba.p]).toEqual([2, 10, 10]);
    expect(ba.cams.slice(11, 22)).toEqual(ba.cams.slice(0, 11));
    expect(ba.cams[6]).toBe(211.628116);
    expect(ba.points.slice(27, 30)).toEqual(new Float64Array([4.173048, 5.586898, 1.403869]));
    expect(ba.weights.every((w) => w === 0.417022)).toBe(true);
    expect([ba.features[18], ba.features[19]]).toEqual([-525.672849, 161.811929]);
    expect(Array.from(ba.obs.slice(0, 8))).toEqual([0, 0, 1, 1, 0, 2, 1, 3]);
  });

  test('BA: maxObservations keeps the first observations', () => {
    const ba = readBa(adbenchPath('ba/ba1_n49_m7776_p31843.txt'), 100);
    expect([ba.n, ba.m, ba.p, ba.obs.length]).toEqual([49, 7776, 100, 200]);
  });
});
