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
 *
 * Its teardown, after the last test, type-checks every generated file the
 * run wrote into test/.generated/ (test/helpers/generated-files.ts says
 * which) in one strict TypeScript project, and fails the run (exit code 1,
 * one `file:line:col: message` line per error) when one does not
 * type-check. One project for all fixtures costs a few seconds; a project
 * per test would cost minutes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFilesSince } from './helpers/generated-files.ts';
import { typecheckOwnErrors } from './helpers/typecheck.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = path.join(root, 'dist', 'compiler', 'cli.js');

export default function setup(): () => void {
  const runStarted = Date.now();
  if (needsDist(process.argv.slice(2))) rebuildDistIfStale();
  else console.log('[global-setup] dist/ not rebuilt: none of the selected test files runs the built compiler');
  return () => typecheckGeneratedFiles(runStarted);
}

/** Type-checks the generated files written since `sinceMs`; prints the errors and sets exit code 1 on any. */
function typecheckGeneratedFiles(sinceMs: number): void {
  const files = generatedFilesSince(sinceMs);
  if (files.length === 0) return;
  const started = performance.now();
  const errors = typecheckOwnErrors(files);
  const ms = Math.round(performance.now() - started);
  if (errors.length === 0) {
    console.log(`[global-teardown] the ${files.length} generated files of this run type-check under --strict (${ms} ms)`);
    return;
  }
  // Vitest only logs an error thrown here; the exit code is what fails the run.
  process.exitCode = 1;
  console.error(
    `\n[global-teardown] FAIL: ${errors.length} type error(s) in generated files of this run ` +
      `(tsc --strict over ${files.length} files, ${ms} ms):\n${errors.map((e) => `  ${e}`).join('\n')}\n`,
  );
}

/** Tests that run the built compiler in dist/ (the CLI, tspc, the bundler and editor plugins, the package). */
const distUsers = ['test/build/', 'test/package/', 'test/playground/', 'test/diagnostics/cli', 'test/compiler/output-checks', 'test/examples/word2vec-cli'];

/**
 * A run given explicit test files (`vitest run test/compiler/x.test.ts`) rebuilds dist/ only when one
 * of them runs dist/: a rebuild is a whole-project tsc (about a minute on a busy machine). A run with
 * no file filter (the README's `npm test`, CI) always checks.
 */
function needsDist(args: readonly string[]): boolean {
  const filters = args.filter((a) => /^(\.\/)?test(\/|$)/.test(a) || /\.test\.ts$/.test(a));
  if (filters.length === 0) return true;
  return filters.some((f) => distUsers.some((d) => f.replace(/^\.\//, '').startsWith(d) || d.startsWith(f.replace(/^\.\//, ''))));
}

function rebuildDistIfStale(): void {
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
