/**
 * A ts-morph copy of the editor's program, for the language-service plugin.
 *
 * The compiler runs on ts-morph, which carries its own TypeScript, so it
 * cannot read the editor's syntax trees. The mirror is a ts-morph Project
 * made as the build makes it (`createProject`, from the same tsconfig.json),
 * holding the editor's current text of each of the program's own source
 * files (unsaved edits included), with declaration files and packages read
 * from disk by ts-morph as the build reads them.
 *
 * It is updated incrementally: a file is parsed again only when the
 * editor's version of it changed and its text differs; ts-morph then
 * builds the next TypeScript program from the previous one, reusing every
 * file that did not change. It counts changes per file, so a caller can
 * tell when files other than the one it checks have changed.
 */
import * as fs from 'node:fs';
import type { Project, SourceFile } from 'ts-morph';
import type ts from 'typescript';
import { createProject } from '../pipeline.ts';

/** What the mirror reads from the editor. */
export interface EditorView {
  /** The editor's current program. */
  program: ts.Program;
  /** The editor's version of a file (changes whenever its text does). */
  versionOf(fileName: string): string;
}

export interface MirroredFile {
  sf: SourceFile;
  /** Changes counted in the program's other files; equal values mean none of them changed in between. */
  othersStamp: number;
}

export class EditorMirror {
  private project: Project | null = null;
  private optionsKey = '';
  private readonly versions = new Map<string, string>();
  private readonly ownChanges = new Map<string, number>();
  private changes = 0;

  /** The mirror's copy of `fileName` after bringing every file of `view.program` up to date, or null when the program lacks it. */
  sync(view: EditorView, fileName: string): MirroredFile | null {
    const project = this.projectFor(view.program, fileName);
    const seen = new Set<string>();
    for (const file of view.program.getSourceFiles()) {
      if (!isOwnSourceFile(view.program, file)) continue;
      seen.add(file.fileName);
      const version = view.versionOf(file.fileName);
      if (this.versions.get(file.fileName) === version) continue;
      this.versions.set(file.fileName, version);
      const mine = project.getSourceFile(file.fileName);
      if (mine && mine.getFullText() === file.text) continue;
      project.createSourceFile(file.fileName, file.text, { overwrite: true });
      this.countChange(file.fileName);
    }
    for (const name of [...this.versions.keys()]) {
      if (seen.has(name)) continue;
      // Deleted or no longer part of the program: forget it (the file on disk is left alone).
      const mine = project.getSourceFile(name);
      if (mine) project.removeSourceFile(mine);
      this.versions.delete(name);
      this.countChange(name);
    }
    const sf = seen.has(fileName) ? project.getSourceFile(fileName) : undefined;
    if (!sf) return null;
    return { sf, othersStamp: this.changes - (this.ownChanges.get(fileName) ?? 0) };
  }

  /** The ts-morph project, made again when the editor's compiler options changed (an edited tsconfig.json). */
  private projectFor(program: ts.Program, fileName: string): Project {
    const options = program.getCompilerOptions();
    const key = JSON.stringify(options, (name, value: unknown) => (name === 'configFile' ? undefined : value));
    if (this.project && key === this.optionsKey) return this.project;
    const tsConfigFilePath = typeof options.configFilePath === 'string' ? options.configFilePath : undefined;
    // Without a tsconfig.json of the editor's, the build's own lookup (from the file's folder up) decides.
    const paths = tsConfigFilePath === undefined && fs.existsSync(fileName) ? [fileName] : [];
    this.project = createProject(paths, tsConfigFilePath === undefined ? {} : { tsConfigFilePath });
    this.optionsKey = key;
    this.versions.clear();
    // A new project: every file counts as changed for every other.
    this.changes++;
    return this.project;
  }

  private countChange(fileName: string): void {
    this.changes++;
    this.ownChanges.set(fileName, (this.ownChanges.get(fileName) ?? 0) + 1);
  }
}

/** A file of the user's own: not a declaration file, not from a package. */
function isOwnSourceFile(program: ts.Program, file: ts.SourceFile): boolean {
  if (file.isDeclarationFile || program.isSourceFileFromExternalLibrary(file)) return false;
  return !file.fileName.split('/').includes('node_modules');
}
