/**
 * Where each local variable is declared in the generated code. Values
 * used within one block are `const` at their assignment; a variable first
 * assigned by a top-level statement and not read before is declared there;
 * everything else is declared at the top of the function, so the reverse
 * sweep (which lives in the same function) can see it.
 */
import type { IRFunction, Stmt, VarType } from '../ir/ir.ts';
import { forEachStmt, pexprVars, stmtReads } from '../ir/walk.ts';
import { irType } from './nodes.ts';
import { stmt } from './template.ts';
import type { ts } from 'ts-morph';

export interface Declarations {
  /** Variables declared at the top of the function. */
  hoisted: string[];
  /** Statements that declare their target (`const` when assigned once, else `let`). */
  declaredAt: Map<Stmt, 'const' | 'let'>;
}

export function planDeclarations(fn: IRFunction, blockLocal: ReadonlySet<string>): Declarations {
  const defCount = new Map<string, number>();
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'assign') defCount.set(s.target, (defCount.get(s.target) ?? 0) + 1);
  });
  const declaredAt = new Map<Stmt, 'const' | 'let'>();
  const seen = new Set<string>();
  const readSoFar = new Set<string>();
  for (const s of fn.body) {
    if (s.kind === 'assign' && fn.locals.has(s.target) && !seen.has(s.target) && !readSoFar.has(s.target)) {
      const single = defCount.get(s.target) === 1;
      // A reassigned string or enum local keeps its declared type (`let mode = 'a'` would widen to string): it is hoisted with it.
      if (single || fn.locals.get(s.target)?.kind !== 'opaque') declaredAt.set(s, single ? 'const' : 'let');
    }
    // Everything this statement reads or assigns (deep) counts as seen from here on.
    forEachStmt([s], (inner) => {
      if (inner.kind === 'assign') seen.add(inner.target);
      if (inner.kind === 'if' || inner.kind === 'loop') pexprVars(inner.cond).forEach((v) => readSoFar.add(v));
      else stmtReads(inner).forEach((v) => readSoFar.add(v));
    });
  }
  // Block-local values nested in control flow are `const` at their assignment too.
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'assign' && blockLocal.has(s.target) && fn.locals.has(s.target)) declaredAt.set(s, 'const');
  });
  const declared = new Set([...declaredAt.keys()].map((s) => (s as Extract<Stmt, { kind: 'assign' }>).target));
  const hoisted = [...fn.locals.keys()].filter((v) => !declared.has(v));
  return { hoisted, declaredAt };
}

/** `let v = 0;`-style declaration of a hoisted variable. */
export function hoistedDeclaration(name: string, type: VarType): ts.Statement {
  switch (type.kind) {
    case 'number':
      return stmt`let ${name} = 0;`;
    case 'bool':
      return stmt`let ${name} = false;`;
    default:
      return stmt`let ${name}!: ${irType(type)};`;
  }
}
