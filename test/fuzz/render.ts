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
import type { ArrayInit, Fn, Program, RenderSwitch, Stmt } from './ast.ts';
import {
  effectiveWrt,
  fresh,
  helperName,
  line,
  MAIN_NAME,
  nested,
  paramName,
  paren,
  traced,
  type ArrVar,
  type Ctx,
  type HelperSig,
  type LoopFrame,
  type Mode,
  type NumVar,
  type Scope,
} from './render-context.ts';
import { renderCond, renderExpr, renderIndex, renderSize } from './render-expr.ts';
import { extraParams, renderConsts, renderSetFlag } from './render-types.ts';
import { outParamHelper, renderArrayStmt, renderMethodArray } from './render-arrays.ts';
import { renderClosureStmt, renderMappedArray } from './render-closures.ts';

export { effectiveWrt, helperName, MAIN_NAME, paramName, type Mode } from './render-context.ts';

/** The TypeScript source of a program. */
export function renderProgram(p: Program, mode: Mode = 'ts'): string {
  const helpers: HelperSig[] = [];
  const parts: string[] = [];
  const avoid = new Set(p.avoid);
  p.helpers.forEach((h, i) => {
    parts.push(renderFn(h, helperName(i), helpers.slice(), mode, true, avoid, p.consts?.length ?? 0));
    helpers.push({ name: helperName(i), params: h.params, wrt: effectiveWrt(h, true) ?? h.params.map(() => true), flagParam: h.flagParam, modeParam: h.modeParam });
  });
  parts.push(renderFn(p.main, MAIN_NAME, helpers, mode, false, avoid, p.consts?.length ?? 0));
  return renderConsts(p.consts, mode, [p.main, ...p.helpers].some((f) => f.modeParam)) + outParamHelper(p, mode) + parts.join('\n');
}

function renderFn(fn: Fn, name: string, helpers: HelperSig[], mode: Mode, isHelper: boolean, avoid: ReadonlySet<RenderSwitch>, consts = 0): string {
  const extra = extraParams(fn, mode);
  const ctx: Ctx = { mode, helpers, loops: [], iterating: new Set(), pure: false, counts: new Map(), indent: '  ', avoid, inBranch: false, fnState: { exitSeen: false }, consts, hasMode: extra.hasMode };
  const scope: Scope = { nums: [], flags: [...extra.flags], arrs: [], counters: [] };
  const wrt = effectiveWrt(fn, isHelper);
  const params = fn.params.map((p, i) => {
    const pn = paramName(p, i);
    const assignable = !(avoid.has('assignNonWrtParam') && wrt && !wrt[i]);
    if (p.type === 'number') scope.nums.push({ name: pn, assignable });
    else scope.arrs.push({ name: pn, type: p.type, anyElems: false, isParam: true, inLoop: false });
    return mode === 'ts' ? `${pn}: ${p.type}` : pn;
  });
  params.push(...extra.declared);
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
        grids: d.grid ? [...(scope.grids ?? []), d.grid] : scope.grids,
        fns: d.fn ? [...(scope.fns ?? []), d.fn] : scope.fns,
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
  /** A local number[][] (render-arrays.ts). */
  grid?: string;
  /** A local function (render-closures.ts). */
  fn?: { name: string; writer: boolean };
}

function renderStmt(s: Stmt, scope: Scope, ctx: Ctx): { text: string; declares?: Declares } {
  const ts = ctx.mode === 'ts';
  switch (s.k) {
    case 'assign': {
      const targets = scope.nums.filter((v) => v.assignable);
      if (targets.length === 0) return { text: '' };
      const t = targets[s.target % targets.length]!.name;
      if (s.op === '**=') return { text: line(ctx, `${t} **= 2;`) };
      if (s.op === '=' && s.e.k === 'len' && ctx.avoid.has('lengthAssign')) {
        return { text: line(ctx, `${t} = ${renderExpr(s.e, scope, ctx).s} * 1;`) };
      }
      const e = renderExpr(s.e, scope, ctx);
      if (s.op === '=' && s.e.k === 'read' && ctx.avoid.has('assignArrayElement')) {
        return { text: line(ctx, `${t} = ${e.s} + 0;`) };
      }
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
      return { text: line(ctx, `let ${name} = ${renderCond(s.c, scope, ctx)};`), declares: { flag: name } };
    }
    case 'setFlag':
      return { text: renderSetFlag(s, scope, ctx) };
    case 'arrayOp':
    case 'grid':
    case 'setCell':
    case 'records':
    case 'outParam': {
      const r = renderArrayStmt(s, scope, ctx);
      return r.grid ? { text: r.text, declares: { grid: r.grid } } : { text: r.text };
    }
    case 'localFn':
    case 'callWriter':
    case 'forEach': {
      const r = renderClosureStmt(s, scope, ctx);
      return r.fn ? { text: r.text, declares: { fn: r.fn } } : { text: r.text };
    }
    case 'array':
      // After an early exit, the compiler guards the rest of the block with an if: a branch too (fuzz-findings #5).
      if ((ctx.inBranch || ctx.loops.length > 0 || ctx.fnState.exitSeen) && ctx.avoid.has('arrayInBranchOrLoop')) return { text: '' };
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
      // `continue` passes switches by; `break` leaves the innermost loop or switch.
      const targets = s.kind === 'continue' ? ctx.loops.filter((f) => !f.isSwitch) : ctx.loops;
      if (targets.length === 0) return { text: '' };
      ctx.fnState.exitSeen = true;
      const depth = s.loop % targets.length;
      const frame = targets[targets.length - 1 - depth]!;
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
    case 'switch':
      return renderSwitch(s, scope, ctx);
    case 'whileDec': {
      const n = fresh(ctx, 'n');
      const frame: LoopFrame = { label: fresh(ctx, 'L'), labelUsed: false };
      const update = s.prefix ? `--${n} >= 0` : `${n}-- > 0`;
      const cond = traced(ctx, `(${renderCond(s.c, scope, { ...ctx, pure: true })}) && ${update}`);
      // Inside the body n >= 0 indexes arrays; after the loop it may be -1, a plain number.
      const inner: Scope = { ...scope, nums: [...scope.nums, { name: n, assignable: false }], counters: [...scope.counters, n] };
      const body = nested(ctx, (c) => renderBlock(s.body, inner, { ...c, loops: [...c.loops, frame] }));
      const text = line(ctx, `let ${n} = ${s.max};`) + line(ctx, labelled(frame, `while (${cond}) {`)) + body + line(ctx, '}');
      return { text, declares: { num: { name: n, assignable: false } } };
    }
    case 'swap': {
      if (s.elems) {
        const arrs = scope.arrs.filter((a) => !a.isParam);
        if (arrs.length === 0) return { text: '' };
        const a = arrs[s.arr % arrs.length]!;
        const x = `${a.name}[${renderIndex(s.i, a, scope, ctx)}]`;
        const y = `${a.name}[${renderIndex(s.j, a, scope, ctx)}]`;
        return { text: line(ctx, `[${x}, ${y}] = [${y}, ${x} + ${paren(renderExpr(s.e, scope, ctx))}];`) };
      }
      const targets = scope.nums.filter((v) => v.assignable);
      if (targets.length < 2) return { text: '' };
      const first = s.a % targets.length;
      const second = (first + 1 + (s.b % (targets.length - 1))) % targets.length;
      const a = targets[first]!.name;
      const b = targets[second]!.name;
      return { text: line(ctx, `[${a}, ${b}] = [${b}, ${renderExpr(s.e, scope, ctx).s}];`) };
    }
    default:
      return s satisfies never;
  }
}

/**
 * `switch (d) { case 0: ... default: ... }`. The discriminant is traced in
 * the twin, so the oracle sees which clause was entered.
 */
function renderSwitch(s: Extract<Stmt, { k: 'switch' }>, scope: Scope, ctx: Ctx): { text: string } {
  const frame: LoopFrame = { label: fresh(ctx, 'L'), labelUsed: false, isSwitch: true };
  const n = s.clauses.length + 1;
  const counter = s.counter && scope.counters.length > 0 ? scope.counters[scope.counters.length - 1]! : null;
  const raw = counter ? `${counter} % ${n}` : `Math.floor(Math.abs(${renderExpr(s.disc, scope, ctx).s})) % ${n}`;
  const disc = ctx.mode === 'js' ? `__i(${raw})` : raw;
  const inner: Ctx = { ...ctx, loops: [...ctx.loops, frame], inBranch: true, indent: ctx.indent + '  ' };
  let seenDefault = false;
  let clauses = '';
  s.clauses.forEach((clause, j) => {
    const isDefault = clause.isDefault && !seenDefault;
    if (isDefault) seenDefault = true;
    const head = isDefault ? 'default:' : `case ${j}:`;
    const body = nested(inner, (c) => renderBlock(clause.body, scope, c) + (clause.brk ? line(c, 'break;') : ''));
    clauses += clause.braces ? line(inner, `${head} {`) + body + line(inner, '}') : line(inner, head) + body;
  });
  return { text: line(ctx, labelled(frame, `switch (${disc}) {`)) + clauses + line(ctx, '}') };
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
    case 'slice':
    case 'concat':
    case 'reversed': {
      const made = renderMethodArray(init, scope, ctx);
      return made ? decl(made.rhs, made.type) : decl('new Float64Array(2)', 'Float64Array');
    }
    case 'mapped': {
      const made = renderMappedArray(init, scope, ctx);
      return made ? decl(made.rhs, made.type) : decl('new Float64Array(2)', 'Float64Array');
    }
    default:
      return init satisfies never;
  }
}
