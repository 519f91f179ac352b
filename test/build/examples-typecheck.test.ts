/**
 * The examples as a user gets them: `build` (the API behind `wengert build
 * examples`) writes the derivatives of every folder of examples/ beside
 * their sources; all generated files, with every example source, then
 * type-check under the repository's strict tsconfig in one project, and
 * each generated file loads. The seed example's loaded derivatives are
 * checked against finite differences and forward against reverse mode.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { build, type BuildResult } from '../../compiler/build/build.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { typecheckOwnErrors } from '../helpers/typecheck.ts';
import { repoRoot } from './helpers/temp.ts';

const examplesDir = path.join(repoRoot, 'examples');
const GENERATED_NAME = /\.grad\.m?ts$/;

/** The TypeScript files under examples/ (the data folder holds none). */
function exampleFiles(): string[] {
  return fs
    .readdirSync(examplesDir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const exampleFolders = fs
  .readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

let result: BuildResult;
let errorLines: string[] = [];
let generated: string[] = [];

beforeAll(() => {
  result = build([examplesDir], { cwd: repoRoot, quiet: true, log: () => {}, logError: (line) => errorLines.push(line) });
  generated = [...result.written, ...result.unchanged].filter((f) => GENERATED_NAME.test(f)).sort();
}, 120_000);

describe('every folder of examples/ builds, type-checks under --strict and loads', () => {
  test('the build is clean and writes a generated file in every example folder', () => {
    expect(errorLines).toEqual([]);
    expect(result.diagnostics).toEqual([]);
    expect(result.exitCode).toBe(0);
    const foldersWithOutput = new Set(generated.map((f) => path.relative(examplesDir, f).split(path.sep)[0]));
    expect([...foldersWithOutput].sort()).toEqual(exampleFolders);
  });

  test('all generated files and the example sources type-check together in one strict project', () => {
    const sources = exampleFiles().filter((f) => !GENERATED_NAME.test(f));
    expect(sources.length).toBeGreaterThan(generated.length);
    expect(typecheckOwnErrors([...generated, ...sources])).toEqual([]);
  }, 120_000);

  test('each generated file loads and exports its derivative functions', async () => {
    expect(generated.length).toBeGreaterThanOrEqual(exampleFolders.length);
    for (const file of generated) {
      const mod = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Record<string, unknown>;
      const names = Object.keys(mod);
      expect(names.filter((n) => n.startsWith('jvp_')), `${file} exports forward-mode functions`).not.toEqual([]);
      for (const name of names) expect(typeof mod[name], `${file}: ${name}`).toBe('function');
    }
  });

  test("the seed example's loaded derivatives: reverse against finite differences, forward against reverse", async () => {
    const seedDir = path.join(examplesDir, 'seed');
    const source = await import(/* @vite-ignore */ pathToFileURL(path.join(seedDir, 'model.ts')).href);
    const grad = await import(/* @vite-ignore */ pathToFileURL(path.join(seedDir, 'model.grad.ts')).href);
    const mod = { source, grad };
    expect(checkDerivatives(mod, 'f', [2, 1])).toEqual([expect.closeTo(4.2, 12), expect.closeTo(-1.4, 12)]);
    checkDerivatives(mod, 'g', [1.5, 0.7]);
    checkDerivatives(mod, 'h', [1.3, -0.4]);
    checkDerivatives(mod, 'logistic', [0.3, 5], { wrt: [0] });
  });
});
