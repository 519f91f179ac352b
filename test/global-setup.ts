/**
 * Vitest global setup: makes sure dist/ is built from the current sources,
 * because some tests run what users run (`node bin/wengert.js`, `tspc`
 * with `wengert/plugin`), and those load the compiled code in dist/.
 *
 * It rebuilds only when a file in compiler/ or runtime/ (or a tsconfig or
 * package.json) is newer than dist/compiler/cli.js; in CI, `npm ci` has
 * just built dist, so this is a few stat calls. A failed build is printed
 * and does not stop the run: tests that need dist then fail with the
 * reason.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = path.join(root, 'dist', 'compiler', 'cli.js');

export default function setup(): void {
  const built = mtimeOf(stampFile);
  const newest = Math.max(
    newestMtime(path.join(root, 'compiler')),
    newestMtime(path.join(root, 'runtime')),
    mtimeOf(path.join(root, 'tsconfig.json')),
    mtimeOf(path.join(root, 'tsconfig.build.json')),
    mtimeOf(path.join(root, 'package.json')),
  );
  if (built >= newest) return;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const started = performance.now();
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  const ms = Math.round(performance.now() - started);
  if (result.status === 0) {
    console.log(`[global-setup] dist/ was older than the sources: rebuilt in ${ms} ms`);
  } else {
    console.warn(
      `[global-setup] npm run build reported errors (exit ${result.status}); tsc still emitted what it could, ` +
        `and tests that run dist/ may fail:\n${result.stdout}${result.stderr}`,
    );
  }
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, mtimeOf(path.join(entry.parentPath, entry.name)));
    }
  }
  return newest;
}
