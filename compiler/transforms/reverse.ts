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
 */
import type { IRFunction, Operand, Stmt, VarType } from '../ir/ir.ts';
import type { Activity } from '../analysis/activity.ts';
import { vjpReads, type BlockPlan, type BlockStmt, type Recording } from '../analysis/recording.ts';
import { hoistedDeclaration, planDeclarations, type Declarations } from '../emit/declarations.ts';
import { identity, operand, pexpr, primal, ref, type NameOf } from '../emit/expr.ts';
import { Naming } from '../emit/naming.ts';
import { Writer } from '../emit/writer.ts';
import { typeText } from '../frontend/types.ts';
import { ruleOf } from '../rules/index.ts';
import { mul as mulExpr } from '../rules/algebra.ts';
import { calleeExport, gradsType, isVectorValued, seedType, signatureParams, sourceComment, type EmitContext } from './common.ts';

/** One thing the forward sweep of a block pushes, in order. */
type PushEvent =
  | { kind: 'snapshot'; v: string }
  | { kind: 'counterInit'; k: number; v: string }
  | { kind: 'realloc'; k: number; v: string }
  | { kind: 'argCopy'; k: number; v: string }
  | { kind: 'def'; k: number; v: string };

/** Tensors (immutable) are recorded by reference on the refs tape, numbers on the values tape. */
function stackOf(fn: IRFunction, v: string): 'values' | 'refs' {
  const t = fn.locals.get(v) ?? fn.params.find((p) => p.name === v)?.type;
  return t?.kind === 'tensor' ? 'refs' : 'values';
}

function pushEvents(plan: BlockPlan): PushEvent[] {
  const events: PushEvent[] = plan.snapshots.map((v) => ({ kind: 'snapshot', v }));
  plan.stmts.forEach((s, k) => {
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
  naming: Naming;
  w: Writer;
  d: (v: string) => string;
  valueName: string;
  returnType: string;
}

export function emitVjp(fn: IRFunction, act: Activity, rec: Recording, ctx: EmitContext): string {
  const naming = new Naming([...fn.locals.keys(), ...fn.params.map((p) => p.name), 'self']);
  const d = (v: string) => naming.deriv(v);
  const decls = planDeclarations(fn, rec.blockLocal);
  const w = new Writer();
  const env: Env = { fn, act, rec, decls, naming, w, d, valueName: naming.fresh('value'), returnType: 'number' };
  const wrt = fn.params.filter((p) => p.wrt);
  const grads = gradsType(fn, ctx);
  const params = [...signatureParams(fn, ctx), `${naming.seed}: ${seedType(fn)}`];
  w.line(`/** Reverse mode: [${fn.name}(...), ${naming.seed} times its gradient with respect to (${wrt.map((p) => p.name).join(', ')})]. */`);
  env.returnType = ctx.returnType;
  w.block(`export function valueAndVjp_${fn.name}(${params.join(', ')}): [${ctx.returnType}, ${grads}]`, () => {
    for (const v of decls.hoisted) {
      const t = fn.locals.get(v)!;
      w.line(hoistedDeclaration(v, t));
      if (t.kind === 'array' && act.isActive(v)) w.line(hoistedDeclaration(d(v), t));
    }
    w.line('// forward sweep');
    forwardList(fn.body, env);
    w.line('// adjoint sweep');
    for (const p of wrt) {
      if (p.type.kind === 'number') w.line(`let ${d(p.name)} = 0;`);
      else if (p.type.kind === 'tensor') w.line(`let ${d(p.name)}: Tensor | null = null;`);
      else w.line(`const ${d(p.name)} = zerosLike(${p.name});`);
    }
    const nonWrtParams = fn.params.filter((p) => !p.wrt && act.isActive(p.name)).map((p): [string, VarType] => [p.name, p.type]);
    const localAdjoints = [...fn.locals.entries(), ...nonWrtParams].filter(([v]) => act.isActive(v) && !rec.blockLocal.has(v));
    const numberAdjoints = localAdjoints.filter(([, t]) => t.kind === 'number');
    const tensorAdjoints = localAdjoints.filter(([, t]) => t.kind === 'tensor');
    if (numberAdjoints.length) w.line(`let ${numberAdjoints.map(([v]) => `${d(v)} = 0`).join(', ')};`);
    if (tensorAdjoints.length) w.line(`let ${tensorAdjoints.map(([v]) => `${d(v)}: Tensor | null = null`).join(', ')};`);
    reverseList(fn.body, env);
    const gradOf = (p: (typeof wrt)[number]) => (p.type.kind === 'tensor' ? `${d(p.name)} ?? zerosLike(${p.name})` : d(p.name));
    const result = wrt.length === 1 ? gradOf(wrt[0]!) : `[${wrt.map(gradOf).join(', ')}]`;
    w.line(`return [${env.valueName}, ${result}];`);
  });
  return withLocalTapes(w.toString(), naming);
}

/**
 * Reads the shared tapes through locals (`const valueTape = tape.values`):
 * V8 then keeps the stack in registers inside hot loops (the logistic map's
 * gradient ran 1.6x the hand-written one without, 1.3x with).
 */
function withLocalTapes(text: string, naming: Naming): string {
  const stacks = (['values', 'control', 'refs'] as const).filter((s) => text.includes(`tape.${s}.`));
  if (stacks.length === 0) return text;
  const local = { values: 'valueTape', control: 'controlTape', refs: 'refTape' };
  const decls = stacks.map((s) => {
    const name = naming.fresh(local[s]);
    text = text.split(`tape.${s}.`).join(`${name}.`);
    return `${name} = tape.${s}`;
  });
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('export function valueAndVjp_'));
  lines.splice(at + 1, 0, `  const ${decls.join(', ')};`);
  return lines.join('\n');
}

// ---- forward sweep ----

function forwardList(list: readonly Stmt[], env: Env): void {
  for (const item of env.rec.blocksOf(list)) {
    if (Array.isArray(item)) forwardBlock(env.rec.plans.get(item)!, env);
    else forwardControl(item, env);
  }
}

function forwardControl(s: Stmt, env: Env): void {
  const { w, rec } = env;
  const record = rec.hasReverse(s);
  w.line(sourceComment(env.fn, s.loc));
  if (s.kind === 'if') {
    w.block(`if (${pexpr(s.cond, identity)})`, () => {
      forwardList(s.then, env);
      if (record) w.line('tape.control.push(1);');
    }, s.else.length || record ? '} else {' : '}');
    if (s.else.length || record) {
      w.indent(() => {
        forwardList(s.else, env);
        if (record) w.line('tape.control.push(0);');
      });
      w.line('}');
    }
    return;
  }
  if (s.kind === 'loop') {
    const trips = record ? env.naming.fresh('trips') : null;
    if (trips) w.line(`let ${trips} = 0;`);
    const body = () => {
      forwardList(s.body, env);
      if (trips) w.line(`${trips}++;`);
    };
    if (s.test === 'pre') w.block(`while (${pexpr(s.cond, identity)})`, body);
    else w.block('do', body, `} while (${pexpr(s.cond, identity)});`);
    if (trips) w.line(`tape.control.push(${trips});`);
  }
}

function forwardBlock(plan: BlockPlan, env: Env): void {
  const { w, act, d, decls } = env;
  w.line(blockComment(plan, env));
  for (const v of plan.snapshots) w.line(`tape.${stackOf(env.fn, v)}.push(${v});`);
  plan.stmts.forEach((s, k) => {
    if (s.kind === 'return') {
      const cast = isVectorValued(env.fn) ? ` as ${env.returnType}` : '';
      w.line(`const ${env.valueName} = ${operand(s.value, identity)}${cast};`);
      return;
    }
    if (s.kind === 'store') {
      w.line(`${ref(s.ref, identity)} = ${operand(s.value, identity)};`);
      return;
    }
    if (s.kind === 'push') {
      w.line(`${ref(s.ref, identity)}.push(${operand(s.value, identity)});`);
      if (act.isActive(s.ref.base)) w.line(`${ref(s.ref, identity, d(s.ref.base))}.push(0);`);
      return;
    }
    if (plan.counterInits.has(k)) w.line(`tape.values.push(${s.target});`);
    if (plan.reallocations.has(k)) w.line(`tape.refs.push(${d(s.target)});`);
    for (const a of plan.argCopies.get(k) ?? []) w.line(`tape.refs.push(${a}.slice());`);
    const decl = decls.declaredAt.get(s);
    const kw = decl ? `${decl} ` : '';
    w.line(`${kw}${s.target} = ${primal(s.expr, identity)};`);
    const e = s.expr;
    if ((e.kind === 'newArray' || e.kind === 'copyArray' || (e.kind === 'call' && e.callee.returns.kind !== 'number')) && act.isActive(s.target)) {
      w.line(`${kw}${d(s.target)} = ${zerosOfSameShape(s.target, e.kind === 'newArray' ? e : null, env)};`);
    }
    if (plan.tapedAtDef.has(k)) w.line(`tape.${stackOf(env.fn, s.target)}.push(${s.target});`);
  });
}

function zerosOfSameShape(target: string, alloc: { ctor: string; size: Operand | null } | null, env: Env): string {
  const t = env.fn.locals.get(target)!;
  if (t.kind !== 'array') throw new Error('internal: not an array');
  if (alloc && alloc.ctor === 'Array' && !alloc.size) return '[] as number[]';
  if (t.ctor === 'Array') return `new Array<number>(${target}.length).fill(0)`;
  return `new ${t.ctor}(${target}.length)`;
}

/** `// model.ts:3-5`: the source lines a block derives from. */
function blockComment(plan: BlockPlan, env: Env): string {
  const lines = plan.stmts.map((s) => s.loc.line);
  const lo = Math.min(...lines);
  const hi = Math.max(...lines);
  return `// ${env.fn.sourceFile}:${lo}${hi > lo ? `-${hi}` : ''}`;
}

// ---- adjoint sweep ----

function reverseList(list: readonly Stmt[], env: Env): void {
  const items = env.rec.blocksOf(list);
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (Array.isArray(item)) {
      const plan = env.rec.plans.get(item)!;
      if (plan.hasReverse) reverseBlock(plan, env);
    } else if (env.rec.hasReverse(item)) {
      reverseControl(item, env);
    }
  }
}

function reverseControl(s: Stmt, env: Env): void {
  const { w } = env;
  w.line(sourceComment(env.fn, s.loc));
  if (s.kind === 'if') {
    const hasElse = env.rec.hasReverse(s.else);
    w.block('if (tape.control.pop() === 1)', () => reverseList(s.then, env), hasElse ? '} else {' : '}');
    if (hasElse) w.indent(() => reverseList(s.else, env)).line('}');
    return;
  }
  if (s.kind === 'loop') {
    const n = env.naming.fresh('trip');
    w.block(`for (let ${n} = tape.control.pop(); ${n} > 0; ${n}--)`, () => reverseList(s.body, env));
  }
}

function reverseBlock(plan: BlockPlan, env: Env): void {
  const { w, rec, naming } = env;
  const stmts = plan.stmts;
  w.line(blockComment(plan, env));
  w.block('', () => {
    // Names of the values defined in this block that the reverse code uses.
    const versionName = new Map<number, string>();
    const defName = (k: number): string => {
      let n = versionName.get(k);
      if (!n) {
        const target = (stmts[k] as Extract<BlockStmt, { kind: 'assign' }>).target;
        n = rec.blockLocal.has(target) || plan.available.has(k) ? target : naming.version(target);
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
        case 'snapshot':
          w.line(`const ${e.v} = ${popFrom(env.fn, e.v)};`);
          break;
        case 'def':
          w.line(`const ${defName(e.k)} = ${popFrom(env.fn, e.v)};`);
          break;
        case 'counterInit': {
          const n = naming.fresh(`${e.v}_before`);
          popped.set(`init:${e.k}`, n);
          w.line(`const ${n} = tape.values.pop();`);
          break;
        }
        case 'realloc': {
          const n = naming.fresh(`${env.d(e.v)}_before`);
          popped.set(`realloc:${e.k}`, n);
          w.line(`const ${n} = tape.refs.pop<${typeText(env.fn.locals.get(e.v)!)}>();`);
          break;
        }
        case 'argCopy': {
          const n = naming.fresh(`${e.v}_atCall`);
          popped.set(`arg:${e.k}:${e.v}`, n);
          w.line(`const ${n} = tape.refs.pop<${typeText(env.fn.locals.get(e.v)!)}>();`);
          break;
        }
        default:
          e satisfies never;
      }
    }
    // 2. restore loop counters to their values when the block was entered
    for (let k = stmts.length - 1; k >= 0; k--) {
      const s = stmts[k]!;
      if (s.kind !== 'assign') continue;
      if (plan.counterInits.has(k)) w.line(`${s.target} = ${popped.get(`init:${k}`)};`);
      if (plan.counterSteps.has(k)) w.line(`${s.target} = ${undoStep(s)};`);
    }
    // 3. recompute the block's intermediate values
    for (const k of [...plan.recompute].sort((a, b) => a - b)) {
      const s = stmts[k] as Extract<BlockStmt, { kind: 'assign' }>;
      w.line(`const ${defName(k)} = ${primal(s.expr, nameAt(k))};`);
    }
    // 4. adjoints, last statement first
    if (preaccumulate(plan, env, nameAt, defName)) return;
    const locals = stmts.flatMap((s) =>
      s.kind === 'assign' && rec.blockLocal.has(s.target) && env.act.isActive(s.target) ? [s.target] : [],
    );
    const isTensor = (v: string) => env.fn.locals.get(v)?.kind === 'tensor';
    const numberLocals = locals.filter((v) => !isTensor(v));
    const tensorLocals = locals.filter(isTensor);
    if (numberLocals.length) w.line(`let ${numberLocals.map((v) => `${env.d(v)} = 0`).join(', ')};`);
    if (tensorLocals.length) w.line(`let ${tensorLocals.map((v) => `${env.d(v)}: Tensor | null = null`).join(', ')};`);
    for (let k = stmts.length - 1; k >= 0; k--) adjoint(stmts[k]!, k, plan, env, nameAt(k), defName, popped);
  }, '}');
}

function popFrom(fn: IRFunction, v: string): string {
  return stackOf(fn, v) === 'refs' ? 'tape.refs.pop<Tensor>()' : 'tape.values.pop()';
}

/** `i = i + 1` -> `i - 1` */
function undoStep(s: Extract<BlockStmt, { kind: 'assign' }>): string {
  const e = s.expr as Extract<typeof s.expr, { kind: 'prim' }>;
  const [a, b] = e.args;
  const c = a!.kind === 'const' ? a!.value : (b as { value: number }).value;
  if (e.prim === 'add') return c >= 0 ? `${s.target} - ${c}` : `${s.target} + ${-c}`;
  return c >= 0 ? `${s.target} + ${c}` : `${s.target} - ${-c}`;
}

function adjoint(
  s: BlockStmt,
  k: number,
  plan: BlockPlan,
  env: Env,
  name: NameOf,
  defName: (k: number) => string,
  popped: Map<string, string>,
): void {
  const { w, act, d, rec } = env;
  const isActive = (o: Operand): o is { kind: 'var'; name: string } => o.kind === 'var' && act.isActive(o.name);
  if (s.kind === 'return') {
    if (!isActive(s.value)) return;
    if (isVectorValued(env.fn)) w.line(`addArrayInto(${d(s.value.name)}, ${env.naming.seed});`);
    else w.line(`${d(s.value.name)} += ${env.naming.seed};`);
    return;
  }
  if (s.kind === 'store') {
    if (!act.isActive(s.ref.base)) return;
    const dref = ref(s.ref, name, d(s.ref.base));
    if (isActive(s.value)) w.line(`${d(s.value.name)} += ${dref};`);
    w.line(`${dref} = 0;`);
    return;
  }
  if (s.kind === 'push') {
    if (!act.isActive(s.ref.base)) return;
    const dref = ref(s.ref, name, d(s.ref.base));
    w.line(isActive(s.value) ? `${d(s.value.name)} += ${dref}.pop()!;` : `${dref}.pop();`);
    return;
  }
  const target = s.target;
  if (!act.isActive(target)) return;
  const dt = d(target);
  const e = s.expr;
  const typeOf = (v: string) => (env.fn.locals.get(v) ?? env.fn.params.find((p) => p.name === v)?.type)?.kind;
  const targetIsTensor = typeOf(target) === 'tensor';
  const zeroAfter = !rec.blockLocal.has(target) && !rec.invariant.has(target) && (typeOf(target) === 'number' || targetIsTensor);
  const reset = targetIsTensor ? `${dt} = null;` : `${dt} = 0;`;
  /** `da += c` for numbers, `da = accumulate(da, c)` for tensors. */
  const into = (v: string, c: string) => (typeOf(v) === 'tensor' ? `${d(v)} = addTensor(${d(v)}, ${c});` : accumulate(d(v), c));
  // Tensor adjoints start as null (no contribution yet): skip the statement's adjoint while it is.
  const body = (emit: () => void) => {
    if (targetIsTensor) w.block(`if (${dt} !== null)`, emit);
    else emit();
  };
  switch (e.kind) {
    case 'prim':
    case 'tensorOp': {
      const rule = ruleOf(e);
      const args = e.args.map((a) => operand(a, name));
      const readsOut = vjpReads(rule, e, act.isActive).out;
      const out = readsOut ? defName(k) : target;
      const contributions = (g: string) =>
        e.args.flatMap((a, i): [string, string][] => {
          if (!isActive(a)) return [];
          const c = rule.vjp({ args, out, g }, i);
          return c === null ? [] : [[a.name, c]];
        });
      const selfRef = e.args.some((a) => a.kind === 'var' && a.name === target);
      // A variable assigned many times may have a zero cotangent here (its value was overwritten
      // before any use): skip, so that 0 * an overflowed partial cannot make a NaN.
      const guardZero = zeroAfter && !targetIsTensor && !(selfRef && contributions('g').filter(([a]) => a === target).every(([, c]) => c === 'g'));
      const guarded = (emit: () => void) => (guardZero ? w.block(`if (${dt} !== 0)`, emit) : body(emit));
      guarded(() => {
        if (!selfRef) {
          for (const [a, c] of contributions(dt)) w.line(into(a, c));
          if (zeroAfter) w.line(reset);
          return;
        }
        // The result overwrites one of its operands (`s = s + t`): take the cotangent first.
        const own = contributions('g').filter(([a]) => a === target);
        if (!targetIsTensor && own.length === 1 && own[0]![1] === 'g') {
          // d(s) passes through unchanged: only the other operands get contributions.
          for (const [a, c] of contributions(dt)) if (a !== target) w.line(into(a, c));
          return;
        }
        const g = env.naming.fresh('g');
        w.line(`const ${g} = ${dt};`);
        w.line(reset);
        for (const [a, c] of contributions(g)) w.line(into(a, c));
      });
      return;
    }
    case 'copy':
      if (e.src.kind === 'var' && e.src.name === target) return;
      body(() => {
        if (isActive(e.src)) w.line(into(e.src.name, dt));
        if (zeroAfter) w.line(reset);
      });
      return;
    case 'load':
      body(() => {
        if (act.isActive(e.ref.base)) {
          const dref = ref(e.ref, name, d(e.ref.base));
          w.line(targetIsTensor ? `${dref} = addTensor(${dref}, ${dt});` : accumulate(dref, dt));
        }
        if (zeroAfter) w.line(reset);
      });
      return;
    case 'call': {
      const wrtArgs = e.args.map((a, i) => ({ a, i })).filter(({ i }) => e.callee.wrt[i]);
      const args = e.args.map((a) => (a.kind === 'var' && popped.has(`arg:${k}:${a.name}`) ? popped.get(`arg:${k}:${a.name}`)! : operand(a, name)));
      const c = env.naming.fresh(`${e.callee.exportName}_bar`);
      // `x = h(x)`: take x's cotangent before the call's contributions add to it.
      const selfRef = zeroAfter && e.args.some((a) => a.kind === 'var' && a.name === target);
      let seed = dt;
      if (selfRef) {
        seed = env.naming.fresh('g');
        w.line(`const ${seed} = ${dt};`);
        w.line(reset);
      }
      w.line(`const [, ${c}] = ${calleeExport(e.callee, 'valueAndVjp')}(${[...args, seed].join(', ')});`);
      wrtArgs.forEach(({ a, i }, j) => {
        if (!isActive(a)) return;
        const part = wrtArgs.length === 1 ? c : `${c}[${j}]`;
        const kind = e.callee.params[i]!.kind;
        if (kind === 'number' || kind === 'tensor') w.line(into(a.name, part));
        else w.line(`addInto(${d(a.name)}, ${part});`);
      });
      if (zeroAfter && !selfRef) w.line(reset);
      if (plan.reallocations.has(k)) w.line(`${dt} = ${popped.get(`realloc:${k}`)};`);
      return;
    }
    case 'copyArray':
      if (act.isActive(e.src.base)) w.line(`addInto(${ref(e.src, name, d(e.src.base))}, ${dt});`);
      if (plan.reallocations.has(k)) w.line(`${dt} = ${popped.get(`realloc:${k}`)};`);
      return;
    case 'newArray':
      if (plan.reallocations.has(k)) w.line(`${dt} = ${popped.get(`realloc:${k}`)};`);
      return;
    case 'pure':
    case 'opaqueCall':
      if (zeroAfter) w.line(reset);
      return;
    default:
      e satisfies never;
  }
}

/** `da += c`, written `da -= x` when `c` is `-x`. */
function accumulate(da: string, c: string): string {
  if (/^-[\w$.]+$/.test(c) || /^-\(.*\)$/.test(c)) return `${da} -= ${c.slice(1)};`;
  if (/^-[\w$.]+ \* /.test(c) && !/[+-]/.test(c.slice(1))) return `${da} -= ${c.slice(1)};`;
  return `${da} += ${c};`;
}

/**
 * Reverse code of a block of scalar arithmetic as one local Jacobian
 * ("preaccumulation"): the partial derivatives of the block's outputs with
 * respect to its inputs are computed from primal values first, then each
 * input's cotangent is one multiply-add of the outputs' cotangents. This
 * keeps the loop-carried chain of cotangents short (`dv = dv * j` instead
 * of a multiply per primitive). Returns false, emitting nothing, for blocks
 * with memory, calls or tensors, which take the statement-by-statement path.
 */
function preaccumulate(plan: BlockPlan, env: Env, nameAt: (k: number) => NameOf, defName: (k: number) => string): boolean {
  const { act, rec, w, d, naming } = env;
  const stmts = plan.stmts;
  const typeOf = (v: string) => (env.fn.locals.get(v) ?? env.fn.params.find((p) => p.name === v)?.type)?.kind;
  if (stmts.length > 40) return false;
  for (const s of stmts) {
    if (s.kind === 'store' || s.kind === 'push') {
      if (act.isActive(s.ref.base)) return false;
      continue;
    }
    if (s.kind === 'return') {
      if (isVectorValued(env.fn)) return false;
      continue;
    }
    if (!act.isActive(s.target)) continue;
    if (typeOf(s.target) !== 'number') return false;
    if (s.expr.kind !== 'prim' && s.expr.kind !== 'copy') return false;
  }
  /** Linear forms: for each variable, its cotangent as coefficients of the cotangents the block starts with. */
  const forms = new Map<string, Map<string, string[]>>();
  const form = (v: string) => {
    let f = forms.get(v);
    if (!f) {
      f = new Map();
      // A cotangent that lives outside the block starts as itself.
      if (!rec.blockLocal.has(v)) f.set(d(v), ['1']);
      forms.set(v, f);
    }
    return f;
  };
  const lines: string[] = [];
  const named = (expr: string): string => {
    if (/^[\w$]+$/.test(expr) || /^\(?-?[\d.]+\)?$/.test(expr)) return expr;
    const n = naming.fresh('jac');
    lines.push(`const ${n} = ${expr};`);
    return n;
  };
  const total = (terms: string[]): string => named(terms.length === 1 ? terms[0]! : terms.join(' + '));
  const add = (v: string, sym: string, c: string) => {
    const f = form(v);
    f.set(sym, [...(f.get(sym) ?? []), c]);
  };
  for (let k = stmts.length - 1; k >= 0; k--) {
    const s = stmts[k]!;
    if (s.kind === 'return') {
      if (s.value.kind === 'var' && act.isActive(s.value.name)) add(s.value.name, naming.seed, '1');
      continue;
    }
    if (s.kind !== 'assign' || !act.isActive(s.target)) continue;
    const target = s.target;
    const g = [...form(target).entries()].map(([sym, terms]) => [sym, total(terms)] as const);
    if (rec.blockLocal.has(target) || !rec.invariant.has(target)) forms.set(target, rec.blockLocal.has(target) ? new Map() : new Map());
    const e = s.expr;
    const partials: [string, string][] = [];
    if (e.kind === 'copy') {
      if (e.src.kind === 'var' && act.isActive(e.src.name)) partials.push([e.src.name, '1']);
    } else if (e.kind === 'prim') {
      const rule = ruleOf(e);
      const args = e.args.map((a) => operand(a, nameAt(k)));
      const out = vjpReads(rule, e, act.isActive).out ? defName(k) : target;
      e.args.forEach((a, i) => {
        if (a.kind !== 'var' || !act.isActive(a.name)) return;
        const p = rule.vjp({ args, out, g: '1' }, i);
        if (p !== null) partials.push([a.name, p]);
      });
    }
    for (const [a, p] of partials) {
      for (const [sym, c] of g) add(a, sym, mulExpr(c, p));
    }
  }
  // New cotangents of the variables that live outside the block, from the old ones.
  const updates: [string, string][] = [];
  for (const [v, f] of forms) {
    if (rec.blockLocal.has(v)) continue;
    const terms = [...f.entries()].map(([sym, cs]) => {
      const c = total(cs);
      if (c === '1') return sym;
      // Zero cotangents stay zero even where a partial overflowed (no 0 * Infinity).
      return `(${sym} === 0 ? 0 : ${sym} * ${c})`;
    });
    const value = terms.length ? terms.join(' + ') : '0';
    if (value === d(v)) continue;
    updates.push([d(v), value]);
  }
  for (const line of lines) w.line(line);
  if (updates.length === 1) w.line(`${updates[0]![0]} = ${updates[0]![1]};`);
  else {
    const temps = updates.map(([dv, value]) => {
      const t = naming.fresh(`${dv}_new`);
      w.line(`const ${t} = ${value};`);
      return t;
    });
    updates.forEach(([dv], i) => w.line(`${dv} = ${temps[i]};`));
  }
  return true;
}
