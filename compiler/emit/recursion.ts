/**
 * Recursive functions: which differentiable functions of a file call
 * themselves (directly, or through other functions of the same file), and
 * the guard their generated `jvp_` and `valueAndVjp_` get.
 *
 * The derivatives of a recursive `f` recurse as the primal does: `jvp_f`
 * calls `jvp_f`, the adjoint sweep of `valueAndVjp_f` calls
 * `valueAndVjp_f`, every level pushing onto and popping from the one shared
 * tape. Too deep a recursion overflows the JavaScript stack somewhere in
 * the middle, with the tape half written. So the body of each of these
 * functions runs inside
 *
 *   const mark = tapeMark();
 *   try { ...body... } catch (error) { throw recursionFailed(error, 'f', 'valueAndVjp_f', mark); }
 *
 * which, on the way out through every level, puts the tapes back where
 * that level found them and turns the overflow into a RecursionDepthError
 * naming f (runtime/recursion.ts). `jvp_f` keeps no tape and passes null.
 * Functions that do not recurse are left exactly as they were, so the
 * guard costs nothing to code that does not use recursion.
 *
 * The guard is applied after the simplify pass, which then sees the body
 * as it sees any other.
 */
import { ts } from 'ts-morph';
import type { IRFunction } from '../ir/ir.ts';
import { forEachStmt } from '../ir/walk.ts';
import { exportName, type EmitContext } from '../transforms/common.ts';
import { lineComment } from './printer.ts';
import { expr, stmt } from './template.ts';

const f = ts.factory;

/**
 * The names of the functions among `fns` (one file's) that can reach
 * themselves through calls to functions of the same file.
 */
export function recursiveFunctions(fns: readonly IRFunction[]): Set<string> {
  const own = new Set(fns.map((fn) => fn.name));
  const calls = new Map<string, Set<string>>();
  for (const fn of fns) {
    const targets = new Set<string>();
    forEachStmt(fn.body, (s) => {
      if (s.kind === 'assign' && s.expr.kind === 'call' && s.expr.callee.gradModule === null && own.has(s.expr.callee.derivName)) {
        targets.add(s.expr.callee.derivName);
      }
    });
    calls.set(fn.name, targets);
  }
  const recursive = new Set<string>();
  for (const start of own) {
    const seen = new Set<string>();
    const stack = [...(calls.get(start) ?? [])];
    while (stack.length) {
      const next = stack.pop()!;
      if (next === start) {
        recursive.add(start);
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(calls.get(next) ?? []));
    }
  }
  return recursive;
}

/**
 * `decl` (the generated `jvp_f` or `valueAndVjp_f` of a recursive `f`) with
 * its body run under the guard described above.
 */
export function guardRecursion(decl: ts.FunctionDeclaration, fn: IRFunction, ctx: EmitContext): ts.FunctionDeclaration {
  const generated = decl.name?.text;
  if (!decl.body || !generated) return decl;
  const usesTape = generated === exportName(fn, 'valueAndVjp');
  const names = ctx.module.forFunction(ctx.userNames);
  const mark = names.fresh('mark');
  const error = names.fresh('error');
  const markArg = usesTape ? f.createIdentifier(mark) : f.createNull();
  const failed = expr`recursionFailed(${error}, ${f.createStringLiteral(fn.name, true)}, ${f.createStringLiteral(generated, true)}, ${markArg})`;
  const guarded = f.createTryStatement(
    f.createBlock(decl.body.statements, true),
    f.createCatchClause(error, f.createBlock([f.createThrowStatement(failed)], true)),
    undefined,
  );
  const note = usesTape
    ? `${fn.name} is recursive: a stack overflow inside puts the tapes back at ${mark} and becomes an error naming it`
    : `${fn.name} is recursive: a stack overflow inside becomes an error naming it`;
  lineComment(guarded, note);
  const body = usesTape ? [stmt`const ${mark} = tapeMark();`, guarded] : [guarded];
  return f.updateFunctionDeclaration(decl, decl.modifiers, decl.asteriskToken, decl.name, decl.typeParameters, decl.parameters, decl.type, f.createBlock(body, true));
}

/** `statements` (a generated file's, after simplify) with the `jvp_` and `valueAndVjp_` of each recursive function guarded. */
export function guardRecursive(statements: readonly ts.Statement[], fns: readonly { fn: IRFunction; ctx: EmitContext }[]): ts.Statement[] {
  const recursive = recursiveFunctions(fns.map((c) => c.fn));
  if (recursive.size === 0) return [...statements];
  const byExport = new Map<string, { fn: IRFunction; ctx: EmitContext }>();
  for (const c of fns) {
    if (!recursive.has(c.fn.name)) continue;
    byExport.set(exportName(c.fn, 'jvp'), c);
    byExport.set(exportName(c.fn, 'valueAndVjp'), c);
  }
  return statements.map((s) => {
    const c = ts.isFunctionDeclaration(s) && s.name ? byExport.get(s.name.text) : undefined;
    return c ? guardRecursion(s as ts.FunctionDeclaration, c.fn, c.ctx) : s;
  });
}
