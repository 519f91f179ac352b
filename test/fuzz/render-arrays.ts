/**
 * Rendering of the fuzzed array constructs of issue #10 item 6: array
 * methods (`slice(a, b)`, `concat`, `slice().reverse()`, `indexOf`, and on
 * local arrays `reverse`, `fill`, `pop`, `shift`) and local 2-D arrays
 * (`const g: number[][] = []` built row by row with `push`, read and
 * written as `g[i][j]`), arrays of objects built with push
 * (`pN.push({ a: e, b: e2 })`, read by for...of and through an alias of an
 * element), and calls of a module-level helper that fills an
 * out-parameter (`fillOut(v, oN)`, switches `records` and `outParams`).
 * Every choice keeps arrays non-empty, so reads `a[i % a.length]` stay
 * defined.
 */
import type { ArrayInit, Expr, Program, Stmt } from './ast.ts';
import { atom, fresh, line, nested, traced, type ArrVar, type Ctx, type Rendered, type Scope } from './render-context.ts';
import { renderExpr, renderIndex } from './render-expr.ts';

/** Start and end arguments of `slice` that give at least one element of an array of length 1 or more. */
const SLICE_BOUNDS = ['0', '-1', '-2', '0, 1', '-3', '0, 99', '1, 99'] as const;

/** The right-hand side and type of an array made by a method (ArrayInit 'slice', 'concat', 'reversed'); null to fall back. */
export function renderMethodArray(init: Extract<ArrayInit, { k: 'slice' | 'concat' | 'reversed' }>, scope: Scope, ctx: Ctx): { rhs: string; type: ArrVar['type'] } | null {
  if (scope.arrs.length === 0) return null;
  switch (init.k) {
    case 'slice': {
      const src = scope.arrs[init.from % scope.arrs.length]!;
      const form = init.form % (SLICE_BOUNDS.length + 1);
      // The last form is a computed start, below the length: `xs.slice(Math.floor(Math.abs(e)) % xs.length)`.
      const bounds = form < SLICE_BOUNDS.length ? SLICE_BOUNDS[form]! : `${ctx.mode === 'js' ? '__i(' : ''}Math.floor(Math.abs(${renderExpr(init.e, scope, ctx).s})) % ${src.name}.length${ctx.mode === 'js' ? ')' : ''}`;
      // `1, 99` on a one-element array is empty: only on arrays known to be longer.
      if (bounds === '1, 99') return { rhs: `${src.name}.slice(${src.name}.length > 1 ? 1 : 0, 99)`, type: src.type };
      return { rhs: `${src.name}.slice(${bounds})`, type: src.type };
    }
    case 'concat': {
      const lists = scope.arrs.filter((a) => a.type === 'number[]');
      if (lists.length === 0) return null;
      const a = lists[init.from % lists.length]!;
      const b = lists[init.other % lists.length]!;
      return { rhs: `${a.name}.concat(${b.name}, [${renderExpr(init.e, scope, ctx).s}])`, type: 'number[]' };
    }
    case 'reversed': {
      const src = scope.arrs[init.from % scope.arrs.length]!;
      return { rhs: `${src.name}.slice().reverse()`, type: src.type };
    }
    default:
      return init satisfies never;
  }
}

/** `a.indexOf(a[i])`, or the cell `g[i][j]`; in the traced twin the index found is recorded. */
export function renderArrayExpr(e: Extract<Expr, { k: 'indexOf' | 'cell' }>, scope: Scope, ctx: Ctx): Rendered {
  if (e.k === 'indexOf') {
    if (scope.arrs.length === 0) return atom('0');
    const a = scope.arrs[e.arr % scope.arrs.length]!;
    // A loop condition must be a plain expression (the compiler refuses a call there): the element itself.
    if (ctx.pure) return atom(`${a.name}[${renderIndex(e.index, a, scope, ctx)}]`);
    const found = `${a.name}.indexOf(${a.name}[${renderIndex(e.index, a, scope, ctx)}])`;
    return atom(ctx.mode === 'js' ? `__i(${found})` : found);
  }
  const grids = scope.grids ?? [];
  if (grids.length === 0) return atom('1');
  return atom(cell(grids[e.grid % grids.length]!, e.i, e.j, scope, ctx));
}

/**
 * `g[i % g.length][j % g[0].length]`. In a loop condition the row is the
 * first: the compiler evaluates a condition every trip and takes only the
 * last index computed there.
 */
function cell(g: string, i: Extract<Expr, { k: 'cell' }>['i'], j: Extract<Expr, { k: 'cell' }>['j'], scope: Scope, ctx: Ctx): string {
  const rows: ArrVar = { name: g, type: 'number[]', anyElems: false, isParam: false, inLoop: false };
  const cols: ArrVar = { ...rows, name: `${g}[0]` };
  const row = ctx.pure ? (ctx.mode === 'js' ? '__i(0)' : '0') : renderIndex(i, rows, scope, ctx);
  return `${g}[${row}][${renderIndex(j, cols, scope, ctx)}]`;
}

/** The name of the module-level helper that fills an out-parameter. */
export const OUT_HELPER = 'fillOut';

/**
 * The module-level out-parameter helper, when the program calls it: it
 * returns nothing and writes every element of `out` from its old value and
 * `v`, so the caller's adjoint flows back through the written array.
 */
export function outParamHelper(p: Program, mode: 'ts' | 'js'): string {
  if (!JSON.stringify([p.main, p.helpers]).includes('"k":"outParam"')) return '';
  const ts = mode === 'ts';
  const head = ts ? `/** @differentiable */\nexport function ${OUT_HELPER}(v: number, out: number[]): void {` : `function ${OUT_HELPER}(v, out) {`;
  const el = ts ? 'out[i]!' : 'out[i]';
  return `${head}\n  for (let i = 0; i < out.length; i++) out[i] = ${el} * Math.tanh(v) + (i + 1) * v * v;\n}\n\n`;
}

/** Statements on local arrays and 2-D arrays; `declares` names a new 2-D array. */
export function renderArrayStmt(s: Extract<Stmt, { k: 'arrayOp' | 'grid' | 'setCell' | 'records' | 'outParam' }>, scope: Scope, ctx: Ctx): { text: string; grid?: string } {
  switch (s.k) {
    case 'records': {
      const targets = scope.nums.filter((v) => v.assignable);
      if (targets.length === 0) return { text: '' };
      const t = targets[s.target % targets.length]!.name;
      const pts = fresh(ctx, 'p');
      const r = fresh(ctx, 'r');
      const q = fresh(ctx, 'q');
      const n = 1 + (s.n % 3);
      const ts = ctx.mode === 'ts';
      const inner: Scope = { ...scope, nums: [...scope.nums, { name: r, assignable: false }], counters: [...scope.counters, r] };
      const a = renderExpr(s.e, inner, ctx).s;
      const b = renderExpr(s.e2, inner, ctx).s;
      let text = line(ctx, `const ${pts}${ts ? ': { a: number; b: number }[]' : ''} = [];`);
      text += line(ctx, `for (let ${r} = 0; ${r} < ${n}; ${r}++) ${pts}.push({ a: ${a}, b: ${b} });`);
      if (s.read % 2 === 0) text += line(ctx, `for (const ${q} of ${pts}) ${t} += ${q}.a * ${q}.b;`);
      else {
        // An element read through an alias, at an index below the length.
        const k = s.read % n;
        text += line(ctx, `const ${q} = ${pts}[${k}]${ts ? '!' : ''};`);
        text += line(ctx, `${t} += ${q}.a - ${pts}[${pts}.length - 1]${ts ? '!' : ''}.b * ${q}.b;`);
      }
      return { text };
    }
    case 'outParam': {
      const targets = scope.nums.filter((v) => v.assignable);
      if (targets.length === 0) return { text: '' };
      const t = targets[s.target % targets.length]!.name;
      const o = fresh(ctx, 'o');
      const ts = ctx.mode === 'ts';
      let text = line(ctx, `const ${o}${ts ? ': number[]' : ''} = [${renderExpr(s.e, scope, ctx).s}, ${renderExpr(s.e2, scope, ctx).s}];`);
      text += line(ctx, `${OUT_HELPER}(${renderExpr(s.e3, scope, ctx).s}, ${o});`);
      text += line(ctx, `${t} += ${o}[0]${ts ? '!' : ''} * ${o}[1]${ts ? '!' : ''};`);
      return { text };
    }
    case 'arrayOp': {
      const locals = scope.arrs.filter((a) => !a.isParam && !ctx.iterating.has(a.name));
      if (locals.length === 0) return { text: '' };
      const a = locals[s.arr % locals.length]!;
      if (s.op === 'reverse') return { text: line(ctx, `${a.name}.reverse();`) };
      if (s.op === 'fill') return { text: line(ctx, `${a.name}.fill(${renderExpr(s.e, scope, ctx).s}${['', ', 1', ', -1'][s.start % 3]});`) };
      // pop and shift are number[] methods; one element is always left, for the reads a[i % a.length].
      if (a.type !== 'number[]') return { text: line(ctx, `${a.name}.reverse();`) };
      const targets = scope.nums.filter((v) => v.assignable);
      const take = `${a.name}.${s.op}()${ctx.mode === 'ts' ? '!' : ''}`;
      const body = targets.length > 0 ? `${targets[s.target % targets.length]!.name} += ${take};` : `${a.name}.${s.op}();`;
      return { text: line(ctx, `if (${traced(ctx, `${a.name}.length > 1`)}) ${body}`) };
    }
    case 'grid': {
      const g = fresh(ctx, 'g');
      const r = fresh(ctx, 'r');
      const c = fresh(ctx, 'c');
      const row = fresh(ctx, 'w');
      const rows = 1 + (s.rows % 3);
      const cols = 1 + (s.cols % 3);
      const inner: Scope = { ...scope, nums: [...scope.nums, { name: r, assignable: false }, { name: c, assignable: false }], counters: [...scope.counters, r, c] };
      const e = renderExpr(s.e, inner, ctx).s;
      const ts = ctx.mode === 'ts';
      let text = line(ctx, `const ${g}${ts ? ': number[][]' : ''} = [];`);
      text += line(ctx, `for (let ${r} = 0; ${r} < ${rows}; ${r}++) {`);
      text += nested(ctx, (c1) => line(c1, `const ${row}${ts ? ': number[]' : ''} = [];`) + line(c1, `for (let ${c} = 0; ${c} < ${cols}; ${c}++) ${row}.push(${e});`) + line(c1, `${g}.push(${row});`));
      text += line(ctx, '}');
      return { text, grid: g };
    }
    case 'setCell': {
      const grids = scope.grids ?? [];
      if (grids.length === 0) return { text: '' };
      const g = grids[s.grid % grids.length]!;
      return { text: line(ctx, `${cell(g, s.i, s.j, scope, ctx)} ${s.op} ${renderExpr(s.e, scope, ctx).s};`) };
    }
    default:
      return s satisfies never;
  }
}
