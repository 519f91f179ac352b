/**
 * Loops versioned on a flag they do not change. The reverse sweep restores a
 * guarded counter (compiler/analysis/tbr-counters.ts) one way or the other
 * depending on a flag set at the counter's initialisation, and tests it on
 * every trip:
 *
 *   for (let trip12 = trips22; trip12 > 0; trip12--) {
 *     if (!liExact) { li = valueTape.pop(); }
 *     r_4 = r_4 - 1;
 *     if (liExact) { li = li - 1; }
 *     ...
 *   }
 *
 * The flag is the same on every trip, so the loop is emitted once per value
 * of it and the test is made once, before the loop:
 *
 *   if (liExact) {
 *     for (let trip12 = trips22; trip12 > 0; trip12--) { r_4 = r_4 - 1; li = li - 1; ... }
 *   } else {
 *     for (let trip12 = trips22; trip12 > 0; trip12--) { li = valueTape.pop(); r_4 = r_4 - 1; ... }
 *   }
 *
 * (GMM's triangular loop, in both sweeps: the per-trip branches kept V8 from
 * treating the loop as straight-line code.) A loop is versioned on `flag`
 * when
 *   - an `if (flag)` or `if (!flag)` sits in its body outside the loops
 *     nested in it (those are versioned themselves, so only the innermost
 *     loop that tests the flag is copied);
 *   - `flag` is a name declared once in the function, before the loop in
 *     the lists around it (so the loop sees that binding, initialised), and
 *     mentioned in no nested function, and the loop (header included)
 *     neither assigns nor declares it, so every trip sees the value it had
 *     before the loop;
 *   - the loop is not labelled, holds no function and no label, and has at
 *     most MAX_VERSIONED_NODES syntax nodes (each version is a copy).
 * Reading a name has no effect, so testing it once before the loop instead
 * of on each trip computes the same. In each copy, every `if` on the flag
 * is replaced by the branch that the flag's value takes.
 */
import { ts } from 'ts-morph';
import { nullContext } from '../transforms/lanes.ts';
import { assignedNames, bindingNames, forHeaderScope, isAssignment, isIncrement, isLoop, skipParens, type Loop, type Scope } from './loop-scopes.ts';
import { withLeadingComments } from './printer.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/** The largest loop (in syntax nodes) copied once per value of a flag. */
export const MAX_VERSIONED_NODES = 600;

/** Versions the loops of every function declaration in `statements` on the flags they test. */
export function versionLoops(statements: readonly ts.Statement[]): ts.Statement[] {
  return statements.map((s) => (ts.isFunctionDeclaration(s) && s.body ? versionInFunction(s) : s));
}

function versionInFunction(fn: ts.FunctionDeclaration): ts.FunctionDeclaration {
  const flags = flagCandidates(fn);
  if (flags.size === 0) return fn;
  const before = fn.body!.statements;
  const params = new Set<string>();
  for (const p of fn.parameters) bindingNames(p.name, params);
  const after = list(before, flags, params);
  if (after.every((s, i) => s === before[i])) return fn;
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, f.updateBlock(fn.body!, after));
}

/** Names declared once in `fn` (parameters included) and never mentioned inside a nested function. */
function flagCandidates(fn: ts.FunctionDeclaration): Set<string> {
  const count = new Map<string, number>();
  const inNested = new Set<string>();
  const declare = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) count.set(name.text, (count.get(name.text) ?? 0) + 1);
    else for (const e of name.elements) if (!ts.isOmittedExpression(e)) declare(e.name);
  };
  const mentions = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) inNested.add(n.text);
    ts.forEachChild(n, mentions);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) {
      if ('name' in n && n.name && ts.isIdentifier(n.name)) declare(n.name);
      mentions(n);
      return;
    }
    if (ts.isVariableDeclaration(n)) declare(n.name);
    ts.forEachChild(n, visit);
  };
  for (const p of fn.parameters) declare(p.name);
  ts.forEachChild(fn.body!, visit);
  return new Set([...count].filter(([name, c]) => c === 1 && !inNested.has(name)).map(([name]) => name));
}

// A loop is versioned only on a flag in scope before it (loop-scopes.ts).

function list(statements: readonly ts.Statement[], flags: ReadonlySet<string>, scope: Scope): ts.Statement[] {
  const local = new Set(scope);
  return statements.map((s) => {
    const out = statement(s, flags, local);
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) bindingNames(d.name, local);
    return out;
  });
}

/** `s` with its loops versioned, outer loops first. */
function statement(s: ts.Statement, flags: ReadonlySet<string>, scope: Scope): ts.Statement {
  // A labelled loop stays a loop (`continue label` needs one): only the loops inside it are versioned.
  if (ts.isLabeledStatement(s)) return f.updateLabeledStatement(s, s.label, isLoop(s.statement) ? nested(s.statement, flags, scope) : statement(s.statement, flags, scope));
  if (isLoop(s)) {
    const flag = testedFlag(s, flags, scope);
    if (flag !== null) {
      // One flag per loop; the loops inside each copy may be versioned on others.
      const copy = (value: boolean) => f.createBlock([nested(resolve(s, flag, value), flags, scope)], true);
      return f.createIfStatement(f.createIdentifier(flag), copy(true), copy(false));
    }
  }
  return nested(s, flags, scope);
}

/** `s` with the statements inside it processed; nested functions are left alone. */
function nested<T extends ts.Statement>(s: T, flags: ReadonlySet<string>, scope: Scope): T {
  if (ts.isBlock(s)) return f.updateBlock(s, list(s.statements, flags, scope)) as ts.Statement as T;
  const own = forHeaderScope(s, scope);
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return n;
    if (ts.isBlock(n)) return f.updateBlock(n, list(n.statements, flags, own));
    if (ts.isCaseClause(n)) return f.updateCaseClause(n, n.expression, list(n.statements, flags, own));
    if (ts.isDefaultClause(n)) return f.updateDefaultClause(n, list(n.statements, flags, own));
    if (ts.isStatement(n)) return statement(n, flags, own);
    return ts.visitEachChild(n, visit, nullContext);
  };
  return ts.visitEachChild(s, visit, nullContext) as T;
}

/** The flag of an `if (flag)` / `if (!flag)` in `loop`'s body outside its nested loops, when the loop may be versioned on it. */
function testedFlag(loop: Loop, flags: ReadonlySet<string>, scope: Scope): string | null {
  let size = 0;
  let blocked = false;
  const written = new Set<string>();
  const tested: string[] = [];
  const visit = (n: ts.Node, depth: number): void => {
    size++;
    if (ts.isFunctionLike(n) || ts.isClassLike(n) || ts.isLabeledStatement(n)) blocked = true;
    if (ts.isVariableDeclaration(n)) bindingNames(n.name, written);
    if (isAssignment(n)) assignedNames(n.left, written);
    if (isIncrement(n)) assignedNames(n.operand, written);
    if (ts.isIfStatement(n) && depth === 0) {
      const flag = flagOf(n.expression);
      if (flag && flags.has(flag.name)) tested.push(flag.name);
    }
    ts.forEachChild(n, (c) => visit(c, depth + (n !== loop && isLoop(n) ? 1 : 0)));
  };
  visit(loop, 0);
  if (blocked || size > MAX_VERSIONED_NODES) return null;
  return tested.find((name) => !written.has(name) && scope.has(name)) ?? null;
}

/** `flag` or `!flag` (parenthesized or not): the name and whether it is negated. */
function flagOf(e: ts.Expression): { name: string; negated: boolean } | null {
  e = skipParens(e);
  if (ts.isIdentifier(e)) return { name: e.text, negated: false };
  if (ts.isPrefixUnaryExpression(e) && e.operator === K.ExclamationToken) {
    const inner = flagOf(e.operand);
    return inner && { name: inner.name, negated: !inner.negated };
  }
  return null;
}

/**
 * `node` with every `if` on `flag` replaced by the branch `value` takes: its statements in place
 * when it declares nothing (a block otherwise), nothing when that branch is absent. The comments
 * of a replaced `if` (its source line) go to the first statement that stands for it, or to the
 * statement after it.
 */
function resolve<T extends ts.Node>(node: T, flag: string, value: boolean): T {
  const taken = (s: ts.IfStatement): ts.Statement[] | null => {
    const test = flagOf(s.expression);
    if (!test || test.name !== flag) return null;
    const branch = value !== test.negated ? s.thenStatement : s.elseStatement;
    if (!branch) return [];
    const inner = visitStatement(branch);
    if (ts.isBlock(inner) && !declaresScoped(inner)) return [...inner.statements];
    return [inner];
  };
  const statements = (list: readonly ts.Statement[]): ts.Statement[] => {
    const out: ts.Statement[] = [];
    let carried: ts.SynthesizedComment[] = [];
    for (const s of list) {
      const replaced = ts.isIfStatement(s) ? taken(s) : null;
      let produced = replaced ?? [visitStatement(s)];
      if (replaced) carried = [...carried, ...(ts.getSyntheticLeadingComments(s) ?? [])];
      if (carried.length && produced.length) {
        produced = [withLeadingComments(produced[0]!, carried), ...produced.slice(1)];
        carried = [];
      }
      out.push(...produced);
    }
    return out;
  };
  const visitStatement = (s: ts.Statement): ts.Statement => visit(s) as ts.Statement;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return n;
    if (ts.isBlock(n)) return f.updateBlock(n, statements(n.statements));
    if (ts.isCaseClause(n)) return f.updateCaseClause(n, n.expression, statements(n.statements));
    if (ts.isDefaultClause(n)) return f.updateDefaultClause(n, statements(n.statements));
    if (ts.isIfStatement(n)) {
      const replaced = taken(n);
      if (replaced) return withLeadingComments(replaced.length === 1 ? replaced[0]! : f.createBlock(replaced, true), ts.getSyntheticLeadingComments(n) ?? []);
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(node) as T;
}

/** Does the block declare a name scoped to it (`let`, `const`, a class or function)? */
function declaresScoped(b: ts.Block): boolean {
  return b.statements.some((s) => (ts.isVariableStatement(s) && (s.declarationList.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0) || ts.isClassDeclaration(s) || ts.isFunctionDeclaration(s));
}
