/**
 * Reuse of repeated reads: in a run of simple statements, a second read of
 * the same array element or field (`qxc[r] * qxc[r]`), with nothing in
 * between that writes the array, its variable, the index variables or the
 * first read's result, becomes a copy of the first read. The value is then
 * recorded for the reverse sweep once instead of once per read (the
 * issue's "the same value pushed twice"; Hascoët's TBR makes the same
 * observation), and the adjoints of both reads flow into one place.
 *
 * Runs on the IR after lowering, before the analyses; exact (the second
 * read would give the same number).
 */
import { sameRef } from '../ir/equal.ts';
import type { IRFunction, Ref, Stmt } from '../ir/ir.ts';

export function reuseRepeatedLoads(fn: IRFunction): void {
  const assignedOnce = new Map<string, number>();
  const count = (list: readonly Stmt[]): void => {
    for (const s of list) {
      if (s.kind === 'assign') assignedOnce.set(s.target, (assignedOnce.get(s.target) ?? 0) + 1);
      if (s.kind === 'if') {
        count(s.then);
        count(s.else);
      }
      if (s.kind === 'loop') count(s.body);
    }
  };
  count(fn.body);
  // Local 2-D arrays and the rows pushed into them share memory: a write to one may change a read of another.
  const shared = new Set<string>();
  const collect = (list: readonly Stmt[]): void => {
    for (const s of list) {
      if (s.kind === 'push' && s.value.kind === 'var' && fn.locals.get(s.value.name)?.kind === 'array') shared.add(s.ref.base).add(s.value.name);
      if (s.kind === 'if') {
        collect(s.then);
        collect(s.else);
      }
      if (s.kind === 'loop') collect(s.body);
    }
  };
  collect(fn.body);
  const rewrite = (list: Stmt[]): void => {
    /** Reads seen in the current run of simple statements: the ref and the variable holding its value. */
    let seen: { ref: Ref; holder: string }[] = [];
    for (let k = 0; k < list.length; k++) {
      const s = list[k]!;
      if (s.kind === 'if' || s.kind === 'loop') {
        if (s.kind === 'if') {
          rewrite(s.then);
          rewrite(s.else);
        } else rewrite(s.body);
        seen = [];
        continue;
      }
      const load = s.kind === 'assign' && s.expr.kind === 'load' && isNumberLoad(fn, s.target) ? s.expr.ref : null;
      const earlier = load ? seen.find((r) => sameRef(r.ref, load)) : undefined;
      if (earlier && s.kind === 'assign') {
        list[k] = { kind: 'assign', target: s.target, expr: { kind: 'copy', src: { kind: 'var', name: earlier.holder } }, loc: s.loc };
      }
      // Anything this statement writes ends the reuse of reads that depend on it.
      const written = writtenBy(s);
      if ([...written].some((v) => shared.has(v))) for (const v of shared) written.add(v);
      seen = seen.filter((r) => !written.has(r.ref.base) && !written.has(r.holder) && !indexVars(r.ref).some((v) => written.has(v)));
      if (load && !earlier && s.kind === 'assign' && assignedOnce.get(s.target) === 1 && !indexVars(load).includes(s.target) && load.base !== s.target) {
        seen.push({ ref: load, holder: s.target });
      }
    }
  };
  rewrite(fn.body);
}

function isNumberLoad(fn: IRFunction, target: string): boolean {
  return fn.locals.get(target)?.kind === 'number';
}

/** Variables (and arrays, by base) a simple statement writes. */
function writtenBy(s: Stmt): Set<string> {
  // `v = a.pop()` writes v and shortens a.
  if (s.kind === 'assign') return new Set(s.expr.kind === 'pop' ? [s.target, s.expr.ref.base] : [s.target]);
  if (s.kind === 'store' || s.kind === 'push') return new Set([s.ref.base]);
  return new Set();
}

function indexVars(ref: Ref): string[] {
  return ref.path.flatMap((a) => (a.kind === 'index' && a.index.kind === 'var' ? [a.index.name] : []));
}
