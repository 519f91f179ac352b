/**
 * `wengert/language-service`: a TypeScript language-service plugin that
 * shows wengert's messages in the editor while the user types. In
 * tsconfig.json:
 *
 *   "compilerOptions": {
 *     "plugins": [{ "name": "wengert/language-service" }]
 *   }
 *
 * The editor's TypeScript server (tsserver) loads it and calls `create` for
 * each project. The plugin wraps the project's language service:
 * `getSemanticDiagnostics(file)` returns TypeScript's diagnostics followed
 * by wengert's (editor-checker.ts) for the file as the editor holds it,
 * unsaved edits included: the build's errors and warnings, with the
 * build's messages, hints and positions, and the warnings only the editor
 * gives (a differentiated parameter whose gradient is always zero, a
 * function whose result depends on none of its differentiated parameters).
 * Everything else passes through unchanged.
 *
 * tsserver loads a plugin with require(), finds it with the old
 * (node10) module resolution, which ignores package.json "exports", and
 * calls what the module exports as a function. This package is an ES
 * module, so the module tsserver loads is language-service/package.json's
 * main, dist/compiler/plugin/language-service.cjs, a CommonJS file
 * (compiled from language-service.cts) that require()s this one (Node
 * >= 20.19 loads ES modules that way; nothing here uses top-level await)
 * and exports its `init`.
 *
 * A failure inside wengert never takes the editor's diagnostics down: it
 * is logged to the tsserver log and TypeScript's own diagnostics are
 * returned.
 */
import type ts from 'typescript';
import { EditorChecker, type CheckStats } from './editor-checker.ts';
import { toTsDiagnostic } from './editor-diagnostics.ts';

/** What `create` reads from tsserver's `PluginCreateInfo` (kept minimal so tests can make one). */
export interface PluginInfo {
  languageService: ts.LanguageService;
  languageServiceHost: Pick<ts.LanguageServiceHost, 'getScriptVersion'>;
  project?: { projectService?: { logger?: { info(message: string): void } } };
}

/** The plugin module's entry point: tsserver calls it once with its TypeScript. */
export default function init(modules: { typescript: typeof ts }): { create(info: PluginInfo): ts.LanguageService } {
  const tsi = modules.typescript;
  return { create: (info) => decorate(tsi, info) };
}

/** The project's language service with wengert's messages added to its semantic diagnostics. */
function decorate(tsi: typeof ts, info: PluginInfo): ts.LanguageService {
  const service = info.languageService;
  const checker = new EditorChecker();
  const log = (message: string) => info.project?.projectService?.logger?.info(`[wengert] ${message}`);
  const decorated: ts.LanguageService = Object.create(null);
  for (const key of Object.keys(service) as (keyof ts.LanguageService)[]) {
    const member = service[key];
    (decorated as unknown as Record<string, unknown>)[key] = typeof member === 'function' ? member.bind(service) : member;
  }
  decorated.getSemanticDiagnostics = (fileName) => {
    const own = service.getSemanticDiagnostics(fileName);
    try {
      return [...own, ...wengertDiagnostics(tsi, info, checker, log, fileName)];
    } catch (e) {
      log(`could not check ${fileName}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return own;
    }
  };
  (decorated as WengertLanguageService).wengertChecker = checker;
  log('language-service plugin loaded');
  return decorated;
}

/** The decorated service, with the checker exposed for tests (its `lastStats` says how a request went). */
export interface WengertLanguageService extends ts.LanguageService {
  wengertChecker: EditorChecker;
}

type Log = (message: string) => void;

/** Stats already written to the log (a repeated request for an unchanged file reuses its answer and its stats). */
const logged = new WeakSet<CheckStats>();

/** wengert's messages for `fileName`, in the editor's TypeScript. */
function wengertDiagnostics(tsi: typeof ts, info: PluginInfo, checker: EditorChecker, log: Log, fileName: string): ts.Diagnostic[] {
  const service = info.languageService;
  const program = service.getProgram();
  const file = program?.getSourceFile(fileName);
  if (!program || !file) return [];
  const view = { program, versionOf: (name: string) => info.languageServiceHost.getScriptVersion(name) };
  const diagnostics = checker.check(view, file.fileName).map((d) => toTsDiagnostic(tsi, file, d));
  const stats = checker.lastStats;
  if (stats && !logged.has(stats)) {
    logged.add(stats);
    const reused = `${stats.reused} of ${stats.functions} functions unchanged`;
    log(`checked ${stats.fileName} in ${Math.round(stats.ms)} ms (sync ${Math.round(stats.syncMs)} ms, ${reused}): ${diagnostics.length} messages`);
  }
  return diagnostics;
}
