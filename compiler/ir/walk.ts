/**
 * Read/write sets of IR statements, shared by the analyses and emitters.
 */
import type { Expr, Operand, PExpr, Ref, SimpleStmt, Stmt } from './ir.ts';

export function operandVars(ops: readonly Operand[]): string[] {
  return ops.flatMap((o) => (o.kind === 'var' ? [o.name] : o.kind === 'list' ? operandVars(o.items) : []));
}

/** Variables a reference reads: its base and its index operands. */
export function refIndexVars(ref: Ref): string[] {
  return ref.path.flatMap((a) => (a.kind === 'index' && a.index.kind === 'var' ? [a.index.name] : []));
}

export function pexprVars(p: PExpr, out: string[] = []): string[] {
  switch (p.kind) {
    case 'operand':
      if (p.op.kind === 'var') out.push(p.op.name);
      break;
    case 'bool':
      break;
    case 'binary':
      pexprVars(p.left, out);
      pexprVars(p.right, out);
      break;
    case 'unary':
      pexprVars(p.expr, out);
      break;
    case 'math':
      p.args.forEach((a) => pexprVars(a, out));
      break;
    case 'load':
    case 'length':
      out.push(p.ref.base, ...refIndexVars(p.ref));
      break;
    case 'element':
      out.push(p.ref.base, ...refIndexVars(p.ref));
      pexprVars(p.index, out);
      break;
    case 'cond':
      pexprVars(p.test, out);
      pexprVars(p.whenTrue, out);
      pexprVars(p.whenFalse, out);
      break;
    default:
      p satisfies never;
  }
  return out;
}

/** True when the pure expression reads memory through a reference whose base satisfies `pred`. */
export function pexprReadsRef(p: PExpr, pred: (base: string) => boolean): boolean {
  switch (p.kind) {
    case 'load':
    case 'length':
      return pred(p.ref.base);
    case 'element':
      return pred(p.ref.base) || pexprReadsRef(p.index, pred);
    case 'binary':
      return pexprReadsRef(p.left, pred) || pexprReadsRef(p.right, pred);
    case 'unary':
      return pexprReadsRef(p.expr, pred);
    case 'math':
      return p.args.some((a) => pexprReadsRef(a, pred));
    case 'cond':
      return pexprReadsRef(p.test, pred) || pexprReadsRef(p.whenTrue, pred) || pexprReadsRef(p.whenFalse, pred);
    default:
      return false;
  }
}

/** Every variable an expression reads (array bases included). */
export function exprReads(e: Expr): string[] {
  switch (e.kind) {
    case 'prim':
    case 'tensorOp':
      return operandVars(e.args);
    case 'copy':
      return operandVars([e.src]);
    case 'load':
      return [e.ref.base, ...refIndexVars(e.ref)];
    case 'pure':
      return pexprVars(e.expr);
    case 'opaqueCall':
      return operandVars(e.args);
    case 'call':
      return operandVars(e.args);
    case 'newArray':
      return e.size ? operandVars([e.size]) : [];
    case 'copyArray':
      return [e.src.base, ...refIndexVars(e.src)];
    case 'pop':
      return [e.ref.base, ...refIndexVars(e.ref)];
    case 'record':
      return operandVars(e.fields.map((field) => field.value));
    default:
      return e satisfies never;
  }
}

/** Every variable a simple statement (or the final return) reads. */
export function stmtReads(s: SimpleStmt | Extract<Stmt, { kind: 'return' }>): string[] {
  switch (s.kind) {
    case 'assign':
      return exprReads(s.expr);
    case 'store':
    case 'push':
      return [s.ref.base, ...refIndexVars(s.ref), ...operandVars([s.value])];
    case 'return':
      return operandVars([s.value]);
    default:
      return s satisfies never;
  }
}

/** Calls `visit` on every statement, depth first, with the loop depth. */
export function forEachStmt(body: readonly Stmt[], visit: (s: Stmt, loopDepth: number) => void, depth = 0): void {
  for (const s of body) {
    visit(s, depth);
    if (s.kind === 'if') {
      forEachStmt(s.then, visit, depth);
      forEachStmt(s.else, visit, depth);
    } else if (s.kind === 'loop') {
      forEachStmt(s.body, visit, depth + 1);
    }
  }
}
