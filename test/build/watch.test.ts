// `wengert build --watch`: after the first build, a change to one file
// rebuilds only that file, and its generated file changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { BuildResult } from '../../compiler/build/build.ts';
import { watch } from '../../compiler/build/watch.ts';
import { makeTempDir, removeDir, writeFiles } from './helpers/temp.ts';
import { modelSource } from './helpers/sources.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const TIMEOUT_MS = 20_000;

test('rebuilds only the changed file and prints what it rebuilt', async () => {
  const dir = makeTempDir({ 'a.ts': modelSource('x * x', 'a'), 'b.ts': modelSource('x + x', 'b') });
  dirs.push(dir);
  const aGrad = path.join(dir, 'a.grad.ts');
  const bGrad = path.join(dir, 'b.grad.ts');
  const lines: string[] = [];
  const rebuilds: { result: BuildResult; changed: readonly string[] }[] = [];
  let notify: (() => void) | undefined;

  const watcher = watch(['.'], {
    cwd: dir,
    debounceMs: 50,
    log: (line) => lines.push(line),
    logError: (line) => lines.push(line),
    onBuild: (result, changed) => {
      if (changed.length > 0) rebuilds.push({ result, changed });
      notify?.();
    },
  });
  try {
    await watcher.ready;
    const aBefore = fs.readFileSync(aGrad, 'utf8');
    const bMtime = fs.statSync(bGrad).mtimeMs;

    const rebuilt = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no rebuild within ${TIMEOUT_MS} ms; log:\n${lines.join('\n')}`)), TIMEOUT_MS);
      notify = () => {
        if (rebuilds.length > 0) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    writeFiles(dir, { 'a.ts': modelSource('x * x * x', 'a') });
    await rebuilt;

    expect(rebuilds[0]!.changed).toEqual([path.join(dir, 'a.ts')]);
    expect(rebuilds[0]!.result.sources).toEqual([path.join(dir, 'a.ts')]);
    expect(rebuilds[0]!.result.written).toEqual([aGrad]);
    expect(fs.readFileSync(aGrad, 'utf8')).not.toBe(aBefore);
    expect(fs.statSync(bGrad).mtimeMs).toBe(bMtime);
    expect(lines.some((l) => /^rebuilt a\.ts in \d+ ms: wrote a\.grad\.ts$/.test(l))).toBe(true);
  } finally {
    await watcher.close();
  }
});
