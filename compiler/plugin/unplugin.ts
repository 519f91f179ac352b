/**
 * The wengert bundler plugin, written once on unplugin so that the same
 * code serves Vite, esbuild, Rollup and webpack (the thin entries beside
 * this file: vite.ts, esbuild.ts, rollup.ts, webpack.ts).
 *
 * Importing `./model.grad` (or `./model.grad.ts`, `./model.grad.js`,
 * `./model.grad.mts`) from any module resolves to the generated file of
 * `./model.ts`; loading it runs the compiler on the current text of
 * `model.ts` and serves the result, so the bundle always holds derivatives
 * of the source as it is now, whether or not `wengert build` ran.
 *
 * The generated file is also written beside its source (as `wengert build`
 * writes it: the same safe writer, the same source map, a hand-written file
 * is never replaced), so editors, `tsc` and a debugger see the code that
 * runs; `write: false` serves it from memory only. `./model.grad.ts?raw`
 * gives the same text as a string (the playground's code panel).
 *
 * Watch mode and hot reload: loading registers `model.ts` and the local
 * files it imports as watched files, so Rollup, webpack and esbuild
 * rebuild the generated module when one changes. Under Vite, a change to
 * one of them compiles again at once: on success the generated modules are
 * invalidated and reloaded with the changed source; on errors the page
 * keeps running and Vite's error overlay shows the first error at its
 * `file:line:col`. A build error is reported through the bundler's own
 * error channel with its location (`loc`, or esbuild's `location`).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createUnplugin, type UnpluginFactory, type UnpluginMessage } from 'unplugin';
import type { HmrContext, ModuleNode, Plugin as VitePlugin } from 'vite';
import { relativeSpecifiers } from '../build/callgraph.ts';
import { formatBuildMessage, type BuildMessage } from '../build/messages.ts';
import { writeOutputs } from '../build/write-outputs.ts';
import { gradPathFor } from '../emit/header.ts';
import { CompileError, isError } from '../frontend/diagnostics.ts';
import { compileFiles, type CompileResult, type GeneratedFile } from '../pipeline.ts';

export interface WengertPluginOptions {
  /** tsconfig.json to resolve types with; by default each source's nearest tsconfig.json. */
  project?: string;
  /** Write each generated file (and its source map) beside its source, as `wengert build` does; default true. */
  write?: boolean;
}

/** A generated-file specifier or id: `model.grad`, `model.grad.ts`, `model.grad.js`, `model.grad.mts`, `model.grad.mjs`, with an optional `?query`. */
const GRAD_ID = /\.grad(?:\.m?[jt]s)?(?:\?.*)?$/;

/** What compiling one source gave. */
type Outcome =
  | { kind: 'ok'; file: GeneratedFile; warnings: BuildMessage[] }
  | { kind: 'errors'; errors: BuildMessage[]; warnings: BuildMessage[] };

interface CacheEntry {
  /** Hash of the texts of the source and the local files it imports. */
  key: string;
  /** Those files, absolute (the source first). */
  files: string[];
  outcome: Outcome;
}

/** The id of a module without its `?query`, and the query. */
function splitQuery(id: string): { file: string; query: string } {
  const at = id.indexOf('?');
  return at < 0 ? { file: id, query: '' } : { file: id.slice(0, at), query: id.slice(at + 1) };
}

/**
 * `/src/model.grad.ts` (or `.grad`, `.grad.js`) -> `/src/model.ts` when that source exists; `.grad.mts` / `.grad.mjs` -> `model.mts`.
 * Files inside node_modules are left alone: a package ships its derivatives built.
 */
export function sourceOfGenerated(file: string): string | undefined {
  const match = /^(.*)\.grad(?:\.(m?)[jt]s)?$/.exec(file);
  if (!match || /[\\/]node_modules[\\/]/.test(file)) return undefined;
  const stem = match[1]!;
  const candidates = match[2] === 'm' ? [`${stem}.mts`] : [`${stem}.ts`, `${stem}.tsx`];
  return candidates.find((candidate) => fs.existsSync(candidate));
}

/** The local source file a relative specifier written in `fromFile` names, as TypeScript resolves it. */
function resolveLocal(specifier: string, fromFile: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.(m?)js$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => /\.m?tsx?$/.test(candidate) && fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}

/** The source and every local file it imports, directly or through others (generated files left out), with their texts. */
function localClosure(source: string): Map<string, string> {
  const texts = new Map<string, string>();
  const queue = [source];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (texts.has(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    texts.set(file, text);
    for (const specifier of relativeSpecifiers(text)) {
      if (GRAD_ID.test(specifier)) continue;
      const resolved = resolveLocal(specifier, file);
      if (resolved !== undefined && !texts.has(resolved)) queue.push(resolved);
    }
  }
  return texts;
}

/** The compiled sources of one plugin instance, recompiled only when a file they read has changed. */
class GeneratedModules {
  private readonly cache = new Map<string, CacheEntry>();
  /** The text last written (or found unchanged) at each generated path. */
  private readonly written = new Map<string, string>();

  constructor(private readonly options: WengertPluginOptions) {}

  /** The compiled generated file of `source`, from the cache when neither it nor a file it imports changed. */
  compile(source: string): CacheEntry {
    const texts = localClosure(source);
    const hash = createHash('sha1');
    for (const [file, text] of texts) hash.update(file).update('\0').update(text).update('\0');
    const key = hash.digest('hex');
    const cached = this.cache.get(source);
    if (cached?.key === key) return cached;
    const entry: CacheEntry = { key, files: [...texts.keys()], outcome: this.run(source) };
    this.cache.set(source, entry);
    return entry;
  }

  /** The tracked sources that read `file` (it is the source or one of its local imports). */
  sourcesReading(file: string): string[] {
    const absolute = path.resolve(file);
    return [...this.cache.entries()].filter(([, entry]) => entry.files.includes(absolute)).map(([source]) => source);
  }

  /** True when `file` is a generated file this plugin wrote and its bytes on disk are what it wrote. */
  isOwnUnchangedOutput(file: string): boolean {
    const written = this.written.get(path.resolve(file));
    if (written === undefined) return false;
    try {
      return fs.readFileSync(file, 'utf8') === written;
    } catch {
      return false;
    }
  }

  private run(source: string): Outcome {
    let result: CompileResult;
    try {
      result = compileFiles([source], { typecheck: true, ...(this.options.project === undefined ? {} : { tsConfigFilePath: this.options.project }) });
    } catch (error) {
      // A tsconfig TypeScript cannot read, or a compiler crash: reported like the build reports it.
      const diagnostic = error instanceof CompileError ? error.diagnostic : { file: source, message: `internal compiler error: ${(error as Error).message}`, hint: 'please report this with the file that caused it' };
      return { kind: 'errors', errors: [diagnostic], warnings: [] };
    }
    const warnings = result.diagnostics.filter((d) => !isError(d));
    const errors: BuildMessage[] = result.diagnostics.filter(isError);
    const file = result.files[0];
    if (errors.length === 0 && this.options.write !== false) {
      const report = writeOutputs([source], result);
      errors.push(...report.problems.filter(isError));
      for (const written of [...report.written, ...report.unchanged]) this.written.set(written, fs.readFileSync(written, 'utf8'));
    }
    if (errors.length === 0 && file === undefined) {
      errors.push({
        file: source,
        message: `${path.basename(source)} has no @differentiable function, so there is no ${path.basename(gradPathFor(source))} to import`,
        hint: 'mark a function /** @differentiable */, or import the module itself instead of its .grad file',
      });
    }
    if (errors.length > 0 || file === undefined) return { kind: 'errors', errors, warnings };
    return { kind: 'ok', file, warnings };
  }
}

/** Which column convention the host prints: Vite's overlay shows `loc` as given (wengert's 1-based columns); the bundlers count from 0. */
type ColumnBase = 0 | 1;

/** The first error as the bundler's located message; the others follow in the text as `file:line:col: error: ...` lines. */
export function locatedMessage(errors: readonly BuildMessage[], columnBase: ColumnBase): UnpluginMessage & { frame?: string } {
  const [first, ...rest] = errors;
  if (!first) throw new Error('internal: locatedMessage needs an error');
  const lines = [first.message, ...(first.hint ? [`  hint: ${first.hint}`] : []), ...rest.map((m) => formatBuildMessage(m))];
  const message: UnpluginMessage & { frame?: string } = { message: lines.join('\n'), id: path.resolve(first.file), plugin: 'wengert' };
  if (first.line !== undefined && first.column !== undefined) {
    message.loc = { file: path.resolve(first.file), line: first.line, column: first.column - 1 + columnBase };
    message.frame = codeFrame(path.resolve(first.file), first.line, first.column);
  }
  return message;
}

/** Two lines of context above `line` of `file`, the line itself and a caret under 1-based `column`. */
function codeFrame(file: string, line: number, column: number): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - 2);
  const width = String(line + 1).length;
  const shown: string[] = [];
  for (let n = first; n <= Math.min(lines.length, line + 1); n++) {
    shown.push(`${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) shown.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return shown.join('\n');
}

/** The JavaScript module `export default "<text>"` for `?raw` imports. */
function rawModule(text: string): string {
  return `export default ${JSON.stringify(text)};\n`;
}

/** The generated file's source map as an object, with the source's text embedded (bundlers compose it into their own maps). */
function sourceMapOf(file: GeneratedFile): object | undefined {
  if (file.map === undefined) return undefined;
  const map = JSON.parse(file.map) as { sourcesContent?: string[] };
  map.sourcesContent = [fs.readFileSync(file.sourcePath, 'utf8')];
  return map;
}

/** Vite's hot update: recompile the generated files that read the changed file, then reload them or show the error overlay. */
function viteHotUpdate(modules: GeneratedModules): VitePlugin['handleHotUpdate'] {
  return (ctx: HmrContext): ModuleNode[] | undefined => {
    const sources = modules.sourcesReading(ctx.file);
    if (sources.length === 0) {
      // The write of a generated file that is already served (the change event that follows our own write).
      return modules.isOwnUnchangedOutput(ctx.file) ? [] : undefined;
    }
    const graph = ctx.server.moduleGraph;
    const affected: ModuleNode[] = [];
    for (const source of sources) {
      const { outcome } = modules.compile(source);
      if (outcome.kind === 'errors') {
        const message = locatedMessage(outcome.errors, 1);
        ctx.server.config.logger.error(outcome.errors.map((error) => `[wengert] ${formatBuildMessage(error)}`).join('\n'));
        ctx.server.ws.send({ type: 'error', err: { message: message.message, stack: '', id: message.id, frame: message.frame, plugin: 'wengert', loc: message.loc } });
        return [];
      }
      for (const mod of graph.getModulesByFile(gradPathFor(source)) ?? []) {
        graph.invalidateModule(mod);
        affected.push(mod);
      }
    }
    return [...ctx.modules, ...affected];
  };
}

export const unpluginFactory: UnpluginFactory<WengertPluginOptions | undefined, false> = (options = {}, meta) => {
  const modules = new GeneratedModules(options);
  const columnBase: ColumnBase = meta.framework === 'vite' ? 1 : 0;
  return {
    name: 'wengert',
    enforce: 'pre',

    resolveId: {
      filter: { id: GRAD_ID },
      handler(id, importer) {
        if (!GRAD_ID.test(id)) return null;
        const { file, query } = splitQuery(id);
        let absolute: string;
        if (path.isAbsolute(file) && fs.existsSync(path.dirname(file))) absolute = file;
        else if (file.startsWith('.') && importer !== undefined) absolute = path.resolve(path.dirname(splitQuery(importer).file), file);
        else return null;
        const source = sourceOfGenerated(absolute);
        if (source === undefined) return null;
        const generated = gradPathFor(source);
        // Tools that read the resolved file from disk themselves (Vite's dependency scan) find it there; load reports errors.
        if (options.write !== false && !fs.existsSync(generated)) modules.compile(source);
        return generated + (query ? `?${query}` : '');
      },
    },

    loadInclude(id) {
      return GRAD_ID.test(id);
    },

    load(id) {
      const { file, query } = splitQuery(id);
      if (query !== '' && query !== 'raw') return null;
      const source = sourceOfGenerated(file);
      if (source === undefined || path.resolve(gradPathFor(source)) !== path.resolve(file)) return null;
      const entry = modules.compile(source);
      for (const watched of entry.files) this.addWatchFile(watched);
      for (const warning of entry.outcome.warnings) this.warn(formatBuildMessage(warning));
      if (entry.outcome.kind === 'errors') {
        // Rollup and Vite throw here; esbuild and webpack collect the error and fail the build with it.
        this.error(locatedMessage(entry.outcome.errors, columnBase));
        return '';
      }
      const generated = entry.outcome.file;
      if (query === 'raw') return rawModule(generated.text);
      return { code: generated.text, map: sourceMapOf(generated) as never };
    },

    esbuild: {
      onResolveFilter: GRAD_ID,
      onLoadFilter: GRAD_ID,
      loader: (_code, id) => (GRAD_ID.test(id) && splitQuery(id).query === 'raw' ? 'js' : 'ts'),
    },

    vite: {
      handleHotUpdate: viteHotUpdate(modules),
    },
  };
};

/** The plugin for every bundler unplugin supports: `wengertPlugin.vite()`, `.esbuild()`, `.rollup()`, `.webpack()`, ... */
export const wengertPlugin = createUnplugin(unpluginFactory);
