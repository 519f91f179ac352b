/**
 * Source maps from a generated `model.grad.ts` to its primal `model.ts`, so
 * a debugger stepping through `grad_f` (or a stack trace through it) shows
 * the user's lines.
 *
 * The map is read off the generated text, whose comments already name the
 * source lines every piece of code derives from:
 *
 *   // ---- f (model.ts:11) ----   starts function f, declared on line 11
 *   // model.ts:37                 the code below derives from line 37
 *   // model.ts:37-38              ... from lines 37 to 38 (mapped to 37)
 *
 * Within a function, each generated line maps to the line named by the
 * nearest source-line comment above it; every top-level line (a doc
 * comment, an `export function` header, the wrappers `vjp_f`, `grad_f`,
 * ...) maps to the function's declaration line. Lines before the first
 * function (the header, the imports) are not mapped. A line maps from its
 * first non-blank column to the first non-blank column of its source line.
 *
 * This is a line map by design: the comments are the locations, so it holds
 * whatever the emitter and the printer do to the trees, as long as they keep
 * the comments they print. The encoding is source-map-js's.
 */
import { SourceMapGenerator } from 'source-map-js';

export interface LineMapOptions {
  /** The generated file's base name, the map's `file` (`model.grad.ts`). */
  generatedFile: string;
  /** The source file's base name, as the comments spell it and as `sources` lists it (`model.ts`). */
  sourceFile: string;
  /** The source text, to map to the first non-blank column of each line; column 0 without it. */
  sourceText?: string;
}

const FUNCTION_HEADER = /^\/\/ ---- .+ \((.+):(\d+)\) ----$/;
const SOURCE_LINE = /^\/\/ (.+):(\d+)(?:-\d+)?$/;

/** The version 3 source map of generated `text`, as JSON. */
export function lineSourceMap(text: string, options: LineMapOptions): string {
  const generator = new SourceMapGenerator({ file: options.generatedFile });
  const sourceColumns = options.sourceText === undefined ? [] : firstColumns(options.sourceText);
  let declarationLine: number | undefined;
  let current: number | undefined;
  text.split('\n').forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '') return;
    const header = FUNCTION_HEADER.exec(trimmed);
    if (header && header[1] === options.sourceFile) {
      declarationLine = Number(header[2]);
      current = declarationLine;
    } else if (declarationLine !== undefined && isTopLevel(line)) {
      current = declarationLine;
    }
    const named = SOURCE_LINE.exec(trimmed);
    if (named && named[1] === options.sourceFile && declarationLine !== undefined) current = Number(named[2]);
    if (current === undefined) return;
    generator.addMapping({
      source: options.sourceFile,
      generated: { line: index + 1, column: line.length - line.trimStart().length },
      original: { line: current, column: sourceColumns[current - 1] ?? 0 },
    });
  });
  return JSON.stringify(generator.toJSON());
}

/** A line that starts a top-level statement or comment (not the `}` closing a function). */
function isTopLevel(line: string): boolean {
  return line.length > 0 && !/^\s/.test(line) && !line.startsWith('}');
}

/** The first non-blank column of each line of `text` (0-based). */
function firstColumns(text: string): number[] {
  return text.split('\n').map((line) => line.length - line.trimStart().length);
}

/** `model.grad.ts` -> `model.grad.ts.map`, the file the map is written to. */
export function sourceMapPathFor(generatedPath: string): string {
  return `${generatedPath}.map`;
}

/** `text` ending with the comment that links it to its map (`//# sourceMappingURL=model.grad.ts.map`). */
export function withSourceMappingUrl(text: string, mapFileName: string): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `${body}//# sourceMappingURL=${mapFileName}\n`;
}

/** True when `text` is a source map of the generated file named `generatedFile` (what wengert writes beside it). */
export function isSourceMapOf(text: string, generatedFile: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const map = parsed as { version?: unknown; file?: unknown };
  return map.version === 3 && map.file === generatedFile;
}
