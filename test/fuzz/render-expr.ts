/**
 * Renders expressions, conditions, array indexes and sizes. Every
 * reference is resolved modulo what is in scope, so any tree renders; in
 * the traced twin, conditions and indexes are wrapped in recorders.
 */
import type { Cond, Expr, Index, Size } from './ast.ts';
import { atom, compound, literal, paren, traced, type ArrVar, type Ctx, type Rendered, type Scope } from './render-context.ts';
import { renderMath } from './render-math.ts';
import { extraArgs, renderKonst, renderModeCond } from './render-types.ts';
import { renderArrayExpr } from './render-arrays.ts';
import { renderClosureExpr, renderSomeCond } from './render-closures.ts';

export function renderSize(size: Size, scope: Scope): string {
  const paramArrs = scope.arrs.filter((a) => a.isParam);
  if (size.k === 'len' && paramArrs.length > 0) return `${paramArrs[size.arr % paramArrs.length]!.name}.length`;
  return String(size.k === 'lit' ? size.n : 3);
}

export function renderIndex(index: Index, a: ArrVar, scope: Scope, ctx: Ctx): string {
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

export function renderExpr(e: Expr, scope: Scope, ctx: Ctx): Rendered {
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
      const x = r(e.e);
      // -(-c) and -(-x) are written 0 - (-c) and 0 - (-x).
      if (ctx.avoid.has('negatedNegative') && x.s.startsWith('-')) return compound(`0 - ${paren(x)}`);
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
      const b = r(e.e);
      // (-x) ** n in a condition is written (0 + -x) ** n.
      if (ctx.inCond && !e.call && b.s.startsWith('-') && ctx.avoid.has('negatedPowBaseInCond')) return compound(`(0 + ${b.s}) ** ${n}`);
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
      // A ternary is lowered to an if that assigns each branch: a bare .length there is fuzz-findings #6.
      const branch = (x: Expr) => (x.k === 'len' && ctx.avoid.has('lengthAssign') ? compound(`${r(x).s} * 1`) : r(x));
      const t = branch(e.t);
      const f = branch(e.f);
      return compound(`${c} ? ${paren(t)} : ${paren(f)}`, t.maybeAny || f.maybeAny);
    }
    case 'call':
      return renderCall(e, scope, ctx);
    case 'konst':
      return renderKonst(e, scope, ctx);
    case 'indexOf':
    case 'cell':
      return renderArrayExpr(e, scope, ctx);
    case 'callFn':
    case 'reduce':
      return renderClosureExpr(e, scope, ctx);
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
  args.push(...extraArgs(h, e.helper, scope, ctx));
  return atom(`${h.name}(${args.join(', ')})`);
}

export function renderCond(c: Cond, scope: Scope, outer: Ctx): string {
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
    case 'mode':
      return renderModeCond(c, ctx);
    case 'bump': {
      const r = paren(renderExpr(c.r, scope, ctx));
      const targets = scope.nums.filter((v) => v.assignable);
      if (targets.length === 0) return `${r} > 0`;
      const t = targets[c.target % targets.length]!.name;
      const update = c.prefix ? `${c.op}${t}` : `${t}${c.op}`;
      // `a < b` is written `b > a`, as for comparisons.
      return c.rel === '<' ? `${r} > ${update}` : `${update} >= ${r}`;
    }
    case 'some':
      return renderSomeCond(c, scope, ctx);
    default:
      return c satisfies never;
  }
}
