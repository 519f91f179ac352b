/**
 * Generates gmm.grad.ts, lstm.grad.ts and ba.grad.ts next to their sources
 * with the wengert build (what `wengert build examples/adbench` does).
 * The ADBench tests and benchmark call it before importing the derivatives;
 * `npx tsx examples/adbench/generate.ts` runs it by hand.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'wengert/build';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

export const adbenchModels = ['gmm', 'lstm', 'ba'] as const;
export type AdbenchModel = (typeof adbenchModels)[number];

/** Absolute path of a model's source file. */
export function sourcePath(model: AdbenchModel): string {
  return path.join(here, `${model}.ts`);
}

/** Absolute path of a model's generated derivatives. */
export function gradPath(model: AdbenchModel): string {
  return path.join(here, `${model}.grad.ts`);
}

export type GenerateResult = { ok: true; files: string[] } | { ok: false; reason: string };

/**
 * Builds the given models with the build itself (`build` of wengert/build,
 * what `wengert build` runs): the generated files are type-checked, written
 * only where the text changed, never over a hand-written file, each with its
 * source map. Errors throw, with the build's located messages.
 */
export function generateAdbenchDerivatives(models: readonly AdbenchModel[] = adbenchModels): GenerateResult {
  const errors: string[] = [];
  const result = build(models.map(sourcePath), {
    project: path.join(repoRoot, 'tsconfig.json'),
    cwd: repoRoot,
    quiet: true,
    rebuildCallers: false,
    removeOrphans: false,
    logError: (line) => errors.push(line),
  });
  if (result.exitCode !== 0) throw new Error(`wengert rejected examples/adbench:\n${errors.join('\n')}`);
  for (const model of models) {
    if (!existsSync(gradPath(model))) throw new Error(`wengert produced no ${path.basename(gradPath(model))}`);
  }
  return { ok: true, files: result.written };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = generateAdbenchDerivatives();
  if (!result.ok) {
    console.error(result.reason);
    process.exitCode = 1;
  } else {
    console.log(result.files.length > 0 ? `wrote ${result.files.join(', ')}` : 'derivatives up to date');
  }
}
