/**
 * `wengert build --watch`: one full build, then, a short debounce after the
 * last change, a rebuild of the source files that changed and of their
 * callers. Each rebuild prints which files it rebuilt and why, what it
 * wrote and how long it took. Deleting a source deletes its generated file
 * (if wengert wrote it) and rebuilds the files that imported it.
 *
 * A caller's generated code calls its callee's generated derivatives, and
 * its shape follows the callee's derivative interface (tag, `wrt` list,
 * parameter and result types). So a changed file whose interface key
 * (callgraph.ts) changed also rebuilds every file inside the build roots
 * that imports it, directly or through others, and may hold differentiable
 * functions. A change that leaves the key alone (an edit inside the body of
 * a function with a declared return type) rebuilds only the file itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stats } from 'node:fs';
import { watch as chokidarWatch } from 'chokidar';
import { build, type BuildOptions, type BuildResult } from './build.ts';
import { buildRoots, ModuleGraph, type Dependent } from './callgraph.ts';
import { isSkippedDirName, isSourceFileName, mayHoldDifferentiable } from './expand.ts';
import { displayPath, errorCount, warningCount } from './messages.ts';
import { removeIfGenerated } from './write-outputs.ts';

export interface WatchOptions extends BuildOptions {
  /** Quiet time after the last change before rebuilding, in ms (default 80). */
  debounceMs?: number;
  /** Called after every build, the first one included (with `changed` empty); `result.callers` are the callers rebuilt. */
  onBuild?: (result: BuildResult, changed: readonly string[]) => void;
}

export interface Watcher {
  /** Resolves once the first build is done and the file watcher is listening. */
  ready: Promise<void>;
  /** Stops watching. */
  close(): Promise<void>;
}

/** Builds `paths`, then rebuilds changed source files and their callers until `close()` is called. */
export function watch(paths: readonly string[], options: WatchOptions = {}): Watcher {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const roots = watchRoots(paths, options.project, cwd);
  const debounceMs = options.debounceMs ?? 80;
  // Read before the first build, so a change in between counts as a change.
  const graphRoots = [...buildRoots(paths, options.project, cwd), ...roots];
  const graph = new ModuleGraph(graphRoots, { interfaceKeys: true }).refresh();

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
    const callers = callersToRebuild(graph, files, gone);
    if (files.length === 0 && callers.length === 0) return;
    const toBuild = [...files, ...callers.map((c) => c.file)];
    const built = build(toBuild, { ...options, cwd, quiet: true, removeOrphans: false, rebuildCallers: false });
    const result = { ...built, callers: callers.map((c) => c.file) };
    const ms = Math.round(performance.now() - started);
    const outcome = describeOutcome(result, cwd);
    log(`${describeRebuild(files, callers, cwd)} in ${ms} ms: ${outcome}`);
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
  const scheduleChanged = (file: string): void => {
    deleted.delete(path.resolve(file));
    schedule(changed, file);
  };
  watcher.on('add', scheduleChanged);
  watcher.on('change', scheduleChanged);
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

/**
 * The callers to rebuild after `files` changed and `gone` were deleted:
 * files that import a deleted file (as the graph knew them before), and
 * files that import a changed file whose interface key changed (a new file
 * has no old key, so it counts as changed). Refreshes `graph`. Callers that
 * hold no differentiable function, or that changed or went themselves, are
 * left out.
 */
function callersToRebuild(graph: ModuleGraph, files: readonly string[], gone: readonly string[]): Dependent[] {
  const keysBefore = new Map(files.map((f) => [f, graph.interfaceKeyOf(f)]));
  const ofDeleted = graph.dependentsOf(gone);
  graph.refresh(files);
  const interfaceChanged = files.filter((f) => {
    const before = keysBefore.get(f);
    return before === undefined || graph.interfaceKeyOf(f) !== before;
  });
  const ofChanged = graph.dependentsOf(interfaceChanged);
  const skip = new Set([...files, ...gone]);
  const callers: Dependent[] = [];
  for (const dependent of [...ofChanged, ...ofDeleted]) {
    if (skip.has(dependent.file)) continue;
    skip.add(dependent.file);
    if (fs.existsSync(dependent.file) && mayHoldDifferentiable(dependent.file)) callers.push(dependent);
  }
  return callers;
}

/**
 * `rebuilt lib.ts, and its caller main.ts` /
 * `rebuilt c.ts, and its callers b.ts, a.ts (imports b.ts)` /
 * `rebuilt main.ts (imports deleted lib.ts)`
 */
function describeRebuild(files: readonly string[], callers: readonly Dependent[], cwd: string): string {
  const changed = new Set(files);
  const callerNames = callers.map((c) => describeCaller(c, changed, cwd)).join(', ');
  if (files.length === 0) return `rebuilt ${callerNames}`;
  const head = `rebuilt ${files.map((f) => displayPath(f, cwd)).join(', ')}`;
  if (callers.length === 0) return head;
  const owner = files.length === 1 ? 'its' : 'their';
  const noun = callers.length === 1 ? 'caller' : 'callers';
  return `${head}, and ${owner} ${noun} ${callerNames}`;
}

/** `main.ts` for a direct caller of a changed file, else `a.ts (imports b.ts)` or `main.ts (imports deleted lib.ts)`. */
function describeCaller(caller: Dependent, changed: ReadonlySet<string>, cwd: string): string {
  const name = displayPath(caller.file, cwd);
  if (changed.has(caller.via)) return name;
  const deleted = fs.existsSync(caller.via) ? '' : 'deleted ';
  return `${name} (imports ${deleted}${displayPath(caller.via, cwd)})`;
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
  const errors = errorCount(result.diagnostics);
  const warnings = warningCount(result.diagnostics);
  if (errors > 0) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return parts.length > 0 ? parts.join('; ') : 'no differentiable functions';
}
