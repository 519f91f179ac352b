/**
 * Running a pass over emitted code (compiler/emit/*) on hand-written
 * functions: parse the source, apply the pass, print it back, and run the
 * function before and after on the same inputs. The tests of those passes
 * use it where a rewrite the pass refuses would change the result.
 */
import { expect } from 'vitest';
import { ts } from 'ts-morph';
import { printStatements } from '../../compiler/emit/printer.ts';

export type EmitPass = (statements: readonly ts.Statement[]) => ts.Statement[];

/** `source` (function declarations) through `pass`, printed back. */
export function applyPass(pass: EmitPass, source: string): string {
  const file = ts.createSourceFile('t.ts', source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  return printStatements(pass(file.statements));
}

/** Runs function `name` of `source` on `args`. */
export function runFunction(source: string, name: string, ...args: unknown[]): unknown {
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  return new Function(`${js}\nreturn ${name};`)()(...args);
}

/** Runs `name` before and after `pass` on fresh copies of the same arguments, expects them to agree, and returns the rewritten source. */
export function sameResults(pass: EmitPass, source: string, name: string, args: () => unknown[]): string {
  const after = applyPass(pass, source);
  expect(runFunction(after, name, ...args())).toEqual(runFunction(source, name, ...args()));
  return after;
}
