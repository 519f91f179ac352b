/**
 * Renders a fuzzed program (ast.ts) as TypeScript for the compiler, or as
 * a traced JavaScript twin for the oracle.
 *
 * Every index in the tree is resolved modulo what is in scope, so any tree
 * renders to a program that type-checks, terminates (while loops carry a
 * counter incremented first thing in the body) and keeps each Math function
 * inside its domain (`Math.log(1 + u * u)`, `Math.asin(0.9 * Math.tanh(u))`).
 *
 * The traced twin (mode 'js') computes the same values but records every
 * decision that makes the function piecewise: branch and loop conditions,
 * array indexes, and the side of each kink (abs, max, min, floor, %, ...).
 * Two points with equal traces lie on the same smooth piece, so central
 * finite differences between them are valid.
 */
import type { ArrayInit, Cond, Expr, Fn, Index, MathFn, Param, Program, RenderSwitch, Size, Stmt } from './ast.ts';

export type Mode = 'ts' | 'js';

interface NumVar {
  name: string;
  assignable: boolean;
  /** Typed `any` (an element of an unannotated `new Array(n).fill(0)`). */
  anyTyped?: boolean;
}

interface ArrVar {
  name: string;
  type: 'number[]' | 'Float64Array';
  /** Elements typed `any` (an unannotated `new Array(n).fill(0)`). */
  anyElems: boolean;
  isParam: boolean;
  /** Allocated inside a loop body. */
  inLoop: boolean;
}

interface Scope {
  nums: NumVar[];
  flags: string[];
  arrs: ArrVar[];
  /** Loop counters usable in indexes. */
  counters: string[];
}

interface LoopFrame {
  label: string;
  labelUsed: boolean;
}

/** What is known about a helper when rendering a call of it. */
interface HelperSig {
  name: string;
  params: Param[];
  wrt: boolean[];
}

interface Ctx {
  mode: Mode;
  helpers: HelperSig[];
  loops: LoopFrame[];
  /** Arrays iterated by an enclosing for...of: nothing may push onto them. */
  iterating: Set<string>;
  /** Inside a loop condition: the compiler wants it pure (no calls). */
  pure: boolean;
  counts: Map<string, number>;
  indent: string;
  /** Constructs to steer around (Program.avoid). */
  avoid: ReadonlySet<RenderSwitch>;
  /** Inside a branch of an `if`. */
  inBranch: boolean;
  /** Inside a condition (the compiler keeps conditions as pure expressions). */
  inCond?: boolean;
  /** Shared by the whole function: a return, break or continue has been rendered. */
  fnState: { exitSeen: boolean };
}

const SQUASH = [
  (u: string) => `Math.tanh(${u})`,
  (u: string) => `Math.sin(${u})`,
  (u: string) => `${u} / (1 + ${u} * ${u})`,
  (u: string) => `Math.cos(${u})`,
];

/** Names of the generated functions: `f` is the main one, helpers are `h0`, `h1`, ... */
export const MAIN_NAME = 'f';
export const helperName = (i: number): string => `h${i}`;

/** A parameter's name: `x0` for numbers, `xs1` for arrays. */
export function paramName(p: Param, i: number): string {
  return p.type === 'number' ? `x${i}` : `xs${i}`;
}

/** The effective wrt list of a function: null when every parameter is differentiated. */
export function effectiveWrt(fn: Fn, isHelper: boolean): boolean[] | null {
  if (!fn.wrt) return null;
  const wrt = fn.params.map((p, i) => {
    const w = fn.wrt![i % fn.wrt!.length]!;
    // Helpers differentiate every array parameter: callers pass active arrays.
    return isHelper && p.type !== 'number' ? true : w;
  });
  if (wrt.every((w) => w) || !wrt.some((w) => w)) return null;
  return wrt;
}

/** The TypeScript source of a program. */
export function renderProgram(p: Program, mode: Mode = 'ts'): string {
  const helpers: HelperSig[] = [];
  const parts: string[] = [];
  const avoid = new Set(p.avoid);
  p.helpers.forEach((h, i) => {
    parts.push(renderFn(h, helperName(i), helpers.slice(), mode, true, avoid));
    helpers.push({ name: helperName(i), params: h.params, wrt: effectiveWrt(h, true) ?? h.params.map(() => true) });
  });
  parts.push(renderFn(p.main, MAIN_NAME, helpers, mode, false, avoid));
  return parts.join('\n');
}

function renderFn(fn: Fn, name: string, helpers: HelperSig[], mode: Mode, isHelper: boolean, avoid: ReadonlySet<RenderSwitch>): string {
  const ctx: Ctx = { mode, helpers, loops: [], iterating: new Set(), pure: false, counts: new Map(), indent: '  ', avoid, inBranch: false, fnState: { exitSeen: false } };
  const scope: Scope = { nums: [], flags: [], arrs: [], counters: [] };
  const wrt = effectiveWrt(fn, isHelper);
  const params = fn.params.map((p, i) => {
    const pn = paramName(p, i);
    const assignable = !(avoid.has('assignNonWrtParam') && wrt && !wrt[i]);
    if (p.type === 'number') scope.nums.push({ name: pn, assignable });
    else scope.arrs.push({ name: pn, type: p.type, anyElems: false, isParam: true, inLoop: false });
    return mode === 'ts' ? `${pn}: ${p.type}` : pn;
  });
  const topLocals: { nums: NumVar[]; arrs: ArrVar[] } = { nums: [], arrs: [] };
  const body = renderBlock(fn.body, scope, ctx, topLocals);
  const finalScope: Scope = { ...scope, nums: [...scope.nums, ...topLocals.nums], arrs: [...scope.arrs, ...topLocals.arrs] };
  // The result reads every top-level local so that all of them matter.
  const terms = [renderExpr(fn.result, finalScope, ctx).s];
  for (const v of topLocals.nums) terms.push(v.name);
  for (const a of topLocals.arrs) terms.push(`${a.name}[0]`);
  const tag = wrt ? `@differentiable wrt(${fn.params.map(paramName).filter((_, i) => wrt[i]).join(', ')})` : '@differentiable';
  const head = mode === 'ts' ? `/** ${tag} */\nexport function ${name}(${params.join(', ')}): number {` : `function ${name}(${params.join(', ')}) {`;
  return `${head}\n${body}  return ${terms.join(' + ')};\n}\n`;
}

function fresh(ctx: Ctx, base: string): string {
  const n = (ctx.counts.get(base) ?? 0) + 1;
  ctx.counts.set(base, n);
  return `${base}${n}`;
}

/** Renders statements; declarations extend the scope for the statements after them. */
function renderBlock(stmts: Stmt[], outer: Scope, ctx: Ctx, top?: { nums: NumVar[]; arrs: ArrVar[] }): string {
  let scope: Scope = { nums: [...outer.nums], flags: [...outer.flags], arrs: [...outer.arrs], counters: [...outer.counters] };
  let out = '';
  for (const s of stmts) {
    const r = renderStmt(s, scope, ctx);
    out += r.text;
    if (r.declares) {
      const d = r.declares;
      scope = {
        nums: d.num ? [...scope.nums, d.num] : scope.nums,
        flags: d.flag ? [...scope.flags, d.flag] : scope.flags,
        arrs: d.arr ? [...scope.arrs, d.arr] : scope.arrs,
        counters: d.counter ? [...scope.counters, d.counter] : scope.counters,
      };
      if (top && d.num) top.nums.push(d.num);
      if (top && d.arr) top.arrs.push(d.arr);
    }
  }
  return out;
}

interface Declares {
  num?: NumVar;
  flag?: string;
  arr?: ArrVar;
  counter?: string;
}

function line(ctx: Ctx, text: string): string {
  return `${ctx.indent}${text}\n`;
}

function nested(ctx: Ctx, fn: (inner: Ctx) => string): string {
  return fn({ ...ctx, indent: ctx.indent + '  ' });
}

function renderStmt(s: Stmt, scope: Scope, ctx: Ctx): { text: string; declares?: Declares } {
  const ts = ctx.mode === 'ts';
  switch (s.k) {
    case 'assign': {
      const targets = scope.nums.filter((v) => v.assignable);
      if (targets.length === 0) return { text: '' };
      const t = targets[s.target % targets.length]!.name;
      if (s.op === '**=') return { text: line(ctx, `${t} **= 2;`) };
      if (s.op === '=' && s.e.k === 'len' && ctx.inBranch && ctx.avoid.has('lengthAssignInBranch')) {
        return { text: line(ctx, `${t} = ${renderExpr(s.e, scope, ctx).s} * 1;`) };
      }
      const e = renderExpr(s.e, scope, ctx);
      if (s.op === '=' && s.e.k === 'call' && ctx.avoid.has('assignCallResult')) {
        return { text: line(ctx, `${t} = 0 + ${paren(e)};`) };
      }
      if (s.op === '/=') return { text: line(ctx, `${t} /= 1 + ${paren(e)} * ${paren(e)};`) };
      return { text: line(ctx, `${t} ${s.op} ${e.s};`) };
    }
    case 'incr': {
      const targets = scope.nums.filter((v) => v.assignable);
      if (targets.length === 0) return { text: '' };
      const t = targets[s.target % targets.length]!.name;
      return { text: line(ctx, s.prefix ? `${s.op}${t};` : `${t}${s.op};`) };
    }
    case 'store': {
      const arrs = scope.arrs.filter((a) => !a.isParam);
      if (arrs.length === 0) return { text: '' };
      const a = arrs[s.arr % arrs.length]!;
      return { text: line(ctx, `${a.name}[${renderIndex(s.index, a, scope, ctx)}] ${s.op} ${renderExpr(s.e, scope, ctx).s};`) };
    }
    case 'push': {
      const arrs = scope.arrs.filter((a) => !a.isParam && a.type === 'number[]' && !ctx.iterating.has(a.name));
      if (arrs.length === 0) return { text: '' };
      const a = arrs[s.arr % arrs.length]!;
      return { text: line(ctx, `${a.name}.push(${renderExpr(s.e, scope, ctx).s});`) };
    }
    case 'let': {
      const name = fresh(ctx, 'v');
      const e = renderExpr(s.e, scope, ctx);
      // `c ? 1 : -1` has the type 1 | -1, which the compiler refuses (fuzz-findings #12).
      const literalUnion = s.e.k === 'cond' && ctx.avoid.has('literalUnionLocal');
      const annot = ts && (e.maybeAny || literalUnion) ? ': number' : '';
      return {
        text: line(ctx, `${s.mutable ? 'let' : 'const'} ${name}${annot} = ${e.s};`),
        declares: { num: { name, assignable: s.mutable } },
      };
    }
    case 'flag': {
      const name = fresh(ctx, 'b');
      return { text: line(ctx, `const ${name} = ${renderCond(s.c, scope, ctx)};`), declares: { flag: name } };
    }
    case 'array':
      // After an early exit, the compiler guards the rest of the block with an if: a branch too.
      if ((ctx.inBranch || ctx.fnState.exitSeen) && ctx.avoid.has('arrayInBranch')) return { text: '' };
      return renderArrayDecl(s.init, scope, ctx);
    case 'if': {
      const c = traced(ctx, renderCond(s.c, scope, ctx));
      const branch = { ...ctx, inBranch: true };
      let text = line(ctx, `if (${c}) {`) + nested(branch, (inner) => renderBlock(s.then, scope, inner));
      if (s.else) text += line(ctx, '} else {') + nested(branch, (inner) => renderBlock(s.else!, scope, inner));
      return { text: text + line(ctx, '}') };
    }
    case 'for': {
      const i = fresh(ctx, 'i');
      const frame: LoopFrame = { label: fresh(ctx, 'L'), labelUsed: false };
      const bound = renderSize(s.bound, scope);
      const inner: Scope = { ...scope, nums: [...scope.nums, { name: i, assignable: false }], counters: [...scope.counters, i] };
      const body = nested(ctx, (c) => renderBlock(s.body, inner, { ...c, loops: [...c.loops, frame] }));
      const head = `for (let ${i} = 0; ${traced(ctx, `${i} < ${bound}`)}; ${i}++) {`;
      return { text: line(ctx, labelled(frame, head)) + body + line(ctx, '}') };
    }
    case 'while':
    case 'do': {
      const n = fresh(ctx, 'n');
      const frame: LoopFrame = { label: fresh(ctx, 'L'), labelUsed: false };
      const cond = traced(ctx, `(${renderCond(s.c, scope, { ...ctx, pure: true })}) && ${n} < ${s.max}`);
      const inner: Scope = { ...scope, nums: [...scope.nums, { name: n, assignable: false }], counters: [...scope.counters, n] };
      const body = nested(ctx, (c) => line(c, `${n}++;`) + renderBlock(s.body, inner, { ...c, loops: [...c.loops, frame] }));
      const decl = line(ctx, `let ${n} = 0;`);
      const text = s.k === 'while'
        ? line(ctx, labelled(frame, `while (${cond}) {`)) + body + line(ctx, '}')
        : line(ctx, labelled(frame, 'do {')) + body + line(ctx, `} while (${cond});`);
      return { text: decl + text, declares: { num: { name: n, assignable: false }, counter: n } };
    }
    case 'forOf': {
      if (scope.arrs.length === 0) return { text: '' };
      const a = scope.arrs[s.arr % scope.arrs.length]!;
      const e = fresh(ctx, 'e');
      const frame: LoopFrame = { label: fresh(ctx, 'L'), labelUsed: false };
      const inner: Scope = { ...scope, nums: [...scope.nums, { name: e, assignable: false, anyTyped: a.anyElems }] };
      const iterating = new Set(ctx.iterating).add(a.name);
      const body = nested(ctx, (c) => renderBlock(s.body, inner, { ...c, loops: [...c.loops, frame], iterating }));
      const head = `for (const ${e} of ${a.name}) {`;
      return { text: line(ctx, labelled(frame, head)) + body + line(ctx, '}') };
    }
    case 'jump': {
      if (ctx.loops.length === 0) return { text: '' };
      ctx.fnState.exitSeen = true;
      const depth = s.loop % ctx.loops.length;
      const frame = ctx.loops[ctx.loops.length - 1 - depth]!;
      let stmt = s.kind;
      if (depth > 0) {
        frame.labelUsed = true;
        stmt += ` ${frame.label}`;
      }
      if (!s.c) return { text: line(ctx, `${stmt};`) };
      return { text: line(ctx, `if (${traced(ctx, renderCond(s.c, scope, ctx))}) ${stmt};`) };
    }
    case 'return': {
      ctx.fnState.exitSeen = true;
      const e = renderExpr(s.e, scope, ctx).s;
      if (!s.c) return { text: line(ctx, `return ${e};`) };
      return { text: line(ctx, `if (${traced(ctx, renderCond(s.c, scope, ctx))}) return ${e};`) };
    }
    default:
      return s satisfies never;
  }
}

/** Prefixes `label:` when a nested break or continue named the loop (call it after rendering the body). */
function labelled(frame: LoopFrame, head: string): string {
  return frame.labelUsed ? `${frame.label}: ${head}` : head;
}

function renderArrayDecl(init: ArrayInit, scope: Scope, ctx: Ctx): { text: string; declares: Declares } {
  const ts = ctx.mode === 'ts';
  const name = fresh(ctx, 'a');
  const paramArrs = scope.arrs.filter((a) => a.isParam);
  const decl = (rhs: string, type: ArrVar['type'], anyElems = false, annot = '') => ({
    text: line(ctx, `const ${name}${ts ? annot : ''} = ${rhs};`),
    declares: { arr: { name, type, anyElems, isParam: false, inLoop: ctx.loops.length > 0 } },
  });
  switch (init.k) {
    case 'f64':
      return decl(`new Float64Array(${renderSize(init.size, scope)})`, 'Float64Array');
    case 'fill':
      return decl(`new Array(${renderSize(init.size, scope)}).fill(0)`, 'number[]', !init.annotate, init.annotate ? ': number[]' : '');
    case 'push': {
      const elems = init.elems.length > 0 ? init.elems.map((e) => renderExpr(e, scope, ctx)) : [{ s: '0.5', atomic: true, maybeAny: false }];
      const anyInside = elems.some((e) => e.maybeAny);
      if (init.literal) return decl(`[${elems.map((e) => e.s).join(', ')}]`, 'number[]', false, anyInside ? ': number[]' : '');
      const d = decl('[]', 'number[]', false, ': number[]');
      d.text += line(ctx, `${name}.push(${elems.map((e) => e.s).join(', ')});`);
      return d;
    }
    case 'copy': {
      if (paramArrs.length === 0) return decl('new Float64Array(2)', 'Float64Array');
      const src = paramArrs[init.from % paramArrs.length]!;
      const changesType = src.type === 'Float64Array' ? init.how % 4 === 1 || init.how % 4 === 2 : init.how % 4 === 3;
      const how = ctx.avoid.has('copyArrayKind') && changesType ? 0 : init.how % 4;
      switch (how) {
        case 0:
          return decl(`${src.name}.slice()`, src.type);
        case 1:
          return decl(`Array.from(${src.name})`, 'number[]');
        case 2:
          return decl(`[...${src.name}]`, 'number[]');
        default:
          return decl(`new Float64Array(${src.name})`, 'Float64Array');
      }
    }
    default:
      return init satisfies never;
  }
}

function renderSize(size: Size, scope: Scope): string {
  const paramArrs = scope.arrs.filter((a) => a.isParam);
  if (size.k === 'len' && paramArrs.length > 0) return `${paramArrs[size.arr % paramArrs.length]!.name}.length`;
  return String(size.k === 'lit' ? size.n : 3);
}

function traced(ctx: Ctx, cond: string): string {
  return ctx.mode === 'js' ? `__b(${cond})` : cond;
}

function renderIndex(index: Index, a: ArrVar, scope: Scope, ctx: Ctx): string {
  let text: string;
  if (ctx.pure && index.k !== 'lit' && ctx.avoid.has('computedIndexInLoopCond')) {
    // A computed index in a loop condition is evaluated once, before the loop (fuzz-findings #11).
    text = '0';
  } else if (index.k === 'counter' && scope.counters.length > 0) {
    const c = scope.counters[index.ref % scope.counters.length]!;
    text = index.plus === 0 ? `${c} % ${a.name}.length` : `(${c} + ${index.plus}) % ${a.name}.length`;
  } else if (index.k === 'data') {
    text = `Math.floor(Math.abs(${renderExpr(index.e, scope, ctx).s})) % ${a.name}.length`;
  } else {
    const v = index.k === 'lit' ? index.value : 0;
    text = v === 0 ? '0' : `${v} % ${a.name}.length`;
  }
  return ctx.mode === 'js' ? `__i(${text})` : text;
}

interface Rendered {
  s: string;
  /** An identifier, literal, call or element access: needs no parentheses as an operand. */
  atomic: boolean;
  /** Its static type may be `any` (it reads an unannotated `new Array(n).fill(0)`). */
  maybeAny: boolean;
}

const atom = (s: string, maybeAny = false): Rendered => ({ s, atomic: true, maybeAny });
const compound = (s: string, maybeAny = false): Rendered => ({ s, atomic: false, maybeAny });

function paren(r: Rendered): string {
  return r.atomic ? r.s : `(${r.s})`;
}

function literal(v: number): Rendered {
  const s = String(v);
  return v < 0 || Object.is(v, -0) ? compound(v === 0 ? '0' : s) : atom(s);
}

function renderExpr(e: Expr, scope: Scope, ctx: Ctx): Rendered {
  const r = (x: Expr) => renderExpr(x, scope, ctx);
  switch (e.k) {
    case 'num': {
      const v = scope.nums[e.ref % Math.max(1, scope.nums.length)];
      return v ? atom(v.name, v.anyTyped) : atom('1');
    }
    case 'lit':
      return literal(e.value);
    case 'read': {
      if (scope.arrs.length === 0) return scope.nums.length > 0 ? atom(scope.nums[e.arr % scope.nums.length]!.name) : atom('1');
      const a = scope.arrs[e.arr % scope.arrs.length]!;
      return atom(`${a.name}[${renderIndex(e.index, a, scope, ctx)}]`, a.anyElems);
    }
    case 'len': {
      if (scope.arrs.length === 0) return atom('2');
      return atom(`${scope.arrs[e.arr % scope.arrs.length]!.name}.length`);
    }
    case 'neg': {
      if (ctx.avoid.has('negatedNegative')) {
        // -(-c) and -(-x) are written c and x.
        if (e.e.k === 'lit' && e.e.value < 0) return literal(-e.e.value);
        if (e.e.k === 'neg') return r(e.e.e);
      }
      const x = r(e.e);
      return compound(`-${paren(x)}`);
    }
    case 'bin': {
      const a = r(e.l);
      const b = r(e.r);
      return compound(`${paren(a)} ${e.op} ${paren(b)}`, (a.maybeAny || b.maybeAny) && e.op === '+');
    }
    case 'div': {
      const a = paren(r(e.l));
      const b = paren(r(e.r));
      switch (e.form % 3) {
        case 0:
          return compound(`${a} / (1 + ${b} * ${b})`);
        case 1:
          return compound(`${a} / (2 + Math.cos(${b}))`);
        default:
          return compound(`${a} / ${[2, 4, 0.5][Math.floor(e.form / 3) % 3]}`);
      }
    }
    case 'powi': {
      const n = e.n % 4;
      if (ctx.inCond && !e.call && ctx.avoid.has('negatedPowBaseInCond')) {
        if (e.e.k === 'neg') return compound(`(0 - ${paren(r(e.e.e))}) ** ${n}`);
        if (e.e.k === 'lit' && e.e.value < 0) return compound(`(0 - ${-e.e.value}) ** ${n}`);
      }
      const b = r(e.e);
      return e.call ? atom(`Math.pow(${b.s}, ${n})`) : compound(`${paren(b)} ** ${n}`);
    }
    case 'math':
      return renderMath(e.fn, e.form, e.args.map(r), ctx);
    case 'mod': {
      const x = r(e.e);
      return ctx.mode === 'js' ? atom(`__mod(${x.s}, ${e.m})`) : compound(`${paren(x)} % ${e.m}`);
    }
    case 'cond': {
      // Parenthesized: TypeScript reads `a < (2 > b ? ...` as type arguments.
      const c = traced(ctx, `(${renderCond(e.c, scope, ctx)})`);
      const t = r(e.t);
      const f = r(e.f);
      return compound(`${c} ? ${paren(t)} : ${paren(f)}`, t.maybeAny || f.maybeAny);
    }
    case 'call':
      return renderCall(e, scope, ctx);
    default:
      return e satisfies never;
  }
}

/** `h0(a, xs1)`: number arguments from `args`, array arguments of the right type from the scope. */
function renderCall(e: Extract<Expr, { k: 'call' }>, scope: Scope, ctx: Ctx): Rendered {
  const fallback = () => (e.args.length > 0 ? renderExpr(e.args[0]!, scope, ctx) : atom('1'));
  if (ctx.helpers.length === 0 || ctx.pure) return fallback();
  const h = ctx.helpers[e.helper % ctx.helpers.length]!;
  const args: string[] = [];
  let numberArg = 0;
  let arrayArg = 0;
  for (let i = 0; i < h.params.length; i++) {
    const p = h.params[i]!;
    if (p.type === 'number') {
      if (!h.wrt[i]) {
        // A parameter the helper does not differentiate gets a value with no derivative.
        args.push(scope.counters.length > 0 ? scope.counters[numberArg % scope.counters.length]! : String(numberArg + 1));
      } else {
        const x = e.args.length > 0 ? renderExpr(e.args[numberArg % e.args.length]!, scope, ctx).s : '1';
        args.push(x);
      }
      numberArg++;
    } else {
      const candidates = scope.arrs.filter((a) => a.type === p.type && !(a.inLoop && ctx.avoid.has('arrayInLoopToHelper')));
      if (candidates.length === 0) return fallback();
      args.push(candidates[(e.arrs[arrayArg % Math.max(1, e.arrs.length)] ?? 0) % candidates.length]!.name);
      arrayArg++;
    }
  }
  return atom(`${h.name}(${args.join(', ')})`);
}

function renderMath(fn: MathFn, form: number, args: Rendered[], ctx: Ctx): Rendered {
  const js = ctx.mode === 'js';
  const u = args[0] ?? atom('1');
  const v = args[1] ?? args[0] ?? atom('0.5');
  const w = args[2];
  const S = (x: Rendered) => SQUASH[form % SQUASH.length]!(paren(x));
  const k = Math.floor(form / SQUASH.length);
  const sq = (x: Rendered) => `${paren(x)} * ${paren(x)}`;
  switch (fn) {
    case 'exp':
    case 'expm1':
    case 'sinh':
    case 'cosh':
    case 'tan':
      return atom(`Math.${fn}(${S(u)})`);
    case 'log':
      return atom([`Math.log(1 + ${sq(u)})`, `Math.log(2 + Math.sin(${u.s}))`, `Math.log(1.5 + ${S(u)})`][k % 3]!);
    case 'log1p':
      return atom([`Math.log1p(${sq(u)})`, `Math.log1p(0.5 * ${paren(compound(S(u)))})`][k % 2]!);
    case 'sqrt':
      return atom([`Math.sqrt(1 + ${sq(u)})`, `Math.sqrt(2 + Math.cos(${u.s}))`, `Math.sqrt(${sq(u)} + 0.25)`][k % 3]!);
    case 'cbrt':
      if (k % 2 === 0) return atom(js ? `__cbrt(${u.s})` : `Math.cbrt(${u.s})`);
      return atom(`Math.cbrt(2 + ${S(u)})`);
    case 'sin':
    case 'cos':
    case 'atan':
    case 'tanh':
      return atom(`Math.${fn}(${u.s})`);
    case 'asin':
    case 'acos':
      return atom(`Math.${fn}(0.9 * ${paren(compound(S(u)))})`);
    case 'abs':
    case 'sign':
    case 'floor':
    case 'ceil':
    case 'round':
    case 'trunc':
      return atom(js ? `__${fn}(${u.s})` : `Math.${fn}(${u.s})`);
    case 'pow':
      return [
        atom(`Math.pow(1 + ${sq(u)}, ${S(v)})`),
        compound(`(1 + ${sq(u)}) ** ${paren(compound(S(v)))}`),
        atom(`Math.pow(2, ${S(u)})`),
        atom(`Math.pow(${u.s}, ${k % 4})`),
      ][k % 4]!;
    case 'atan2':
      if (k % 2 === 0) return atom(`Math.atan2(${u.s}, 1 + ${sq(v)})`);
      return atom(js ? `__atan2(${u.s}, ${v.s})` : `Math.atan2(${u.s}, ${v.s})`);
    case 'max':
    case 'min':
    case 'hypot': {
      const list = [u, v, ...(w && k % 2 === 1 ? [w] : [])].map((x) => x.s);
      // hypot has a kink where all its arguments are 0: the trace records their signs.
      const args = fn === 'hypot' && k % 3 === 2 ? [u.s] : list;
      return atom(js ? `__${fn}(${args.join(', ')})` : `Math.${fn}(${args.join(', ')})`);
    }
    default:
      return fn satisfies never;
  }
}

function renderCond(c: Cond, scope: Scope, outer: Ctx): string {
  const ctx = outer.inCond ? outer : { ...outer, inCond: true };
  switch (c.k) {
    case 'cmp': {
      const a = paren(renderExpr(c.l, scope, ctx));
      const b = paren(renderExpr(c.r, scope, ctx));
      // `a < b` is written `b > a`: TypeScript parses `a < ((c > d) ? ...` as type arguments.
      if (c.op === '<') return `${b} > ${a}`;
      if (c.op === '<=') return `${b} >= ${a}`;
      return `${a} ${c.op} ${b}`;
    }
    case 'and':
    case 'or':
      return `(${renderCond(c.a, scope, ctx)}) ${c.k === 'and' ? '&&' : '||'} (${renderCond(c.b, scope, ctx)})`;
    case 'not':
      return `!(${renderCond(c.a, scope, ctx)})`;
    case 'flag':
      return scope.flags.length > 0 ? scope.flags[c.ref % scope.flags.length]! : 'true';
    default:
      return c satisfies never;
  }
}
