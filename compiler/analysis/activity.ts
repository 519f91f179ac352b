/**
 * Activity analysis. A variable is *varied* when its value depends on a
 * differentiated parameter, *useful* when its value reaches the returned
 * result; it is *active* when both. Only active variables get tangents and
 * adjoints, and only active statements get derivative code.
 *
 * The analysis is flow-insensitive (a variable is varied if any of its
 * assignments is), which is conservative: it can only add derivative code
 * that computes zeros, never drop code that is needed.
 */
import type { IRFunction, Stmt } from '../ir/ir.ts';
import { operandVars, forEachStmt } from '../ir/walk.ts';
import { differentiablePositions, hasZeroDerivative } from '../rules/index.ts';

export interface Activity {
  varied: ReadonlySet<string>;
  useful: ReadonlySet<string>;
  isActive(name: string): boolean;
}

/** Which variables carry derivative into each statement's result (var -> sources). */
function flowEdges(s: Stmt, rows: ReadonlySet<string>): { target: string; sources: string[] }[] {
  if (s.kind === 'assign') {
    const e = s.expr;
    switch (e.kind) {
      case 'prim':
      case 'tensorOp': {
        if (hasZeroDerivative(e)) return [];
        const positions = differentiablePositions(e);
        return [{ target: s.target, sources: operandVars(e.args.filter((_, i) => positions.includes(i))) }];
      }
      case 'copy':
        return [{ target: s.target, sources: operandVars([e.src]) }];
      case 'load':
        return [{ target: s.target, sources: [e.ref.base] }];
      case 'call':
        return [{ target: s.target, sources: operandVars(e.args.filter((_, i) => e.callee.wrt[i])) }];
      case 'copyArray':
        return [{ target: s.target, sources: [e.src.base] }];
      case 'pop':
        return [{ target: s.target, sources: [e.ref.base] }];
      case 'record': {
        // A structured local put into a record is shared with it (a reference), as a row is with its 2-D array.
        const fields = operandVars(e.fields.map((field) => field.value));
        return [{ target: s.target, sources: fields }, ...fields.filter((v) => rows.has(v)).map((v) => ({ target: v, sources: [s.target] }))];
      }
      case 'pure':
      case 'opaqueCall':
      case 'newArray':
        return [];
      default:
        return e satisfies never;
    }
  }
  if (s.kind === 'push' && s.value.kind === 'var' && rows.has(s.value.name)) {
    // A row pushed into a 2-D array is shared with it (a reference): a derivative written through either reaches both.
    return [{ target: s.ref.base, sources: [s.value.name] }, { target: s.value.name, sources: [s.ref.base] }];
  }
  if (s.kind === 'store' || s.kind === 'push') return [{ target: s.ref.base, sources: operandVars([s.value]) }];
  return [];
}

export function analyzeActivity(fn: IRFunction): Activity {
  const edges: { target: string; sources: string[] }[] = [];
  let returned: string | null = null;
  // Local arrays pushed as rows into a local 2-D array.
  // Local objects and tuples pushed into a local array of them, or put into a record, are shared the same way.
  const rows = new Set([...fn.locals].filter(([, t]) => t.kind === 'array' || t.kind === 'object' || t.kind === 'tuple').map(([v]) => v));
  forEachStmt(fn.body, (s) => {
    edges.push(...flowEdges(s, rows));
    if (s.kind === 'return' && s.value.kind === 'var') returned = s.value.name;
  });
  const varied = new Set(fn.params.filter((p) => p.wrt).map((p) => p.name));
  const useful = new Set<string>(returned ? [returned] : []);
  for (let changed = true; changed; ) {
    changed = false;
    for (const { target, sources } of edges) {
      if (!varied.has(target) && sources.some((v) => varied.has(v))) {
        varied.add(target);
        changed = true;
      }
      if (useful.has(target)) {
        for (const v of sources) {
          if (!useful.has(v)) {
            useful.add(v);
            changed = true;
          }
        }
      }
    }
  }
  return { varied, useful, isActive: (name) => varied.has(name) && useful.has(name) };
}
