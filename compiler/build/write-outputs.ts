/**
 * Puts a compile result on disk: writes each generated file with the safe
 * writer and deletes generated files that went stale. Shared by the CLI
 * build, the watcher and the tsc plugin, so they all behave the same.
 *
 * A generated file is stale when its source compiled without errors but no
 * longer holds a differentiable function, or when its source is gone. A
 * source with errors keeps its previous generated file (the build fails
 * anyway, and the error says why). Hand-written files are never touched.
 *
 * Each generated file is written ending with `//# sourceMappingURL=model.grad.ts.map`
 * and its source map beside it (after it: the map is only written beside a
 * file wengert wrote); removing a generated file removes its map.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gradPathFor } from '../emit/header.ts';
import { sourceMapPathFor, withSourceMappingUrl } from '../emit/source-map.ts';
import type { CompileResult } from '../pipeline.ts';
import type { BuildMessage } from './messages.ts';
import { removeGeneratedFile, removeSourceMap, writeGeneratedFile, writeSourceMap } from './safe-write.ts';

export interface OutputReport {
  /** Generated files written (absolute paths). */
  written: string[];
  /** Generated files whose bytes were already right. */
  unchanged: string[];
  /** Stale generated files deleted. */
  removed: string[];
  /** Files the build refused to touch. */
  problems: BuildMessage[];
}

export function emptyReport(): OutputReport {
  return { written: [], unchanged: [], removed: [], problems: [] };
}

/** Writes `result` for the compiled `sources` and removes their stale generated files. */
export function writeOutputs(sources: readonly string[], result: CompileResult, into: OutputReport = emptyReport()): OutputReport {
  const produced = new Set<string>();
  for (const file of result.files) {
    const outputPath = path.resolve(file.outputPath);
    produced.add(path.resolve(file.sourcePath));
    const outcome = writeGeneratedFile(file.sourcePath, outputPath, textOnDisk(file.text, outputPath, file.map));
    if (outcome.kind === 'refused') {
      into.problems.push(outcome.problem);
      continue;
    }
    (outcome.kind === 'written' ? into.written : into.unchanged).push(outputPath);
    writeMapOf(outputPath, file.map, into);
  }
  const withErrors = new Set(result.diagnostics.map((d) => path.resolve(d.file)));
  for (const source of sources) {
    const absolute = path.resolve(source);
    if (produced.has(absolute) || withErrors.has(absolute)) continue;
    removeIfGenerated(absolute, into);
  }
  return into;
}

/** The generated text as written: ending with the link to its source map when it has one. */
function textOnDisk(text: string, outputPath: string, map: string | undefined): string {
  return map === undefined ? text : withSourceMappingUrl(text, path.basename(sourceMapPathFor(outputPath)));
}

/** Writes the source map of `outputPath` (or removes a stale one when the file has none). */
function writeMapOf(outputPath: string, map: string | undefined, into: OutputReport): void {
  const outcome = map === undefined ? removeSourceMap(outputPath) : writeSourceMap(outputPath, map);
  if (outcome.kind === 'refused' && map !== undefined) into.problems.push(outcome.problem);
}

/** Deletes generated files under `generatedFiles` whose source file no longer exists. */
export function removeOrphans(generatedFiles: readonly string[], into: OutputReport = emptyReport()): OutputReport {
  for (const generated of generatedFiles) {
    if (sourceCandidatesOf(generated).some((candidate) => fs.existsSync(candidate))) continue;
    const outcome = removeGeneratedFile(generated, generated);
    if (outcome.kind === 'removed') into.removed.push(path.resolve(generated));
  }
  return into;
}

/** Removes the generated file of `source` if there is one wengert wrote; a hand-written one stays. */
export function removeIfGenerated(source: string, into: OutputReport = emptyReport()): OutputReport {
  const outputPath = path.resolve(gradPathFor(source));
  const outcome = removeGeneratedFile(source, outputPath);
  if (outcome.kind === 'removed') into.removed.push(outputPath);
  return into;
}

/** `model.grad.ts` -> the sources that would generate it (`model.ts`, `model.tsx`, `model.mts`, `model.cts`). */
export function sourceCandidatesOf(generatedPath: string): string[] {
  const base = generatedPath.replace(/\.grad\.(m|c)?tsx?$/, '');
  return ['.ts', '.tsx', '.mts', '.cts'].map((ext) => base + ext);
}
