/**
 * The compiler pipeline: front end -> lowering -> analysis -> transforms ->
 * emission. (Stub: being written.)
 */
import type { Diagnostic } from './frontend/diagnostics.ts';

export interface CompileOptions {
  /** tsconfig.json to resolve types and imports with; optional. */
  tsConfigFilePath?: string;
}

export interface GeneratedFile {
  /** The user's source file. */
  sourcePath: string;
  /** Where its derivatives go (`model.ts` -> `model.grad.ts`). */
  outputPath: string;
  /** The full text of the generated file. */
  text: string;
  /** Names of the differentiable functions it holds derivatives of. */
  functions: string[];
}

export interface CompileResult {
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
}

export function compileFiles(_paths: string[], _options: CompileOptions = {}): CompileResult {
  throw new Error('not implemented yet');
}

export function compileSourceText(_fileName: string, _text: string): CompileResult {
  throw new Error('not implemented yet');
}

export function inspectFunction(_filePath: string, _functionName: string): string {
  throw new Error('not implemented yet');
}
