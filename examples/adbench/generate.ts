/**
 * Generates gmm.grad.ts, lstm.grad.ts and ba.grad.ts next to their sources by
 * calling the wengert compiler (the same as `wengert build examples/adbench`).
 * The ADBench tests and benchmark call it before importing the derivatives;
 * `npx tsx examples/adbench/generate.ts` runs it by hand.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileFiles, formatDiagnostic, isGeneratedText } from 'wengert/compiler';

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
 * Compiles the given models and writes their .grad.ts files (only where the
 * text changed, through a temporary file, never over a hand-written file).
 * Returns `ok: false` only while the compiler is still the stub that throws
 * "not implemented yet"; diagnostics and any other failure throw.
 */
export function generateAdbenchDerivatives(models: readonly AdbenchModel[] = adbenchModels): GenerateResult {
  let result: ReturnType<typeof compileFiles>;
  try {
    result = compileFiles(models.map(sourcePath), { tsConfigFilePath: path.join(repoRoot, 'tsconfig.json') });
  } catch (error) {
    if (error instanceof Error && error.message === 'not implemented yet') {
      return { ok: false, reason: 'the wengert compiler core has not landed (compileFiles: not implemented yet)' };
    }
    throw error;
  }
  if (result.diagnostics.length > 0) {
    throw new Error(`wengert rejected examples/adbench:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  const written: string[] = [];
  for (const file of result.files) {
    if (existsSync(file.outputPath)) {
      const old = readFileSync(file.outputPath, 'utf8');
      if (old === file.text) continue;
      if (!isGeneratedText(old)) throw new Error(`${file.outputPath} was not written by wengert; not overwriting it`);
    }
    const tmp = `${file.outputPath}.${process.pid}.tmp`;
    writeFileSync(tmp, file.text);
    renameSync(tmp, file.outputPath);
    written.push(file.outputPath);
  }
  for (const model of models) {
    if (!existsSync(gradPath(model))) throw new Error(`wengert produced no ${path.basename(gradPath(model))}`);
  }
  return { ok: true, files: written };
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
