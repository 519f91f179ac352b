/**
 * A TypeScript language service over a fixture project in a temporary
 * folder, as an editor runs one: a LanguageServiceHost that reads the
 * project's tsconfig.json and files from disk, holds the editor's unsaved
 * text of edited files, and gives each edit a new script version. The
 * wengert plugin is applied to it as tsserver applies a plugin (`init`,
 * then `create` with the project's service and host).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import init, { type WengertLanguageService } from '../../../compiler/plugin/language-service.ts';

export class FixtureHost implements ts.LanguageServiceHost {
  private readonly overlay = new Map<string, string>();
  private readonly versions = new Map<string, number>();
  readonly parsed: ts.ParsedCommandLine;

  constructor(readonly dir: string) {
    const configPath = path.join(dir, 'tsconfig.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    if (!parsed) throw new Error(`cannot read ${configPath}`);
    this.parsed = parsed;
  }

  /** The editor's buffer of `file` changes to `text` (not saved): a new script version, or a new file. */
  edit(file: string, text: string): void {
    const name = this.resolve(file);
    this.overlay.set(name, text);
    this.versions.set(name, (this.versions.get(name) ?? 0) + 1);
  }

  /** The editor's current text of `file`. */
  text(file: string): string {
    const name = this.resolve(file);
    return this.overlay.get(name) ?? fs.readFileSync(name, 'utf8');
  }

  resolve(file: string): string {
    return path.isAbsolute(file) ? file : path.join(this.dir, file);
  }

  /** The tsconfig's files, and files created in the editor and not saved yet. */
  getScriptFileNames(): string[] {
    return [...new Set([...this.parsed.fileNames, ...this.overlay.keys()])];
  }

  getScriptVersion(fileName: string): string {
    return String(this.versions.get(fileName) ?? 0);
  }

  getScriptSnapshot(fileName: string): ts.IScriptSnapshot | undefined {
    const text = this.overlay.get(fileName) ?? ts.sys.readFile(fileName);
    return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
  }

  getCurrentDirectory(): string {
    return this.dir;
  }

  getCompilationSettings(): ts.CompilerOptions {
    return this.parsed.options;
  }

  getDefaultLibFileName(options: ts.CompilerOptions): string {
    return ts.getDefaultLibFilePath(options);
  }

  fileExists(fileName: string): boolean {
    return this.overlay.has(fileName) || ts.sys.fileExists(fileName);
  }

  readFile(fileName: string): string | undefined {
    return this.overlay.get(fileName) ?? ts.sys.readFile(fileName);
  }

  readDirectory = ts.sys.readDirectory;
  directoryExists = ts.sys.directoryExists;
  getDirectories = ts.sys.getDirectories;
}

/** A language service over the fixture in `dir`, with the plugin applied, and TypeScript's own service beside it. */
export function pluginService(dir: string): { host: FixtureHost; service: WengertLanguageService; plain: ts.LanguageService } {
  const host = new FixtureHost(dir);
  const plain = ts.createLanguageService(host, ts.createDocumentRegistry());
  const plugin = init({ typescript: ts });
  const service = plugin.create({ languageService: plain, languageServiceHost: host }) as WengertLanguageService;
  return { host, service, plain };
}

/** A diagnostic as the editor shows it: 1-based line and column, message and hint lines. */
export interface Shown {
  code: number;
  category: 'error' | 'warning' | 'suggestion' | 'message';
  line: number;
  column: number;
  /** The underlined text. */
  span: string;
  message: string;
  hint: string | undefined;
}

export function shown(d: ts.Diagnostic): Shown {
  const [message, ...rest] = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n');
  const hint = rest.map((l) => l.trim()).find((l) => l.startsWith('hint: '));
  const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start!);
  return {
    code: d.code,
    category: ts.DiagnosticCategory[d.category].toLowerCase() as Shown['category'],
    line: line + 1,
    column: character + 1,
    span: d.file!.text.slice(d.start!, d.start! + d.length!),
    message: message!,
    hint: hint?.slice('hint: '.length),
  };
}

/** The plugin's diagnostics of `file` (source 'wengert'), as shown. */
export function wengertDiagnostics(service: ts.LanguageService, host: FixtureHost, file: string): Shown[] {
  return service
    .getSemanticDiagnostics(host.resolve(file))
    .filter((d) => d.source === 'wengert')
    .map(shown);
}
