/**
 * Forward mode: `jvp_f(...args, ...dargs)` returns `[f(args), tangent]`.
 * Each active statement is followed by its tangent statement (`dt3 = ...`
 * from the rule table); control flow is kept as it is.
 */
import type { IRFunction, Operand, SimpleStmt, Stmt } from '../ir/ir.ts';
import type { Activity } from '../analysis/activity.ts';
import type { Recording } from '../analysis/recording.ts';
import { hoistedDeclaration, planDeclarations, type Declarations } from '../emit/declarations.ts';
import { identity, operand, pexpr, primal, ref } from '../emit/expr.ts';
import { Naming } from '../emit/naming.ts';
import { Writer } from '../emit/writer.ts';
import { ruleOf } from '../rules/index.ts';
import { calleeExport, isVectorValued, signatureParams, sourceComment, tangentArg, type EmitContext } from './common.ts';

export function emitJvp(fn: IRFunction, act: Activity, rec: Recording, ctx: EmitContext): string {
  const naming = new Naming([...fn.locals.keys(), ...fn.params.map((p) => p.name)]);
  const d = (v: string) => naming.deriv(v);
  const decls = planDeclarations(fn, rec.blockLocal);
  const w = new Writer();
  const wrt = fn.params.filter((p) => p.wrt);
  const params = [...signatureParams(fn, ctx), ...wrt.map((p) => `${d(p.name)}: ${ctx.paramType(p)}`)];
  w.line(`/** Forward mode: [${fn.name}(...), its directional derivative along (${wrt.map((p) => d(p.name)).join(', ')})]. */`);
  const ret = ctx.returnType;
  w.block(`export function jvp_${fn.name}(${params.join(', ')}): [${ret}, ${ret}]`, () => {
    emitHoisted(fn, act, decls, w, d);
    emitList(fn.body, { naming, fn, act, decls, w, d, ctx });
  });
  return w.toString();
}

interface Env {
  naming: Naming;
  fn: IRFunction;
  act: Activity;
  decls: Declarations;
  w: Writer;
  d: (v: string) => string;
  ctx: EmitContext;
}

function emitHoisted(fn: IRFunction, act: Activity, decls: Declarations, w: Writer, d: (v: string) => string): void {
  // A parameter outside wrt(...) that is assigned an active value starts with a zero tangent.
  for (const p of fn.params) {
    if (p.wrt || !act.isActive(p.name)) continue;
    if (p.type.kind === 'number') w.line(`let ${d(p.name)} = 0;`);
    else if (p.type.kind === 'tensor') w.line(`let ${d(p.name)}: Tensor = zerosLike(${p.name});`);
  }
  for (const v of decls.hoisted) {
    const t = fn.locals.get(v)!;
    w.line(hoistedDeclaration(v, t));
    if (act.isActive(v)) w.line(hoistedDeclaration(d(v), t));
  }
}

function emitList(list: readonly Stmt[], env: Env): void {
  let lastLine = -1;
  for (const s of list) {
    if (s.loc.line !== lastLine && (s.kind === 'if' || s.kind === 'loop' || lastLine === -1 || s.loc.line !== lastLine)) {
      env.w.line(sourceComment(env.fn, s.loc));
      lastLine = s.loc.line;
    }
    emitStmt(s, env);
  }
}

function emitStmt(s: Stmt, env: Env): void {
  const { w, act, d } = env;
  const tan = (o: Operand) => (o.kind === 'var' && act.isActive(o.name) ? d(o.name) : '0');
  switch (s.kind) {
    case 'if':
      w.block(`if (${pexpr(s.cond, identity)})`, () => emitList(s.then, env), s.else.length ? '} else {' : '}');
      if (s.else.length) w.indent(() => emitList(s.else, env)).line('}');
      return;
    case 'loop':
      if (s.test === 'pre') w.block(`while (${pexpr(s.cond, identity)})`, () => emitList(s.body, env));
      else w.block('do', () => emitList(s.body, env), `} while (${pexpr(s.cond, identity)});`);
      return;
    case 'return': {
      if (!isVectorValued(env.fn)) {
        w.line(`return [${operand(s.value, identity)}, ${tan(s.value)}];`);
        return;
      }
      const a = operand(s.value, identity);
      const t = env.ctx.returnType;
      const da = tan(s.value) === '0' ? `new Array<number>(${a}.length).fill(0)` : tan(s.value);
      w.line(`return [${a} as ${t}, ${da} as ${t}];`);
      return;
    }
    case 'store':
      w.line(`${ref(s.ref, identity)} = ${operand(s.value, identity)};`);
      if (act.isActive(s.ref.base)) w.line(`${ref(s.ref, identity, d(s.ref.base))} = ${tan(s.value)};`);
      return;
    case 'push':
      w.line(`${ref(s.ref, identity)}.push(${operand(s.value, identity)});`);
      if (act.isActive(s.ref.base)) w.line(`${ref(s.ref, identity, d(s.ref.base))}.push(${tan(s.value)});`);
      return;
    case 'assign':
      emitAssign(s, env);
      return;
    default:
      s satisfies never;
  }
}

function emitAssign(s: Extract<SimpleStmt, { kind: 'assign' }>, env: Env): void {
  const { w, act, d, decls } = env;
  const decl = decls.declaredAt.get(s);
  const kw = decl ? `${decl} ` : '';
  const active = act.isActive(s.target);
  const e = s.expr;
  if (e.kind === 'call' && active) {
    const args = e.args.map((a) => operand(a, identity));
    const dargs = e.args.flatMap((a, i) => (e.callee.wrt[i] ? [tangentArg(a, e.callee.params[i]!, act, d)] : []));
    w.line(`${kw}[${s.target}, ${d(s.target)}] = ${calleeExport(e.callee, 'jvp')}(${[...args, ...dargs].join(', ')});`);
    return;
  }
  if (active && (e.kind === 'prim' || e.kind === 'tensorOp') && e.args.some((a) => a.kind === 'var' && a.name === s.target)) {
    // `x = x * y`: the tangent needs the old x, so the new value waits in a temporary.
    const next = env.naming.fresh(`${s.target}_next`);
    w.line(`const ${next} = ${primal(e, identity)};`);
    w.line(`${d(s.target)} = ${tangentOf(s, env, next)};`);
    w.line(`${s.target} = ${next};`);
    return;
  }
  w.line(`${kw}${s.target} = ${primal(e, identity)};`);
  if (!active) return;
  const tangent = tangentOf(s, env, s.target);
  w.line(`${kw}${d(s.target)} = ${tangent};`);
}

/** The tangent expression of an active assignment. */
function tangentOf(s: Extract<SimpleStmt, { kind: 'assign' }>, env: Env, out: string): string {
  const { act, d } = env;
  const e = s.expr;
  const tan = (o: Operand) => (o.kind === 'var' && act.isActive(o.name) ? d(o.name) : null);
  const zeroLike = (o: Operand) => {
    const t = o.kind === 'var' ? (env.fn.locals.get(o.name) ?? env.fn.params.find((p) => p.name === o.name)?.type) : undefined;
    return t?.kind === 'tensor' ? `zerosLike(${operand(o, identity)})` : '0';
  };
  switch (e.kind) {
    case 'prim':
    case 'tensorOp': {
      const rule = ruleOf(e);
      const isTensor = env.fn.locals.get(s.target)?.kind === 'tensor';
      const t = rule.jvp({ args: e.args.map((a) => operand(a, identity)), out, dargs: e.args.map(tan) });
      if (t === null) return isTensor ? `zerosLike(${out})` : '0';
      return isTensor && e.kind === 'tensorOp' ? `asTensor(${t})` : t;
    }
    case 'copy':
      return tan(e.src) ?? zeroLike(e.src);
    case 'load':
      return act.isActive(e.ref.base) ? ref(e.ref, identity, d(e.ref.base)) : env.fn.locals.get(s.target)?.kind === 'tensor' ? `zerosLike(${s.target})` : '0';
    case 'newArray':
      return primal(e, identity);
    case 'copyArray':
      return act.isActive(e.src.base)
        ? primal({ ...e, src: { ...e.src, base: d(e.src.base) } }, identity)
        : primal({ kind: 'newArray', ctor: e.ctor, size: null, elems: [] }, identity).replace('(0)', `(${ref(e.src, identity)}.length)`).replace('[] as number[]', `new Array<number>(${ref(e.src, identity)}.length).fill(0)`);
    case 'pure':
    case 'opaqueCall':
      return '0';
    case 'call':
      throw new Error('internal: calls are emitted with their tangent');
    default:
      return e satisfies never;
  }
}
