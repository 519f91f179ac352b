/**
 * Reverse mode: `valueAndVjp_f(...args, dy)` returns `[f(args), cotangents]`.
 *
 * The function runs a forward sweep (the primal code plus the tape pushes
 * the recording analysis asked for, and one entry per branch / loop on the
 * control tape), then an adjoint sweep that visits the blocks backwards.
 * Each block's reverse code:
 *   1. pops what the forward sweep pushed for it (in reverse order);
 *   2. restores loop counters by undoing their updates;
 *   3. recomputes the block's intermediate values it needs;
 *   4. walks the block's statements backwards, accumulating adjoints
 *      (`dt1 += g * t2`) with the rules of compiler/rules.
 * The result is a syntax tree (compiler/emit/template.ts).
 */
import { ts } from 'ts-morph';
import { isStructured, type IRFunction, type Operand, type Param, type Ref, type Stmt, type VarType } from '../ir/ir.ts';
import { stmtReads } from '../ir/walk.ts';
import { sameOperand } from '../ir/equal.ts';
import type { TripCounter } from '../analysis/tbr-counters.ts';
import { pushedAdjoint, recordAdjoint, seedRecord, sharedFieldAdjoints, structureAdjointInit } from './structures.ts';
import type { Activity } from '../analysis/activity.ts';
import { vjpReads, type BlockPlan, type BlockStmt, type Recording } from '../analysis/recording.ts';
import { hoistedDeclaration, planDeclarations, type Declarations } from '../emit/declarations.ts';
import type { FunctionNames } from '../emit/names.ts';
import { emptyArrayOf, Holes, id, identity, irType, operand, pexpr, primal, ref, RuleCall, type NameOf } from '../emit/nodes.ts';
import { docComment, lineComment } from '../emit/printer.ts';
import { expr, stmt, stmts, typeFromText } from '../emit/template.ts';
import { ruleOf } from '../rules/index.ts';
import { mul as mulExpr } from '../rules/algebra.ts';
import { checkpointedForward, checkpointedReverse, isCheckpointed } from './checkpoint.ts';
import { callNames, exportName, functionNames, gradsType, isStructureValued, isTensorValued, isVectorValued, primalResult, param, seedType, signatureParams, sourceComment, writableType, type EmitContext } from './common.ts';

const f = ts.factory;

/** One thing the forward sweep of a block pushes, in order. */
type PushEvent =
  | { kind: 'snapshot'; v: string }
  | { kind: 'counterInit'; k: number; v: string }
  | { kind: 'realloc'; k: number; v: string }
  | { kind: 'argCopy'; k: number; v: string }
  | { kind: 'restore'; k: number; v: string }
  | { kind: 'def'; k: number; v: string };

type TapeKind = 'values' | 'control' | 'refs';

/** Tensors (immutable) and objects loaded from parameters are recorded by reference on the refs tape, numbers on the values tape. */
function stackOf(fn: IRFunction, v: string): 'values' | 'refs' {
  const t = fn.locals.get(v) ?? fn.params.find((p) => p.name === v)?.type;
  // The values tape holds numbers only: flags and constants (strings, enums) go with the references.
  return t?.kind === 'tensor' || t?.kind === 'object' || t?.kind === 'tuple' || t?.kind === 'bool' || t?.kind === 'opaque' ? 'refs' : 'values';
}

function pushEvents(plan: BlockPlan): PushEvent[] {
  const events: PushEvent[] = plan.snapshots.map((v) => ({ kind: 'snapshot', v }));
  plan.stmts.forEach((s, k) => {
    if (s.kind === 'store' && plan.restores.has(k)) events.push({ kind: 'restore', k, v: s.ref.base });
    if (s.kind !== 'assign') return;
    if (plan.counterInits.has(k)) events.push({ kind: 'counterInit', k, v: s.target });
    if (plan.reallocations.has(k)) events.push({ kind: 'realloc', k, v: s.target });
    for (const a of plan.argCopies.get(k) ?? []) events.push({ kind: 'argCopy', k, v: a });
    if (plan.tapedAtDef.has(k)) events.push({ kind: 'def', k, v: s.target });
  });
  return events;
}

interface Env {
  fn: IRFunction;
  act: Activity;
  rec: Recording;
  decls: Declarations;
  names: FunctionNames;
  d: (v: string) => string;
  seed: string;
  valueName: string;
  ctx: EmitContext;
  /** The local handle on one of the shared tapes (`valueTape`), declared at the top when used. */
  tape(kind: TapeKind): ts.Identifier;
  /** The exactness flag of a guarded counter (`liExact`, tbr-counters.ts), or null where the counter is recorded without one. */
  exact(v: string): ts.Identifier | null;
  /**
   * Branches whose reverse code runs on the last trip that took them only (analysis/last-taken.ts): the
   * local holding that trip's number, by `if`, in the sweep being emitted; and the trip counter of each
   * loop, by loop (`trips` in the forward sweep, `trip` in the reverse one).
   */
  taken: Map<Stmt, string>;
  tripOf: Map<Stmt, string>;
}

export function emitVjp(fn: IRFunction, act: Activity, rec: Recording, ctx: EmitContext): ts.FunctionDeclaration {
  const names = functionNames(ctx);
  const d = (v: string) => names.deriv(v);
  const decls = planDeclarations(fn, rec.blockLocal);
  const seed = names.seed();
  // Reads the shared tapes through locals (`const valueTape = tape.values`): V8 then keeps the
  // stack in registers inside hot loops (the logistic map's gradient ran 1.6x the hand-written one without, 1.3x with).
  const tapeLocals = new Map<TapeKind, string>();
  const tape = (kind: TapeKind): ts.Identifier => {
    let n = tapeLocals.get(kind);
    if (!n) {
      n = names.fresh({ values: 'valueTape', control: 'controlTape', refs: 'refTape' }[kind]);
      tapeLocals.set(kind, n);
    }
    return id(n);
  };
  // Guarded counters get a flag each; the second-order form (ctx.noCounterGuards) records them on block entry always.
  const flags = new Map<string, string>();
  const exact = (v: string): ts.Identifier | null => {
    if (!rec.guardedCounters.has(v) || ctx.noCounterGuards) return null;
    let n = flags.get(v);
    if (!n) {
      n = names.fresh(`${v}Exact`);
      flags.set(v, n);
    }
    return id(n);
  };
  const env: Env = { fn, act, rec, decls, names, d, seed, valueName: names.fresh('value'), ctx, tape, exact, taken: new Map(), tripOf: new Map() };
  const wrt = fn.params.filter((p) => p.wrt);
  const params = [...signatureParams(fn, ctx), param(seed, seedType(fn, ctx))];
  const body: ts.Statement[] = [];
  for (const v of decls.hoisted) {
    const t = fn.locals.get(v)!;
    body.push(hoistedDeclaration(v, t));
    if (isStructured(t) && act.isActive(v)) body.push(hoistedDeclaration(d(v), t));
  }
  const forward = forwardList(fn.body, env);
  if (forward.length) lineComment(forward[0]!, 'forward sweep', true);
  const forwardStart = body.length;
  body.push(...forward);
  const adjoint: ts.Statement[] = [];
  for (const p of wrt) {
    if (p.type.kind === 'number') adjoint.push(stmt`let ${d(p.name)} = 0;`);
    else if (p.type.kind === 'tensor') adjoint.push(stmt`let ${d(p.name)}: Tensor | null = null;`);
    else adjoint.push(stmt`const ${d(p.name)} = ${writableZeros(p, ctx)};`);
  }
  const nonWrtParams = fn.params.filter((p) => !p.wrt && act.isActive(p.name)).map((p): [string, VarType] => [p.name, p.type]);
  const localAdjoints = [...fn.locals.entries(), ...nonWrtParams].filter(([v]) => act.isActive(v) && !rec.blockLocal.has(v));
  for (const [v, t] of localAdjoints) {
    if (t.kind === 'number') adjoint.push(stmt`let ${d(v)} = 0;`);
    else if (t.kind === 'tensor') adjoint.push(stmt`let ${d(v)}: Tensor | null = null;`);
  }
  // An array parameter outside wrt(...) that is written (a filled array whose input values are not
  // differentiated): its cotangents start at zero, and what reaches its input values is dropped.
  for (const [v, t] of nonWrtParams) if (t.kind === 'array') adjoint.push(stmt`const ${d(v)} = zerosLike(${v});`);
  adjoint.push(...reverseList(fn.body, env));
  const gradOf = (p: (typeof wrt)[number]) =>
    p.type.kind === 'tensor' ? expr`${d(p.name)} ?? zerosLike(${p.name})` : holdsTensors(p.type) ? expr`fillZeros(${d(p.name)}, ${p.name})` : id(d(p.name));
  const result = wrt.length === 1 ? gradOf(wrt[0]!) : f.createArrayLiteralExpression(wrt.map(gradOf));
  adjoint.push(stmt`return [${primalResult(fn, id(env.valueName))}, ${result}];`);
  lineComment(adjoint[0]!, 'adjoint sweep', true);
  body.push(...adjoint);
  // The flags are named while the sweeps are emitted: declared at the top once known.
  body.splice(forwardStart, 0, ...[...flags.values()].map((n) => stmt`let ${n} = false;`));
  const handles = (['values', 'control', 'refs'] as const).filter((k) => tapeLocals.has(k));
  if (handles.length) {
    const declarations = handles.map((k) => f.createVariableDeclaration(tapeLocals.get(k)!, undefined, undefined, expr`tape.${id(k)}`));
    body.unshift(f.createVariableStatement(undefined, f.createVariableDeclarationList(declarations, ts.NodeFlags.Const)));
  }
  const decl = f.createFunctionDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    undefined,
    exportName(fn, 'valueAndVjp'),
    undefined,
    params,
    f.createTupleTypeNode([typeFromText(ctx.returnType), gradsType(fn, ctx)]),
    f.createBlock(body, true),
  );
  return docComment(decl, `Reverse mode: [${fn.name}(...), ${seed} times its gradient with respect to (${wrt.map((p) => p.name).join(', ')})].`);
}

/**
 * `zerosLike(p)`, the adjoint of an array or object parameter. It is
 * accumulated into in place, so a `readonly` parameter type (`readonly
 * number[]`, `ReadonlyArray<number>`, `Readonly<P>`) gets the writable one:
 * `zerosLike(xs) as number[]`.
 */
function writableZeros(p: Param, ctx: EmitContext): ts.Expression {
  // Tensor leaves start empty (null) and take their first contribution as it is; fillZeros at the end
  // gives the leaves that got none their zeros. No zero tensor is made and added to per call.
  const zeros = holdsTensors(p.type) ? expr`lazyZerosLike(${p.name})` : expr`zerosLike(${p.name})`;
  const spelled = ctx.paramType(p);
  if (!/\breadonly\b|\bReadonly(Array)?</.test(spelled)) return zeros;
  return f.createAsExpression(zeros, writableType(typeFromText(spelled)));
}

// ---- forward sweep ----

function forwardList(list: readonly Stmt[], env: Env): ts.Statement[] {
  const out: ts.Statement[] = [];
  for (const item of env.rec.blocksOf(list)) {
    if (Array.isArray(item)) out.push(...forwardBlock(env.rec.plans.get(item)!, env));
    else out.push(...forwardControl(item, env));
  }
  return out;
}

function forwardControl(s: Stmt, env: Env): ts.Statement[] {
  const { rec } = env;
  if (isCheckpointed(s, rec)) return checkpointedForward(s, env);
  const record = rec.hasReverse(s);
  const control = () => env.tape('control');
  const out: ts.Statement[] = [];
  if (s.kind === 'if') {
    const then = forwardList(s.then, env);
    const otherwise = forwardList(s.else, env);
    const last = rec.lastTaken.get(s);
    if (last) {
      // The number of the trip that takes the branch, kept for the reverse sweep (pushed after the loop).
      const trips = env.tripOf.get(last.loop)!;
      (last.branch === 'then' ? then : otherwise).push(stmt`${env.taken.get(s)!} = ${trips} + 1;`);
    } else if (record) {
      then.push(stmt`${control()}.push(1);`);
      otherwise.push(stmt`${control()}.push(0);`);
    }
    out.push(f.createIfStatement(pexpr(s.cond, identity), f.createBlock(then, true), otherwise.length ? f.createBlock(otherwise, true) : undefined));
  } else if (s.kind === 'loop') {
    const trips = record ? env.names.fresh('trips') : null;
    if (trips) out.push(stmt`let ${trips} = 0;`);
    const taken = takenIn(s, env);
    for (const t of taken) out.push(stmt`let ${t} = 0;`);
    if (trips) env.tripOf.set(s, trips);
    const body = forwardList(s.body, env);
    if (trips) body.push(stmt`${trips}++;`);
    const block = f.createBlock(body, true);
    out.push(s.test === 'pre' ? f.createWhileStatement(pexpr(s.cond, identity), block) : f.createDoStatement(block, pexpr(s.cond, identity)));
    // A trip count the reverse sweep recomputes from the loop's bound is pushed only where the guard fails (tbr-counters.ts).
    const bound = tripCountFromBound(s, env);
    if (trips) out.push(bound ? stmt`if (!(${bound.guard})) { ${control()}.push(${trips}); }` : stmt`${control()}.push(${trips});`);
    for (const t of taken) out.push(stmt`${control()}.push(${t});`);
    // Values the loop reads and does not write, recorded once for all its trips (recording.ts loopSnapshots).
    for (const v of rec.loopSnapshots.get(s) ?? []) out.push(stmt`${env.tape(stackOf(env.fn, v))}.push(${v});`);
  }
  if (out.length) lineComment(out[0]!, sourceComment(env.fn, s.loc));
  return out;
}

/** `const x = e;`, `let x = e;` or `x = e;` as the declaration plan says. */
function define(kw: 'const' | 'let' | undefined, name: string, value: ts.Expression): ts.Statement {
  if (kw === 'const') return stmt`const ${name} = ${value};`;
  if (kw === 'let') return stmt`let ${name} = ${value};`;
  return stmt`${name} = ${value};`;
}

function forwardBlock(plan: BlockPlan, env: Env): ts.Statement[] {
  const { act, d, decls, ctx } = env;
  const out: ts.Statement[] = [];
  for (const v of plan.snapshots) {
    const flag = env.exact(v);
    // A guarded counter is pushed only where it is not an exact integer (its steps are undone otherwise).
    out.push(flag ? stmt`if (!${flag}) { ${env.tape('values')}.push(${v}); }` : stmt`${env.tape(stackOf(env.fn, v))}.push(${v});`);
  }
  const calleeName = callNames(ctx);
  plan.stmts.forEach((s, k) => {
    if (s.kind === 'return') {
      const value = operand(s.value, identity);
      out.push(isVectorValued(env.fn) ? stmt`const ${env.valueName} = ${value} as ${typeFromText(ctx.returnType)};` : stmt`const ${env.valueName} = ${value};`);
      return;
    }
    if (s.kind === 'store') {
      // An array recorded per write: the element the store overwrites goes on the tape first.
      if (plan.restores.has(k)) out.push(stmt`${env.tape('values')}.push(${ref(s.ref, identity)});`);
      out.push(stmt`${ref(s.ref, identity)} = ${operand(s.value, identity)};`);
      return;
    }
    if (s.kind === 'push') {
      out.push(stmt`${ref(s.ref, identity)}.push(${operand(s.value, identity)});`);
      // A row pushed into a local 2-D array: its adjoint array is pushed into the 2-D adjoint, the same object,
      // as the row itself is (JavaScript pushes a reference), so a write through either reaches both.
      // A tensor gets a null adjoint (no zero tensor made), an object local its own adjoint (transforms/structures.ts).
      const pushed = pushedAdjoint(s.value, env.fn, act, d) ?? f.createNumericLiteral(0);
      if (act.isActive(s.ref.base)) out.push(stmt`${ref(s.ref, identity, d(s.ref.base))}.push(${pushed});`);
      return;
    }
    if (plan.counterInits.has(k)) {
      out.push(stmt`${env.tape('values')}.push(${s.target});`);
      const flag = env.exact(s.target);
      if (flag) out.push(stmt`${env.tape('control')}.push(${flag} ? 1 : 0);`);
    }
    if (plan.reallocations.has(k)) out.push(stmt`${env.tape('refs')}.push(${d(s.target)});`);
    for (const a of plan.argCopies.get(k) ?? []) {
      // A 2-D array is copied row by row: its rows may be written after the call.
      const rows = (env.fn.locals.get(a) as Extract<VarType, { kind: 'array' }> | undefined)?.elem.kind === 'array';
      const r = rows ? env.names.fresh('row') : '';
      out.push(rows ? stmt`${env.tape('refs')}.push(${a}.map((${r}) => ${r}.slice()));` : stmt`${env.tape('refs')}.push(${a}.slice());`);
    }
    const kw = decls.declaredAt.get(s);
    out.push(define(kw, s.target, primal(s.expr, identity, calleeName)));
    const flag = plan.guardInits.has(k) ? env.exact(s.target) : null;
    // `(v | 0) === v` first: the same truth value for an int32 (an integer far below the bound), one instruction.
    if (flag) out.push(stmt`${flag} = (${s.target} | 0) === ${s.target} || Number.isInteger(${s.target}) && Math.abs(${s.target}) <= ${f.createNumericLiteral(EXACT_COUNTER_BOUND)};`);
    const e = s.expr;
    if (e.kind === 'pop' && act.isActive(e.ref.base)) {
      // The adjoint array stays as long as the array: it gives up its (zero) element too.
      const darr = ref(e.ref, identity, d(e.ref.base));
      out.push(e.end === 'last' ? stmt`${darr}.pop();` : stmt`${darr}.shift();`);
    }
    if ((e.kind === 'newArray' || e.kind === 'copyArray' || (e.kind === 'call' && e.callee.returns.kind !== 'number' && e.callee.returns.kind !== 'tensor')) && act.isActive(s.target)) {
      const t = env.fn.locals.get(s.target);
      const lazy = t?.kind !== 'array' || (t.elem.kind !== 'number' && !(e.kind === 'newArray' && !e.size));
      out.push(define(kw, d(s.target), lazy ? structureAdjointInit(s.target) : zerosOfSameShape(s.target, e.kind === 'newArray' ? e : null, env)));
    }
    if (e.kind === 'record' && act.isActive(s.target) && s.target !== seedRecord(env.fn)) {
      out.push(define(kw, d(s.target), structureAdjointInit(s.target)), ...sharedFieldAdjoints(s.target, e, env.fn, act, d));
    }
    if (plan.tapedAtDef.has(k)) out.push(stmt`${env.tape(stackOf(env.fn, s.target))}.push(${s.target});`);
  });
  if (out.length) lineComment(out[0]!, blockComment(plan, env));
  return out;
}

function zerosOfSameShape(target: string, alloc: { ctor: string; size: Operand | null } | null, env: Env): ts.Expression {
  const t = env.fn.locals.get(target)!;
  if (t.kind !== 'array') throw new Error('internal: not an array');
  if (alloc && alloc.ctor === 'Array' && !alloc.size) return t.elem.kind === 'number' ? expr`[] as number[]` : emptyArrayOf(t.elem);
  if (t.ctor === 'Array') return expr`new Array<number>(${target}.length).fill(0)`;
  return f.createNewExpression(id(t.ctor), undefined, [expr`${target}.length`]);
}

/** `model.ts:3-5`: the source lines a block derives from. */
function blockComment(plan: BlockPlan, env: Env): string {
  const lines = plan.stmts.map((s) => s.loc.line);
  const lo = Math.min(...lines);
  const hi = Math.max(...lines);
  return `${env.fn.sourceFile}:${lo}${hi > lo ? `-${hi}` : ''}`;
}

// ---- adjoint sweep ----

function reverseList(list: readonly Stmt[], env: Env): ts.Statement[] {
  const items = env.rec.blocksOf(list);
  const out: ts.Statement[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (Array.isArray(item)) {
      const plan = env.rec.plans.get(item)!;
      if (plan.hasReverse) out.push(...reverseBlock(plan, env));
    } else if (env.rec.hasReverse(item)) {
      out.push(...reverseControl(item, env));
    }
  }
  return out;
}

function reverseControl(s: Stmt, env: Env): ts.Statement[] {
  if (isCheckpointed(s, env.rec)) return checkpointedReverse(s, env, { forwardList, reverseList });
  const control = env.tape('control');
  let out: ts.Statement | null = null;
  if (s.kind === 'if') {
    const last = env.rec.lastTaken.get(s);
    const otherwise = env.rec.hasReverse(s.else) ? reverseList(s.else, env) : [];
    if (last) {
      // Only the last trip that took the branch has anything to do (analysis/last-taken.ts).
      const branch = last.branch === 'then' ? reverseList(s.then, env) : otherwise;
      out = f.createIfStatement(expr`${env.tripOf.get(last.loop)!} === ${env.taken.get(s)!}`, f.createBlock(branch, true));
    } else out = f.createIfStatement(expr`${control}.pop() === 1`, f.createBlock(reverseList(s.then, env), true), otherwise.length ? f.createBlock(otherwise, true) : undefined);
  } else if (s.kind === 'loop') {
    const n = env.names.fresh('trip');
    env.tripOf.set(s, n);
    const taken = takenIn(s, env);
    const counters = env.rec.tripCounters.get(s) ?? [];
    if (counters.length) {
      // Counters nothing outside the loop reads start from their exit value, init + trips * step (tbr-counters.ts).
      const trips = env.names.fresh('trips');
      const starts = counters.map((c) => {
        const steps = c.step === 1 ? id(trips) : expr`${trips} * ${f.createNumericLiteral(Math.abs(c.step))}`;
        const e = c.init.expr;
        if (e.kind === 'copy' && e.src.kind === 'const' && e.src.value === 0) return c.step > 0 ? stmt`${c.v} = ${steps};` : stmt`${c.v} = -${steps};`;
        const init = primal(e, identity, callNames(env.ctx));
        return c.step > 0 ? stmt`${c.v} = ${init} + ${steps};` : stmt`${c.v} = ${init} - ${steps};`;
      });
      const bound = tripCountFromBound(s, env);
      const count = bound ? expr`${bound.guard} ? ${bound.count} : ${control}.pop()` : expr`${control}.pop()`;
      out = stmt`{ const ${trips} = ${count}; ${starts}; for (let ${n} = ${trips}; ${n} > 0; ${n}--) { ${reverseList(s.body, env)}; } }`;
    } else out = stmt`for (let ${n} = ${control}.pop(); ${n} > 0; ${n}--) { ${reverseList(s.body, env)}; }`;
    // The trips that last took a branch were pushed after the trip count: popped before it, newest first.
    if (taken.length) {
      const pops = [...taken].reverse().map((t) => stmt`const ${t} = ${control}.pop();`);
      out = f.createBlock(ts.isBlock(out) ? [...pops, ...out.statements] : [...pops, out], true);
    }
    const hoisted = env.rec.loopSnapshots.get(s) ?? [];
    if (hoisted.length) {
      const pops = [...hoisted].reverse().map((v) => stmt`const ${v} = ${popFrom(env, v)};`);
      out = f.createBlock([...pops, out], true);
    }
  }
  return out ? [lineComment(out, sourceComment(env.fn, s.loc))] : [];
}

/** Fresh names, in the sweep being emitted, for the last taken trips of the branches directly in `loop`. */
function takenIn(loop: Stmt, env: Env): string[] {
  const out: string[] = [];
  for (const [s, last] of env.rec.lastTaken) {
    if (last.loop !== loop) continue;
    const n = env.names.fresh('taken');
    env.taken.set(s, n);
    out.push(n);
  }
  return out;
}

/**
 * For a loop whose trip counter has a bound (`r < d`, tbr-counters.ts): the
 * guard under which `max(0, d - init)` is its exact trip count, and that
 * count. Both read only the bound and the counter's initialisation, which
 * hold the same values after the loop and in its reverse sweep.
 */
function tripCountFromBound(s: Stmt, env: Env): { guard: ts.Expression; count: ts.Expression } | null {
  const c = (env.rec.tripCounters.get(s) ?? []).find((t) => t.bound);
  if (!c?.bound || env.ctx.noCounterGuards) return null;
  const own = ownTripGuard({ ...c, bound: c.bound }, env);
  const outer = impliedBy(s, c, env);
  // The enclosing loop's guard implies this one (below): tested first, it settles the common case in one test of an invariant.
  return outer ? { guard: expr`${outer} || (${own.guard})`, count: own.count } : own;
}

function ownTripGuard(c: TripCounter & { bound: NonNullable<TripCounter['bound']> }, env: Env): { guard: ts.Expression; count: ts.Expression } {
  const { op, limit } = c.bound;
  const init = c.init.expr;
  const initIsZero = init.kind === 'copy' && init.src.kind === 'const' && init.src.value === 0;
  const b = operand(limit, identity);
  const i0 = primal(init, identity, callNames(env.ctx));
  const up = op === '<' || op === '<=';
  const span = up ? (initIsZero ? b : expr`${b} - (${i0})`) : initIsZero ? expr`-${b}` : expr`${i0} - ${b}`;
  const safe = expr`Number.isSafeInteger(${span})`;
  const integralLimit = (limit.kind === 'const' && Number.isInteger(limit.value)) || (up && initIsZero);
  const guard = integralLimit ? safe : expr`Number.isInteger(${b}) && ${safe}`;
  const count = op === '<=' || op === '>=' ? expr`Math.max(0, ${span} + 1)` : expr`Math.max(0, ${span})`;
  return { guard, count };
}

/**
 * The guard of an enclosing loop that implies the trip-count guard of loop
 * `s`, or null. GMM's triangle, `for (c = 0; c < d; c++) for (r = c + 1;
 * r < d; r++)`: where `Number.isSafeInteger(d)` (the outer loop's guard), c
 * takes the integers 0 .. d - 1, so d is an integer and d - (c + 1) lies in
 * [0, d - 1], a safe integer: the inner guard holds. So it does for an
 * inner loop `r = c + k; r < d; r++` (k a constant >= 0) inside any loop
 * `c = 0; c < d; c++` over the same bound (c is a trip counter there: set
 * once before the loop and stepped once per trip, so it stays an integer in
 * [0, d] wherever the inner loop starts). Either way the guard is the
 * same truth value, so both sweeps still agree on whether the count was
 * pushed.
 */
function impliedBy(s: Stmt, inner: TripCounter, env: Env): ts.Expression | null {
  const init = inner.init.expr;
  const bound = inner.bound;
  if (!bound || bound.op !== '<' || inner.step !== 1) return null;
  let on: string | null = null;
  let k = 0;
  if (init.kind === 'copy' && init.src.kind === 'var') on = init.src.name;
  else if (init.kind === 'prim' && init.prim === 'add' && init.args[0]?.kind === 'var' && init.args[1]?.kind === 'const') [on, k] = [init.args[0].name, init.args[1].value];
  if (on === null || !(Number.isInteger(k) && k >= 0 && k < 2 ** 52)) return null;
  for (const loop of enclosingLoops(env.fn, s)) {
    const outer = (env.rec.tripCounters.get(loop) ?? []).find((t) => t.v === on);
    if (!outer) continue;
    const start = outer.init.expr;
    const fromZero = start.kind === 'copy' && start.src.kind === 'const' && start.src.value === 0;
    const same = outer.bound?.op === '<' && sameOperand(outer.bound.limit, bound.limit);
    return fromZero && same && outer.step === 1 ? ownTripGuard({ ...outer, bound: outer.bound! }, env).guard : null;
  }
  return null;
}

/** Per function, the loops around each loop, innermost first (one walk, kept for both sweeps). */
const loopsAround = new WeakMap<IRFunction, Map<Stmt, Stmt[]>>();

/** The loops around loop `s` in `fn`, innermost first. */
function enclosingLoops(fn: IRFunction, s: Stmt): Stmt[] {
  let around = loopsAround.get(fn);
  if (!around) {
    const found = new Map<Stmt, Stmt[]>();
    const walk = (list: readonly Stmt[], outer: Stmt[]): void => {
      for (const t of list) {
        if (t.kind === 'loop') {
          found.set(t, outer);
          walk(t.body, [t, ...outer]);
        } else if (t.kind === 'if') {
          walk(t.then, outer);
          walk(t.else, outer);
        }
      }
    };
    walk(fn.body, []);
    loopsAround.set(fn, (around = found));
  }
  return around.get(s) ?? [];
}

function reverseBlock(plan: BlockPlan, env: Env): ts.Statement[] {
  const { rec, names } = env;
  const stmtsOf = plan.stmts;
  const out: ts.Statement[] = [];
  // Names of the values defined in this block that the reverse code uses.
  const versionName = new Map<number, string>();
  const defName = (k: number): string => {
    let n = versionName.get(k);
    if (!n) {
      const target = (stmtsOf[k] as Extract<BlockStmt, { kind: 'assign' }>).target;
      n = rec.blockLocal.has(target) || plan.available.has(k) ? target : names.version(target);
      versionName.set(k, n);
    }
    return n;
  };
  const nameAt = (k: number): NameOf => (v) => {
    const ver = plan.reads[k]!.get(v);
    // Arrays are referred to by their variable: the reverse sweep never recomputes one.
    if (env.fn.locals.get(v)?.kind === 'array') return v;
    return ver === undefined || ver === 'entry' ? v : defName(ver);
  };
  // 1. pop what the forward sweep pushed, newest first
  const popped = new Map<string, string>();
  const events = pushEvents(plan);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    switch (e.kind) {
      case 'snapshot': {
        const flag = env.exact(e.v);
        // A guarded counter: popped into the counter itself where the forward sweep pushed it.
        if (flag) out.push(stmt`if (!${flag}) { ${e.v} = ${env.tape('values')}.pop(); }`);
        else if (env.rec.guardedCounters.has(e.v)) out.push(stmt`${e.v} = ${env.tape('values')}.pop();`);
        else out.push(stmt`const ${e.v} = ${popFrom(env, e.v)};`);
        break;
      }
      case 'def':
        out.push(stmt`const ${defName(e.k)} = ${popFrom(env, e.v)};`);
        break;
      case 'counterInit': {
        const n = names.fresh(`${e.v}_before`);
        popped.set(`init:${e.k}`, n);
        out.push(stmt`const ${n} = ${env.tape('values')}.pop();`);
        const flag = env.exact(e.v);
        if (flag) {
          const was = names.fresh(`${flag.text}_before`);
          popped.set(`flag:${e.k}`, was);
          out.push(stmt`const ${was} = ${env.tape('control')}.pop() === 1;`);
        }
        break;
      }
      case 'realloc': {
        const n = names.fresh(`${env.d(e.v)}_before`);
        popped.set(`realloc:${e.k}`, n);
        out.push(stmt`const ${n} = ${env.tape('refs')}.pop<${irType(env.fn.locals.get(e.v)!)}>();`);
        break;
      }
      case 'argCopy': {
        const n = names.fresh(`${e.v}_atCall`);
        popped.set(`arg:${e.k}:${e.v}`, n);
        out.push(stmt`const ${n} = ${env.tape('refs')}.pop<${irType(env.fn.locals.get(e.v)!)}>();`);
        break;
      }
      case 'restore': {
        const n = names.fresh(`${e.v}_old`);
        popped.set(`restore:${e.k}`, n);
        out.push(stmt`const ${n} = ${env.tape('values')}.pop();`);
        break;
      }
      default:
        e satisfies never;
    }
  }
  // 2. restore loop counters to their values when the block was entered
  for (let k = stmtsOf.length - 1; k >= 0; k--) {
    const s = stmtsOf[k]!;
    if (s.kind !== 'assign') continue;
    const flag = env.exact(s.target);
    if (plan.counterInits.has(k)) {
      out.push(stmt`${s.target} = ${popped.get(`init:${k}`)!};`);
      if (flag) out.push(stmt`${flag} = ${popped.get(`flag:${k}`)!};`);
    }
    if (plan.counterSteps.has(k)) {
      // A guarded counter is undone only while exact; otherwise the blocks that read it popped it.
      if (flag) out.push(stmt`if (${flag}) { ${s.target} = ${undoStep(s)}; }`);
      else if (!env.rec.guardedCounters.has(s.target)) out.push(stmt`${s.target} = ${undoStep(s)};`);
    }
  }
  // 3. recompute the block's intermediate values
  for (const k of [...plan.recompute].sort((a, b) => a - b)) {
    const s = stmtsOf[k] as Extract<BlockStmt, { kind: 'assign' }>;
    out.push(stmt`const ${defName(k)} = ${primal(s.expr, nameAt(k), callNames(env.ctx))};`);
  }
  // 3b. an object or tuple loaded from a parameter to be passed to a call (`dense(p.hidden, x)`): its
  // adjoint is the parameter's adjoint at that path, so the call's contributions land there directly.
  stmtsOf.forEach((s, k) => {
    if (s.kind !== 'assign' || s.expr.kind !== 'load' || !env.act.isActive(s.target)) return;
    const kind = env.fn.locals.get(s.target)?.kind;
    if (kind === 'object' || kind === 'tuple') out.push(stmt`const ${env.d(s.target)} = ${ref(s.expr.ref, nameAt(k), env.d(s.expr.ref.base))};`);
  });
  // 4. adjoints, last statement first
  const jacobian = preaccumulate(plan, env, nameAt, defName);
  if (jacobian) out.push(...jacobian);
  else {
    for (const s of stmtsOf) {
      if (s.kind !== 'assign' || !rec.blockLocal.has(s.target) || !env.act.isActive(s.target)) continue;
      const isTensor = env.fn.locals.get(s.target)?.kind === 'tensor';
      out.push(isTensor ? stmt`let ${env.d(s.target)}: Tensor | null = null;` : stmt`let ${env.d(s.target)} = 0;`);
    }
    const through = incrementsOf(plan, env);
    for (let k = stmtsOf.length - 1; k >= 0; k--) out.push(...adjoint(stmtsOf[k]!, k, plan, env, nameAt(k), defName, popped, through));
  }
  // 5. arrays recorded per write get back the elements the block's stores overwrote, last store first
  for (let k = stmtsOf.length - 1; k >= 0; k--) {
    const s = stmtsOf[k]!;
    if (s.kind === 'store' && plan.restores.has(k)) out.push(stmt`${ref(s.ref, nameAt(k))} = ${popped.get(`restore:${k}`)!};`);
  }
  const block = f.createBlock(out, true);
  return [lineComment(block, blockComment(plan, env))];
}

/** A guarded counter is an exact integer while its magnitude is at most 2^52 (tbr-counters.ts MAX_GUARDED_STEP). */
const EXACT_COUNTER_BOUND = 2 ** 52;

/**
 * Increments `a[i] = a[i] + e` in a block (`qxc[r] += icf[li] * xc[c]` in
 * GMM), as the store and the load statements of each. The store's adjoint
 * takes `da[i]` as the sum's cotangent and would zero it; the load's would
 * add the same cotangent back (the sum passes it through unchanged). Both
 * are left out: `da[i]` keeps its value, and the store's adjoint only reads
 * it. Exact: the other contributions to `da[i]` (loads between the two)
 * are added either way. Only where the element is a number of a local
 * array, the load and the sum are read once, by the sum and the store, and
 * nothing between the load and the store writes memory or calls a function.
 */
function incrementsOf(plan: BlockPlan, env: Env): { stores: Set<number>; loads: Set<number> } {
  const out = { stores: new Set<number>(), loads: new Set<number>() };
  const b = plan.stmts;
  const readers = new Map<string, number[]>();
  b.forEach((s, k) => {
    for (const v of stmtReads(s)) readers.set(v, [...(readers.get(v) ?? []), k]);
  });
  const only = (v: string, k: number) => env.rec.blockLocal.has(v) && readers.get(v)?.length === 1 && readers.get(v)![0] === k;
  b.forEach((st, ks) => {
    if (st.kind !== 'store' || st.value.kind !== 'var' || st.ref.path.length !== 1) return;
    const t = env.fn.locals.get(st.ref.base);
    if (t?.kind !== 'array' || t.elem.kind !== 'number' || !env.act.isActive(st.ref.base)) return;
    const sum = st.value.name;
    const ka = plan.reads[ks]!.get(sum);
    if (typeof ka !== 'number' || !only(sum, ks)) return;
    const add = b[ka]!;
    if (add.kind !== 'assign' || add.expr.kind !== 'prim' || !(add.expr.prim === 'add' || add.expr.prim === 'sub')) return;
    const first = add.expr.args[0];
    const second = add.expr.args[1];
    const candidates = add.expr.prim === 'add' ? [first, second] : [first];
    for (const c of candidates) {
      if (c?.kind !== 'var' || (first?.kind === 'var' && second?.kind === 'var' && first.name === second.name)) continue;
      const kl = plan.reads[ka]!.get(c.name);
      if (typeof kl !== 'number' || !only(c.name, ka)) continue;
      const load = b[kl]!;
      if (load.kind !== 'assign' || load.expr.kind !== 'load' || !sameElement(load.expr.ref, st.ref, plan, kl, ks)) continue;
      const between = b.slice(kl + 1, ks);
      if (between.some((x) => x.kind !== 'assign' || x.expr.kind === 'call' || x.expr.kind === 'pop')) continue;
      out.stores.add(ks);
      out.loads.add(kl);
      return;
    }
  });
  return out;
}

/** Do two one-index refs of a block name the same element (the same index variables, not reassigned between)? */
function sameElement(a: Ref, b: Ref, plan: BlockPlan, ka: number, kb: number): boolean {
  const [x, y] = [a.path[0], b.path[0]];
  if (a.base !== b.base || a.path.length !== 1 || x?.kind !== 'index' || y?.kind !== 'index') return false;
  if (x.index.kind === 'const') return y.index.kind === 'const' && y.index.value === x.index.value;
  if (x.index.kind !== 'var' || y.index.kind !== 'var' || x.index.name !== y.index.name) return false;
  return plan.reads[ka]!.get(x.index.name) === plan.reads[kb]!.get(y.index.name);
}

function popFrom(env: Env, v: string): ts.Expression {
  if (stackOf(env.fn, v) === 'values') return expr`${env.tape('values')}.pop()`;
  const t = env.fn.locals.get(v) ?? env.fn.params.find((p) => p.name === v)!.type;
  return expr`${env.tape('refs')}.pop<${irType(t)}>()`;
}

/** `i = i + 1` -> `i - 1` */
function undoStep(s: Extract<BlockStmt, { kind: 'assign' }>): ts.Expression {
  const e = s.expr as Extract<typeof s.expr, { kind: 'prim' }>;
  const [a, b] = e.args;
  const c = a!.kind === 'const' ? a!.value : (b as { value: number }).value;
  const up = e.prim === 'add' ? c < 0 : c >= 0;
  return up ? expr`${s.target} + ${Math.abs(c)}` : expr`${s.target} - ${Math.abs(c)}`;
}

/** An array or tuple of tensors (`Tensor[]`, `[Tensor, Tensor]`): its cotangent comes as one piece per tensor. */
function isTensorList(t: VarType | undefined): boolean {
  if (t?.kind === 'array') return t.elem.kind === 'tensor';
  if (t?.kind === 'tuple') return t.elems.length > 0 && t.elems.every((e) => e.kind === 'tensor');
  return false;
}

/** `da += c`, or `da -= x` when `c` is `-x` (also `-x * y`). */
function accumulate(da: ts.Expression, c: ts.Expression): ts.Statement {
  const negated = negationOf(c);
  return negated ? stmt`${da} -= ${negated};` : stmt`${da} += ${c};`;
}

/** `x` when `e` is `-x`, `x * y` when `e` is `-x * y`; otherwise null. */
function negationOf(e: ts.Expression): ts.Expression | null {
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) return e.operand;
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.AsteriskToken) {
    const left = negationOf(e.left);
    if (left && !ts.isBinaryExpression(left)) return f.createBinaryExpression(left, ts.SyntaxKind.AsteriskToken, e.right);
  }
  return null;
}

function adjoint(
  s: BlockStmt,
  k: number,
  plan: BlockPlan,
  env: Env,
  name: NameOf,
  defName: (k: number) => string,
  popped: Map<string, string>,
  through: { stores: Set<number>; loads: Set<number> },
): ts.Statement[] {
  const { act, d, rec } = env;
  const out: ts.Statement[] = [];
  const isActive = (o: Operand): o is { kind: 'var'; name: string } => o.kind === 'var' && act.isActive(o.name);
  if (s.kind === 'return') {
    if (!isActive(s.value)) return out;
    if (isTensorValued(env.fn)) out.push(stmt`${d(s.value.name)} = addTensor(${d(s.value.name)}, seedFor(${env.seed}, ${env.valueName}, ${f.createStringLiteral(env.fn.name, true)}));`);
    // A result made by a record only the return reads takes the seed as its adjoint (structures.ts).
    else if (isStructureValued(env.fn)) {
      if (s.value.name !== seedRecord(env.fn)) out.push(stmt`addCotangentInto(${d(s.value.name)}, ${env.seed});`);
    }
    else if (isVectorValued(env.fn)) out.push(stmt`addArrayInto(${d(s.value.name)}, ${env.seed});`);
    else out.push(stmt`${d(s.value.name)} += ${env.seed};`);
    return out;
  }
  if (s.kind === 'store') {
    if (!act.isActive(s.ref.base)) return out;
    const dref = () => ref(s.ref, name, d(s.ref.base));
    if (isActive(s.value)) out.push(stmt`${d(s.value.name)} += ${dref()};`);
    // An increment `a[i] = a[i] + e` passes the element's cotangent through (incrementsOf).
    if (!through.stores.has(k)) out.push(stmt`${dref()} = 0;`);
    return out;
  }
  if (s.kind === 'push') {
    if (!act.isActive(s.ref.base)) return out;
    const dref = ref(s.ref, name, d(s.ref.base));
    // A row's adjoint is the element itself (pushed by reference): nothing to add, only the element to drop.
    const valueType = s.value.kind === 'var' ? (env.fn.locals.get(s.value.name) ?? env.fn.params.find((p) => p.name === (s.value as { name: string }).name)?.type) : undefined;
    const row = isStructured(valueType);
    if (isActive(s.value) && valueType?.kind === 'tensor') out.push(stmt`${d(s.value.name)} = addTensorOrNull(${d(s.value.name)}, ${dref}.pop()!);`);
    else out.push(isActive(s.value) && !row ? stmt`${d(s.value.name)} += ${dref}.pop()!;` : stmt`${dref}.pop();`);
    return out;
  }
  const target = s.target;
  if (s.expr.kind === 'pop') {
    // `v = a.pop()`: the element's cotangent goes back where it came from (0 when v is not used).
    const e = s.expr;
    if (!act.isActive(e.ref.base)) return out;
    const darr = ref(e.ref, name, d(e.ref.base));
    const value = act.isActive(target) ? id(d(target)) : f.createNumericLiteral(0);
    out.push(e.end === 'last' ? stmt`${darr}.push(${value});` : stmt`${darr}.unshift(${value});`);
    const number = (env.fn.locals.get(target) ?? env.fn.params.find((p) => p.name === target)?.type)?.kind === 'number';
    if (act.isActive(target) && number && !rec.blockLocal.has(target) && !rec.invariant.has(target)) out.push(stmt`${d(target)} = 0;`);
    return out;
  }
  if (!act.isActive(target)) return out;
  const dt = d(target);
  const e = s.expr;
  const typeOf = (v: string) => (env.fn.locals.get(v) ?? env.fn.params.find((p) => p.name === v)?.type)?.kind;
  const targetIsTensor = typeOf(target) === 'tensor';
  const zeroAfter = !rec.blockLocal.has(target) && !rec.invariant.has(target) && (typeOf(target) === 'number' || targetIsTensor);
  const reset = () => (targetIsTensor ? stmt`${dt} = null;` : stmt`${dt} = 0;`);
  /** `da += c` for numbers, `da = addTensor(da, c)` for tensors, `addTensorsInto(da, c)` for arrays and tuples of tensors. */
  const into = (v: string, c: ts.Expression): ts.Statement => {
    if (typeOf(v) === 'tensor') return stmt`${d(v)} = addTensor(${d(v)}, ${c});`;
    const declared = env.fn.locals.get(v) ?? env.fn.params.find((p) => p.name === v)?.type;
    if (isTensorList(declared)) return stmt`addTensorsInto(${d(v)}, ${c});`;
    return accumulate(id(d(v)), c);
  };
  // Tensor adjoints start as null (no contribution yet): skip the statement's adjoint while it is.
  const body = (inner: ts.Statement[]): ts.Statement[] => (targetIsTensor ? [stmt`if (${dt} !== null) { ${inner}; }`] : inner);
  switch (e.kind) {
    case 'prim':
    case 'tensorOp': {
      const rule = ruleOf(e);
      const readsOut = vjpReads(rule, e, act.isActive).out;
      const outName = readsOut ? defName(k) : target;
      /** Each active operand's contribution, for the cotangent named `g`. */
      const contributions = (g: string): [string, ts.Expression | 'identity'][] => {
        const call = new RuleCall(e.args, name);
        const gHole = call.named('g', g);
        const outHole = call.named('out', outName);
        return e.args.flatMap((a, i): [string, ts.Expression | 'identity'][] => {
          if (!isActive(a)) return [];
          const c = rule.vjp({ args: call.args, out: outHole, g: gHole }, i);
          if (c === null) return [];
          return [[a.name, c === gHole ? 'identity' : call.tree(c)]];
        });
      };
      const value = (c: ts.Expression | 'identity', g: string): ts.Expression => (c === 'identity' ? id(g) : c);
      const selfRef = e.args.some((a) => a.kind === 'var' && a.name === target);
      const own = contributions(dt).filter(([a]) => a === target);
      // A variable assigned many times may have a zero cotangent here (its value was overwritten
      // before any use): skip, so that 0 * an overflowed partial cannot make a NaN.
      const guardZero = !env.ctx.noZeroGuards && zeroAfter && !targetIsTensor && !(selfRef && own.every(([, c]) => c === 'identity'));
      const inner: ts.Statement[] = [];
      if (!selfRef) {
        for (const [a, c] of contributions(dt)) inner.push(into(a, value(c, dt)));
        if (zeroAfter) inner.push(reset());
      } else if (!targetIsTensor && own.length === 1 && own[0]![1] === 'identity') {
        // The result overwrites one of its operands (`s = s + t`) and d(s) passes through unchanged:
        // only the other operands get contributions.
        for (const [a, c] of contributions(dt)) if (a !== target) inner.push(into(a, value(c, dt)));
      } else {
        // The result overwrites one of its operands: take the cotangent first.
        const g = env.names.fresh('g');
        inner.push(stmt`const ${g} = ${dt};`, reset());
        for (const [a, c] of contributions(g)) inner.push(into(a, value(c, g)));
      }
      if (guardZero) out.push(stmt`if (${dt} !== 0) { ${inner}; }`);
      else out.push(...body(inner));
      return out;
    }
    case 'copy': {
      if (e.src.kind === 'var' && e.src.name === target) return out;
      const inner: ts.Statement[] = [];
      if (isActive(e.src)) inner.push(into(e.src.name, id(dt)));
      if (zeroAfter) inner.push(reset());
      out.push(...body(inner));
      return out;
    }
    case 'load': {
      const inner: ts.Statement[] = [];
      const targetKind = typeOf(target);
      if (targetKind === 'object' || targetKind === 'tuple') return out; // accumulated in place (3b above)
      if (act.isActive(e.ref.base) && !through.loads.has(k)) {
        const dref = () => ref(e.ref, name, d(e.ref.base));
        inner.push(targetIsTensor ? stmt`${dref()} = addTensor(${dref()}, ${dt});` : accumulate(dref(), id(dt)));
      }
      if (zeroAfter) inner.push(reset());
      out.push(...body(inner));
      return out;
    }
    case 'call': {
      const wrtArgs = e.args.map((a, i) => ({ a, i })).filter(({ i }) => e.callee.wrt[i]);
      const args = e.args.map((a) => (a.kind === 'var' && popped.has(`arg:${k}:${a.name}`) ? id(popped.get(`arg:${k}:${a.name}`)!) : operand(a, name)));
      const c = env.names.fresh(`${e.callee.exportName}_bar`);
      // `x = h(x)`: take x's cotangent before the call's contributions add to it.
      const selfRef = zeroAfter && e.args.some((a) => a.kind === 'var' && a.name === target);
      // A tensor result's cotangent may still be null (no contribution): then the call adds nothing.
      const inner: ts.Statement[] = [];
      let seed = dt;
      if (selfRef) {
        seed = env.names.fresh('g');
        inner.push(stmt`const ${seed} = ${dt};`, reset());
      }
      const call = f.createCallExpression(id(env.ctx.callee(e.callee, 'valueAndVjp')), undefined, [...args, id(seed)]);
      inner.push(stmt`const [, ${c}] = ${call};`);
      wrtArgs.forEach(({ a, i }, j) => {
        if (!isActive(a)) return;
        const part = wrtArgs.length === 1 ? id(c) : expr`${c}[${j}]`;
        const kind = e.callee.params[i]!.kind;
        if (kind === 'number' || kind === 'tensor') inner.push(into(a.name, part));
        else inner.push(stmt`addInto(${d(a.name)}, ${part});`);
      });
      if (zeroAfter && !selfRef) inner.push(reset());
      out.push(...body(inner));
      if (plan.reallocations.has(k)) out.push(stmt`${dt} = ${popped.get(`realloc:${k}`)!};`);
      return out;
    }
    case 'copyArray':
      if (act.isActive(e.src.base)) out.push(stmt`addInto(${ref(e.src, name, d(e.src.base))}, ${dt});`);
      if (plan.reallocations.has(k)) out.push(stmt`${dt} = ${popped.get(`realloc:${k}`)!};`);
      return out;
    case 'newArray':
      if (plan.reallocations.has(k)) out.push(stmt`${dt} = ${popped.get(`realloc:${k}`)!};`);
      return out;
    case 'record':
      out.push(...recordAdjoint(target, e, env.fn, act, d, target === seedRecord(env.fn) ? env.seed : d(target)));
      if (plan.reallocations.has(k)) out.push(stmt`${dt} = ${popped.get(`realloc:${k}`)!};`);
      return out;
    case 'pure':
    case 'opaqueCall':
      if (zeroAfter) out.push(reset());
      return out;
    default:
      return e satisfies never;
  }
}

/**
 * Reverse code of a block of scalar arithmetic as one local Jacobian
 * ("preaccumulation"): the partial derivatives of the block's outputs with
 * respect to its inputs are computed from primal values first, then each
 * input's cotangent is one multiply-add of the outputs' cotangents. This
 * keeps the loop-carried chain of cotangents short (`dv = dv * j` instead
 * of a multiply per primitive). Returns null for blocks with memory, calls
 * or tensors, which take the statement-by-statement path.
 *
 * The partials are combined as rule-template text over placeholders (one
 * `Holes` for the block) and parsed into trees at the end.
 */
function preaccumulate(plan: BlockPlan, env: Env, nameAt: (k: number) => NameOf, defName: (k: number) => string): ts.Statement[] | null {
  const { act, rec, d, names } = env;
  const stmtsOf = plan.stmts;
  const typeOf = (v: string) => (env.fn.locals.get(v) ?? env.fn.params.find((p) => p.name === v)?.type)?.kind;
  if (stmtsOf.length > 40) return null;
  for (const s of stmtsOf) {
    if (s.kind === 'store' || s.kind === 'push') {
      if (act.isActive(s.ref.base)) return null;
      continue;
    }
    if (s.kind === 'assign' && s.expr.kind === 'pop' && act.isActive(s.expr.ref.base)) return null;
    if (s.kind === 'return') {
      if (isVectorValued(env.fn) || isTensorValued(env.fn)) return null;
      continue;
    }
    if (!act.isActive(s.target)) continue;
    if (typeOf(s.target) !== 'number') return null;
    if (s.expr.kind !== 'prim' && s.expr.kind !== 'copy') return null;
  }
  const holes = new Holes();
  const sym = (v: string) => holes.name(d(v));
  /** Linear forms: for each variable, its cotangent as coefficients of the cotangents the block starts with. */
  const forms = new Map<string, Map<string, string[]>>();
  const form = (v: string) => {
    let fm = forms.get(v);
    if (!fm) {
      fm = new Map();
      // A cotangent that lives outside the block starts as itself.
      if (!rec.blockLocal.has(v)) fm.set(sym(v), ['1']);
      forms.set(v, fm);
    }
    return fm;
  };
  const out: ts.Statement[] = [];
  const isSimple = (text: string) => /^[\w$]+$/.test(text) || /^\(?-?[\d.]+\)?$/.test(text);
  const named = (text: string): string => {
    if (isSimple(text)) return text;
    const n = names.fresh('jac');
    out.push(stmt`const ${n} = ${holes.tree(text)};`);
    return holes.name(n);
  };
  const total = (terms: string[]): string => named(terms.length === 1 ? terms[0]! : terms.join(' + '));
  const add = (v: string, s: string, c: string) => {
    const fm = form(v);
    fm.set(s, [...(fm.get(s) ?? []), c]);
  };
  const seedSym = holes.name(env.seed);
  for (let k = stmtsOf.length - 1; k >= 0; k--) {
    const s = stmtsOf[k]!;
    if (s.kind === 'return') {
      if (s.value.kind === 'var' && act.isActive(s.value.name)) add(s.value.name, seedSym, '1');
      continue;
    }
    if (s.kind !== 'assign' || !act.isActive(s.target)) continue;
    const target = s.target;
    const g = [...form(target).entries()].map(([symbol, terms]) => [symbol, total(terms)] as const);
    if (rec.blockLocal.has(target) || !rec.invariant.has(target)) forms.set(target, new Map());
    const e = s.expr;
    const partials: [string, string][] = [];
    if (e.kind === 'copy') {
      if (e.src.kind === 'var' && act.isActive(e.src.name)) partials.push([e.src.name, '1']);
    } else if (e.kind === 'prim') {
      const rule = ruleOf(e);
      const args = holes.operands(e.args, nameAt(k));
      const outHole = holes.name(vjpReads(rule, e, act.isActive).out ? defName(k) : target);
      e.args.forEach((a, i) => {
        if (a.kind !== 'var' || !act.isActive(a.name)) return;
        const p = rule.vjp({ args, out: outHole, g: '1' }, i);
        if (p !== null) partials.push([a.name, p]);
      });
    }
    for (const [a, p] of partials) {
      for (const [symbol, c] of g) add(a, symbol, mulExpr(c, p));
    }
  }
  // New cotangents of the variables that live outside the block, from the old ones.
  const updates: [string, string][] = [];
  for (const [v, fm] of forms) {
    if (rec.blockLocal.has(v)) continue;
    const terms = [...fm.entries()].map(([symbol, cs]) => {
      const c = total(cs);
      if (c === '1') return symbol;
      if (env.ctx.noZeroGuards) return `${symbol} * ${c}`;
      // Zero cotangents stay zero even where a partial overflowed (no 0 * Infinity).
      return `(${symbol} === 0 ? 0 : ${symbol} * ${c})`;
    });
    const value = terms.length ? terms.join(' + ') : '0';
    if (value === sym(v)) continue;
    updates.push([d(v), value]);
  }
  out.push(...parallelAssign(updates.map(([dv, value]) => [dv, holes.tree(value)]), names));
  return out;
}

/**
 * Assignments that happen at once (each value reads the old cotangents), in
 * an order that needs no temporaries where one exists: an assignment goes
 * after every value that reads its old value. Cycles get `_new` temporaries.
 */
function parallelAssign(updates: [string, ts.Expression][], names: FunctionNames): ts.Statement[] {
  const readers = updates.map(([, value]) => namesIn(value));
  const pending = updates.map((_, i) => i);
  const order: number[] = [];
  while (pending.length) {
    // An update no other pending value reads can go now.
    const k = pending.findIndex((i) => pending.every((j) => j === i || !readers[j]!.has(updates[i]![0])));
    if (k < 0) break;
    order.push(pending.splice(k, 1)[0]!);
  }
  const out = order.map((i) => stmt`${updates[i]![0]} = ${updates[i]![1]};`);
  if (pending.length) {
    const temps = pending.map((i) => {
      const t = names.fresh(`${updates[i]![0]}_new`);
      out.push(stmt`const ${t} = ${updates[i]![1]};`);
      return t;
    });
    pending.forEach((i, n) => out.push(stmt`${updates[i]![0]} = ${temps[n]!};`));
  }
  return out;
}

/** Identifier names in an expression tree. */
function namesIn(e: ts.Node): Set<string> {
  const out = new Set<string>();
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) out.add(n.text);
    ts.forEachChild(n, walk);
  };
  walk(e);
  return out;
}

/** Does a structured type hold a tensor somewhere? */
function holdsTensors(t: VarType): boolean {
  switch (t.kind) {
    case 'tensor':
      return true;
    case 'array':
      return holdsTensors(t.elem);
    case 'tuple':
      return t.elems.some(holdsTensors);
    case 'object':
      return t.fields.some((field) => holdsTensors(field.type));
    default:
      return false;
  }
}
