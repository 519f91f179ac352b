/**
 * Renaming one variable throughout a list of IR statements: every read and
 * every write of `from` (operands, array bases, indexes, assignment targets,
 * conditions) becomes `to`. The statements are copied, not changed in
 * place. Used by loop fusion (transforms/fuse-loops.ts), which gives the
 * second loop's body the first loop's counter.
 */
import type { Access, Expr, Operand, PExpr, Ref, Stmt } from './ir.ts';

export function renameVariable(list: readonly Stmt[], from: string, to: string): Stmt[] {
  const name = (v: string) => (v === from ? to : v);
  const op = (o: Operand): Operand => {
    if (o.kind === 'var') return { kind: 'var', name: name(o.name) };
    if (o.kind === 'list') return { kind: 'list', items: o.items.map(op) };
    return o;
  };
  const access = (a: Access): Access => (a.kind === 'index' ? { kind: 'index', index: op(a.index) } : a);
  const ref = (r: Ref): Ref => ({ base: name(r.base), path: r.path.map(access) });
  const pexpr = (p: PExpr): PExpr => {
    switch (p.kind) {
      case 'operand':
        return { kind: 'operand', op: op(p.op) };
      case 'bool':
        return p;
      case 'binary':
        return { ...p, left: pexpr(p.left), right: pexpr(p.right) };
      case 'unary':
        return { ...p, expr: pexpr(p.expr) };
      case 'math':
        return { ...p, args: p.args.map(pexpr) };
      case 'load':
      case 'length':
        return { ...p, ref: ref(p.ref) };
      case 'element':
        return { ...p, ref: ref(p.ref), index: pexpr(p.index) };
      case 'cond':
        return { ...p, test: pexpr(p.test), whenTrue: pexpr(p.whenTrue), whenFalse: pexpr(p.whenFalse) };
      default:
        return p satisfies never;
    }
  };
  const expr = (e: Expr): Expr => {
    switch (e.kind) {
      case 'prim':
      case 'tensorOp':
      case 'opaqueCall':
      case 'call':
        return { ...e, args: e.args.map(op) } as Expr;
      case 'copy':
        return { ...e, src: op(e.src) };
      case 'load':
      case 'pop':
        return { ...e, ref: ref(e.ref) };
      case 'pure':
        return { ...e, expr: pexpr(e.expr) };
      case 'newArray':
        return { ...e, size: e.size && op(e.size), elems: e.elems.map(op) };
      case 'copyArray':
        return { ...e, src: ref(e.src) };
      case 'record':
        return { ...e, fields: e.fields.map((f) => ({ name: f.name, value: op(f.value) })) };
      default:
        return e satisfies never;
    }
  };
  const stmt = (s: Stmt): Stmt => {
    switch (s.kind) {
      case 'assign':
        return { ...s, target: name(s.target), expr: expr(s.expr) };
      case 'store':
      case 'push':
        return { ...s, ref: ref(s.ref), value: op(s.value) };
      case 'if':
        return { ...s, cond: pexpr(s.cond), then: s.then.map(stmt), else: s.else.map(stmt) };
      case 'loop':
        return { ...s, cond: pexpr(s.cond), body: s.body.map(stmt) };
      case 'return':
        return { ...s, value: op(s.value) };
      default:
        return s satisfies never;
    }
  };
  return list.map(stmt);
}
