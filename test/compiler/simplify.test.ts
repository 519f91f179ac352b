/**
 * The simplify pass on hand-written output trees: rewrites that must reach
 * every statement list, including a branch that is a single statement
 * (`else if`), and must keep the code's meaning.
 */
import { describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { simplify } from '../../compiler/emit/simplify.ts';
import { printStatements } from '../../compiler/emit/printer.ts';

/** Parses `source` (function declarations), simplifies it and prints it back. */
function simplified(source: string): string {
  const file = ts.createSourceFile('t.ts', source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  return printStatements(simplify(file.statements));
}

/** Runs function `name` of `source` (TypeScript without types that matter) on `args`. */
function run(source: string, name: string, ...args: number[]): unknown {
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText.replace(/^export /gm, '');
  return new Function(`${js}\nreturn ${name};`)()(...args);
}

describe('simplify', () => {
  it('removes a dead declaration together with its stores inside an else-if chain', () => {
    const source = `function f(x: number): number {
  let b2 = 0;
  let r = 0;
  if (x > 1) {
    r = x * 2;
  } else if (x > 0) {
    b2 = 3;
    r = x;
  } else if (x > -1) b2 = 4;
  else {
    r = -x;
  }
  return r;
}`;
    const out = simplified(source);
    expect(out).not.toMatch(/b2/);
    for (const x of [2, 0.5, -0.5, -2]) expect(run(out, 'f', x)).toBe(run(source, 'f', x));
  });

  it('folds a first contribution inside a single-statement else branch', () => {
    const source = `function g(x: number): number {
  let r = 0;
  if (x > 0) {
    r = x;
  } else if (x < -1) {
    let d = 0;
    d += x * x;
    r = d;
  }
  return r;
}`;
    const out = simplified(source);
    expect(out).toMatch(/const d = x \* x;/);
    for (const x of [1, -0.5, -3]) expect(run(out, 'g', x)).toBe(run(source, 'g', x));
  });
});
