/**
 * The programmatic API of the wengert compiler.
 *
 * `compileFiles` reads source files, finds `@differentiable` functions and
 * returns the text of each `*.grad.ts` file with the diagnostics; it never
 * writes to disk and never executes user code. Writing files safely is the
 * job of `build/` (the CLI, the watcher and the tsc plugin share it).
 */
export type { Diagnostic } from './frontend/diagnostics.ts';
export { formatDiagnostic } from './frontend/diagnostics.ts';
export { compileFiles, compileSourceText, inspectFunction } from './pipeline.ts';
export type { CompileOptions, CompileResult, GeneratedFile } from './pipeline.ts';
export { GENERATED_HEADER_MARK, isGeneratedText, gradPathFor } from './emit/header.ts';
