/**
 * `wengert build --watch`: one full build, then a rebuild of only the
 * source files that change, a short debounce after the last change. Each
 * rebuild prints which files it rebuilt, what it wrote and how long it took.
 * Deleting a source deletes its generated file (if wengert wrote it).
 *
 * A rebuilt file's derivatives depend only on its own text and the types it
 * imports (calls to other differentiable functions stay calls into their
 * own `*.grad.ts`), so rebuilding just the changed files is enough.
 */
import * as path from 'node:path';
import type { Stats } from 'node:fs';
import { watch as chokidarWatch } from 'chokidar';
import { build, type BuildOptions, type BuildResult } from './build.ts';
import { isSkippedDirName, isSourceFileName } from './expand.ts';
import { displayPath } from './messages.ts';
import { removeIfGenerated } from './write-outputs.ts';

export interface WatchOptions extends BuildOptions {
  /** Quiet time after the last change before rebuilding, in ms (default 80). */
  debounceMs?: number;
  /** Called after every build, the first one included (with `changed` empty). */
  onBuild?: (result: BuildResult, changed: readonly string[]) => void;
}

export interface Watcher {
  /** Resolves once the first build is done and the file watcher is listening. */
  ready: Promise<void>;
  /** Stops watching. */
  close(): Promise<void>;
}

/** Builds `paths`, then rebuilds changed source files until `close()` is called. */
export function watch(paths: readonly string[], options: WatchOptions = {}): Watcher {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const roots = watchRoots(paths, options.project, cwd);
  const debounceMs = options.debounceMs ?? 80;

  const first = build(paths, { ...options, cwd });
  options.onBuild?.(first, []);
  log(`watching ${roots.map((r) => displayPath(r, cwd)).join(', ')} for changes`);

  const changed = new Set<string>();
  const deleted = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const rebuild = (): void => {
    timer = undefined;
    const files = [...changed].sort();
    const gone = [...deleted].sort();
    changed.clear();
    deleted.clear();
    const started = performance.now();
    for (const source of gone) {
      const removed = removeIfGenerated(source).removed;
      for (const file of removed) log(`${displayPath(source, cwd)} was deleted: removed ${displayPath(file, cwd)}`);
    }
    if (files.length === 0) return;
    const result = build(files, { ...options, cwd, quiet: true, removeOrphans: false });
    const ms = Math.round(performance.now() - started);
    const names = files.map((f) => displayPath(f, cwd)).join(', ');
    const outcome = describeOutcome(result, cwd);
    log(`rebuilt ${names} in ${ms} ms: ${outcome}`);
    options.onBuild?.(result, files);
  };

  const schedule = (set: Set<string>, file: string): void => {
    if (!isSourceFileName(file)) return;
    set.add(path.resolve(file));
    if (timer) clearTimeout(timer);
    timer = setTimeout(rebuild, debounceMs);
  };

  const watcher = chokidarWatch(roots, {
    ignoreInitial: true,
    ignored: (file: string, stats?: Stats) => isIgnored(file, stats, roots),
  });
  watcher.on('add', (file) => schedule(changed, file));
  watcher.on('change', (file) => schedule(changed, file));
  watcher.on('unlink', (file) => {
    changed.delete(path.resolve(file));
    schedule(deleted, file);
  });
  watcher.on('error', (error) => log(`watch error: ${error instanceof Error ? error.message : String(error)}`));

  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    close: async () => {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** What to watch: the given paths, else the project's folder, else the working directory. */
function watchRoots(paths: readonly string[], project: string | undefined, cwd: string): string[] {
  if (paths.length > 0) return paths.map((p) => path.resolve(cwd, p));
  if (project !== undefined) return [path.dirname(path.resolve(cwd, project))];
  return [path.resolve(cwd)];
}

/** Skips generated and temporary files, non-sources, and node_modules/dist/dot-folders below the roots. */
function isIgnored(file: string, stats: Stats | undefined, roots: readonly string[]): boolean {
  const absolute = path.resolve(file);
  if (roots.includes(absolute)) return false;
  if (isSkippedDirName(path.basename(absolute))) return true;
  if (stats?.isFile()) return !isSourceFileName(absolute);
  return false;
}

/** `wrote model.grad.ts` / `model.grad.ts unchanged` / `2 errors` */
function describeOutcome(result: BuildResult, cwd: string): string {
  const parts: string[] = [];
  if (result.written.length > 0) parts.push(`wrote ${result.written.map((f) => displayPath(f, cwd)).join(', ')}`);
  if (result.unchanged.length > 0) parts.push(`${result.unchanged.map((f) => displayPath(f, cwd)).join(', ')} unchanged`);
  if (result.removed.length > 0) parts.push(`removed ${result.removed.map((f) => displayPath(f, cwd)).join(', ')}`);
  if (result.diagnostics.length > 0) parts.push(`${result.diagnostics.length} error${result.diagnostics.length === 1 ? '' : 's'}`);
  return parts.length > 0 ? parts.join('; ') : 'no differentiable functions';
}
