/**
 * The same source compiled with build-time fusion and without, for tests
 * that compare the two files' numbers (fusion.test.ts, host-fusion.test.ts).
 */
import { expect } from 'vitest';
import { buildFixture, type Built } from '../../helpers/generate.ts';
import { lastFusedGroups, setFusion, type FusedGroup } from '../../../compiler/emit/fuse.ts';

type Fn = (...a: any[]) => any;
export type Mod = Built<Record<string, Fn>, Record<string, Fn>>;

/** `<name>-on` built with fusion (and the groups it fused), `<name>-off` without. */
export async function buildFusedPair(name: string, source: string): Promise<{ on: Mod; off: Mod; groups: FusedGroup[] }> {
  const on = await buildFixture(`${name}-on`, source);
  const groups = [...lastFusedGroups()];
  const was = setFusion(false);
  try {
    return { on, off: await buildFixture(`${name}-off`, source), groups };
  } finally {
    setFusion(was);
  }
}

/** Entry by entry within `rtol` of the reference `b` (plus 1% of rtol times b's largest magnitude, for entries near 0). */
export function expectClose(a: readonly number[], b: readonly number[], rtol: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  const scale = Math.max(1e-30, ...b.map(Math.abs));
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= rtol * (Math.abs(b[i]!) + scale * 1e-2))) {
      expect.fail(`${what}: entry ${i}: fused ${a[i]} vs unfused ${b[i]} (rtol ${rtol})`);
    }
  }
}
