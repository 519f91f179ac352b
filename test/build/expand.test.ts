// Which files the build compiles: expandSourcePaths on files and folders.
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { expandSourcePaths, findGeneratedFiles, isSourceFileName } from '../../compiler/build/expand.ts';
import { makeTempDir, removeDir } from './helpers/temp.ts';

const dir = makeTempDir({
  'src/a.ts': '',
  'src/b.tsx': '',
  'src/sub/c.mts': '',
  'src/a.grad.ts': '',
  'src/types.d.ts': '',
  'src/notes.md': '',
  'src/script.js': '',
  'src/node_modules/pkg/index.ts': '',
  'src/dist/out.ts': '',
  'src/.cache/d.ts': '',
  'other/e.ts': '',
});
afterAll(() => removeDir(dir));

const rel = (files: string[]) => files.map((f) => path.relative(dir, f).split(path.sep).join('/'));

describe('expandSourcePaths', () => {
  test('walks folders, skipping generated, declaration, node_modules, dist and dot-folders', () => {
    const { files, missing, directories } = expandSourcePaths(['src'], dir);
    expect(rel(files)).toEqual(['src/a.ts', 'src/b.tsx', 'src/sub/c.mts']);
    expect(missing).toEqual([]);
    expect(directories).toEqual([path.join(dir, 'src')]);
  });

  test('takes files named explicitly, drops duplicates and sorts', () => {
    const { files } = expandSourcePaths(['other/e.ts', 'src', 'src/a.ts'], dir);
    expect(rel(files)).toEqual(['other/e.ts', 'src/a.ts', 'src/b.tsx', 'src/sub/c.mts']);
  });

  test('ignores an explicit generated or declaration file', () => {
    expect(expandSourcePaths(['src/a.grad.ts', 'src/types.d.ts'], dir).files).toEqual([]);
  });

  test('reports paths that do not exist, as given', () => {
    const { files, missing } = expandSourcePaths(['nope', 'src/a.ts'], dir);
    expect(missing).toEqual(['nope']);
    expect(rel(files)).toEqual(['src/a.ts']);
  });

  test('finds generated files for the stale-file check', () => {
    expect(rel(findGeneratedFiles([path.join(dir, 'src')]))).toEqual(['src/a.grad.ts']);
  });
});

describe('isSourceFileName', () => {
  test.each([
    ['model.ts', true],
    ['model.tsx', true],
    ['model.mts', true],
    ['model.cts', true],
    ['model.grad.ts', false],
    ['model.d.ts', false],
    ['model.d.mts', false],
    ['model.js', false],
  ])('%s -> %s', (name, expected) => {
    expect(isSourceFileName(name)).toBe(expected);
  });
});
