/**
 * Loop-invariant element reads hoisted out of loops in generated functions.
 * GMM's triangular loop reads `xc[c]` on every trip, in both sweeps:
 *
 *   while (r_4 < d) { ...; const t27 = icf[li]; const t28 = xc[c]; ...; qxc[r_4] = t30; ... }
 *
 * and V8 does not hoist the load itself, because the loop stores into other
 * Float64Arrays it cannot prove distinct from `xc`. Here the read moves
 * before the loop, as a hand-written loop would have it:
 *
 *   const t28 = xc[c];
 *   while (r_4 < d) { ...; const t27 = icf[li]; ...; qxc[r_4] = t30; ... }
 *
 * A read `a[i]` (a an identifier, i an identifier or number literal) leaves
 * loop L only when it has the same value on every trip and reading it early
 * has no effect:
 *   - L (its header included) neither assigns nor declares `a` or `i`;
 *   - `a` is known to be an array of numbers whose reads cannot throw or
 *     run code: a parameter typed as a typed array or `number[]` that the
 *     function never assigns, or a fresh array (a `const` holding
 *     `new Float64Array(n)` of a length, not a buffer, `zerosLike(p)` of
 *     such a parameter, or `new Array(n).fill(0)`); an index out of range
 *     reads undefined, which the loop then never uses;
 *   - every element store in L (`b[j] = ...`, `b[j] += ...`, `b[j]++`) goes
 *     to an identifier `b` that cannot be `a`: a different fresh array (two
 *     allocations are two objects), or a parameter when `a` is fresh (it was
 *     allocated after the call began), or anything when `a` is private (a
 *     fresh array that every mention in the function indexes or asks its
 *     length, so no other name reaches it). Two parameters may be the same
 *     array, so a store into one keeps the reads of the other in place;
 *   - L stores nothing else (no property or nested-element stores, no
 *     destructuring), calls nothing but `Math.*`, `Number.*` and the tapes'
 *     push and pop, makes no object (`new`), reads no property but `length`
 *     and those (nor `o['name']`), runs no iterator (`for...of`, spreads) or template, and
 *     holds no function, no `return` and no label.
 * Names are compared by text, so every name the rules rely on must be
 * declared once in the function (no other binding of it hides it anywhere).
 *
 * The hoisted read goes right before L, named after the loop's own
 * `const t = a[i]` when the loop declares one that is declared nowhere else
 * in the function (that declaration is dropped and every read of `a[i]` in
 * L becomes `t`), and `a_i` otherwise. Inner loops are rewritten first, so a
 * read hoisted out of an inner loop can leave the loops around it too. The
 * hoisted const is used only by L: nothing after L mentions its name.
 */
import { ts } from 'ts-morph';
import { freshName, identifiersOf, nullContext } from '../transforms/lanes.ts';
import { assignedNames, bindingNames, forHeaderScope, isAssignment, isIncrement, isLoop, skipParens, type Loop, type Scope } from './loop-scopes.ts';
import { withLeadingComments } from './printer.ts';
import { runtimeRefOf, tapeHandleKind } from './template.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/** Hoists invariant reads out of the loops of every function declaration in `statements`. */
export function hoistInvariantReads(statements: readonly ts.Statement[]): ts.Statement[] {
  return statements.map((s) => (ts.isFunctionDeclaration(s) && s.body ? hoistInFunction(s) : s));
}

const TYPED_ARRAYS: ReadonlySet<string> = new Set(['Float64Array', 'Float32Array', 'Int32Array', 'Int16Array', 'Int8Array', 'Uint32Array', 'Uint16Array', 'Uint8Array', 'Uint8ClampedArray']);

/** What the rules know about the names of one function. */
interface Facts {
  /** How many times each name is declared in the function (parameters, variables, functions, catch bindings). */
  declarations: Map<string, number>;
  /** Array parameters (typed arrays, number[]) the function never assigns. */
  params: Set<string>;
  /** `const` locals holding an array allocated in the function. */
  fresh: Set<string>;
  /** Fresh arrays every mention of which indexes them or reads their length. */
  private: Set<string>;
  /** Local handles on the shared tapes (`const valueTape = tape.values`). */
  tapes: Set<string>;
  taken: Set<string>;
}

function hoistInFunction(fn: ts.FunctionDeclaration): ts.FunctionDeclaration {
  const facts = factsOf(fn);
  if (facts.params.size === 0 && facts.fresh.size === 0) return fn;
  const before = fn.body!.statements;
  const params = new Set<string>();
  for (const p of fn.parameters) bindingNames(p.name, params);
  const after = list(before, facts, params);
  if (after.length === before.length && after.every((s, i) => s === before[i])) return fn;
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, f.updateBlock(fn.body!, after));
}

function factsOf(fn: ts.FunctionDeclaration): Facts {
  const declarations = new Map<string, number>();
  const declare = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) declarations.set(name.text, (declarations.get(name.text) ?? 0) + 1);
    else for (const e of name.elements) if (!ts.isOmittedExpression(e)) declare(e.name);
  };
  const assigned = new Set<string>();
  const consts = new Map<string, ts.Expression>();
  const tapes = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isParameter(n) || ts.isBindingElement(n)) {
      if (ts.isIdentifier(n.name)) declare(n.name);
    } else if (ts.isVariableDeclaration(n)) {
      declare(n.name);
    } else if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassExpression(n)) && n.name && n !== fn) {
      declare(n.name);
    } else if (ts.isVariableDeclarationList(n) && (n.flags & ts.NodeFlags.Const) !== 0) {
      for (const d of n.declarations) {
        if (!ts.isIdentifier(d.name) || !d.initializer) continue;
        consts.set(d.name.text, d.initializer);
        if (tapeHandleKind(d.initializer) !== null) tapes.add(d.name.text);
      }
    }
    if (isAssignment(n)) assignedNames(n.left, assigned);
    if (isIncrement(n)) assignedNames(n.operand, assigned);
    ts.forEachChild(n, visit);
  };
  for (const p of fn.parameters) declare(p.name);
  ts.forEachChild(fn.body!, visit);
  const once = (name: string) => declarations.get(name) === 1 && !assigned.has(name);
  const params = new Set<string>();
  const numberParams = new Set<string>();
  for (const p of fn.parameters) {
    if (!ts.isIdentifier(p.name) || !once(p.name.text) || p.dotDotDotToken || p.questionToken) continue;
    if (isNumberArrayType(p.type)) params.add(p.name.text);
    else if (p.type?.kind === K.NumberKeyword) numberParams.add(p.name.text);
  }
  const primitive = (e: ts.Expression, depth = 0): boolean => {
    e = skipParens(e);
    if (ts.isNumericLiteral(e)) return true;
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'length' && ts.isIdentifier(e.expression)) return true;
    if (ts.isBinaryExpression(e)) return [K.AsteriskToken, K.PlusToken, K.MinusToken, K.SlashToken, K.PercentToken].includes(e.operatorToken.kind);
    if (ts.isIdentifier(e)) {
      if (numberParams.has(e.text)) return true;
      const init = depth < 8 && once(e.text) ? consts.get(e.text) : undefined;
      return init !== undefined && primitive(init, depth + 1);
    }
    return false;
  };
  const fresh = new Set<string>();
  for (const [name, init] of consts) {
    if (once(name) && isAllocation(init, params, primitive)) fresh.add(name);
  }
  const priv = new Set([...fresh].filter((a) => onlyIndexed(fn.body!, a)));
  return { declarations, params, fresh, private: priv, tapes, taken: identifiersOf(fn) };
}

/** A typed array type or an array of numbers (`number[]`, `readonly number[]`, `Array<number>`, `ReadonlyArray<number>`). */
function isNumberArrayType(t: ts.TypeNode | undefined): boolean {
  if (!t) return false;
  if (ts.isTypeOperatorNode(t) && t.operator === K.ReadonlyKeyword) return isNumberArrayType(t.type);
  if (ts.isArrayTypeNode(t)) return t.elementType.kind === K.NumberKeyword;
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
    const name = t.typeName.text;
    if (TYPED_ARRAYS.has(name)) return true;
    return (name === 'Array' || name === 'ReadonlyArray') && t.typeArguments?.length === 1 && t.typeArguments[0]!.kind === K.NumberKeyword;
  }
  return false;
}

/**
 * An expression that makes a new array of numbers: `new Float64Array(n)` (and the other typed
 * arrays) of a length or a copy of a known array, but not of a buffer, which would be a view of
 * another array's memory; `zerosLike(p)` of an array parameter; `new Array(n).fill(0)`.
 */
function isAllocation(e: ts.Expression, params: ReadonlySet<string>, primitive: (e: ts.Expression) => boolean): boolean {
  e = skipParens(e);
  if (ts.isAsExpression(e)) return isAllocation(e.expression, params, primitive);
  if (ts.isNewExpression(e)) {
    if (!ts.isIdentifier(e.expression) || !TYPED_ARRAYS.has(e.expression.text) || e.arguments?.length !== 1) return false;
    const arg = skipParens(e.arguments[0]!);
    return primitive(arg) || (ts.isIdentifier(arg) && params.has(arg.text));
  }
  if (!ts.isCallExpression(e)) return false;
  if (ts.isIdentifier(e.expression) && runtimeRefOf(e.expression) === 'zerosLike') {
    const [arg] = e.arguments;
    return e.arguments.length === 1 && ts.isIdentifier(arg) && params.has(arg.text);
  }
  // new Array<number>(n).fill(0)
  const callee = e.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'fill' || e.arguments.length !== 1 || !ts.isNumericLiteral(skipParens(e.arguments[0]!))) return false;
  const made = skipParens(callee.expression);
  return ts.isNewExpression(made) && ts.isIdentifier(made.expression) && made.expression.text === 'Array' && made.arguments?.length === 1 && primitive(made.arguments[0]!);
}

/** Is every mention of `name` in `body` the array of an element access or of `.length` (or its declaration)? */
function onlyIndexed(body: ts.Block, name: string): boolean {
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isElementAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === name) return visit(n.argumentExpression);
    if (ts.isPropertyAccessExpression(n)) {
      if (ts.isIdentifier(n.expression) && n.expression.text === name && n.name.text === 'length') return;
      return visit(n.expression);
    }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name) return n.initializer && visit(n.initializer);
    if (ts.isPropertyAssignment(n)) {
      if (ts.isComputedPropertyName(n.name)) visit(n.name.expression);
      return visit(n.initializer);
    }
    if (ts.isTypeNode(n)) return;
    if (ts.isIdentifier(n) && n.text === name) ok = false;
    ts.forEachChild(n, visit);
  };
  visit(body);
  return ok;
}

// A read is hoisted only when its array and index are in scope (loop-scopes.ts), so the facts about a
// name are about the binding the loop reads.

function list(statements: readonly ts.Statement[], facts: Facts, scope: Scope): ts.Statement[] {
  const local = new Set(scope);
  const out: ts.Statement[] = [];
  const free = new Map<ts.Statement, Set<string>>();
  const freeIn = (o: ts.Statement, name: string): boolean => {
    if (!free.has(o)) free.set(o, freeNames(o));
    return free.get(o)!.has(name);
  };
  statements.forEach((s, at) => {
    // A hoisted read may keep its name only where no other statement of the list (as rewritten so far) reads another binding of it.
    const outside = (name: string): boolean => out.some((o) => freeIn(o, name)) || statements.slice(at + 1).some((o) => freeIn(o, name));
    const produced = statement(s, facts, local, outside);
    out.push(...produced);
    for (const p of produced) if (ts.isVariableStatement(p)) for (const d of p.declarationList.declarations) bindingNames(d.name, local);
  });
  return out;
}

/**
 * The names `s` mentions outside any declaration of them inside it: `t` in `use(t)`, but not in
 * `{ const t = 1; use(t); }`. Block-scoped declarations (let, const, class, function), `for`
 * headers, catch bindings and parameters bind; `var` does not (its mentions stay free, which
 * only keeps more names from being reused). Property names count as mentions.
 */
function freeNames(s: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node, bound: ReadonlySet<string>): void => {
    if (ts.isIdentifier(n)) {
      if (!bound.has(n.text)) out.add(n.text);
      return;
    }
    let inner = bound;
    const bind = (names: Set<string>) => {
      if (names.size) inner = new Set([...bound, ...names]);
    };
    if (ts.isBlock(n) || ts.isCaseBlock(n) || ts.isSourceFile(n)) {
      const names = new Set<string>();
      const statements = ts.isCaseBlock(n) ? n.clauses.flatMap((c) => [...c.statements]) : n.statements;
      for (const st of statements) {
        if (ts.isVariableStatement(st) && (st.declarationList.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0) {
          for (const d of st.declarationList.declarations) bindingNames(d.name, names);
        } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name) names.add(st.name.text);
      }
      bind(names);
    } else if ((ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n)) && n.initializer && ts.isVariableDeclarationList(n.initializer) && (n.initializer.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0) {
      const names = new Set<string>();
      for (const d of n.initializer.declarations) bindingNames(d.name, names);
      bind(names);
    } else if (ts.isCatchClause(n) && n.variableDeclaration) {
      const names = new Set<string>();
      bindingNames(n.variableDeclaration.name, names);
      bind(names);
    } else if (ts.isFunctionLike(n)) {
      const names = new Set<string>();
      for (const p of n.parameters) bindingNames(p.name, names);
      if ((ts.isFunctionExpression(n) || ts.isClassExpression(n)) && n.name) names.add(n.name.text);
      bind(names);
    }
    ts.forEachChild(n, (c) => visit(c, inner));
  };
  visit(s, new Set());
  return out;
}

/**
 * `s` with its inner lists rewritten, and, for a loop, preceded by the reads hoisted out of it.
 * `outside(name)`: whether another statement of the list around `s` reads a binding named `name`.
 */
function statement(s: ts.Statement, facts: Facts, scope: Scope, outside: (name: string) => boolean = () => false): ts.Statement[] {
  const inside = inner(s, facts, scope);
  return isLoop(inside) ? hoist(inside, facts, scope, outside) : [inside];
}

/** `s` with the statement lists inside it rewritten (loops nested in blocks, branches and loop bodies); nested functions are left alone. */
function inner<T extends ts.Statement>(s: T, facts: Facts, scope: Scope): T {
  const visit = (n: ts.Node, scope: Scope): ts.Node => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return n;
    if (ts.isBlock(n)) return f.updateBlock(n, list(n.statements, facts, scope));
    if (ts.isCaseClause(n)) return f.updateCaseClause(n, n.expression, list(n.statements, facts, scope));
    if (ts.isDefaultClause(n)) return f.updateDefaultClause(n, list(n.statements, facts, scope));
    // A labelled loop keeps its reads (a statement before it would come between the label and the loop).
    if (ts.isLabeledStatement(n)) return f.updateLabeledStatement(n, n.label, inner(n.statement, facts, scope));
    if (isLoop(n)) {
      const out = statement(n, facts, scope);
      return out.length === 1 ? out[0]! : f.createBlock(out, true);
    }
    return ts.visitEachChild(n, (c) => visit(c, scope), nullContext);
  };
  if (ts.isBlock(s)) return f.updateBlock(s, list(s.statements, facts, scope)) as ts.Statement as T;
  // The names a `for` header declares are in scope in its body, a catch binding in its block.
  const own = forHeaderScope(s, scope);
  if (ts.isTryStatement(s) && s.catchClause?.variableDeclaration) {
    const names = new Set(scope);
    bindingNames(s.catchClause.variableDeclaration.name, names);
    const tryBlock = visit(s.tryBlock, scope) as ts.Block;
    const catchClause = f.updateCatchClause(s.catchClause, s.catchClause.variableDeclaration, visit(s.catchClause.block, names) as ts.Block);
    const finallyBlock = s.finallyBlock && (visit(s.finallyBlock, scope) as ts.Block);
    return f.updateTryStatement(s, tryBlock, catchClause, finallyBlock) as ts.Statement as T;
  }
  return ts.visitEachChild(s, (c) => visit(c, own), nullContext) as T;
}

/** What a loop writes, or null when it does something the rules do not allow. */
interface LoopEffects {
  /** Names assigned or declared in the loop. */
  written: Set<string>;
  /** Arrays the loop stores elements into. */
  stored: Set<string>;
  /** The element reads `a[i]` of the loop, by `a[i]`. */
  reads: Map<string, { array: string; index: ts.Identifier | ts.NumericLiteral }>;
}

function effectsOf(loop: Loop, facts: Facts): LoopEffects | null {
  const written = new Set<string>();
  const stored = new Set<string>();
  const reads = new Map<string, { array: string; index: ts.Identifier | ts.NumericLiteral }>();
  let ok = true;
  /** A store target: a name, or an element of a named array. */
  const target = (t: ts.Expression): void => {
    t = skipParens(t);
    if (ts.isIdentifier(t)) written.add(t.text);
    else if (ts.isElementAccessExpression(t) && ts.isIdentifier(t.expression)) {
      stored.add(t.expression.text);
      visit(t.argumentExpression);
    } else ok = false;
  };
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isFunctionLike(n) || ts.isClassLike(n) || ts.isReturnStatement(n) || ts.isLabeledStatement(n) || ts.isNewExpression(n) || ts.isDeleteExpression(n) || ts.isAwaitExpression(n) || ts.isYieldExpression(n) || ts.isTaggedTemplateExpression(n) || ts.isTemplateExpression(n) || ts.isForOfStatement(n) || ts.isForInStatement(n) || ts.isSpreadElement(n) || ts.isSpreadAssignment(n)) {
      // (and nothing that runs user code through an iterator or a toString)
      ok = false;
      return;
    }
    if ((ts.isBreakStatement(n) || ts.isContinueStatement(n)) && n.label) {
      ok = false;
      return;
    }
    if (isAssignment(n)) {
      target(n.left);
      visit(n.right);
      return;
    }
    if (isIncrement(n)) {
      target(n.operand);
      return;
    }
    if (ts.isVariableDeclaration(n)) {
      assignedNames(bindingAsExpression(n.name), written);
      if (n.initializer) visit(n.initializer);
      return;
    }
    if (ts.isCallExpression(n)) {
      if (!allowedCall(n, facts)) {
        ok = false;
        return;
      }
      n.arguments.forEach(visit);
      return;
    }
    if (ts.isPropertyAccessExpression(n)) {
      // `x.length`, and `Math.PI`-like constants.
      if (n.name.text === 'length' || (ts.isIdentifier(n.expression) && isGlobal(n.expression, facts))) return visit(n.expression);
      ok = false;
      return;
    }
    // `o['name']` may be a property with a getter; arrays are indexed by numbers.
    if (ts.isElementAccessExpression(n) && (ts.isStringLiteral(n.argumentExpression) || ts.isNoSubstitutionTemplateLiteral(n.argumentExpression))) {
      ok = false;
      return;
    }
    if (ts.isElementAccessExpression(n) && ts.isIdentifier(n.expression)) {
      const index = n.argumentExpression;
      if (ts.isIdentifier(index) || ts.isNumericLiteral(index)) reads.set(`${n.expression.text}[${index.text}]`, { array: n.expression.text, index });
    }
    ts.forEachChild(n, visit);
  };
  visit(loop);
  return ok ? { written, stored, reads } : null;
}

/** `Math` or `Number`, when the function does not declare its own. */
function isGlobal(e: ts.Identifier, facts: Facts): boolean {
  return (e.text === 'Math' || e.text === 'Number') && !facts.declarations.has(e.text);
}

/** `Math.f(...)`, `Number.f(...)`, or a push or pop on one of the tapes. */
function allowedCall(call: ts.CallExpression, facts: Facts): boolean {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return false;
  if (isGlobal(callee.expression, facts)) return true;
  return facts.tapes.has(callee.expression.text) && (callee.name.text === 'push' || callee.name.text === 'pop');
}

function bindingAsExpression(name: ts.BindingName): ts.Expression {
  if (ts.isIdentifier(name)) return name;
  // Every name a pattern binds counts as written.
  const names: ts.Identifier[] = [];
  const collect = (b: ts.BindingName): void => {
    if (ts.isIdentifier(b)) names.push(b);
    else for (const e of b.elements) if (!ts.isOmittedExpression(e)) collect(e.name);
  };
  collect(name);
  return f.createArrayLiteralExpression(names);
}

/** Can a store into `b` change an element of `a`? */
function mayAlias(a: string, b: string, facts: Facts, scope: Scope): boolean {
  if (a === b) return true;
  if (facts.private.has(a)) return false;
  const known = (x: string) => facts.declarations.get(x) === 1 && scope.has(x);
  if (facts.fresh.has(b) && known(b)) return false;
  if (facts.fresh.has(a) && facts.params.has(b) && known(b)) return false;
  return true;
}

/** The loop preceded by the reads that can leave it, or the loop alone. */
function hoist(loop: Loop, facts: Facts, scope: Scope, outside: (name: string) => boolean): ts.Statement[] {
  const effects = effectsOf(loop, facts);
  if (!effects) return [loop];
  const { written, stored, reads } = effects;
  const hoisted = new Map<string, { array: string; index: ts.Identifier | ts.NumericLiteral; name?: string }>();
  for (const [key, read] of reads) {
    const { array, index } = read;
    if (written.has(array) || (ts.isIdentifier(index) && written.has(index.text))) continue;
    if (!scope.has(array) || (ts.isIdentifier(index) && !scope.has(index.text))) continue;
    if (!facts.params.has(array) && !facts.fresh.has(array)) continue;
    if ([...stored].some((b) => mayAlias(array, b, facts, scope))) continue;
    hoisted.set(key, { ...read });
  }
  if (hoisted.size === 0) return [loop];
  // Name each read after the loop's own `const t = a[i]`: one at the top of its body, the loop's only
  // declaration of t, with no mention of t before it in the loop nor outside the loop in the list around it.
  // Every mention of t is then after it in the body, and means the same once it stands before the loop.
  const reused = new Set<ts.Node>();
  if (ts.isBlock(loop.statement)) {
    const declared = declarationCounts(loop);
    const seen = new Set<string>();
    const header = new Set<string>();
    for (const part of loopHeader(loop)) mentionsInto(part, header);
    for (const n of loop.statement.statements) {
      const d = ts.isVariableStatement(n) && (n.declarationList.flags & ts.NodeFlags.Const) !== 0 && n.declarationList.declarations.length === 1 ? n.declarationList.declarations[0]! : null;
      const key = d && d.initializer && ts.isIdentifier(d.name) ? readKey(d.initializer) : null;
      const h = key ? hoisted.get(key) : undefined;
      const name = d && ts.isIdentifier(d.name) ? d.name.text : '';
      if (h && !h.name && declared.get(name) === 1 && !seen.has(name) && !header.has(name) && !outside(name)) {
        h.name = name;
        reused.add(n);
      }
      mentionsInto(n, seen);
    }
  }
  const before: ts.Statement[] = [];
  for (const h of hoisted.values()) {
    if (!h.name) {
      h.name = freshName(`${h.array}_${h.index.text}`, facts.taken);
      facts.declarations.set(h.name, 1);
    }
    const index = ts.isNumericLiteral(h.index) ? f.createNumericLiteral(h.index.text) : f.createIdentifier(h.index.text);
    before.push(f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(h.name, undefined, undefined, f.createElementAccessExpression(f.createIdentifier(h.array), index))], ts.NodeFlags.Const)));
  }
  const replace = (n: ts.Node): ts.Node => {
    if (ts.isElementAccessExpression(n)) {
      const key = readKey(n);
      const h = key ? hoisted.get(key) : undefined;
      if (h) return f.createIdentifier(h.name!);
    }
    return ts.visitEachChild(n, replace, nullContext);
  };
  // The dropped declarations are at the top of the body; their comments (source lines) go to the statement after them.
  const body = (b: ts.Block): ts.Block => {
    const out: ts.Statement[] = [];
    let carried: ts.SynthesizedComment[] = [];
    for (const s of b.statements) {
      if (reused.has(s)) {
        carried = [...carried, ...(ts.getSyntheticLeadingComments(s) ?? [])];
        continue;
      }
      out.push(withLeadingComments(replace(s) as ts.Statement, carried));
      carried = [];
    }
    return f.updateBlock(b, out);
  };
  const rewritten = ts.visitEachChild(loop, (c) => (c === loop.statement && ts.isBlock(c) ? body(c) : replace(c)), nullContext);
  // The loop's comments (its source line) now describe the reads before it too.
  const comments = ts.getSyntheticLeadingComments(loop);
  if (comments?.length) {
    before[0] = withLeadingComments(before[0]!, comments);
    ts.setSyntheticLeadingComments(rewritten, undefined);
  }
  return [...before, rewritten];
}

/** The declarations in `n`, by name. */
function declarationCounts(n: ts.Node): Map<string, number> {
  const counts = new Map<string, number>();
  const walk = (m: ts.Node): void => {
    if (ts.isVariableDeclaration(m) || ts.isParameter(m) || ts.isBindingElement(m)) {
      const names = new Set<string>();
      if (ts.isIdentifier(m.name)) names.add(m.name.text);
      for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    ts.forEachChild(m, walk);
  };
  walk(n);
  return counts;
}

/** Adds the identifiers mentioned in `n` to `into`. */
function mentionsInto(n: ts.Node, into: Set<string>): void {
  identifiersOf(n, into);
}

/** The parts of a loop outside its body. */
function loopHeader(loop: Loop): ts.Node[] {
  if (ts.isForStatement(loop)) return [loop.initializer, loop.condition, loop.incrementor].filter((x): x is NonNullable<typeof x> => x !== undefined);
  return [loop.expression];
}

function readKey(e: ts.Expression): string | null {
  if (!ts.isElementAccessExpression(e) || !ts.isIdentifier(e.expression)) return null;
  const i = e.argumentExpression;
  return ts.isIdentifier(i) || ts.isNumericLiteral(i) ? `${e.expression.text}[${i.text}]` : null;
}
