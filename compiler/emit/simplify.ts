/**
 * The simplify pass over generated function trees, in the spirit of
 * Tangent's optimization.py: it removes the noise the emitters leave
 * without changing what is computed. Each rewrite below is exact in IEEE
 * arithmetic (up to the sign of a zero cotangent) and keeps every side
 * effect (tape pops stay, even where their value is no longer needed).
 *
 *   tensor adjoints    `if (dX !== null) {...}`, `dX = addTensor(dX, e)` and `dX ?? z`
 *                      where dX is known at build time to be null or not
 *   first contribution `let dX = 0; ... dX += e;` -> `let dX = e;`
 *   dead resets        `dX = 0;` / `dX = null;` that nothing reads afterwards
 *   dead declarations  `let dX = 0;` never read again, with its dead stores
 *   blocks             empty blocks dropped, one-statement blocks unwrapped
 *   negation           `a + -b` -> `a - b`, `a - -b` -> `a + b`, `a += -b` -> `a -= b`
 *
 * Names: the analysis keys variables by name. The naming authority never
 * reuses a name for two variables except where a reverse block re-declares a
 * snapshot of an outer variable; treating the two as one only adds reads,
 * so the pass keeps more code, never less.
 */
import { ts } from 'ts-morph';
import { runtimeRef, runtimeRefOf } from './template.ts';

const f = ts.factory;
const K = ts.SyntaxKind;
const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

/** Simplifies the body of every function declaration in `statements`. */
export function simplify(statements: readonly ts.Statement[]): ts.Statement[] {
  return statements.map((s) => (ts.isFunctionDeclaration(s) && s.body ? simplifyFunction(s) : s));
}

function simplifyFunction(fn: ts.FunctionDeclaration): ts.FunctionDeclaration {
  let body = fn.body!.statements.slice();
  for (let round = 0; round < 3; round++) {
    const before = body;
    body = nullFlow(body, new NullState(lazyRoots(body))).list;
    body = foldFirstContribution(body);
    body = removeDeadStores(body);
    body = cleanBlocks(body);
    body = propagateCopies(body);
    body = body.map((s) => negations(s) as ts.Statement);
    if (sameList(before, body)) break;
  }
  const block = f.updateBlock(fn.body!, body);
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, block);
}

function sameList(a: readonly ts.Node[], b: readonly ts.Node[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

// ---- reads and writes ----

/** Is `id` read here (not a property name, not a declared name, not the whole target of `=`)? */
function isRead(id: ts.Identifier, parent: ts.Node | undefined): boolean {
  if (!parent) return true;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isFunctionDeclaration(parent) || ts.isBindingElement(parent)) && parent.name === id) return false;
  if (ts.isPropertyAssignment(parent) && parent.name === id) return false;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === K.EqualsToken && parent.left === id) return false;
  return true;
}

/**
 * Names read anywhere in `node`. Kept per node (output nodes are not changed once built), so the
 * passes and rounds below that ask again about the same statement pay once. Callers must not
 * change the set they get.
 */
function readsOf(node: ts.Node): ReadonlySet<string> {
  let out = readCache.get(node);
  if (!out) {
    const found = new Set<string>();
    collectReads(node, undefined, found);
    readCache.set(node, (out = found));
  }
  return out;
}

const readCache = new WeakMap<ts.Node, Set<string>>();

function collectReads(n: ts.Node, parent: ts.Node | undefined, out: Set<string>): void {
  if (ts.isIdentifier(n)) {
    if (isRead(n, parent)) out.add(n.text);
    return;
  }
  const cached = parent !== undefined ? readCache.get(n) : undefined;
  if (cached) {
    for (const name of cached) out.add(name);
    return;
  }
  ts.forEachChild(n, (c) => collectReads(c, n, out));
}

/** Names assigned (`x = ...`, `x += ...`, `x++`, `[a, b] = ...`) anywhere in `node`; kept per node like reads. */
function writesOf(node: ts.Node): ReadonlySet<string> {
  let out = writeCache.get(node);
  if (!out) {
    const found = new Set<string>();
    collectWrites(node, found);
    writeCache.set(node, (out = found));
  }
  return out;
}

const writeCache = new WeakMap<ts.Node, Set<string>>();

function collectWrites(n: ts.Node, out: Set<string>): void {
  if (ts.isBinaryExpression(n) && isAssignment(n.operatorToken.kind)) {
    const key = pathKey(n.left);
    if (key !== null) out.add(key);
    // `[a, b] = ...` destructuring assignments
    if (n.operatorToken.kind === K.EqualsToken && ts.isArrayLiteralExpression(n.left)) {
      for (const e of n.left.elements) if (ts.isIdentifier(e)) out.add(e.text);
    }
  }
  if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand)) out.add(n.operand.text);
  ts.forEachChild(n, (c) => collectWrites(c, out));
}

function isAssignment(kind: ts.SyntaxKind): boolean {
  return kind >= K.FirstAssignment && kind <= K.LastAssignment;
}

/** Names declared directly in a statement list (not in nested blocks). */
function declaredIn(list: readonly ts.Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of list) {
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) collectBindingNames(d.name, out);
    }
  }
  return out;
}

function collectBindingNames(name: ts.BindingName, out: Set<string>): void {
  if (ts.isIdentifier(name)) out.add(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) collectBindingNames(e.name, out);
}

/** `x = <e>` as an expression statement: [x, e]. */
function plainAssignment(s: ts.Statement): [string, ts.Expression] | null {
  if (!ts.isExpressionStatement(s)) return null;
  const e = s.expression;
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === K.EqualsToken && ts.isIdentifier(e.left)) return [e.left.text, e.right];
  return null;
}

/** Expressions without side effects: names, literals, arithmetic, property reads. */
function isPure(e: ts.Expression): boolean {
  if (ts.isIdentifier(e) || ts.isNumericLiteral(e) || ts.isStringLiteral(e)) return true;
  if (e.kind === K.NullKeyword || e.kind === K.TrueKeyword || e.kind === K.FalseKeyword) return true;
  if (ts.isParenthesizedExpression(e)) return isPure(e.expression);
  if (ts.isPrefixUnaryExpression(e)) return e.operator !== K.PlusPlusToken && e.operator !== K.MinusMinusToken && isPure(e.operand);
  if (ts.isBinaryExpression(e)) return !isAssignment(e.operatorToken.kind) && isPure(e.left) && isPure(e.right);
  if (ts.isPropertyAccessExpression(e)) return isPure(e.expression);
  if (ts.isElementAccessExpression(e)) return isPure(e.expression) && isPure(e.argumentExpression);
  if (ts.isConditionalExpression(e)) return isPure(e.condition) && isPure(e.whenTrue) && isPure(e.whenFalse);
  return false;
}

// ---- tensor adjoints known to be null or not ----

/**
 * What is known of each tensor adjoint: `dX` by name, and leaves of a
 * structured adjoint started with `lazyZerosLike` by path (`dp.W1`), which
 * are null until something is stored there.
 */
class NullState {
  private readonly known = new Map<string, 'null' | 'nonnull' | 'unknown'>();
  /** Lazy roots passed to code the pass does not follow (a call such as addInto): their leaves are unknown. */
  private readonly escaped = new Set<string>();

  constructor(
    private readonly lazy: ReadonlySet<string>,
    from?: NullState,
  ) {
    if (from) {
      for (const [k, v] of from.known) this.known.set(k, v);
      for (const r of from.escaped) this.escaped.add(r);
    }
  }

  /** `statement` uses these names in a way the pass does not follow. */
  escape(names: Iterable<string>): void {
    for (const n of names) if (this.lazy.has(n)) this.escaped.add(n);
  }

  copy(): NullState {
    return new NullState(this.lazy, this);
  }

  private isLazyPath(key: string): boolean {
    const dot = key.indexOf('.');
    return dot > 0 && this.lazy.has(key.slice(0, dot)) && !this.escaped.has(key.slice(0, dot));
  }

  get(key: string): 'null' | 'nonnull' | undefined {
    const v = this.known.get(key);
    if (v === 'unknown') return undefined;
    if (v === undefined && this.isLazyPath(key)) return 'null';
    return v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, v: 'null' | 'nonnull'): void {
    this.known.set(key, v);
  }

  /** Nothing is known of `key` any more. */
  forget(key: string): void {
    if (this.isLazyPath(key)) this.known.set(key, 'unknown');
    else this.known.delete(key);
  }

  entries(): [string, 'null' | 'nonnull' | 'unknown'][] {
    return [...this.known.entries()];
  }

  /** Becomes `other`, except for `keep`, whose entries stay as they are here. */
  assign(other: NullState, keep: ReadonlySet<string>): void {
    const mine = new Map(this.known);
    for (const r of other.escaped) this.escaped.add(r);
    this.known.clear();
    for (const [k, v] of other.known) if (!keep.has(k)) this.known.set(k, v);
    for (const k of keep) if (mine.has(k)) this.known.set(k, mine.get(k)!);
  }

  get empty(): boolean {
    return this.known.size === 0 && this.lazy.size === 0;
  }
}

/** Names declared `const dp = lazyZerosLike(p)` anywhere in the body. */
function lazyRoots(body: readonly ts.Statement[]): Set<string> {
  const out = new Set<string>();
  const walk = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isCallExpression(n.initializer)) {
      const callee = n.initializer.expression;
      if (ts.isIdentifier(callee) && runtimeRefOf(callee) === 'lazyZerosLike') out.add(n.name.text);
    }
    ts.forEachChild(n, walk);
  };
  body.forEach(walk);
  return out;
}

/** `dp.W1.x` as a key, for property paths on a name; the name itself for an identifier; otherwise null. */
function pathKey(e: ts.Expression): string | null {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.name)) {
    const base = pathKey(e.expression);
    return base === null ? null : `${base}.${e.name.text}`;
  }
  return null;
}

/** `<path> = <e>` as an expression statement: [key, target, e]. */
function pathAssignment(s: ts.Statement): [string, ts.Expression, ts.Expression] | null {
  if (!ts.isExpressionStatement(s)) return null;
  const e = s.expression;
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== K.EqualsToken) return null;
  const key = pathKey(e.left);
  return key === null ? null : [key, e.left, e.right];
}

function isNull(e: ts.Expression): boolean {
  return e.kind === K.NullKeyword;
}

/** `let dX: Tensor | null = null` declarations in the list, by name. */
function nullDeclared(s: ts.Statement): string[] {
  if (!ts.isVariableStatement(s)) return [];
  return s.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) && d.initializer && isNull(d.initializer) ? [d.name.text] : []));
}

/** `X !== null` */
function nullTest(e: ts.Expression): string | null {
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === K.ExclamationEqualsEqualsToken && ts.isIdentifier(e.left) && isNull(e.right)) return e.left.text;
  return null;
}

/** `addTensor(X, e)`, the runtime's addTensor (a reference the templates marked, not a name match) */
function addTensorOf(e: ts.Expression, key: string): ts.Expression | null {
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && runtimeRefOf(e.expression) === 'addTensor' && e.arguments.length === 2) {
    const [acc, x] = e.arguments;
    if (pathKey(acc!) === key) return x!;
  }
  return null;
}

/** Rewrites a statement list with what is known of tensor adjoints; returns the list and the state after it. */
function nullFlow(list: readonly ts.Statement[], entry: NullState): { list: ts.Statement[]; state: NullState } {
  const state = entry.copy();
  const out: ts.Statement[] = [];
  for (const s of list) {
    if (ts.isVariableStatement(s)) {
      const nulls = new Set(nullDeclared(s));
      for (const name of declaredIn([s])) {
        if (nulls.has(name)) state.set(name, 'null');
        else state.forget(name);
      }
      out.push(nulls.size ? s : rewriteNullish(s, state));
      continue;
    }
    const assign = pathAssignment(s);
    if (assign) {
      const [name, target, value] = assign;
      const x = addTensorOf(value, name);
      state.escape(readsOf(x ?? value));
      if (x && state.get(name) === 'null') {
        // The first contribution: addTensor(null, x) is asTensor(x).
        const first = f.createExpressionStatement(f.createBinaryExpression(target, K.EqualsToken, f.createCallExpression(runtimeRef('asTensor'), undefined, [x])));
        out.push(keepComments(s, first));
        state.set(name, 'nonnull');
        continue;
      }
      out.push(rewriteNullish(s, state));
      if (x) state.set(name, 'nonnull');
      else if (isNull(value)) state.set(name, 'null');
      else state.forget(name);
      continue;
    }
    if (ts.isIfStatement(s)) {
      const tested = nullTest(s.expression);
      if (tested && !s.elseStatement && state.has(tested)) {
        if (state.get(tested) === 'null') continue; // the body never runs
        const inner = ts.isBlock(s.thenStatement) ? s.thenStatement.statements : [s.thenStatement];
        // The body runs: it is straight-line code from here.
        const r = nullFlow(inner, state);
        spliceBlock(out, r.list, s);
        afterBlock(state, r.state, declaredIn(inner));
        continue;
      }
      const then = blockFlow(s.thenStatement, state);
      const otherwise = s.elseStatement ? blockFlow(s.elseStatement, state) : undefined;
      out.push(f.updateIfStatement(s, rewriteNullishExpr(s.expression, state), then, otherwise));
      state.escape(readsOf(s));
      for (const k of writesOf(s)) state.forget(k);
      continue;
    }
    if (ts.isBlock(s)) {
      const r = nullFlow(s.statements, state);
      out.push(f.updateBlock(s, r.list));
      afterBlock(state, r.state, declaredIn(s.statements));
      continue;
    }
    if (ts.isWhileStatement(s) || ts.isDoStatement(s) || ts.isForStatement(s)) {
      // Anything the loop assigns is unknown inside it (a later trip sees the earlier one's value) and after it.
      const written = writesOf(s);
      const inner = state.copy();
      for (const k of written) inner.forget(k);
      const body = blockFlow(s.statement, inner);
      out.push(
        ts.isWhileStatement(s)
          ? f.updateWhileStatement(s, s.expression, body)
          : ts.isDoStatement(s)
            ? f.updateDoStatement(s, body, s.expression)
            : f.updateForStatement(s, s.initializer, s.condition, s.incrementor, body),
      );
      state.escape(readsOf(s));
      for (const k of written) state.forget(k);
      continue;
    }
    out.push(rewriteNullish(s, state));
    state.escape(readsOf(s));
    for (const k of writesOf(s)) state.forget(k);
  }
  return { list: out, state };
}

function blockFlow(s: ts.Statement, state: NullState): ts.Statement {
  if (ts.isBlock(s)) return f.updateBlock(s, nullFlow(s.statements, state).list);
  const r = nullFlow([s], state).list;
  return r.length === 1 ? r[0]! : f.createBlock(r, true);
}

/** The state after a block that ran: its own, except for the names it declared, which are the outer ones again. */
function afterBlock(state: NullState, inner: NullState, declared: ReadonlySet<string>): void {
  state.assign(inner, declared);
}

/** Puts an unwrapped block's statements into `out`, keeping a bare block when they declare names. */
function spliceBlock(out: ts.Statement[], list: ts.Statement[], from: ts.Node): void {
  if (list.length === 0) return;
  if (declaredIn(list).size) out.push(keepComments(from, f.createBlock(list, true)));
  else out.push(keepComments(from, list[0]!), ...list.slice(1));
}

/** `X ?? e` with X known: X or e. */
function rewriteNullishExpr(e: ts.Expression, state: NullState): ts.Expression {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === K.QuestionQuestionToken && ts.isIdentifier(n.left)) {
      const known = state.get(n.left.text);
      if (known === 'nonnull') return n.left;
      if (known === 'null') return visit(n.right);
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(e) as ts.Expression;
}

function rewriteNullish<T extends ts.Node>(s: T, state: NullState): T {
  if (state.empty) return s;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n) && n !== (s as ts.Node)) return n;
    if (ts.isExpression(n)) return rewriteNullishExpr(n, state);
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(s) as T;
}

// ---- first contributions ----

/**
 * `let dX = 0;` (or `let dX: Tensor | null = null;`) whose next mention in
 * the same list is `dX += e;` or `dX = e;`: the declaration moves down to
 * that statement, `let dX = e;`, or `const dX = e;` when nothing else
 * assigns dX. Nothing is evaluated in another order.
 */
function foldFirstContribution(list: readonly ts.Statement[], fnBody: readonly ts.Statement[] = list): ts.Statement[] {
  const out = list.map((s) => mapNestedLists(s, (inner) => foldFirstContribution(inner, fnBody)));
  // Where each name is mentioned, in order: the first mention after a declaration is found by a
  // pointer walk instead of a scan (a long straight-line body declares hundreds of adjoints at its top).
  const mentions = new Map<string, number[]>();
  out.forEach((s, j) => {
    for (const name of mentionsOf(s)) {
      const at = mentions.get(name);
      if (at) at.push(j);
      else mentions.set(name, [j]);
    }
  });
  const next = new Map<string, number>();
  const firstMentionAfter = (name: string, i: number): number => {
    // A declaration nothing mentions (not even itself, when it declares only) has no later mention.
    const at = mentions.get(name);
    if (!at) return -1;
    let k = next.get(name) ?? 0;
    while (k < at.length && at[k]! <= i) k++;
    next.set(name, k);
    return k < at.length ? at[k]! : -1;
  };
  const removed = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (!ts.isVariableStatement(s) || s.declarationList.declarations.length !== 1 || !(s.declarationList.flags & ts.NodeFlags.Let)) continue;
    const d = s.declarationList.declarations[0]!;
    if (!ts.isIdentifier(d.name) || !d.initializer) continue;
    const zero = ts.isNumericLiteral(d.initializer) && d.initializer.text === '0' && !d.type;
    const nul = isNull(d.initializer);
    if (!zero && !nul) continue;
    const name = d.name.text;
    const j = firstMentionAfter(name, i);
    if (j < 0) continue;
    const t = out[j]!;
    const value = firstValue(t, name, zero);
    if (!value) continue;
    // The declaration moves down to the first contribution (nothing between mentions the name).
    const constant = countWrites(fnBody, name) === 1;
    const decl = f.createVariableDeclaration(name, undefined, constant ? undefined : d.type, value);
    const statement = f.createVariableStatement(s.modifiers, f.createVariableDeclarationList([decl], constant ? ts.NodeFlags.Const : ts.NodeFlags.Let));
    // The new statement mentions what `t` mentioned, so the mention lists stay right.
    out[j] = keepComments(t, statement);
    mentionCache.set(out[j]!, mentionsOf(t));
    if (i + 1 < out.length && ts.getSyntheticLeadingComments(s)?.length) keepComments(s, out[i + 1]!);
    removed.add(i);
  }
  return removed.size === 0 ? out : out.filter((_, i) => !removed.has(i));
}

/** Names a statement reads or writes, computed once per statement node (the scans above would otherwise be quadratic). */
const mentionCache = new WeakMap<ts.Statement, Set<string>>();

function mentionsOf(s: ts.Statement): Set<string> {
  let m = mentionCache.get(s);
  if (!m) {
    m = new Set(readsOf(s));
    for (const w of writesOf(s)) m.add(w);
    mentionCache.set(s, m);
  }
  return m;
}

/** The value `t` gives `name` as its first contribution: `name += e` (from 0), `name = e`. */
function firstValue(t: ts.Statement, name: string, fromZero: boolean): ts.Expression | null {
  if (!ts.isExpressionStatement(t) || !ts.isBinaryExpression(t.expression)) return null;
  const { left, operatorToken, right } = t.expression;
  if (!ts.isIdentifier(left) || left.text !== name) return null;
  // `x = x + e` from zero is `x = e` (and `x = e + x`).
  if (fromZero && operatorToken.kind === K.EqualsToken && ts.isBinaryExpression(right) && right.operatorToken.kind === K.PlusToken) {
    const isName = (e: ts.Expression) => ts.isIdentifier(e) && e.text === name;
    const rest = isName(right.left) ? right.right : isName(right.right) ? right.left : null;
    if (rest && !readsOf(rest).has(name)) return rest;
  }
  if (readsOf(right).has(name)) return null;
  if (operatorToken.kind === K.EqualsToken) return right;
  if (fromZero && operatorToken.kind === K.PlusEqualsToken) return right;
  if (fromZero && operatorToken.kind === K.MinusEqualsToken) return f.createPrefixUnaryExpression(K.MinusToken, right);
  return null;
}

/** How many statements assign `name` (any assignment operator, ++/--, destructuring) in the function. */
function countWrites(body: readonly ts.Statement[], name: string): number {
  return writeCounts(body).get(name) ?? 0;
}

/** Assignment counts of every name in a body, computed in one walk and kept for that body. */
const writeCountCache = new WeakMap<readonly ts.Statement[], Map<string, number>>();

function writeCounts(body: readonly ts.Statement[]): Map<string, number> {
  let counts = writeCountCache.get(body);
  if (counts) return counts;
  const out = new Map<string, number>();
  const bump = (name: string) => out.set(name, (out.get(name) ?? 0) + 1);
  const walk = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && isAssignment(node.operatorToken.kind)) {
      if (ts.isIdentifier(node.left)) bump(node.left.text);
      if (ts.isArrayLiteralExpression(node.left)) for (const e of node.left.elements) if (ts.isIdentifier(e)) bump(e.text);
    }
    if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && ts.isIdentifier(node.operand) && (node.operator === K.PlusPlusToken || node.operator === K.MinusMinusToken)) bump(node.operand.text);
    ts.forEachChild(node, walk);
  };
  body.forEach(walk);
  counts = out;
  writeCountCache.set(body, counts);
  return counts;
}

/** Applies `fn` to the statement lists nested in `s` (blocks, branches, loop bodies); also used by value-free.ts. */
export function mapNestedLists(s: ts.Statement, fn: (list: readonly ts.Statement[]) => ts.Statement[]): ts.Statement {
  // Unchanged lists keep their nodes, so a round that changes nothing is seen as a fixed point.
  const updated = (b: ts.Block): ts.Block => {
    const list = fn(b.statements);
    return sameList(b.statements, list) ? b : f.updateBlock(b, list);
  };
  // A branch or loop body that is one statement (an `else if`) is a list of one: the passes must
  // reach the stores in it, or a declaration they remove would leave those stores behind.
  const block = (b: ts.Statement): ts.Statement => {
    if (ts.isBlock(b)) return updated(b);
    const list = fn([b]);
    if (list.length === 1 && list[0] === b) return b;
    if (list.length === 1 && !ts.isVariableStatement(list[0]!)) return list[0]!;
    return f.createBlock(list, true);
  };
  if (ts.isBlock(s)) return updated(s);
  if (ts.isIfStatement(s)) return f.updateIfStatement(s, s.expression, block(s.thenStatement), s.elseStatement && block(s.elseStatement));
  if (ts.isWhileStatement(s)) return f.updateWhileStatement(s, s.expression, block(s.statement));
  if (ts.isDoStatement(s)) return f.updateDoStatement(s, block(s.statement), s.expression);
  if (ts.isForStatement(s)) return f.updateForStatement(s, s.initializer, s.condition, s.incrementor, block(s.statement));
  return s;
}

// ---- dead stores ----

/**
 * Removes `X = <pure>;` statements whose value nothing reads: no read of X
 * later in the function, and none in a loop around the store (a later trip).
 * Declarations `let X = <pure>` of a name never read at all go too.
 */
function removeDeadStores(body: readonly ts.Statement[]): ts.Statement[] {
  // Pre-order positions of every statement, with the loops around it.
  interface Site {
    readsAfter: Set<string>;
  }
  const order: ts.Statement[] = [];
  const loopsOf = new Map<ts.Statement, ts.Statement[]>();
  const collect = (list: readonly ts.Statement[], loops: ts.Statement[]): void => {
    for (const s of list) {
      order.push(s);
      loopsOf.set(s, loops);
      const isLoop = ts.isWhileStatement(s) || ts.isDoStatement(s) || ts.isForStatement(s);
      const inner = isLoop ? [...loops, s] : loops;
      for (const child of nestedLists(s)) collect(child, inner);
    }
  };
  collect(body, []);
  // Reads of each statement itself (not of its nested statements), for the suffix.
  const ownReads = order.map((s) => readsOf(ownPart(s)));
  // The last statement (in pre-order) that reads each name: a store is followed by a read iff that comes later.
  const lastRead = new Map<string, number>();
  ownReads.forEach((reads, i) => {
    for (const name of reads) lastRead.set(name, i);
  });
  const index = new Map(order.map((s, i) => [s, i]));
  const readsInLoop = (loop: ts.Statement) => readsOf(loop);
  const allReads = readsOf(f.createBlock(body.slice()));
  const dead = (s: ts.Statement): boolean => {
    const assign = plainAssignment(s);
    if (assign) {
      const [name, value] = assign;
      if (!isPure(value)) return false;
      const i = index.get(s)!;
      if ((lastRead.get(name) ?? -1) > i) return false;
      if (loopsOf.get(s)!.some((loop) => readsInLoop(loop).has(name))) return false;
      return true;
    }
    if (ts.isVariableStatement(s) && s.declarationList.declarations.length === 1) {
      const d = s.declarationList.declarations[0]!;
      return ts.isIdentifier(d.name) && (!d.initializer || isPure(d.initializer)) && !allReads.has(d.name.text) && !writesOfOutsideDeclaration(body, d.name.text, s);
    }
    return false;
  };
  const rebuild = (list: readonly ts.Statement[]): ts.Statement[] => list.filter((s) => !dead(s)).map((s) => mapNestedLists(s, rebuild));
  return rebuild(body);
}

/** Is `name` written somewhere other than by a dead plain store (`x++`, `x += e`, destructuring)? */
function writesOfOutsideDeclaration(body: readonly ts.Statement[], name: string, decl: ts.Statement): boolean {
  let found = false;
  const walk = (n: ts.Node): void => {
    if (found || n === decl) return;
    if (ts.isBinaryExpression(n) && isAssignment(n.operatorToken.kind) && n.operatorToken.kind !== K.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name) found = true;
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand) && n.operand.text === name && (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken)) found = true;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === K.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name && !isPure(n.right)) found = true;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === K.EqualsToken && ts.isArrayLiteralExpression(n.left) && n.left.elements.some((e) => ts.isIdentifier(e) && e.text === name)) found = true;
    ts.forEachChild(n, walk);
  };
  body.forEach(walk);
  return found;
}

/** The statement lists directly inside `s` (also used by value-free.ts). */
export function nestedLists(s: ts.Statement): (readonly ts.Statement[])[] {
  const of = (b: ts.Statement | undefined): (readonly ts.Statement[])[] => (!b ? [] : ts.isBlock(b) ? [b.statements] : [[b]]);
  if (ts.isBlock(s)) return [s.statements];
  if (ts.isIfStatement(s)) return [...of(s.thenStatement), ...of(s.elseStatement)];
  if (ts.isWhileStatement(s) || ts.isDoStatement(s) || ts.isForStatement(s)) return of(s.statement);
  return [];
}

/** `s` without its nested statement lists (its condition, header, or the whole simple statement). */
function ownPart(s: ts.Statement): ts.Node {
  if (ts.isBlock(s)) return f.createBlock([]);
  if (ts.isIfStatement(s)) return s.expression;
  if (ts.isWhileStatement(s) || ts.isDoStatement(s)) return s.expression;
  if (ts.isForStatement(s)) return f.createBlock([s.initializer && ts.isVariableDeclarationList(s.initializer) ? f.createVariableStatement(undefined, s.initializer) : f.createEmptyStatement(), ...(s.condition ? [f.createExpressionStatement(s.condition)] : []), ...(s.incrementor ? [f.createExpressionStatement(s.incrementor)] : [])]);
  return s;
}

// ---- copies ----

/**
 * `const a = b;` where `b` is a name nothing assigns (a parameter, another
 * const): uses of `a` read `b` instead and the declaration goes. Also
 * `asTensor(t)` where `t` is a const that already holds a tensor: `t`.
 */
function propagateCopies(body: readonly ts.Statement[]): ts.Statement[] {
  const renames = new Map<string, string>();
  const tensors = new Set<string>();
  const walk = (n: ts.Node): void => {
    if (ts.isVariableStatement(n) && n.declarationList.flags & ts.NodeFlags.Const) {
      for (const d of n.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || !d.initializer) continue;
        if (ts.isIdentifier(d.initializer) && countWrites(body, d.initializer.text) === 0 && !isGlobalName(d.initializer.text)) {
          renames.set(d.name.text, d.initializer.text);
        }
        if (ts.isCallExpression(d.initializer) && ts.isIdentifier(d.initializer.expression)) {
          const callee = runtimeRefOf(d.initializer.expression);
          if (callee === 'asTensor' || callee === 'addTensor') tensors.add(d.name.text);
        }
      }
    }
    ts.forEachChild(n, walk);
  };
  body.forEach(walk);
  if (renames.size === 0 && tensors.size === 0) return body.slice();
  const target = (name: string): string => {
    let n = name;
    for (let hops = 0; renames.has(n) && hops < 100; hops++) n = renames.get(n)!;
    return n;
  };
  const visit = (n: ts.Node, parent: ts.Node | undefined): ts.Node => {
    if (ts.isIdentifier(n)) return renames.has(n.text) && isRead(n, parent) ? f.createIdentifier(target(n.text)) : n;
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && runtimeRefOf(n.expression) === 'asTensor' && n.arguments.length === 1) {
      const [arg] = n.arguments;
      if (ts.isIdentifier(arg!) && tensors.has(target(arg.text))) return visit(arg, n);
    }
    return ts.visitEachChild(n, (c) => visit(c, n), nullContext);
  };
  const drop = (list: readonly ts.Statement[]): ts.Statement[] =>
    list
      .filter((s) => !(ts.isVariableStatement(s) && s.declarationList.declarations.length === 1 && ts.isIdentifier(s.declarationList.declarations[0]!.name) && renames.has(s.declarationList.declarations[0]!.name.text)))
      .map((s) => mapNestedLists(s, drop));
  const kept = drop(body);
  // Comments of dropped declarations are lost with them; the block comments sit on other statements.
  return kept.map((s) => visit(s, undefined) as ts.Statement);
}

/** Globals are not copies of locals. */
function isGlobalName(name: string): boolean {
  return name === 'undefined' || name === 'NaN' || name === 'Infinity';
}

// ---- blocks ----

function cleanBlocks(list: readonly ts.Statement[], nested = false): ts.Statement[] {
  // A loop or branch body that is one bare block (a reverse block) is a scope already: drop the inner braces.
  // (Not a function body: its declarations would clash with the parameters.)
  if (nested && list.length === 1 && ts.isBlock(list[0]!) && list[0].statements.length) {
    const only = list[0];
    return cleanBlocks([keepComments(only, only.statements[0]!), ...only.statements.slice(1)], true);
  }
  const out: ts.Statement[] = [];
  for (const raw of list) {
    const s = mapNestedLists(raw, (inner) => cleanBlocks(inner, true));
    if (ts.isBlock(s)) {
      if (s.statements.length === 0) continue;
      if (declaredIn(s.statements).size === 0) {
        // A bare block that declares nothing: its statements stand on their own (the first keeps its comments).
        const moved = s.statements.slice();
        const comments = ts.getSyntheticLeadingComments(raw);
        if (comments?.length) ts.setSyntheticLeadingComments(moved[0]!, [...comments, ...(ts.getSyntheticLeadingComments(moved[0]!) ?? [])]);
        out.push(...moved);
        continue;
      }
    }
    if (ts.isIfStatement(s) && isEmpty(s.thenStatement) && (!s.elseStatement || isEmpty(s.elseStatement))) {
      // Keep the condition's side effects (a tape pop).
      if (!isPure(s.expression)) out.push(keepComments(raw, f.createExpressionStatement(stripComparison(s.expression))));
      continue;
    }
    if (ts.isForStatement(s) && isEmpty(s.statement) && s.initializer && ts.isVariableDeclarationList(s.initializer) && s.initializer.declarations.length === 1) {
      // `for (let trip = tape.pop(); trip > 0; trip--) {}`: only the pop remains.
      const init = s.initializer.declarations[0]!.initializer;
      if (init && !isPure(init)) out.push(keepComments(raw, f.createExpressionStatement(init)));
      continue;
    }
    out.push(s);
  }
  return out;
}

function keepComments<T extends ts.Node>(from: ts.Node, to: T): T {
  const comments = ts.getSyntheticLeadingComments(from);
  if (!comments?.length || from === to) return to;
  return ts.setSyntheticLeadingComments(to, [...comments, ...(ts.getSyntheticLeadingComments(to) ?? [])]);
}

function isEmpty(s: ts.Statement): boolean {
  return (ts.isBlock(s) && s.statements.length === 0) || ts.isEmptyStatement(s);
}

/** `tape.pop() === 1` -> `tape.pop()` (the comparison's result is unused). */
function stripComparison(e: ts.Expression): ts.Expression {
  if (ts.isBinaryExpression(e) && !isAssignment(e.operatorToken.kind) && isPure(e.right)) return e.left;
  return e;
}

// ---- negations ----

function negationOperand(e: ts.Expression): ts.Expression | null {
  if (ts.isPrefixUnaryExpression(e) && e.operator === K.MinusToken) return e.operand;
  if (ts.isParenthesizedExpression(e)) return negationOperand(e.expression);
  return null;
}

function negations(node: ts.Node): ts.Node {
  const visit = (n: ts.Node): ts.Node => {
    const v = ts.visitEachChild(n, visit, nullContext);
    if (ts.isBinaryExpression(v)) {
      const neg = negationOperand(v.right);
      if (neg) {
        const op = v.operatorToken.kind;
        const swap: Partial<Record<ts.SyntaxKind, ts.BinaryOperator>> = {
          [K.PlusToken]: K.MinusToken,
          [K.MinusToken]: K.PlusToken,
          [K.PlusEqualsToken]: K.MinusEqualsToken,
          [K.MinusEqualsToken]: K.PlusEqualsToken,
        };
        const to = swap[op];
        if (to !== undefined) return f.createBinaryExpression(v.left, to, neg);
      }
    }
    return v;
  };
  return visit(node);
}
