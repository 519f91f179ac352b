/**
 * Checks the invariants the later passes rely on: every variable is a
 * parameter or a declared local, the only `return` is the function's last
 * statement, and every operand of a primitive is a number variable or a
 * constant. A failure is an internal compiler error (a bug in lowering).
 */
import type { IRFunction, Stmt } from './ir.ts';
import { forEachStmt, stmtReads, pexprVars } from './walk.ts';

export function verify(fn: IRFunction): void {
  const known = new Set([...fn.locals.keys(), ...fn.params.map((p) => p.name), ...(fn.self ? [fn.self.name] : [])]);
  const problems: string[] = [];
  const check = (v: string, where: string) => {
    if (!known.has(v)) problems.push(`${where}: unknown variable ${v}`);
  };
  forEachStmt(fn.body, (s: Stmt) => {
    const where = `line ${s.loc.line}`;
    if (s.kind === 'if' || s.kind === 'loop') pexprVars(s.cond).forEach((v) => check(v, where));
    else {
      stmtReads(s).forEach((v) => check(v, where));
      if (s.kind === 'assign') {
        check(s.target, where);
        if (s.expr.kind === 'prim') {
          for (const a of s.expr.args) {
            if (a.kind === 'var' && fn.locals.get(a.name) && fn.locals.get(a.name)!.kind !== 'number') {
              problems.push(`${where}: ${s.expr.prim} of non-number ${a.name}`);
            }
          }
        }
      }
    }
  });
  const last = fn.body[fn.body.length - 1];
  if (!last || last.kind !== 'return') problems.push('the function does not end with return');
  let returns = 0;
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'return') returns++;
  });
  if (returns !== 1) problems.push(`${returns} return statements (expected exactly 1)`);
  if (problems.length) throw new Error(`IR verification failed for ${fn.name}:\n  ${problems.join('\n  ')}`);
}
