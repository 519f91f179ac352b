/**
 * Build-time constants: module-level `const` numbers, strings, booleans,
 * arrays and objects of them, and `enum` members, read inside a
 * differentiable body. Their values are computed here from the
 * declarations (literals, arithmetic on them, `Math.PI`, other constants,
 * `Object.freeze(...)`, `as const`) and inlined into the generated code, so
 * reading `LEAKY_SLOPE` costs what writing `0.01` costs.
 *
 * Names are resolved through the type checker's symbols, so a parameter or
 * local that shadows a module constant is never mistaken for it. A name
 * imported from another module is followed to its declaration there (the
 * watcher rebuilds importers when such a declaration changes: it is part of
 * the module's interface key, compiler/build/callgraph.ts).
 */
import { Node, SyntaxKind, VariableDeclarationKind } from 'ts-morph';
import type { Expression, Identifier, Symbol as MorphSymbol, VariableDeclaration } from 'ts-morph';

export type ConstValue = number | string | boolean | readonly ConstValue[] | { readonly [field: string]: ConstValue };

/** Why a module-level name is not a build-time constant, said to the user. */
export interface NotConstant {
  reason: string;
  hint: string;
}

const MATH_CONSTANTS: Readonly<Record<string, number>> = {
  PI: Math.PI, E: Math.E, LN2: Math.LN2, LN10: Math.LN10, LOG2E: Math.LOG2E, LOG10E: Math.LOG10E, SQRT2: Math.SQRT2, SQRT1_2: Math.SQRT1_2,
};

const NUMBER_CONSTANTS: Readonly<Record<string, number>> = {
  EPSILON: Number.EPSILON, MAX_VALUE: Number.MAX_VALUE, MIN_VALUE: Number.MIN_VALUE, MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER,
  MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER, POSITIVE_INFINITY: Infinity, NEGATIVE_INFINITY: -Infinity, NaN: NaN,
};

/** Deterministic `Math` functions a constant's initializer may call (`Math.sqrt(2)`). */
const MATH_FUNCTIONS: Readonly<Record<string, (...xs: number[]) => number>> = {
  sqrt: Math.sqrt, cbrt: Math.cbrt, exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, abs: Math.abs,
  sin: Math.sin, cos: Math.cos, tan: Math.tan, atan: Math.atan, atan2: Math.atan2, pow: Math.pow, min: Math.min, max: Math.max,
  floor: Math.floor, ceil: Math.ceil, round: Math.round, trunc: Math.trunc, hypot: Math.hypot, tanh: Math.tanh,
};

const MAX_DEPTH = 32;

/**
 * The value of `e` when it is a build-time constant: a literal, or an
 * expression over module-level constants and enum members. Returns null
 * for anything that depends on a parameter, a local or run-time state.
 */
export function constantValue(e: Expression): ConstValue | null {
  return evaluate(e, 0);
}

/** The value of a number-valued constant expression, or null. */
export function constantNumber(e: Expression): number | null {
  const v = constantValue(e);
  return typeof v === 'number' ? v : null;
}

/**
 * For a name that is neither a parameter nor a local: why it cannot be
 * read as a constant (a module-level `let`, a value computed at run time),
 * or null when it is not a module-level variable at all.
 */
export function whyNotConstant(id: Identifier): NotConstant | null {
  const decl = declarationOf(id.getSymbol());
  if (!decl || !Node.isVariableDeclaration(decl)) return null;
  const found = moduleConstant(decl, 0);
  return found && 'reason' in found ? found : null;
}

/** A constant's value as TypeScript source (numbers, strings, booleans only). */
export function constantText(v: ConstValue): string | null {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  return null;
}

/** True for a flat array of numbers. */
export function isNumberList(v: ConstValue | null): v is readonly number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

function declarationOf(symbol: MorphSymbol | undefined): Node | undefined {
  if (!symbol) return undefined;
  const aliased = symbol.getAliasedSymbol() ?? symbol;
  return aliased.getValueDeclaration() ?? aliased.getDeclarations()[0];
}

function evaluate(e: Node, depth: number): ConstValue | null {
  if (depth > MAX_DEPTH) return null;
  const next = (n: Node) => evaluate(n, depth + 1);
  if (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isSatisfiesExpression(e) || Node.isTypeAssertion(e) || Node.isNonNullExpression(e)) {
    return next(e.getExpression());
  }
  if (Node.isNumericLiteral(e)) return Number(e.getText().replace(/_/g, ''));
  if (Node.isStringLiteral(e) || Node.isNoSubstitutionTemplateLiteral(e)) return e.getLiteralValue();
  if (e.getKind() === SyntaxKind.TrueKeyword) return true;
  if (e.getKind() === SyntaxKind.FalseKeyword) return false;
  if (Node.isIdentifier(e)) return identifierValue(e, depth);
  if (Node.isPrefixUnaryExpression(e)) {
    const v = next(e.getOperand());
    const op = e.getOperatorToken();
    if (op === SyntaxKind.ExclamationToken) return typeof v === 'boolean' ? !v : null;
    if (typeof v !== 'number') return null;
    if (op === SyntaxKind.MinusToken) return -v;
    if (op === SyntaxKind.PlusToken) return v;
    if (op === SyntaxKind.TildeToken) return ~v;
    return null;
  }
  if (Node.isBinaryExpression(e)) return binaryValue(e.getOperatorToken().getText(), next(e.getLeft()), next(e.getRight()));
  if (Node.isConditionalExpression(e)) {
    const test = next(e.getCondition());
    if (typeof test !== 'boolean') return null;
    return next(test ? e.getWhenTrue() : e.getWhenFalse());
  }
  if (Node.isArrayLiteralExpression(e)) {
    const items: ConstValue[] = [];
    for (const el of e.getElements()) {
      if (Node.isSpreadElement(el) || Node.isOmittedExpression(el)) return null;
      const v = next(el);
      if (v === null) return null;
      items.push(v);
    }
    return items;
  }
  if (Node.isObjectLiteralExpression(e)) return objectValue(e, depth);
  if (Node.isPropertyAccessExpression(e)) {
    const obj = e.getExpression();
    const name = e.getName();
    if (Node.isIdentifier(obj) && isGlobal(obj, 'Math') && Object.hasOwn(MATH_CONSTANTS, name)) return MATH_CONSTANTS[name]!;
    if (Node.isIdentifier(obj) && isGlobal(obj, 'Number') && Object.hasOwn(NUMBER_CONSTANTS, name)) return NUMBER_CONSTANTS[name]!;
    const member = enumMemberValue(e);
    if (member !== null) return member;
    return fieldOf(next(obj), name);
  }
  if (Node.isElementAccessExpression(e)) {
    const arg = e.getArgumentExpression();
    if (!arg) return null;
    const key = next(arg);
    if (typeof key !== 'number' && typeof key !== 'string') return null;
    const member = typeof key === 'string' ? enumMemberValue(e) : null;
    if (member !== null) return member;
    return fieldOf(next(e.getExpression()), key);
  }
  if (Node.isCallExpression(e)) return callValue(e, depth);
  return null;
}

function identifierValue(e: Identifier, depth: number): ConstValue | null {
  const text = e.getText();
  if ((text === 'Infinity' || text === 'NaN') && isGlobal(e, text)) return text === 'Infinity' ? Infinity : NaN;
  const decl = declarationOf(e.getSymbol());
  if (!decl) return null;
  if (Node.isEnumMember(decl)) return enumValue(decl);
  if (!Node.isVariableDeclaration(decl)) return null;
  const found = moduleConstant(decl, depth);
  return found && 'value' in found ? found.value : null;
}

/**
 * The value of a module-level variable, or why it is not a constant, or
 * null when `decl` is not at module level (a local is lowered as one).
 */
function moduleConstant(decl: VariableDeclaration, depth: number): { value: ConstValue } | NotConstant | null {
  const statement = decl.getVariableStatement();
  if (!statement || !Node.isSourceFile(statement.getParent())) return null;
  const name = decl.getName();
  if (statement.getDeclarationKind() !== VariableDeclarationKind.Const) {
    return {
      reason: `${name} is a module-level ${statement.getDeclarationKind()}, whose value may change between calls`,
      hint: `declare it const with a literal value (const ${name} = 0.01), or pass it in as a parameter`,
    };
  }
  const init = decl.getInitializer();
  const value = init ? evaluate(init, depth + 1) : null;
  if (value === null) {
    return {
      reason: `${name} is a module-level const whose value is not known at build time`,
      hint: `differentiable functions read module constants made of literals (numbers, strings, booleans, arithmetic on them, arrays and objects of them); pass ${name} in as a parameter`,
    };
  }
  if (typeof value === 'object' && !isImmutable(decl)) {
    return {
      reason: `${name} is a module-level ${Array.isArray(value) ? 'array' : 'object'} that other code may modify`,
      hint: `mark it read-only so wengert can use its values: const ${name} = ${Array.isArray(value) ? '[...]' : '{ ... }'} as const, or a readonly type, or Object.freeze(...); or pass it in as a parameter`,
    };
  }
  return { value };
}

const immutableCache = new WeakMap<VariableDeclaration, boolean>();

/**
 * An array or object constant wengert may inline: marked read-only (`as
 * const`, `Object.freeze`, a `readonly` / `Readonly<>` type), or not
 * exported and only ever read in its own file (no write, no method call,
 * not passed anywhere it could be changed).
 */
function isImmutable(decl: VariableDeclaration): boolean {
  let known = immutableCache.get(decl);
  if (known === undefined) {
    known = isMarkedReadonly(decl) || (!decl.getVariableStatement()?.isExported() && onlyRead(decl));
    immutableCache.set(decl, known);
  }
  return known;
}

function isMarkedReadonly(decl: VariableDeclaration): boolean {
  const typeText = decl.getTypeNode()?.getText() ?? '';
  if (/^(readonly\b|ReadonlyArray<|Readonly<)/.test(typeText)) return true;
  let init: Node | undefined = decl.getInitializer();
  while (init && (Node.isParenthesizedExpression(init) || Node.isSatisfiesExpression(init))) init = init.getExpression();
  if (init && Node.isAsExpression(init) && init.getTypeNode()?.getText() === 'const') return true;
  if (init && Node.isCallExpression(init) && init.getExpression().getText() === 'Object.freeze') return true;
  return false;
}

/** Every use of `decl`'s name in its file reads a number, string, boolean or length out of it, or iterates it with for...of. */
function onlyRead(decl: VariableDeclaration): boolean {
  const nameNode = decl.getNameNode();
  if (!Node.isIdentifier(nameNode)) return false;
  const symbol = nameNode.getSymbol();
  for (const use of decl.getSourceFile().getDescendantsOfKind(SyntaxKind.Identifier)) {
    if (use === nameNode || use.getText() !== nameNode.getText() || use.getSymbol() !== symbol) continue;
    let top: Node = use;
    for (;;) {
      const parent = top.getParent();
      if (!parent) break;
      const isObjectOf = (Node.isPropertyAccessExpression(parent) || Node.isElementAccessExpression(parent)) && parent.getExpression() === top;
      if (!isObjectOf && !Node.isParenthesizedExpression(parent) && !Node.isNonNullExpression(parent)) break;
      top = parent;
    }
    const parent = top.getParent();
    if (parent && Node.isForOfStatement(parent) && parent.getExpression() === top) continue;
    if (parent && Node.isExportSpecifier(parent)) return false;
    if (parent && (Node.isBinaryExpression(parent) && parent.getLeft() === top && parent.getOperatorToken().getText().endsWith('=') && !['==', '===', '!=', '!==', '<=', '>='].includes(parent.getOperatorToken().getText()))) return false;
    if (parent && (Node.isPrefixUnaryExpression(parent) || Node.isPostfixUnaryExpression(parent))) {
      const op = parent.getOperatorToken();
      if (op === SyntaxKind.PlusPlusToken || op === SyntaxKind.MinusMinusToken) return false;
    }
    const type = top.getType();
    if (!(type.isNumber() || type.isNumberLiteral() || type.isString() || type.isStringLiteral() || type.isBoolean() || type.isBooleanLiteral() || type.isUnion())) return false;
    if (type.isUnion() && !type.getUnionTypes().every((t) => t.isNumber() || t.isNumberLiteral() || t.isUndefined() || t.isString() || t.isStringLiteral() || t.isBooleanLiteral())) return false;
  }
  return true;
}

/** `Mode.Fast` or `Mode['Fast']` when `Mode` is an enum. */
function enumMemberValue(e: Node): ConstValue | null {
  const decl = declarationOf(e.getSymbol());
  return decl && Node.isEnumMember(decl) ? enumValue(decl) : null;
}

function enumValue(member: import('ts-morph').EnumMember): ConstValue | null {
  const v = member.getValue();
  return typeof v === 'number' || typeof v === 'string' ? v : null;
}

function objectValue(e: import('ts-morph').ObjectLiteralExpression, depth: number): ConstValue | null {
  const fields: Record<string, ConstValue> = {};
  for (const p of e.getProperties()) {
    let key: string;
    let value: ConstValue | null;
    if (Node.isPropertyAssignment(p)) {
      const nameNode = p.getNameNode();
      if (Node.isComputedPropertyName(nameNode)) return null;
      key = Node.isStringLiteral(nameNode) || Node.isNumericLiteral(nameNode) ? String(nameNode.getLiteralValue()) : nameNode.getText();
      const init = p.getInitializer();
      value = init ? evaluate(init, depth + 1) : null;
    } else if (Node.isShorthandPropertyAssignment(p)) {
      key = p.getName();
      value = evaluate(p.getNameNode(), depth + 1);
    } else {
      return null;
    }
    if (value === null) return null;
    Object.defineProperty(fields, key, { value, enumerable: true, writable: false });
  }
  return fields;
}

function fieldOf(v: ConstValue | null, key: string | number): ConstValue | null {
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    if (key === 'length') return v.length;
    return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < v.length ? (v[key] as ConstValue) : null;
  }
  const record = v as { readonly [field: string]: ConstValue };
  return Object.hasOwn(record, String(key)) ? record[String(key)]! : null;
}

function binaryValue(op: string, a: ConstValue | null, b: ConstValue | null): ConstValue | null {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': return a / b;
      case '%': return a % b;
      case '**': return a ** b;
      case '<': return a < b;
      case '<=': return a <= b;
      case '>': return a > b;
      case '>=': return a >= b;
      case '|': return a | b;
      case '&': return a & b;
      case '^': return a ^ b;
      case '<<': return a << b;
      case '>>': return a >> b;
      case '>>>': return a >>> b;
    }
  }
  if (typeof a === 'string' && typeof b === 'string' && op === '+') return a + b;
  if (typeof a === 'boolean' && typeof b === 'boolean' && (op === '&&' || op === '||')) return op === '&&' ? a && b : a || b;
  const primitive = (x: ConstValue | null) => typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean';
  if (primitive(a) && primitive(b)) {
    if (op === '===') return a === b;
    if (op === '!==') return a !== b;
  }
  return null;
}

/** `Math.sqrt(2)`, `Object.freeze([...])`. */
function callValue(e: import('ts-morph').CallExpression, depth: number): ConstValue | null {
  const callee = e.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return null;
  const obj = callee.getExpression();
  const name = callee.getName();
  const args = e.getArguments();
  if (Node.isIdentifier(obj) && isGlobal(obj, 'Object') && name === 'freeze' && args.length === 1) return evaluate(args[0]!, depth + 1);
  if (Node.isIdentifier(obj) && isGlobal(obj, 'Math') && Object.hasOwn(MATH_FUNCTIONS, name)) {
    const values = args.map((a) => evaluate(a, depth + 1));
    if (!values.every((v): v is number => typeof v === 'number')) return null;
    return MATH_FUNCTIONS[name]!(...values);
  }
  return null;
}

/** True when `id` names the global `name` (no user declaration shadows it). */
function isGlobal(id: Identifier, name: string): boolean {
  if (id.getText() !== name) return false;
  const decl = declarationOf(id.getSymbol());
  return !decl || decl.getSourceFile().isDeclarationFile();
}
