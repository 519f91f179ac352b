/**
 * Turns the paths a user gives the build (files and directories) into the
 * list of TypeScript source files to compile.
 *
 * Directories are walked recursively. Generated files (`*.grad.ts`),
 * declaration files (`*.d.ts`), and the folders `node_modules`, `dist` and
 * dot-folders (`.git`, ...) are skipped. A file named explicitly is taken
 * when it is a source file, whatever folder it is in.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mentionsTagLike } from '../frontend/near-miss-tags.ts';

/** Folders the walk never enters. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);

const SOURCE_EXTENSION = /\.(m|c)?tsx?$/;
const DECLARATION_FILE = /\.d\.(m|c)?tsx?$/;
const GENERATED_FILE = /\.grad\.(m|c)?tsx?$/;

export interface ExpandedPaths {
  /** Absolute paths of the source files, sorted and without duplicates. */
  files: string[];
  /** Directories that were walked, absolute. */
  directories: string[];
  /** Paths that do not exist, as given. */
  missing: string[];
}

/** True for `model.ts` and friends; false for `*.d.ts` and `*.grad.ts`. */
export function isSourceFileName(fileName: string): boolean {
  return SOURCE_EXTENSION.test(fileName) && !DECLARATION_FILE.test(fileName) && !GENERATED_FILE.test(fileName);
}

/** True for `model.grad.ts` (a file the build writes). */
export function isGeneratedFileName(fileName: string): boolean {
  return GENERATED_FILE.test(fileName);
}

/** True for folder names the walk skips. */
export function isSkippedDirName(name: string): boolean {
  return SKIPPED_DIRS.has(name) || name.startsWith('.');
}

/** Expands `paths` (relative to `cwd`) into source files. */
export function expandSourcePaths(paths: readonly string[], cwd: string = process.cwd()): ExpandedPaths {
  const files = new Set<string>();
  const directories: string[] = [];
  const missing: string[] = [];
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch {
      missing.push(given);
      continue;
    }
    if (stat.isDirectory()) {
      directories.push(absolute);
      walk(absolute, files);
    } else if (stat.isFile() && isSourceFileName(absolute)) {
      files.add(absolute);
    }
  }
  return { files: [...files].sort(), directories, missing };
}

/** Adds every source file under `dir` to `into`. */
function walk(dir: string, into: Set<string>): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!isSkippedDirName(entry.name)) walk(full, into);
    } else if (entry.isFile() && isSourceFileName(entry.name)) {
      into.add(full);
    }
  }
}

/** Generated files (`*.grad.ts`) directly inside the walked directories and below, for stale-file checks. */
export function findGeneratedFiles(directories: readonly string[]): string[] {
  const found = new Set<string>();
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!isSkippedDirName(entry.name)) visit(full);
      } else if (entry.isFile() && isGeneratedFileName(entry.name)) {
        found.add(full);
      }
    }
  };
  for (const dir of directories) visit(dir);
  return [...found].sort();
}

/**
 * A cheap text check run before the compiler: a file can hold a
 * differentiable function only if the word `differentiable` appears in it
 * (the JSDoc tag, or the decorator and its import). Files without it skip
 * the compiler; the build still deletes their stale generated files.
 */
export function mayHoldDifferentiable(filePath: string): boolean {
  try {
    const text = fs.readFileSync(filePath, 'utf8');
    // A misspelled tag (`@differentable`) goes to the compiler too, which warns about it.
    return text.includes('differentiable') || mentionsTagLike(text);
  } catch {
    return true; // let the compiler report what is wrong with it
  }
}
