/**
 * Remembers each differentiable function's check between two edits, so
 * that after a one-line edit the editor re-checks the function that
 * changed and not the other hundred of a long file.
 *
 * A function's check depends on its own text (tag comment included), on
 * the declarations it can see (the signatures and tags of the functions it
 * calls, the types it uses) and on the other files of the program. The
 * memo key is therefore the function's full text, the file's outline (its
 * text with the bodies of functions that declare their return type left
 * out: such a body changes no type outside it) and the mirror's count of
 * changes in other files. An edit inside a function body that has a return
 * type annotation leaves every other function's key as it was; any other
 * edit outside function bodies changes every key.
 *
 * Messages are stored relative to the start of their function, so a
 * function moved down by an edit above it keeps its results at its new
 * place. A result with a message outside its function's text (none of the
 * compiler's are) is not stored.
 */
import { createHash } from 'node:crypto';
import { Node, ts } from 'ts-morph';
import type { SourceFile } from 'ts-morph';
import type { FunctionCheck } from '../frontend/check.ts';
import type { Diagnostic } from '../frontend/diagnostics.ts';
import type { Annotated } from '../frontend/discover.ts';
import { LineIndex } from '../frontend/line-index.ts';

/** A message without its line and column, at an offset from its function's full start. */
type Stored<D extends Diagnostic> = { diagnostic: Omit<D, 'line' | 'column'>; offset: number };

interface StoredCheck {
  errors: Stored<FunctionCheck['errors'][number]>[];
  warnings: Stored<FunctionCheck['warnings'][number]>[];
}

export interface MemoizedChecks {
  /** One result per function, in the order given. */
  results: FunctionCheck[];
  /** How many of them came from the memo. */
  reused: number;
}

export class FunctionMemo {
  private readonly byFile = new Map<string, Map<string, StoredCheck>>();

  /** The check of each function in `found`, running `check` only for those without a remembered result. */
  checkAll(sf: SourceFile, found: readonly Annotated[], othersStamp: number, check: (a: Annotated) => FunctionCheck): MemoizedChecks {
    const fileName = sf.getFilePath();
    const index = new LineIndex(sf.getFullText());
    const prefix = `${outlineHash(sf)}\0${othersStamp}\0`;
    const previous = this.byFile.get(fileName);
    const next = new Map<string, StoredCheck>();
    const results: FunctionCheck[] = [];
    let reused = 0;
    for (const a of found) {
      const holder = holderOf(a);
      const key = prefix + holder.getFullText();
      const remembered = previous?.get(key) ?? next.get(key);
      if (remembered) {
        results.push(placed(remembered, fileName, holder.getPos(), index));
        next.set(key, remembered);
        reused++;
        continue;
      }
      const result = check(a);
      results.push(result);
      const stored = result.unexpected === undefined ? store(result, fileName, holder, index) : null;
      if (stored) next.set(key, stored);
    }
    this.byFile.set(fileName, next);
    return { results, reused };
  }

  /** Forgets a file's results (it left the program). */
  forget(fileName: string): void {
    this.byFile.delete(fileName);
  }
}

/** The node whose text is the function's: the declaration, or the `const` statement of an arrow function. */
function holderOf(a: Annotated): Node {
  return Node.isArrowFunction(a.node) ? a.annotation : a.node;
}

function store(result: FunctionCheck, fileName: string, holder: Node, index: LineIndex): StoredCheck | null {
  const from = holder.getPos();
  const to = holder.getEnd();
  const relative = <D extends Diagnostic>(d: D): Stored<D> | null => {
    if (d.file !== fileName) return null;
    const offset = index.offsetOf(d.line, d.column) - from;
    if (offset < 0 || from + offset > to) return null;
    const { line: _line, column: _column, ...rest } = d;
    return { diagnostic: rest, offset };
  };
  const errors = result.errors.map(relative);
  const warnings = result.warnings.map(relative);
  if (errors.includes(null) || warnings.includes(null)) return null;
  return { errors: errors as StoredCheck['errors'], warnings: warnings as StoredCheck['warnings'] };
}

function placed(stored: StoredCheck, fileName: string, from: number, index: LineIndex): FunctionCheck {
  const at = <D extends Diagnostic>(s: Stored<D>): D => ({ ...s.diagnostic, file: fileName, ...index.lineAndColumnOf(from + s.offset) }) as D;
  return { errors: stored.errors.map(at), warnings: stored.warnings.map(at) };
}

/** A hash of the file's text less the bodies of top-level functions with a declared return type. */
export function outlineHash(sf: SourceFile): string {
  const text = sf.getFullText();
  const hash = createHash('sha1');
  let from = 0;
  for (const body of omittableBodies(sf.compilerNode)) {
    hash.update(text.slice(from, body.getStart(sf.compilerNode)));
    hash.update('{}');
    from = body.getEnd();
  }
  hash.update(text.slice(from));
  return hash.digest('base64');
}

function omittableBodies(sf: ts.SourceFile): ts.Node[] {
  const bodies: ts.Node[] = [];
  for (const stmt of sf.statements) {
    if (ts.isFunctionDeclaration(stmt) && stmt.type && stmt.body) bodies.push(stmt.body);
    if (!ts.isVariableStatement(stmt)) continue;
    for (const decl of stmt.declarationList.declarations) {
      const init = decl.initializer;
      if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && init.type) bodies.push(init.body);
    }
  }
  return bodies;
}
