/**
 * Rendering of the fuzzed local functions and array methods with callbacks
 * of issue #10 item 3: local arrows with expression bodies, block bodies
 * with a default parameter and an early return, function declarations,
 * arrows that add to a captured variable (called as statements), and
 * `reduce` / `reduceRight` (with and without an initial value), `some`,
 * `every`, `map`, `filter`, `forEach`, `Array.from(src, f)` and
 * `Array.from({ length: n }, f)` with inline callbacks over the arrays in
 * scope. Callback parameters join the scope of the callback's body, its
 * index as a counter. Arrays made stay non-empty (`filter` keeps the first
 * element), so reads `a[i % a.length]` stay defined. In the traced twin the
 * callbacks are the same JavaScript, their decisions traced.
 */
import type { ArrayInit, Cond, Expr, Stmt } from './ast.ts';
import { atom, fresh, line, nested, paren, traced, type ArrVar, type Ctx, type Rendered, type Scope } from './render-context.ts';
import { renderCond, renderExpr, renderSize } from './render-expr.ts';

/** `name: number` in TypeScript, `name` in the twin. */
const typed = (ctx: Ctx, name: string, type = 'number') => (ctx.mode === 'ts' ? `${name}: ${type}` : name);
/** `: number` after a parameter list in TypeScript. */
const returns = (ctx: Ctx) => (ctx.mode === 'ts' ? ': number' : '');

/** Arrays a callback may iterate: those whose elements are typed number (not an unannotated `new Array(n).fill(0)`). */
const iterable = (scope: Scope) => scope.arrs.filter((a) => !a.anyElems);

/** The scope of a callback's body: its parameters as numbers, its index as a counter. */
function callbackScope(scope: Scope, params: string[], index: string | null): Scope {
  return {
    ...scope,
    nums: [...scope.nums, ...params.map((name) => ({ name, assignable: false }))],
    counters: index ? [...scope.counters, index] : scope.counters,
  };
}

/** The context of a function body: no loop to leave, no loop condition around it. */
const bodyCtx = (ctx: Ctx): Ctx => ({ ...ctx, loops: [], pure: false, inCond: false, inBranch: true });

/** `fN(arg)` and `a.reduce(...)`. */
export function renderClosureExpr(e: Extract<Expr, { k: 'callFn' | 'reduce' }>, scope: Scope, ctx: Ctx): Rendered {
  if (e.k === 'callFn') {
    const fns = (scope.fns ?? []).filter((f) => !f.writer);
    const arg = renderExpr(e.arg, scope, ctx);
    if (fns.length === 0) return arg;
    return atom(`${fns[e.fn % fns.length]!.name}(${arg.s})`);
  }
  const arrs = iterable(scope);
  if (arrs.length === 0) return atom('1');
  const a = arrs[e.arr % arrs.length]!;
  const acc = fresh(ctx, 'acc');
  const p = fresh(ctx, 'p');
  const j = fresh(ctx, 'j');
  const body = paren(renderExpr(e.e, callbackScope(scope, [p, j], j), bodyCtx(ctx)));
  const params = `${typed(ctx, acc)}, ${typed(ctx, p)}, ${typed(ctx, j)}`;
  switch (e.form % 3) {
    case 0:
      return atom(`${a.name}.reduce((${params}) => ${acc} + ${body}, 0)`);
    case 1:
      return atom(`${a.name}.reduce((${params}) => ${acc} * 0.5 + ${body})`);
    default:
      return atom(`${a.name}.reduceRight((${params}) => ${acc} * 0.75 + ${body}, 1)`);
  }
}

/** `a.some((p) => c)`, `a.every((p) => c)`. */
export function renderSomeCond(c: Extract<Cond, { k: 'some' }>, scope: Scope, ctx: Ctx): string {
  const arrs = iterable(scope);
  if (arrs.length === 0) return 'true';
  const a = arrs[c.arr % arrs.length]!;
  const p = fresh(ctx, 'p');
  const inner = renderCond(c.c, callbackScope(scope, [p], null), bodyCtx(ctx));
  return `${a.name}.${c.every ? 'every' : 'some'}((${typed(ctx, p)}) => ${traced(ctx, `(${inner})`)})`;
}

/** A new array made by `map`, `filter` or `Array.from` with a callback; null to fall back. */
export function renderMappedArray(init: Extract<ArrayInit, { k: 'mapped' }>, scope: Scope, ctx: Ctx): { rhs: string; type: ArrVar['type'] } | null {
  const arrs = iterable(scope);
  const form = init.form % 4;
  const p = fresh(ctx, 'p');
  const j = fresh(ctx, 'j');
  const value = () => renderExpr(init.e, callbackScope(scope, [p, j], j), bodyCtx(ctx)).s;
  if (form === 2) {
    // The element of { length: n } is undefined: only the index joins the scope.
    const n = renderSize(init.size, scope);
    const v = renderExpr(init.e, callbackScope(scope, [j], j), bodyCtx(ctx)).s;
    return { rhs: `Array.from({ length: ${n} }, (_, ${typed(ctx, j)})${returns(ctx)} => ${v})`, type: 'number[]' };
  }
  if (arrs.length === 0) return null;
  const src = arrs[init.from % arrs.length]!;
  switch (form) {
    case 0:
      return { rhs: `${src.name}.map((${typed(ctx, p)}, ${typed(ctx, j)})${returns(ctx)} => ${value()})`, type: src.type };
    case 1: {
      const keep = renderCond(init.c, callbackScope(scope, [p, j], j), bodyCtx(ctx));
      return { rhs: `${src.name}.filter((${typed(ctx, p)}, ${typed(ctx, j)}) => ${traced(ctx, `${j} === 0 || (${keep})`)})`, type: src.type };
    }
    default: {
      const v = renderExpr(init.e, callbackScope(scope, [p], null), bodyCtx(ctx)).s;
      return { rhs: `Array.from(${src.name}, (${typed(ctx, p)})${returns(ctx)} => ${v})`, type: 'number[]' };
    }
  }
}

/** Local function declarations, calls of writers, and `forEach`; `fn` names a new local function. */
export function renderClosureStmt(s: Extract<Stmt, { k: 'localFn' | 'callWriter' | 'forEach' }>, scope: Scope, ctx: Ctx): { text: string; fn?: { name: string; writer: boolean } } {
  const targets = scope.nums.filter((v) => v.assignable);
  switch (s.k) {
    case 'localFn': {
      const name = fresh(ctx, 'f');
      const p = fresh(ctx, 'p');
      const inner = callbackScope(scope, [p], null);
      const body = bodyCtx(ctx);
      let form = s.form % 4;
      if (form === 3 && targets.length === 0) form = 0;
      switch (form) {
        case 0:
          return { text: line(ctx, `const ${name} = (${typed(ctx, p)})${returns(ctx)} => ${renderExpr(s.e, inner, body).s};`), fn: { name, writer: false } };
        case 1: {
          const q = fresh(ctx, 'q');
          const t = fresh(ctx, 't');
          const withT = callbackScope(inner, [t, q], null);
          let text = line(ctx, `const ${name} = (${typed(ctx, p)}, ${q} = 2)${returns(ctx)} => {`);
          text += nested(ctx, (c) => {
            const b = { ...bodyCtx(c) };
            return (
              line(c, `const ${t} = ${renderExpr(s.e, inner, b).s};`) +
              line(c, `if (${traced(c, renderCond(s.c, withT, b))}) return ${renderExpr(s.e2, withT, b).s};`) +
              line(c, `return ${t} * ${q};`)
            );
          });
          return { text: text + line(ctx, '};'), fn: { name, writer: false } };
        }
        case 2: {
          let text = line(ctx, `function ${name}(${typed(ctx, p)})${returns(ctx)} {`);
          text += nested(ctx, (c) => line(c, `return ${renderExpr(s.e, inner, bodyCtx(c)).s};`));
          return { text: text + line(ctx, '}'), fn: { name, writer: false } };
        }
        default: {
          const target = targets[s.target % targets.length]!.name;
          let text = line(ctx, `const ${name} = (${typed(ctx, p)}) => {`);
          text += nested(ctx, (c) => line(c, `${target} += ${renderExpr(s.e, inner, bodyCtx(c)).s};`));
          return { text: text + line(ctx, '};'), fn: { name, writer: true } };
        }
      }
    }
    case 'callWriter': {
      const writers = (scope.fns ?? []).filter((f) => f.writer);
      if (writers.length === 0) return { text: '' };
      return { text: line(ctx, `${writers[s.fn % writers.length]!.name}(${renderExpr(s.arg, scope, ctx).s});`) };
    }
    case 'forEach': {
      const arrs = iterable(scope);
      if (arrs.length === 0 || targets.length === 0) return { text: '' };
      const a = arrs[s.arr % arrs.length]!;
      const target = targets[s.target % targets.length]!.name;
      const p = fresh(ctx, 'p');
      const j = fresh(ctx, 'j');
      let text = line(ctx, `${a.name}.forEach((${typed(ctx, p)}, ${typed(ctx, j)}) => {`);
      text += nested(ctx, (c) => line(c, `${target} += ${renderExpr(s.e, callbackScope(scope, [p, j], j), bodyCtx(c)).s};`));
      return { text: text + line(ctx, '});') };
    }
    default:
      return s satisfies never;
  }
}
