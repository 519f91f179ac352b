/**
 * Finds the functions marked differentiable in a source file:
 *   - free functions with a `/** @differentiable *\/` JSDoc tag (read from
 *     the comment text, because tsc skips JSDoc parsing in .ts files),
 *     optionally `@differentiable wrt(a, b)`;
 *   - `export const f = (...) => ...` arrow functions with the same tag;
 *   - class methods with the `@differentiable` decorator, optionally
 *     `@differentiable({ wrt: ['a'] })`.
 * A tag on anything else is reported as an error; a misspelled tag, or one
 * in a comment that is not JSDoc, as a warning (near-miss-tags.ts).
 */
import { Node, SyntaxKind } from 'ts-morph';
import type { ArrowFunction, FunctionDeclaration, MethodDeclaration, SourceFile } from 'ts-morph';
import { diagnosticAt, type Diagnostic } from './diagnostics.ts';
import { commentsAfter, nearMissTagWarnings, type CommentSpan } from './near-miss-tags.ts';

export type DifferentiableNode = FunctionDeclaration | MethodDeclaration | ArrowFunction;

export interface Annotated {
  node: DifferentiableNode;
  /** Name used for the generated exports (`f`, or `Class_method`). */
  name: string;
  /** Parameter names from `wrt(...)`, or null for "every differentiable parameter". */
  wrt: string[] | null;
  /** The node carrying the annotation, for error positions. */
  annotation: Node;
  className: string | null;
}

const TAG = /@differentiable\b(?:\s+wrt\(([^)]*)\))?/;

/** The `@differentiable` tag in the JSDoc comments right before `node`, if any. */
export function readTag(node: Node): { wrt: string[] | null } | null {
  for (const range of node.getLeadingCommentRanges()) {
    const text = range.getText();
    if (!text.startsWith('/**')) continue;
    const m = TAG.exec(text);
    if (m) return { wrt: m[1] !== undefined ? splitNames(m[1]) : null };
  }
  return null;
}

function splitNames(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** User-written derivatives: `/** @derivative vjp(f) *\/` and `/** @derivative jvp(f) *\/`, by the name of f. */
export type CustomDerivatives = Map<string, { vjp?: string; jvp?: string; node: Node }>;

const CUSTOM = /@derivative\s+(vjp|jvp)\((\w+)\)/;

export function readCustom(node: Node): { mode: 'vjp' | 'jvp'; of: string } | null {
  for (const range of node.getLeadingCommentRanges()) {
    const m = CUSTOM.exec(range.getText());
    if (m) return { mode: m[1] as 'vjp' | 'jvp', of: m[2]! };
  }
  return null;
}

export function discover(sf: SourceFile): { found: Annotated[]; diagnostics: Diagnostic[]; custom: CustomDerivatives } {
  const found: Annotated[] = [];
  const diagnostics: Diagnostic[] = [];
  const custom: CustomDerivatives = new Map();
  for (const stmt of sf.getStatements()) {
    const c = readCustom(stmt);
    if (!c) continue;
    const name = Node.isFunctionDeclaration(stmt) ? stmt.getName() : Node.isVariableStatement(stmt) ? stmt.getDeclarations()[0]?.getName() : undefined;
    const exported = Node.isFunctionDeclaration(stmt) || Node.isVariableStatement(stmt) ? stmt.isExported() : false;
    if (!name || !exported) {
      diagnostics.push(diagnosticAt(stmt, `@derivative ${c.mode}(${c.of}) must mark an exported function`, 'export the function so the generated file can call it'));
      continue;
    }
    const entry = custom.get(c.of) ?? { node: stmt };
    entry[c.mode] = name;
    custom.set(c.of, entry);
  }
  for (const stmt of sf.getStatements()) {
    const tag = readTag(stmt);
    if (Node.isFunctionDeclaration(stmt)) {
      if (tag) {
        const name = stmt.getName();
        if (!name) diagnostics.push(diagnosticAt(stmt, '@differentiable function has no name', 'give it a name so its derivatives can be exported'));
        else if (!stmt.hasBody()) continue; // overload signature: the implementation carries the tag too
        else found.push({ node: stmt, name, wrt: tag.wrt, annotation: stmt, className: null });
      }
    } else if (Node.isVariableStatement(stmt)) {
      if (!tag) continue;
      const decls = stmt.getDeclarations();
      const init = decls.length === 1 ? decls[0]!.getInitializer() : undefined;
      if (init && Node.isArrowFunction(init)) {
        found.push({ node: init, name: decls[0]!.getName(), wrt: tag.wrt, annotation: stmt, className: null });
      } else {
        diagnostics.push(notAFunction(stmt));
      }
    } else if (Node.isClassDeclaration(stmt)) {
      if (tag) diagnostics.push(notAFunction(stmt));
      const className = stmt.getName() ?? 'Anonymous';
      for (const member of stmt.getMembers()) {
        const memberTag = readTag(member);
        const decorator = Node.isMethodDeclaration(member) || Node.isPropertyDeclaration(member) || Node.isGetAccessorDeclaration(member) || Node.isSetAccessorDeclaration(member)
          ? member.getDecorators().find((d) => d.getName() === 'differentiable')
          : undefined;
        if (!memberTag && !decorator) continue;
        if (!Node.isMethodDeclaration(member)) {
          diagnostics.push(notAFunction(decorator ?? member));
          continue;
        }
        let wrt = memberTag?.wrt ?? null;
        if (decorator) {
          const parsed = decoratorWrt(decorator);
          if ('error' in parsed) {
            diagnostics.push(parsed.error);
            continue;
          }
          wrt = parsed.wrt;
        }
        const isStatic = member.isStatic();
        found.push({ node: member, name: `${className}_${member.getName()}`, wrt, annotation: decorator ?? member, className: isStatic ? null : className });
      }
    } else if (tag && !Node.isExportDeclaration(stmt) && !Node.isImportDeclaration(stmt)) {
      diagnostics.push(notAFunction(stmt));
    }
  }
  const tail = sf.getStatements().at(-1);
  // Comments after the last statement belong to no declaration.
  const text = sf.getFullText();
  const from = tail ? tail.getEnd() : 0;
  for (const m of text.slice(from).matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    if (TAG.test(m[0])) {
      const { line, column } = sf.getLineAndColumnAtPos(from + m.index!);
      diagnostics.push({ file: sf.getFilePath(), line, column, message: '@differentiable marks nothing', hint: 'put it right before a function declaration' });
    }
  }
  for (const [of, entry] of custom) {
    if (!found.some((f) => f.name === of)) {
      diagnostics.push(diagnosticAt(entry.node, `@derivative names ${of}, which is not a @differentiable function of this file`, `mark ${of} /** @differentiable */ in the same file`));
    }
  }
  diagnostics.push(...nearMissTagWarnings(sf, declarationComments(sf)));
  return { found, diagnostics, custom };
}

/** The comments before each statement and class member, and those after the last statement. */
function declarationComments(sf: SourceFile): CommentSpan[] {
  const spans: CommentSpan[] = [];
  const add = (node: Node) => {
    for (const range of node.getLeadingCommentRanges()) spans.push({ pos: range.getPos(), end: range.getEnd() });
  };
  for (const stmt of sf.getStatements()) {
    add(stmt);
    if (Node.isClassDeclaration(stmt)) stmt.getMembers().forEach(add);
  }
  spans.push(...commentsAfter(sf, sf.getStatements().at(-1)?.getEnd() ?? 0));
  return spans;
}

function notAFunction(node: Node): Diagnostic {
  return diagnosticAt(
    node,
    `@differentiable marks ${withArticle(describe(node))}, not a function`,
    'put @differentiable on a function declaration, an arrow function assigned to a const, or a class method',
  );
}

function describe(node: Node): string {
  if (Node.isClassDeclaration(node)) return 'class';
  if (Node.isVariableStatement(node)) return 'variable';
  if (Node.isGetAccessorDeclaration(node) || Node.isSetAccessorDeclaration(node)) return 'getter or setter';
  if (Node.isPropertyDeclaration(node)) return 'property';
  if (Node.isInterfaceDeclaration(node)) return 'interface';
  if (Node.isTypeAliasDeclaration(node)) return 'type alias';
  if (Node.isEnumDeclaration(node)) return 'enum';
  if (Node.isModuleDeclaration(node)) return 'namespace';
  if (Node.isDecorator(node)) return describe(node.getParentOrThrow());
  return node.getKindName().replace(/Declaration$|Statement$/, '').replace(/[A-Z]/g, (c, i: number) => (i ? ' ' : '') + c.toLowerCase());
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/**
 * The `@differentiable` marking of a class method (the decorator, or the
 * JSDoc tag), with its wrt list; null when the method is not marked. Bad
 * decorator options count as no list here: discover reports them.
 */
export function methodTag(member: MethodDeclaration): { wrt: string[] | null } | null {
  const decorator = member.getDecorators().find((d) => d.getName() === 'differentiable');
  if (!decorator) return readTag(member);
  const parsed = decoratorWrt(decorator);
  return 'error' in parsed ? { wrt: null } : parsed;
}

/** `@differentiable` -> null; `@differentiable({ wrt: ['a', 'b'] })` -> ['a', 'b']. */
function decoratorWrt(decorator: import('ts-morph').Decorator): { wrt: string[] | null } | { error: Diagnostic } {
  if (!decorator.isDecoratorFactory()) return { wrt: null };
  const [arg] = decorator.getArguments();
  if (!arg) return { wrt: null };
  const obj = arg.asKind(SyntaxKind.ObjectLiteralExpression);
  const prop = obj?.getProperty('wrt')?.asKind(SyntaxKind.PropertyAssignment);
  const list = prop?.getInitializer()?.asKind(SyntaxKind.ArrayLiteralExpression);
  if (!obj || (obj.getProperties().length > 0 && !list)) {
    return { error: diagnosticAt(arg, 'cannot read the options of @differentiable', "write @differentiable({ wrt: ['x', 'y'] }) with string literals") };
  }
  if (!list) return { wrt: null };
  const names: string[] = [];
  for (const el of list.getElements()) {
    if (!Node.isStringLiteral(el)) {
      return { error: diagnosticAt(el, 'wrt names must be string literals', "write @differentiable({ wrt: ['x'] })") };
    }
    names.push(el.getLiteralValue());
  }
  return { wrt: names };
}
