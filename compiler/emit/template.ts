/**
 * Source templates with holes, in the spirit of Tangent's `template.py`:
 * generated code is written as TypeScript with `${...}` holes, parsed once
 * per template into a syntax tree, and each instantiation fills the holes
 * with nodes. No generated text is ever re-lexed, so a name or an operand
 * cannot change the meaning of the code around it.
 *
 *   stmts`${dt} = addTensor(${dt}, ${contribution});`
 *   expr`${a} * ${b}`
 *   type`Tensor | null`
 *
 * A hole takes an identifier name (string), a number, an expression, a type
 * node, or (in statement position) a statement or a list of statements.
 * Every other identifier a template mentions in a value or type position
 * must be a JavaScript global (`Math`, `Array`, ...) or a runtime export
 * (`addTensor`, `tape`, `Tensor`, ...): those are marked as runtime
 * references, which is how the module emitter computes imports and renames
 * them when a user name clashes (never by searching text).
 */
import { ts } from 'ts-morph';
import { isRuntimeExport } from './runtime-names.ts';

const f = ts.factory;

export type Hole = string | number | ts.Expression | ts.TypeNode | ts.Statement | readonly ts.Statement[];

/** Identifiers that refer to a runtime export, with the export's name. */
const runtimeRefs = new WeakMap<ts.Identifier, string>();

/** The runtime export `ident` refers to, or undefined for any other identifier. */
export function runtimeRefOf(ident: ts.Identifier): string | undefined {
  return runtimeRefs.get(ident);
}

/** Which shared tape `tape.values`, `tape.control` or `tape.refs` (of the runtime's `tape`) names; null for any other expression. */
export function tapeHandleKind(e: ts.Expression): 'values' | 'control' | 'refs' | null {
  if (!ts.isPropertyAccessExpression(e) || !ts.isIdentifier(e.expression) || runtimeRefOf(e.expression) !== 'tape') return null;
  const kind = e.name.text;
  return kind === 'values' || kind === 'control' || kind === 'refs' ? kind : null;
}

/** Calls of plain functions that have no effect (compiler/frontend/pure-functions.ts), for value-free.ts. */
const pureCalls = new WeakSet<ts.CallExpression>();

/** `call`, marked as a call with no effect. */
export function markPureCall(call: ts.CallExpression): ts.CallExpression {
  pureCalls.add(call);
  return call;
}

export function isPureCall(call: ts.CallExpression): boolean {
  return pureCalls.has(call);
}

/** A reference to the runtime export `name` (imported from 'wengert' by the module emitter). */
export function runtimeRef(name: string): ts.Identifier {
  if (!isRuntimeExport(name)) throw new Error(`internal: ${name} is not a runtime export`);
  const id = f.createIdentifier(name);
  runtimeRefs.set(id, name);
  return id;
}

/** Globals templates and rules may mention without importing them. */
const GLOBALS = new Set([
  'Math', 'Number', 'Array', 'Object', 'Infinity', 'NaN', 'undefined', 'Float64Array', 'Float32Array', 'Int32Array',
  'Uint8Array', 'ArrayLike', 'ReadonlyArray', 'Readonly', 'Record', 'Error', 'RangeError',
]);

const HOLE = /^__hole(\d+)__$/;

interface Parsed {
  statements: readonly ts.Statement[];
}

const cache = new Map<string, Parsed>();

/** Parses template text once; positions are erased so the printer treats every node as synthesized. */
function parse(text: string): Parsed {
  let parsed = cache.get(text);
  if (!parsed) {
    const sf = ts.createSourceFile('template.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const errors = (sf as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics;
    if (errors.length) {
      throw new Error(`internal: template does not parse (${ts.flattenDiagnosticMessageText(errors[0]!.messageText, ' ')}): ${text}`);
    }
    const erase = (n: ts.Node): void => {
      ts.setTextRange(n, { pos: -1, end: -1 });
      ts.forEachChild(n, erase);
    };
    sf.statements.forEach(erase);
    parsed = { statements: sf.statements };
    cache.set(text, parsed);
  }
  return parsed;
}

/** True when `id` sits where a name is declared or selected, not referenced. */
function isNamePosition(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return true;
  if (ts.isQualifiedName(p) && p.right === id) return true;
  if ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) && p.name === id) return true;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return true;
  return false;
}

function isDeclarationName(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return false;
  return (
    ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isBindingElement(p) || ts.isTypeParameterDeclaration(p)) && p.name === id) ||
    false
  );
}

/** A fresh synthesized copy of `node` with the holes filled. */
function instantiate(node: ts.Node, holes: readonly Hole[], where: string, named?: ReadonlyMap<string, ts.Expression>): ts.Node | ts.Node[] {
  const visit = (n: ts.Node): ts.Node | ts.Node[] => {
    // A statement-position hole: `${stmts};`
    if (ts.isExpressionStatement(n) && ts.isIdentifier(n.expression)) {
      const m = HOLE.exec(n.expression.text);
      if (m) {
        const h = holes[Number(m[1])]!;
        if (Array.isArray(h)) return [...(h as ts.Statement[])];
        if (typeof h === 'object' && ts.isStatement(h as ts.Node)) return h as ts.Statement;
      }
    }
    if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && !n.typeArguments) {
      const m = HOLE.exec(n.typeName.text);
      if (m) {
        const h = holes[Number(m[1])]!;
        if (typeof h === 'object' && !Array.isArray(h) && ts.isTypeNode(h as ts.Node)) return h as ts.TypeNode;
        if (typeof h === 'string') return f.createTypeReferenceNode(h);
        throw new Error(`internal: type hole filled with a non-type in ${where}`);
      }
      if (!GLOBALS.has(n.typeName.text)) {
        if (!isRuntimeExport(n.typeName.text)) throw new Error(`internal: template names unknown type ${n.typeName.text}: ${where}`);
        return f.createTypeReferenceNode(runtimeRef(n.typeName.text), n.typeArguments);
      }
    }
    if (ts.isIdentifier(n)) {
      const m = HOLE.exec(n.text);
      if (m) return holeNode(holes[Number(m[1])]!, n, where);
      const namedHole = named && !isNamePosition(n) ? named.get(n.text) : undefined;
      if (namedHole) return namedHole;
      if (isNamePosition(n)) return f.createIdentifier(n.text);
      if (isDeclarationName(n)) throw new Error(`internal: template declares the literal name ${n.text}; take it from the naming authority: ${where}`);
      if (GLOBALS.has(n.text)) return f.createIdentifier(n.text);
      if (!isRuntimeExport(n.text)) throw new Error(`internal: template names unknown identifier ${n.text}: ${where}`);
      return runtimeRef(n.text);
    }
    if (ts.isStringLiteral(n)) return f.createStringLiteral(n.text, true);
    if (ts.isNumericLiteral(n)) return f.createNumericLiteral(n.text);
    if (n.kind === ts.SyntaxKind.TrueKeyword) return f.createTrue();
    if (n.kind === ts.SyntaxKind.FalseKeyword) return f.createFalse();
    return ts.visitEachChild(n, visitOne, nullContext);
  };
  const visitOne = (n: ts.Node): ts.VisitResult<ts.Node> => visit(n);
  return visit(node);
}

function holeNode(h: Hole, at: ts.Identifier, where: string): ts.Node {
  if (typeof h === 'string') return f.createIdentifier(h);
  if (typeof h === 'number') return numberNode(h);
  if (Array.isArray(h)) throw new Error(`internal: statement list in expression position: ${where}`);
  const node = h as ts.Node;
  if (isDeclarationName(at) && !ts.isIdentifier(node)) throw new Error(`internal: a declared name must be an identifier: ${where}`);
  return node;
}

/** A number as an expression: `2`, `-3` (a prefix minus), `Infinity`, `NaN`, `-0`. */
export function numberNode(value: number): ts.Expression {
  if (Number.isNaN(value)) return f.createIdentifier('NaN');
  if (value === Infinity) return f.createIdentifier('Infinity');
  if (value === -Infinity || value < 0 || Object.is(value, -0)) return f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, numberNode(-value));
  return f.createNumericLiteral(String(value));
}

const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

function textOf(strings: TemplateStringsArray | readonly string[]): string {
  let text = strings[0]!;
  for (let i = 1; i < strings.length; i++) text += `__hole${i - 1}__${strings[i]}`;
  return text;
}

/** Statements from a template. */
export function stmts(strings: TemplateStringsArray | readonly string[], ...holes: Hole[]): ts.Statement[] {
  const text = textOf(strings);
  return parse(text).statements.flatMap((s) => instantiate(s, holes, text) as ts.Statement | ts.Statement[]);
}

/** One statement from a template. */
export function stmt(strings: TemplateStringsArray | readonly string[], ...holes: Hole[]): ts.Statement {
  const list = stmts(strings, ...holes);
  if (list.length !== 1) throw new Error(`internal: template holds ${list.length} statements: ${textOf(strings)}`);
  return list[0]!;
}

/** An expression from a template. */
export function expr(strings: TemplateStringsArray | readonly string[], ...holes: Hole[]): ts.Expression {
  const text = textOf(strings);
  const [s] = parse(`(${text});`).statements;
  const e = (s as ts.ExpressionStatement).expression as ts.ParenthesizedExpression;
  return instantiate(e.expression, holes, text) as ts.Expression;
}

/** A type from a template. */
export function type(strings: TemplateStringsArray | readonly string[], ...holes: Hole[]): ts.TypeNode {
  const text = textOf(strings);
  const [s] = parse(`let __typed__: ${text};`).statements;
  const decl = (s as ts.VariableStatement).declarationList.declarations[0]!;
  return instantiate(decl.type!, holes, text) as ts.TypeNode;
}

/**
 * An expression from text whose placeholders are named, for rule templates
 * (compiler/rules): `holes` maps a placeholder identifier to its node.
 * Identifiers that are neither placeholders nor globals are runtime exports.
 */
export function exprWithNamedHoles(text: string, holes: ReadonlyMap<string, ts.Expression>): ts.Expression {
  const [s] = parse(`(${text});`).statements;
  const e = (s as ts.ExpressionStatement).expression as ts.ParenthesizedExpression;
  return instantiate(e.expression, [], text, holes) as ts.Expression;
}

/** A type node from a type's TypeScript spelling (the user's own type text, or the IR type's). */
export function typeFromText(text: string): ts.TypeNode {
  const [s] = parse(`let __typed__: ${text};`).statements;
  const decl = (s as ts.VariableStatement).declarationList.declarations[0]!;
  return copyUserSyntax(decl.type!) as ts.TypeNode;
}

/** An expression from the user's own source text (constant operands such as `[1]`), copied as synthesized nodes. */
export function userExpression(text: string): ts.Expression {
  const [s] = parse(`(${text});`).statements;
  const e = (s as ts.ExpressionStatement).expression as ts.ParenthesizedExpression;
  return copyUserSyntax(e.expression) as ts.Expression;
}

/** Copies user syntax as synthesized nodes; its identifiers stay user references. */
function copyUserSyntax(node: ts.Node): ts.Node {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isIdentifier(n)) return f.createIdentifier(n.text);
    if (ts.isStringLiteral(n)) return f.createStringLiteral(n.text, true);
    if (ts.isNumericLiteral(n)) return f.createNumericLiteral(n.text);
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(node);
}
