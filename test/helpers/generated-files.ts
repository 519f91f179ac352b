/**
 * Which generated files of test/.generated/ the end-of-run type check
 * (test/global-setup.ts) looks at: every `*.grad.ts` / `*.grad.mts` written
 * since the run started (files left by earlier runs are not this run's),
 * except
 *   - test/.generated/fuzz/: the fuzz runner type-checks its programs itself,
 *     one TypeScript program per batch, and reports a type error as a
 *     failure of that program; test/fuzz/findings.test.ts pins open bugs
 *     there, whose generated code may not type-check yet;
 *   - anything inside a folder named `deliberately-broken`: the place for a
 *     test that writes a broken generated file on purpose.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const generatedRoot = fileURLToPath(new URL('../.generated/', import.meta.url));

/** A folder with this name, anywhere under test/.generated/, is skipped by the check. */
export const DELIBERATELY_BROKEN_DIR = 'deliberately-broken';

const SELF_CHECKED_DIRS = ['fuzz'];
const GENERATED_NAME = /\.grad\.m?ts$/;

/** Generated files under `root` modified at or after `sinceMs` (epoch ms), absolute and sorted. */
export function generatedFilesSince(sinceMs: number, root: string = generatedRoot): string[] {
  if (!fs.existsSync(root)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !GENERATED_NAME.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (isExcluded(path.relative(root, file))) continue;
    if (modifiedAt(file) >= sinceMs) found.push(file);
  }
  return found.sort();
}

function isExcluded(relative: string): boolean {
  const folders = relative.split(path.sep).slice(0, -1);
  if (folders.length > 0 && SELF_CHECKED_DIRS.includes(folders[0]!)) return true;
  return folders.includes(DELIBERATELY_BROKEN_DIR);
}

/** mtime in ms, or -Infinity for a file removed while the folder was read. */
function modifiedAt(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -Infinity;
  }
}
