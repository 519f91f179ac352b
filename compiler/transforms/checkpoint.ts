/**
 * Checkpointed loops (`/** @checkpoint *\/`, docs/memory.md): the reverse
 * sweep of such a loop keeps snapshots of the loop-carried state at a few
 * trips and recomputes the trips between them, instead of recording every
 * trip on the tape.
 *
 * Forward sweep: the loop runs its primal code only (no tape pushes) and
 * hands a snapshot of its state to a `LoopCheckpoints` schedule
 * (runtime/checkpoint.ts) at the trips it asks for; the schedule goes on
 * the refs tape. Adjoint sweep: the schedule's steps, in a loop: restore a
 * snapshot, advance (primal trips), save a snapshot, or reverse a few trips
 * (their forward sweep with its tape pushes, from compiler/transforms/
 * reverse.ts, then their adjoint code). Each trip is reversed once, last
 * first, from the state it had in the forward sweep, by the same code the
 * plain tape runs, so the gradient is the same bit for bit.
 *
 * The state: every variable the loop reads before the trip writes it
 * (its condition included) that is not invariant; numbers, flags and
 * tensors (immutable) are saved by value or reference, number arrays that
 * are written anywhere are copied (and copied back into the same array, so
 * other names of it still see it). Refused, with a located hint: arrays and
 * objects (re)allocated inside the loop that are used outside a trip, arrays
 * whose length the loop changes, 2-D arrays and mutated objects carried
 * across trips.
 *
 * A loop `for (let i = a; i < b; i += c)` whose counter and bound the body
 * does not otherwise change announces its trip count when it starts and
 * gets the binomial schedule; any other loop gets the online one.
 */
import { ts } from 'ts-morph';
import type { Activity } from '../analysis/activity.ts';
import type { Recording } from '../analysis/recording.ts';
import type { Declarations } from '../emit/declarations.ts';
import type { FunctionNames } from '../emit/names.ts';
import { id, identity, irType, operand, pexpr, primal, ref } from '../emit/nodes.ts';
import { lineComment } from '../emit/printer.ts';
import { expr, stmt } from '../emit/template.ts';
import { CompileError } from '../frontend/diagnostics.ts';
import type { IRFunction, Operand, PExpr, Stmt, VarType } from '../ir/ir.ts';
import { forEachStmt, pexprVars, stmtReads } from '../ir/walk.ts';
import { callNames, sourceComment, type EmitContext } from './common.ts';

const f = ts.factory;

type Loop = Extract<Stmt, { kind: 'loop' }>;

/** What this file needs of reverse.ts's emission environment. */
export interface CheckpointEnv {
  fn: IRFunction;
  act: Activity;
  rec: Recording;
  decls: Declarations;
  names: FunctionNames;
  ctx: EmitContext;
  tape(kind: 'values' | 'control' | 'refs'): ts.Identifier;
}

/** reverse.ts's emitters of a statement list, for the trips being reversed. */
export interface CheckpointHooks<E extends CheckpointEnv> {
  forwardList(list: readonly Stmt[], env: E): ts.Statement[];
  reverseList(list: readonly Stmt[], env: E): ts.Statement[];
}

interface StateVar {
  name: string;
  type: VarType;
  /** Copied into the snapshot and back (a number array), or kept as the value itself. */
  copied: boolean;
}

interface Plan {
  state: StateVar[];
  /** The trip count as the loop starts, for counted loops; null for the online schedule. */
  trips: ts.Expression | null;
}

/** Is `s` a loop whose reverse sweep is checkpointed? (A loop with nothing to reverse keeps its plain code.) */
export function isCheckpointed(s: Stmt, rec: Recording): s is Loop & { checkpoint: NonNullable<Loop['checkpoint']> } {
  return s.kind === 'loop' && s.checkpoint !== undefined && rec.hasReverse(s);
}

// ---- the analysis: state and refusals ----

function typeOf(fn: IRFunction, v: string): VarType | undefined {
  return fn.locals.get(v) ?? fn.params.find((p) => p.name === v)?.type;
}

/** Variables a statement reads (conditions for control statements). */
function readsOf(s: Stmt): string[] {
  return s.kind === 'if' || s.kind === 'loop' ? pexprVars(s.cond) : stmtReads(s);
}

function analyze(loop: Loop, fn: IRFunction, rec: Recording): { plan: Plan | null; problem: { message: string; hint: string } | null } {
  const touched: string[] = [];
  const seen = new Set<string>();
  const touch = (v: string) => {
    if (!seen.has(v)) {
      seen.add(v);
      touched.push(v);
    }
  };
  const assigned = new Set<string>();
  const resized = new Set<string>();
  pexprVars(loop.cond).forEach(touch);
  forEachStmt(loop.body, (s) => {
    readsOf(s).forEach(touch);
    if (s.kind === 'assign') {
      touch(s.target);
      assigned.add(s.target);
      if (s.expr.kind === 'pop') resized.add(s.expr.ref.base);
    }
    if (s.kind === 'push') resized.add(s.ref.base);
  });
  // Read before the trip writes them (a nested statement's writes may not run: they define nothing).
  // An assignment of a restored counter reads it too: the recording pushes the value it overwrites.
  const exposed = new Set<string>(pexprVars(loop.cond));
  const defined = new Set<string>();
  const read = (v: string) => {
    if (!defined.has(v)) exposed.add(v);
  };
  for (const s of loop.body) {
    if (s.kind === 'if' || s.kind === 'loop') {
      forEachStmt([s], (inner) => {
        readsOf(inner).forEach(read);
        if (inner.kind === 'assign' && rec.restoredCounters.has(inner.target)) read(inner.target);
      });
      continue;
    }
    readsOf(s).forEach(read);
    if (s.kind === 'assign') {
      if (rec.restoredCounters.has(s.target)) read(s.target);
      defined.add(s.target);
    }
  }
  const outside = mentionsOutside(fn.body, loop);
  const frozen = frozenBefore(fn, loop);
  const state: StateVar[] = [];
  for (const v of touched) {
    const t = typeOf(fn, v);
    if (!t || rec.blockLocal.has(v) || v === fn.self?.name) continue;
    if (t.kind === 'array' || t.kind === 'object' || t.kind === 'tuple') {
      // An array's variable may be invariant while its elements change: decided below.
      if (assigned.has(v)) {
        if (outside.has(v) || exposed.has(v)) {
          return refuse(
            `${v} is made inside the @checkpoint loop and used across its trips`,
            t.kind === 'array'
              ? `make ${v} once before the loop and write its elements, or move the loop body into a @differentiable helper (a call is a checkpoint too)`
              : `carry its parts in separate number or Tensor variables ([h, c] = cell(h, c, x)), or move the loop body into a @differentiable helper (a call is a checkpoint too)`,
          );
        }
        continue; // made and used within one trip
      }
      // Written only before the loop (and not again by a loop around it): the same in every trip and in the reverse sweep.
      if (frozen(v)) continue;
      if (t.kind !== 'array') {
        if (rec.mutableArrays.has(v)) return refuse(`${v} is written inside a @checkpoint loop's function and read by the loop`, `write ${v} only before the loop, or carry its fields in number or Tensor variables`);
        if (exposed.has(v) && !rec.invariant.has(v)) state.push({ name: v, type: t, copied: false });
        continue;
      }
      if (resized.has(v)) return refuse(`${v} changes length inside the @checkpoint loop (push, pop or shift)`, `give ${v} its final length before the loop and write its elements by index`);
      if (!rec.mutableArrays.has(v)) continue; // never written: read as it is
      if (t.elem.kind !== 'number') {
        return t.elem.kind === 'array'
          ? refuse(`the 2-D array ${v} is written and carried across the trips of a @checkpoint loop`, `use a flat number[] indexed i * columns + j, or write ${v} only before the loop`)
          : refuse(`the array ${v} of ${t.elem.kind === 'tensor' ? 'tensors' : 'objects'} is written and carried across the trips of a @checkpoint loop`, `write ${v} only before the loop, or carry its parts in number, number[] or Tensor variables`);
      }
      state.push({ name: v, type: t, copied: true });
      continue;
    }
    if (exposed.has(v) && !rec.invariant.has(v)) state.push({ name: v, type: t, copied: false });
  }
  return { plan: { state, trips: countedTrips(loop, fn, assigned, resized) }, problem: null };
}

function refuse(message: string, hint: string): { plan: null; problem: { message: string; hint: string } } {
  return { plan: null, problem: { message, hint } };
}

/** Variables mentioned anywhere in `body` outside `loop`. */
function mentionsOutside(body: readonly Stmt[], loop: Loop): Set<string> {
  const out = new Set<string>();
  const walk = (list: readonly Stmt[]) => {
    for (const s of list) {
      if (s === loop) continue;
      readsOf(s).forEach((v) => out.add(v));
      if (s.kind === 'assign') out.add(s.target);
      if (s.kind === 'if') {
        walk(s.then);
        walk(s.else);
      } else if (s.kind === 'loop') walk(s.body);
    }
  };
  walk(body);
  return out;
}

/**
 * Arrays and objects whose every write comes before `loop`, outside it and
 * outside every loop around it (so no later trip of those writes again),
 * as are the writes of the rows and objects pushed into them (they share
 * memory): they hold the same contents in every trip and in the reverse
 * sweep, so no snapshot needs them.
 */
function frozenBefore(fn: IRFunction, loop: Loop): (v: string) => boolean {
  const body = fn.body;
  const structured = (v: string) => ['array', 'object', 'tuple'].includes(typeOf(fn, v)?.kind ?? '');
  const order = new Map<Stmt, number>();
  const around = new Map<Stmt, readonly Stmt[]>();
  const writes = new Map<string, Stmt[]>();
  const shared = new Map<string, Set<string>>();
  const share = (a: string, b: string) => {
    for (const [x, y] of [[a, b], [b, a]] as const) shared.set(x, (shared.get(x) ?? new Set()).add(y));
  };
  const write = (v: string, s: Stmt) => writes.set(v, [...(writes.get(v) ?? []), s]);
  const walk = (list: readonly Stmt[], loops: readonly Stmt[]) => {
    for (const s of list) {
      order.set(s, order.size);
      around.set(s, loops);
      if (s.kind === 'store' || s.kind === 'push') write(s.ref.base, s);
      if (s.kind === 'push' && s.value.kind === 'var' && structured(s.value.name)) share(s.value.name, s.ref.base);
      if (s.kind === 'assign') {
        write(s.target, s);
        if (s.expr.kind === 'pop') write(s.expr.ref.base, s);
      }
      if (s.kind === 'if') {
        walk(s.then, loops);
        walk(s.else, loops);
      } else if (s.kind === 'loop') walk(s.body, [...loops, s]);
    }
  };
  walk(body, []);
  const at = order.get(loop)!;
  const outer = around.get(loop)!;
  const before = (v: string) => (writes.get(v) ?? []).every((w) => order.get(w)! < at && !around.get(w)!.includes(loop) && !around.get(w)!.some((l) => outer.includes(l)));
  // An array and the rows or objects pushed into it share memory: a write through either is a write of both.
  return (v) => before(v) && [...(shared.get(v) ?? [])].every(before);
}

const COMPARISONS: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/**
 * The trip count of `for (let i = a; i < b; i += c)` as the loop starts:
 * `b - i` (c = 1), `(b - i) / c`, `Math.floor((b - i) / c) + 1` for `<=`,
 * mirrored for a counter going down. The counter must be stepped by an
 * integer once per trip, at the top level of the body, and written nowhere
 * else in the loop; the bound is a constant, a variable the loop does not
 * write, or the length of an array whose length the loop does not change.
 */
function countedTrips(loop: Loop, fn: IRFunction, assigned: ReadonlySet<string>, resized: ReadonlySet<string>): ts.Expression | null {
  if (loop.test !== 'pre' || loop.cond.kind !== 'binary' || !(loop.cond.op in COMPARISONS)) return null;
  let { op, left, right } = loop.cond;
  const isCounter = (p: PExpr) => p.kind === 'operand' && p.op.kind === 'var' && typeOf(fn, p.op.name)?.kind === 'number';
  if (!isCounter(left)) {
    [left, right] = [right, left];
    op = COMPARISONS[op]!;
  }
  if (!isCounter(left)) return null;
  const counter = ((left as Extract<PExpr, { kind: 'operand' }>).op as { name: string }).name;
  let bound: ts.Expression;
  if (right.kind === 'operand' && right.op.kind === 'const') bound = operand(right.op, identity);
  else if (right.kind === 'operand' && right.op.kind === 'var' && right.op.name !== counter && !assigned.has(right.op.name) && typeOf(fn, right.op.name)?.kind === 'number') bound = id(right.op.name);
  else if (right.kind === 'length' && right.ref.path.length === 0 && !resized.has(right.ref.base) && !assigned.has(right.ref.base)) bound = pexpr(right, identity);
  else return null;
  // One step of the counter per trip.
  let step: number | null = null;
  let writes = 0;
  forEachStmt(loop.body, (s) => {
    if (s.kind === 'assign' && s.target === counter) writes++;
  });
  for (const s of loop.body) {
    if (s.kind !== 'assign' || s.target !== counter || s.expr.kind !== 'prim') continue;
    const [a, b] = s.expr.args as [Operand | undefined, Operand | undefined];
    const isSelf = (o: Operand | undefined) => o?.kind === 'var' && o.name === counter;
    const constant = (o: Operand | undefined) => (o?.kind === 'const' && Number.isInteger(o.value) && o.value !== 0 ? o.value : null);
    if (s.expr.prim === 'add' && isSelf(a) && constant(b) !== null) step = constant(b);
    else if (s.expr.prim === 'add' && isSelf(b) && constant(a) !== null) step = constant(a);
    else if (s.expr.prim === 'sub' && isSelf(a) && constant(b) !== null) step = -constant(b)!;
  }
  if (step === null || writes !== 1) return null;
  const up = op === '<' || op === '<=';
  if (up !== step > 0) return null;
  const span = up ? expr`${bound} - ${counter}` : expr`${counter} - ${bound}`;
  const c = Math.abs(step);
  const perStep = c === 1 ? span : expr`(${span}) / ${c}`;
  return op === '<' || op === '>' ? perStep : expr`Math.floor(${perStep}) + 1`;
}

/** Refuses, with a located error, the checkpointed loops this file cannot checkpoint (called once per function by the pipeline). */
export function checkCheckpointedLoops(fn: IRFunction, rec: Recording, file: string): void {
  forEachStmt(fn.body, (s) => {
    if (!isCheckpointed(s, rec)) return;
    const { problem } = analyze(s, fn, rec);
    if (problem) throw new CompileError({ file, line: s.loc.line, column: s.loc.column, ...problem });
  });
}

const plans = new WeakMap<Stmt, Plan>();

function planOf(loop: Loop, env: CheckpointEnv): Plan {
  let plan = plans.get(loop);
  if (!plan) {
    const r = analyze(loop, env.fn, env.rec);
    if (!r.plan) throw new Error(`internal: a refused @checkpoint loop reached emission (${r.problem?.message})`);
    plan = r.plan;
    plans.set(loop, plan);
  }
  return plan;
}

// ---- emission ----

/** The loop's statements with no tape pushes: what an 'advance' step and the forward sweep run. */
function primalList(list: readonly Stmt[], env: CheckpointEnv): ts.Statement[] {
  const calls = callNames(env.ctx);
  const out: ts.Statement[] = [];
  for (const s of list) {
    switch (s.kind) {
      case 'assign': {
        const value = primal(s.expr, identity, calls);
        const kw = env.decls.declaredAt.get(s);
        out.push(kw === 'const' ? stmt`const ${s.target} = ${value};` : kw === 'let' ? stmt`let ${s.target} = ${value};` : stmt`${s.target} = ${value};`);
        break;
      }
      case 'store':
        out.push(stmt`${ref(s.ref, identity)} = ${operand(s.value, identity)};`);
        break;
      case 'push':
        out.push(stmt`${ref(s.ref, identity)}.push(${operand(s.value, identity)});`);
        break;
      case 'if': {
        const otherwise = primalList(s.else, env);
        out.push(f.createIfStatement(pexpr(s.cond, identity), f.createBlock(primalList(s.then, env), true), otherwise.length ? f.createBlock(otherwise, true) : undefined));
        break;
      }
      case 'loop': {
        const body = f.createBlock(primalList(s.body, env), true);
        out.push(s.test === 'pre' ? f.createWhileStatement(pexpr(s.cond, identity), body) : f.createDoStatement(body, pexpr(s.cond, identity)));
        break;
      }
      case 'return':
        throw new Error('internal: return inside a loop');
      default:
        s satisfies never;
    }
  }
  return out;
}

/** `[v, i, xs.slice()]`: a snapshot of the state. */
function snapshot(plan: Plan): ts.Expression {
  return f.createArrayLiteralExpression(plan.state.map((v) => (v.copied ? expr`${v.name}.slice()` : id(v.name))));
}

function stateNote(plan: Plan): string {
  return plan.state.length ? plan.state.map((v) => v.name).join(', ') : 'nothing';
}

/** Transforms a checkpointed loop into its forward sweep: primal trips, snapshots where the schedule asks. */
export function checkpointedForward<E extends CheckpointEnv>(loop: Loop & { checkpoint: NonNullable<Loop['checkpoint']> }, env: E): ts.Statement[] {
  const plan = planOf(loop, env);
  const cp = env.names.fresh('checkpoints');
  const trips = env.names.fresh('trips');
  const options: ts.ObjectLiteralElementLike[] = [];
  if (loop.checkpoint.snapshots !== undefined) options.push(f.createPropertyAssignment('snapshots', f.createNumericLiteral(loop.checkpoint.snapshots)));
  if (loop.checkpoint.every !== undefined) options.push(f.createPropertyAssignment('every', f.createNumericLiteral(loop.checkpoint.every)));
  const optionArg = options.length ? [f.createObjectLiteralExpression(options)] : [];
  const schedule = plan.trips
    ? f.createCallExpression(expr`LoopCheckpoints.counted`, undefined, [plan.trips, ...optionArg])
    : f.createCallExpression(expr`LoopCheckpoints.online`, undefined, optionArg);
  // The trips up to the next snapshot run in a loop of their own: with the snapshot's array literal in the
  // same loop, V8 keeps the state's numbers boxed on every trip (the logistic map's primal trips ran 3x slower).
  const until = env.names.fresh('until');
  const cond = () => pexpr(loop.cond, identity);
  const run = f.createDoStatement(f.createBlock([...primalList(loop.body, env), stmt`${trips}++;`], true), expr`${trips} < ${until} && ${cond()}`);
  const block = f.createBlock([stmt`if (${trips} === ${cp}.nextSave) ${cp}.save(${snapshot(plan)});`, stmt`const ${until} = ${cp}.nextSave;`, run], true);
  const out = [
    stmt`const ${cp} = ${schedule};`,
    stmt`let ${trips} = 0;`,
    loop.test === 'pre' ? f.createWhileStatement(cond(), block) : f.createDoStatement(block, cond()),
    stmt`${cp}.finish(${trips});`,
    stmt`${env.tape('refs')}.push(${cp});`,
  ];
  lineComment(out[0]!, `${sourceComment(env.fn, loop.loc)}: @checkpoint loop, primal trips only; snapshots of (${stateNote(plan)}) where the schedule asks`);
  return out;
}

/** Transforms a checkpointed loop into its adjoint sweep: the schedule's steps, trips recomputed from snapshots. */
export function checkpointedReverse<E extends CheckpointEnv>(loop: Loop & { checkpoint: NonNullable<Loop['checkpoint']> }, env: E, hooks: CheckpointHooks<E>): ts.Statement[] {
  const plan = planOf(loop, env);
  const { names } = env;
  const cp = names.fresh('checkpoints');
  const step = names.fresh('step');
  const saved = names.fresh('saved');
  const restore = plan.state.map((v, k) =>
    v.copied ? stmt`${cp}.restoreArray(${v.name}, ${saved}[${k}] as ${irType(v.type)});` : stmt`${v.name} = ${saved}[${k}] as ${irType(v.type)};`,
  );
  const trips = (body: ts.Statement[]) => {
    const trip = names.fresh('trip');
    return stmt`for (let ${trip} = ${cp}.trips; ${trip} > 0; ${trip}--) { ${body}; }`;
  };
  const advance = trips(primalList(loop.body, env));
  const record = lineComment(trips(hooks.forwardList(loop.body, env)), "'reverse': the step's trips, recorded on the tape", true);
  const back = lineComment(trips(hooks.reverseList(loop.body, env)), 'then reversed, last first');
  // One `if` per step kind, each ending the trip of the step loop (no else-if chain: simplify.ts walks only block-bodied branches).
  const steps = stmt`for (let ${step} = ${cp}.next(); ${step} !== 'done'; ${step} = ${cp}.next()) {
    if (${step} === 'restore') {
      const ${saved} = ${cp}.saved();
      ${restore};
      continue;
    }
    if (${step} === 'advance') {
      ${advance};
      continue;
    }
    if (${step} === 'save') {
      ${cp}.save(${snapshot(plan)});
      continue;
    }
    ${record};
    ${back};
  }`;
  const out = [stmt`const ${cp} = ${env.tape('refs')}.pop<LoopCheckpoints>();`, steps];
  lineComment(out[0]!, `${sourceComment(env.fn, loop.loc)}: @checkpoint loop, trips recomputed from snapshots (runtime/checkpoint.ts)`);
  return out;
}
