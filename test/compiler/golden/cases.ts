/**
 * The golden cases: one small source per construct family, kept in this
 * folder (`<case>.ts`, plus the second file of a case that imports one),
 * with the generated code of each pinned beside it (`<case>.grad.ts`).
 *
 * Three tests read them: golden.test.ts pins and runs the generated code,
 * ir-snapshots.test.ts pins the printed Wengert lists, verify.test.ts runs
 * the IR verifier on them. This module holds the list and the two ways of
 * reading a case: compiled into test/.generated/golden/ (where the output
 * is written, type-checked at the end of the run and imported) and opened
 * in place as ts-morph source files (for the IR tests).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceFile } from 'ts-morph';
import { compileFiles, type CompileResult } from 'wengert/compiler';
import { createProject } from '../../../compiler/pipeline.ts';
import { discover, type Annotated, type CustomDerivatives } from '../../../compiler/frontend/discover.ts';
import { generatedDir } from '../../helpers/generate.ts';

export interface GoldenCase {
  /** Name of the case and of its source `<name>.ts` in this folder. */
  name: string;
  /** The construct family it stands for. */
  family: string;
  /** Other source files of this folder the case imports, compiled with it. */
  imports: string[];
}

export const goldenCases: GoldenCase[] = [
  { name: 'seed', family: 'straight-line scalar code', imports: [] },
  { name: 'logistic', family: 'a counted loop with a non-differentiated parameter', imports: [] },
  { name: 'earlyReturn', family: 'an early return inside a loop', imports: [] },
  { name: 'branches', family: 'if / else on a data-dependent condition', imports: [] },
  { name: 'loops', family: 'a while loop with a data-dependent break', imports: [] },
  { name: 'arrays', family: 'a Float64Array read, a local number[] written', imports: [] },
  { name: 'calls', family: 'a same-file helper called in a loop, an imported helper', imports: ['calls-lib'] },
  { name: 'tensors', family: 'a dense layer, tanh and softmaxCrossEntropy over a params object', imports: [] },
  { name: 'vector', family: 'a tuple return with jacobian', imports: [] },
  { name: 'custom', family: 'custom derivatives: a vjp only, and a vjp with a jvp', imports: [] },
  { name: 'methods', family: 'a decorated class method reading this', imports: [] },
];

/** This folder: the case sources and their pinned outputs. */
export const goldenDir = path.dirname(fileURLToPath(import.meta.url));

/** Where the golden tests compile and import the cases. */
export const goldenBuildDir = path.join(generatedDir, 'golden');

export function goldenCase(name: string): GoldenCase {
  const found = goldenCases.find((c) => c.name === name);
  if (!found) throw new Error(`no golden case named ${name}`);
  return found;
}

/** Base names (without `.ts`) of every source file of a case, its own first. */
export function caseSources(c: GoldenCase): string[] {
  return [c.name, ...c.imports];
}

/** Absolute paths of a case's sources in this folder. */
export function caseSourcePaths(c: GoldenCase): string[] {
  return caseSources(c).map((base) => path.join(goldenDir, `${base}.ts`));
}

export interface CompiledCase {
  result: CompileResult;
  /** Absolute path of each copied source in test/.generated/golden/, by base name. */
  sourcePaths: Map<string, string>;
}

/**
 * Copies a case's sources into test/.generated/golden/, compiles them
 * together (an imported helper's derivatives are generated too) and writes
 * the generated files beside the copies.
 */
export function compileCase(c: GoldenCase): CompiledCase {
  fs.mkdirSync(goldenBuildDir, { recursive: true });
  const sourcePaths = new Map<string, string>();
  for (const base of caseSources(c)) {
    const copy = path.join(goldenBuildDir, `${base}.ts`);
    fs.writeFileSync(copy, fs.readFileSync(path.join(goldenDir, `${base}.ts`), 'utf8'));
    sourcePaths.set(base, copy);
  }
  const result = compileFiles([...sourcePaths.values()]);
  for (const file of result.files) fs.writeFileSync(file.outputPath, file.text);
  return { result, sourcePaths };
}

/** One `@differentiable` function of a source file, as the pipeline finds it. */
export interface FoundFunction {
  annotated: Annotated;
  sourceFile: SourceFile;
  /** The names of its user-written derivatives, when it has them (its body is then not differentiated). */
  custom: { vjp?: string; jvp?: string } | null;
}

/** Every `@differentiable` function of the given files, in file and source order. */
export function differentiableFunctions(paths: string[]): FoundFunction[] {
  const project = createProject(paths);
  const out: FoundFunction[] = [];
  for (const p of paths) {
    const sourceFile = project.getSourceFileOrThrow(p);
    const { found, diagnostics, custom } = discover(sourceFile);
    if (diagnostics.length) throw new Error(`${p}: ${diagnostics.map((d) => d.message).join('; ')}`);
    for (const annotated of found) out.push({ annotated, sourceFile, custom: customOf(custom, annotated.name) });
  }
  return out;
}

function customOf(custom: CustomDerivatives, name: string): FoundFunction['custom'] {
  const entry = custom.get(name);
  return entry ? { vjp: entry.vjp, jvp: entry.jvp } : null;
}
