/**
 * Forward mode: `jvp_f(...args, ...dargs)` returns `[f(args), tangent]`.
 * Each active statement is followed by its tangent statement (`dt3 = ...`
 * from the rule table); control flow is kept as it is. The result is a
 * syntax tree (compiler/emit/template.ts), printed by the module emitter.
 */
import { ts } from 'ts-morph';
import type { IRFunction, Operand, SimpleStmt, Stmt } from '../ir/ir.ts';
import type { Activity } from '../analysis/activity.ts';
import type { Recording } from '../analysis/recording.ts';
import { hoistedDeclaration, planDeclarations, type Declarations } from '../emit/declarations.ts';
import type { FunctionNames } from '../emit/names.ts';
import { id, identity, newArray, operand, pexpr, popped, primal, ref, RuleCall } from '../emit/nodes.ts';
import { docComment, lineComment } from '../emit/printer.ts';
import { expr, stmt, stmts, typeFromText } from '../emit/template.ts';
import { ruleOf } from '../rules/index.ts';
import { recordTangent, tangentOf as structTangent } from './structures.ts';
import { callNames, exportName, functionNames, isStructureValued, isTensorValued, isVectorValued, primalResult, tangentType, param, signatureParams, sourceComment, tangentArg, type EmitContext } from './common.ts';

const f = ts.factory;

export function emitJvp(fn: IRFunction, act: Activity, rec: Recording, ctx: EmitContext): ts.FunctionDeclaration {
  const names = functionNames(ctx);
  const d = (v: string) => names.deriv(v);
  const decls = planDeclarations(fn, rec.blockLocal);
  const wrt = fn.params.filter((p) => p.wrt);
  const params = [...signatureParams(fn, ctx), ...wrt.map((p) => param(d(p.name), typeFromText(ctx.paramType(p))))];
  const env: Env = { names, fn, act, decls, d, ctx };
  const body = [...hoisted(env), ...list(fn.body, env)];
  const ret = typeFromText(ctx.returnType);
  const decl = f.createFunctionDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    undefined,
    exportName(fn, 'jvp'),
    undefined,
    params,
    f.createTupleTypeNode([ret, tangentType(fn, ctx)]),
    f.createBlock(body, true),
  );
  return docComment(decl, `Forward mode: [${fn.name}(...), its directional derivative along (${wrt.map((p) => d(p.name)).join(', ')})].`);
}

interface Env {
  names: FunctionNames;
  fn: IRFunction;
  act: Activity;
  decls: Declarations;
  d: (v: string) => string;
  ctx: EmitContext;
}

function hoisted(env: Env): ts.Statement[] {
  const { fn, act, decls, d } = env;
  const out: ts.Statement[] = [];
  // A parameter outside wrt(...) that is assigned an active value starts with a zero tangent.
  for (const p of fn.params) {
    if (p.wrt || !act.isActive(p.name)) continue;
    if (p.type.kind === 'number') out.push(stmt`let ${d(p.name)} = 0;`);
    else if (p.type.kind === 'tensor') out.push(stmt`let ${d(p.name)}: Tensor = zerosLike(${p.name});`);
    // An array the function fills (or writes) without differentiating its input values: zero tangents, written and dropped.
    else if (p.type.kind === 'array') out.push(stmt`const ${d(p.name)} = zerosLike(${p.name});`);
  }
  for (const v of decls.hoisted) {
    const t = fn.locals.get(v)!;
    out.push(hoistedDeclaration(v, t));
    if (act.isActive(v)) out.push(hoistedDeclaration(d(v), t));
  }
  return out;
}

function list(items: readonly Stmt[], env: Env): ts.Statement[] {
  const out: ts.Statement[] = [];
  let lastComment = '';
  for (const s of items) {
    const emitted = statement(s, env);
    const comment = sourceComment(env.fn, s.loc);
    if (emitted.length && comment !== lastComment) {
      lineComment(emitted[0]!, comment);
      lastComment = comment;
    }
    out.push(...emitted);
  }
  return out;
}

function statement(s: Stmt, env: Env): ts.Statement[] {
  const { act, d } = env;
  const tan = (o: Operand): ts.Expression => (o.kind === 'var' && act.isActive(o.name) ? id(d(o.name)) : f.createNumericLiteral(0));
  switch (s.kind) {
    case 'if': {
      const otherwise = list(s.else, env);
      return [f.createIfStatement(pexpr(s.cond, identity), f.createBlock(list(s.then, env), true), otherwise.length ? f.createBlock(otherwise, true) : undefined)];
    }
    case 'loop': {
      const body = f.createBlock(list(s.body, env), true);
      return [s.test === 'pre' ? f.createWhileStatement(pexpr(s.cond, identity), body) : f.createDoStatement(body, pexpr(s.cond, identity))];
    }
    case 'return': {
      if (isTensorValued(env.fn)) {
        // An inactive tensor result has a zero tangent of its shape.
        const value = operand(s.value, identity);
        const tangent = s.value.kind === 'var' && act.isActive(s.value.name) ? tan(s.value) : expr`zerosLike(${operand(s.value, identity)})`;
        return stmts`return [${value}, ${tangent}];`;
      }
      if (!isVectorValued(env.fn)) return stmts`return [${primalResult(env.fn, operand(s.value, identity))}, ${tan(s.value)}];`;
      const a = operand(s.value, identity);
      const t = () => typeFromText(env.ctx.returnType);
      const activeVar = s.value.kind === 'var' && act.isActive(s.value.name);
      // A structure of tensors that does not depend on the inputs: zeros of its shape.
      const inactive = isStructureValued(env.fn) ? expr`zerosLike(${operand(s.value, identity)})` : expr`new Array<number>(${operand(s.value, identity)}.length).fill(0)`;
      const da = activeVar ? tan(s.value) : inactive;
      return stmts`return [${a} as ${t()}, ${da} as ${t()}];`;
    }
    case 'store': {
      const out = stmts`${ref(s.ref, identity)} = ${operand(s.value, identity)};`;
      if (act.isActive(s.ref.base)) out.push(...stmts`${ref(s.ref, identity, d(s.ref.base))} = ${tan(s.value)};`);
      return out;
    }
    case 'push': {
      const out = stmts`${ref(s.ref, identity)}.push(${operand(s.value, identity)});`;
      if (act.isActive(s.ref.base)) out.push(...stmts`${ref(s.ref, identity, d(s.ref.base))}.push(${structTangent(s.value, env.fn, act, d)});`);
      return out;
    }
    case 'assign':
      return assign(s, env);
    default:
      return s satisfies never;
  }
}

/** `const x = e;`, `let x = e;` or `x = e;` as the declaration plan says. */
function define(kw: 'const' | 'let' | undefined, name: string, value: ts.Expression): ts.Statement {
  if (kw === 'const') return stmt`const ${name} = ${value};`;
  if (kw === 'let') return stmt`let ${name} = ${value};`;
  return stmt`${name} = ${value};`;
}

function assign(s: Extract<SimpleStmt, { kind: 'assign' }>, env: Env): ts.Statement[] {
  const { act, d, decls, ctx } = env;
  const kw = decls.declaredAt.get(s);
  const active = act.isActive(s.target);
  const e = s.expr;
  const calleeName = callNames(ctx);
  if (e.kind === 'pop' && act.isActive(e.ref.base)) {
    // The tangent array gives up its element with the array, whether the element is used or not.
    const tangent = popped(ref(e.ref, identity, d(e.ref.base)), e.end);
    const out = [define(kw, s.target, primal(e, identity, calleeName))];
    out.push(active ? define(kw, d(s.target), tangent) : f.createExpressionStatement(tangent));
    return out;
  }
  if (e.kind === 'call' && active) {
    const args = e.args.map((a) => operand(a, identity));
    const dargs = e.args.flatMap((a, i) => (e.callee.wrt[i] ? [tangentArg(a, e.callee.params[i]!, act, d)] : []));
    const call = f.createCallExpression(id(ctx.callee(e.callee, 'jvp')), undefined, [...args, ...dargs]);
    const pattern = f.createArrayBindingPattern([f.createBindingElement(undefined, undefined, s.target), f.createBindingElement(undefined, undefined, d(s.target))]);
    if (kw) return [f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(pattern, undefined, undefined, call)], kw === 'const' ? ts.NodeFlags.Const : ts.NodeFlags.Let))];
    return stmts`[${s.target}, ${d(s.target)}] = ${call};`;
  }
  if (active && (e.kind === 'prim' || e.kind === 'tensorOp') && e.args.some((a) => a.kind === 'var' && a.name === s.target)) {
    // `x = x * y`: the tangent needs the old x. When it reads only the old x (`x = x + y`: dx + dy),
    // it goes first; when it needs the new one too, the new value waits in a temporary.
    if (!readsOut(e, act)) return [stmt`${d(s.target)} = ${tangentOf(s, env, s.target)};`, stmt`${s.target} = ${primal(e, identity, calleeName)};`];
    const next = env.names.fresh(`${s.target}_next`);
    return [stmt`const ${next} = ${primal(e, identity, calleeName)};`, stmt`${d(s.target)} = ${tangentOf(s, env, next)};`, stmt`${s.target} = ${next};`];
  }
  const out = [define(kw, s.target, primal(e, identity, calleeName))];
  if (active) out.push(define(kw, d(s.target), tangentOf(s, env, s.target)));
  return out;
}

/** The tangent expression of an active assignment. */
function tangentOf(s: Extract<SimpleStmt, { kind: 'assign' }>, env: Env, out: string): ts.Expression {
  const { act, d } = env;
  const e = s.expr;
  const isTensor = env.fn.locals.get(s.target)?.kind === 'tensor';
  const zero = () => (isTensor ? expr`zerosLike(${out})` : f.createNumericLiteral(0));
  switch (e.kind) {
    case 'prim':
    case 'tensorOp': {
      const rule = ruleOf(e);
      const call = new RuleCall(e.args, identity);
      const dargs = e.args.map((a, i) => (a.kind === 'var' && act.isActive(a.name) ? call.named(`__darg${i}__`, d(a.name)) : null));
      const t = rule.jvp({ args: call.args, out: call.named('__out__', out), dargs });
      if (t === null) return zero();
      const tangent = call.tree(t);
      return isTensor && e.kind === 'tensorOp' ? expr`asTensor(${tangent})` : tangent;
    }
    case 'copy': {
      if (e.src.kind === 'var' && act.isActive(e.src.name)) return id(d(e.src.name));
      const src = e.src;
      const t = src.kind === 'var' ? (env.fn.locals.get(src.name) ?? env.fn.params.find((p) => p.name === src.name)?.type) : undefined;
      return t?.kind === 'tensor' ? expr`zerosLike(${operand(e.src, identity)})` : f.createNumericLiteral(0);
    }
    case 'load':
      return act.isActive(e.ref.base) ? ref(e.ref, identity, d(e.ref.base)) : zero();
    case 'newArray':
      return primal(e, identity);
    case 'record':
      return recordTangent(e, env.fn, act, d);
    case 'copyArray':
      if (act.isActive(e.src.base)) return primal({ ...e, src: { ...e.src, base: d(e.src.base) } }, identity);
      return newArray(e.ctor, expr`${ref(e.src, identity)}.length`);
    case 'pure':
    case 'opaqueCall':
      return f.createNumericLiteral(0);
    case 'pop':
      // An inactive array's element (an active one is emitted with its tangent, in assign).
      return f.createNumericLiteral(0);
    case 'call':
      throw new Error('internal: calls are emitted with their tangent');
    default:
      return e satisfies never;
  }
}

/** Does the tree mention the identifier `name`? */
function mentions(node: ts.Node, name: string): boolean {
  let found = false;
  const walk = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n.text === name) found = true;
    else ts.forEachChild(n, walk);
  };
  walk(node);
  return found;
}

/** Does the rule's tangent read the result (`out`)? Then the new value must exist before the tangent. */
function readsOut(e: Extract<import('../ir/ir.ts').Expr, { kind: 'prim' | 'tensorOp' }>, act: Activity): boolean {
  const rule = ruleOf(e);
  const call = new RuleCall(e.args, identity);
  const out = call.named('__out__', '__result_probe__');
  const dargs = e.args.map((a, i) => (a.kind === 'var' && act.isActive(a.name) ? call.named(`__darg${i}__`, `__t${i}__`) : null));
  const t = rule.jvp({ args: call.args, out, dargs });
  return t !== null && mentions(call.tree(t), '__result_probe__');
}
