/**
 * The module dependency graph of the source files inside the build roots,
 * so the build and the watcher know which files call into which.
 *
 * A caller's generated code calls its callee's generated `jvp_g` /
 * `valueAndVjp_g`, and its shape follows the callee's derivative interface
 * (is it `@differentiable`, its `wrt(...)` list, its parameter and result
 * types). So when a file changes, every file that imports it, directly or
 * through other modules (barrels that re-export it), must be rebuilt too.
 *
 * Edges come from `import ... from`, `export ... from`, `export * from`,
 * `import type` and `import()` with a relative specifier, read with
 * `ts.preProcessFile` (a scan of the text, no parse, no type-check).
 * Specifiers resolve like the project does: `./lib`, `./lib.js`, `./lib.ts`,
 * `./lib.mts`, a folder with an `index.ts`. Package imports and specifiers
 * that name no source file inside the roots are ignored.
 *
 * Each file also gets an interface key: a hash of its text with the bodies
 * of functions that declare their return type left out. Such a body cannot
 * change any type, tag or signature another file sees (the compiler reads a
 * callee's tag, parameters and types, never its body), so when the key of
 * a changed file is the same as before, its callers need no rebuild. A
 * function without a return type keeps its body (its result type is
 * inferred from it).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { expandSourcePaths, mayHoldDifferentiable } from './expand.ts';
import { nearestTsConfig } from './project.ts';

/** What the graph knows of one source file. */
interface ModuleEntry {
  /** mtime and size when it was read; a different stat means read it again. */
  mtimeMs: number;
  size: number;
  /** Relative module specifiers it imports or re-exports from. */
  specifiers: string[];
  /** Hash of its text without the bodies of functions with a declared return type (when the graph keeps keys). */
  interfaceKey: string | undefined;
}

export interface ModuleGraphOptions {
  /** Compute each file's interface key (a full parse of every file); the watcher needs them, a build does not. */
  interfaceKeys?: boolean;
}

/** A file that must be rebuilt because it imports (maybe through others) a changed file. */
export interface Dependent {
  /** The dependent source file, absolute. */
  file: string;
  /** The file it imports that put it on the list (a changed file or another dependent), absolute. */
  via: string;
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];

/** `.js` in a specifier means a `.ts` (or `.tsx`) file, as TypeScript resolves it. */
const JS_TO_TS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** The source files inside some folders and the import edges between them. */
export class ModuleGraph {
  private readonly entries = new Map<string, ModuleEntry>();
  private importsMap = new Map<string, Set<string>>();
  private importersMap = new Map<string, Set<string>>();

  /** `roots`: folders (or files) whose source files make up the graph. Call `refresh()` before reading it. */
  constructor(
    readonly roots: readonly string[],
    private readonly options: ModuleGraphOptions = {},
  ) {}

  /**
   * Re-reads the roots: new files are added, deleted ones dropped, changed
   * ones (by mtime and size, or named in `reread`) read again.
   */
  refresh(reread: Iterable<string> = []): this {
    const present = new Set(expandSourcePaths(this.roots).files);
    for (const file of [...this.entries.keys()]) {
      if (!present.has(file)) this.entries.delete(file);
    }
    for (const file of reread) this.entries.delete(path.resolve(file));
    for (const file of present) this.readIfChanged(file);
    this.resolveEdges();
    return this;
  }

  /** Every source file in the graph, absolute and sorted. */
  files(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The files `file` imports (resolved inside the roots), sorted. */
  importsOf(file: string): string[] {
    return [...(this.importsMap.get(path.resolve(file)) ?? [])].sort();
  }

  /** The files that import `file` directly, sorted. */
  importersOf(file: string): string[] {
    return [...(this.importersMap.get(path.resolve(file)) ?? [])].sort();
  }

  /** The interface key of `file` as last read; undefined when it is not in the graph or keys are off. */
  interfaceKeyOf(file: string): string | undefined {
    return this.entries.get(path.resolve(file))?.interfaceKey;
  }

  /**
   * Every file that imports one of `changed`, directly or through other
   * files, nearest first; the changed files themselves are left out. Cycles
   * are fine: each file is visited once.
   */
  dependentsOf(changed: Iterable<string>): Dependent[] {
    const start = [...changed].map((f) => path.resolve(f));
    const seen = new Set(start);
    const found: Dependent[] = [];
    const queue = [...start];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const importer of this.importersOf(next)) {
        if (seen.has(importer)) continue;
        seen.add(importer);
        found.push({ file: importer, via: next });
        queue.push(importer);
      }
    }
    return found;
  }

  private readIfChanged(file: string): void {
    let stat: fs.Stats;
    let text: string;
    try {
      stat = fs.statSync(file);
      const known = this.entries.get(file);
      if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return;
      text = fs.readFileSync(file, 'utf8');
    } catch {
      this.entries.delete(file); // deleted between the walk and the read
      return;
    }
    this.entries.set(file, {
      mtimeMs: stat.mtimeMs,
      size: stat.size,
      specifiers: relativeSpecifiers(text),
      interfaceKey: this.options.interfaceKeys ? interfaceKey(file, text) : undefined,
    });
  }

  private resolveEdges(): void {
    const known = new Set(this.entries.keys());
    this.importsMap = new Map();
    this.importersMap = new Map();
    for (const [file, entry] of this.entries) {
      const targets = new Set<string>();
      for (const specifier of entry.specifiers) {
        const target = resolveSpecifier(specifier, file, known);
        if (target !== undefined && target !== file) targets.add(target);
      }
      this.importsMap.set(file, targets);
      for (const target of targets) {
        const importers = this.importersMap.get(target) ?? new Set<string>();
        importers.add(file);
        this.importersMap.set(target, importers);
      }
    }
  }
}

/** The module specifiers in `text` that point at files (`./x`, `../x`, `/abs/x`), in order. */
export function relativeSpecifiers(text: string): string[] {
  const imported = ts.preProcessFile(text, true, false).importedFiles.map((f) => f.fileName);
  return imported.filter((s) => s.startsWith('.') || path.isAbsolute(s));
}

/** The source file in `known` that `specifier`, written in `fromFile`, names; undefined when none does. */
export function resolveSpecifier(specifier: string, fromFile: string, known: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier);
  return candidatePaths(base).find((candidate) => known.has(candidate));
}

/** The files a resolved specifier path may mean, in TypeScript's order of preference. */
function candidatePaths(base: string): string[] {
  const extension = path.extname(base);
  if (SOURCE_EXTENSIONS.includes(extension)) return [base];
  const candidates: string[] = [];
  const tsExtensions = JS_TO_TS[extension];
  if (tsExtensions) {
    const stem = base.slice(0, -extension.length);
    candidates.push(...tsExtensions.map((ext) => stem + ext));
  }
  candidates.push(...SOURCE_EXTENSIONS.map((ext) => base + ext));
  candidates.push(...SOURCE_EXTENSIONS.map((ext) => path.join(base, 'index' + ext)));
  return candidates;
}

/** Hash of `text` with the bodies of functions that declare their return type replaced by `{}`. */
export function interfaceKey(fileName: string, text: string): string {
  const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, scriptKindOf(fileName));
  const kept: string[] = [];
  let from = 0;
  const visit = (node: ts.Node): void => {
    const body = strippableBody(node);
    if (body) {
      kept.push(text.slice(from, body.getStart(sourceFile)), '{}');
      from = body.end;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  kept.push(text.slice(from));
  return createHash('sha1').update(kept.join('')).digest('hex');
}

/** The body of a function, method or arrow with a declared return type; its text cannot change a type outside it. */
function strippableBody(node: ts.Node): ts.Node | undefined {
  if (!ts.isFunctionLike(node)) return undefined;
  const declaration = node as ts.FunctionLikeDeclaration;
  if (declaration.type === undefined || declaration.body === undefined) return undefined;
  return declaration.body;
}

function scriptKindOf(fileName: string): ts.ScriptKind {
  return fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
}

/**
 * The folders whose files may call into the given paths: for each path, the
 * folder of its nearest tsconfig.json (or of `project` when given), else `cwd`.
 */
export function buildRoots(paths: readonly string[], project: string | undefined, cwd: string): string[] {
  if (project !== undefined) return [path.dirname(path.resolve(cwd, project))];
  const roots = new Set<string>();
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    const config = nearestTsConfig(isDirectory(absolute) ? path.join(absolute, 'tsconfig.json') : absolute);
    roots.add(config === undefined ? path.resolve(cwd) : path.dirname(config));
  }
  return [...roots].sort();
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The callers to rebuild with `sources`: files inside `roots` that import
 * one of them (directly or through others) and may hold differentiable
 * functions, nearest first; the sources themselves are left out.
 */
export function callersOf(sources: readonly string[], roots: readonly string[]): Dependent[] {
  const graph = new ModuleGraph([...roots, ...sources]).refresh();
  return graph.dependentsOf(sources).filter((d) => mayHoldDifferentiable(d.file));
}

/**
 * The callers `build(paths)` compiles besides `sources` (the expanded
 * paths): those inside the build roots of `paths` (`.` when none are
 * given). A whole-project build (`--project` and no paths) has none to add.
 */
export function callersForBuild(
  paths: readonly string[],
  sources: readonly string[],
  project: string | undefined,
  cwd: string,
): Dependent[] {
  if (paths.length === 0 && project !== undefined) return [];
  return callersOf(sources, buildRoots(paths.length > 0 ? paths : ['.'], project, cwd));
}
