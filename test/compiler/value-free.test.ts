/**
 * `vjp_f` without the value (compiler/emit/value-free.ts, issue #11): where
 * the value costs work the adjoint does not need, `vjp_f` is a copy of
 * `valueAndVjp_f`'s body without it, and `grad_f` calls it. Checked against
 * central finite differences, forward against reverse, and bit for bit
 * against `valueAndVjp_f`'s gradient; the removal itself is run on
 * hand-written code where removing a statement it must keep would change
 * the result.
 */
import { ts } from 'ts-morph';
import { beforeAll, describe, expect, test } from 'vitest';
import { removeDeadValues } from '../../compiler/emit/value-free.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { sameResults } from '../helpers/emit-pass.ts';
import { buildFixture, functionText, type Built } from '../helpers/generate.ts';
import { traffic } from '../helpers/tape-traffic.ts';

const source = `
/** A log-sum-exp over rows plus a penalty whose value needs a log per row and a sum the adjoint never reads. @differentiable wrt(w) */
export function rowsLse(w: Float64Array, rows: number, cols: number, lambda: number): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(w[i * cols + j]);
    total += Math.log(s);
  }
  let penalty = 0;
  for (let k = 0; k < w.length; k++) penalty += w[k] * w[k];
  return total + lambda * penalty + Math.log(2 * Math.PI) * rows;
}

/** Not differentiable, and pure: Math only, a loop, recursion, a module-level table, a pure helper. */
const TABLE = [1, 0.5, 0.25];
export function logFactorial(n: number): number {
  if (n <= 1) return 0;
  let s = 0;
  for (let i = 0; i < TABLE.length; i++) s += TABLE[i] * 0;
  return Math.log(n) + logFactorial(n - 1) + s + twice(0);
}
const twice = (v: number): number => 2 * v;

/** Not differentiable, and not pure: it counts its calls in a module-level variable. */
let counted = 0;
export function countedConstant(n: number): number {
  counted++;
  return n * 0.5;
}
export function callsOfCountedConstant(): number {
  return counted;
}

/** A value with a constant term from pure and impure plain calls: only the pure one leaves vjp_. @differentiable wrt(w) */
export function withConstants(w: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * w[i] + Math.log(1 + w[i] * w[i]);
  return s - logFactorial(n) + countedConstant(n);
}

/** Nothing but arithmetic outside loops only feeds the value: vjp_ delegates. @differentiable */
export function plain(x: number, y: number): number {
  const a = x * y;
  const b = a + 1;
  return b * b + 3;
}

/** Recursive: vjp_ delegates to the guarded valueAndVjp_. @differentiable wrt(x) */
export function power(x: number, n: number): number {
  if (n <= 0) return 1;
  return x * power(x, n - 1);
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('value-free', source);
});

const w6 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2, 0.05]);

describe('vjp_f without the value', () => {
  test('the value-only work is gone from vjp_f, and its gradient is valueAndVjp_f\'s bit for bit', () => {
    for (const [rows, cols] of [[2, 3], [3, 2], [0, 3], [1, 6]] as const) checkDerivatives(m, 'rowsLse', [w6(), rows, cols, 0.3], { wrt: [0] });
    const vjp = functionText(m.text, 'vjp_rowsLse');
    expect(vjp).not.toMatch(/Math\.log/);
    expect(vjp).not.toMatch(/\b(penalty|total)\b/);
    expect(functionText(m.text, 'valueAndVjp_rowsLse')).toMatch(/Math\.log/);
    expect(functionText(m.text, 'grad_rowsLse')).toMatch(/return vjp_rowsLse\(/);
    const [, g] = m.grad.valueAndVjp_rowsLse(w6(), 2, 3, 0.3, 1.5);
    expect(Array.from(m.grad.vjp_rowsLse(w6(), 2, 3, 0.3, 1.5))).toEqual(Array.from(g));
    const t = traffic(() => m.grad.vjp_rowsLse(w6(), 2, 3, 0.3, 1.5));
    expect(t.balanced).toBe(true);
    expect(traffic(() => m.grad.valueAndVjp_rowsLse(w6(), 2, 3, 0.3, 1.5))).toEqual(t);
  });

  test('a call of a pure plain function that only the value needs goes; an impure one stays and runs', () => {
    checkDerivatives(m, 'withConstants', [w6(), 5], { wrt: [0] });
    const vjp = functionText(m.text, 'vjp_withConstants');
    expect(vjp).not.toMatch(/logFactorial\(/);
    expect(functionText(m.text, 'valueAndVjp_withConstants')).toMatch(/logFactorial\(n\)/);
    expect(vjp).toMatch(/countedConstant\(n\)/);
    const before = m.source.callsOfCountedConstant();
    m.grad.vjp_withConstants(w6(), 5, 1);
    expect(m.source.callsOfCountedConstant()).toBe(before + 1);
  });

  test('refused: vjp_f delegates where only straight-line arithmetic would go, and for a recursive f', () => {
    checkDerivatives(m, 'plain', [0.7, -1.3]);
    expect(functionText(m.text, 'vjp_plain')).toMatch(/return valueAndVjp_plain\(x, y, \w+\)\[1\];/);
    checkDerivatives(m, 'power', [1.3, 4], { wrt: [0] });
    expect(functionText(m.text, 'vjp_power')).toMatch(/return valueAndVjp_power\(x, n, \w+\)\[1\];/);
  });
});

/** removeDeadValues over the body of every function declaration. */
const removal = (list: readonly ts.Statement[]): ts.Statement[] =>
  list.map((s) => {
    if (!ts.isFunctionDeclaration(s) || !s.body) return s;
    const body = removeDeadValues(s.body.statements).statements;
    return ts.factory.updateFunctionDeclaration(s, s.modifiers, s.asteriskToken, s.name, s.typeParameters, s.parameters, s.type, ts.factory.createBlock(body, true));
  });

describe('the removal keeps everything the result needs', () => {
  const run = (src: string, name: string, args: () => unknown[]) => sameResults(removal, src, name, args);

  test('a loop-carried sum nothing reads goes; stores, calls, conditions and pops stay', () => {
    const src = `
      function f(a, out, log) {
        let unused = 0;
        let i = 0;
        let top = a.length;
        let kept = 1;
        while (i < a.length) {
          unused = unused + Math.log(a[i] + 2);
          const t = a[i] * 2;
          out[i] = t;
          const popped = a[--top];
          kept = kept * 0.5 + popped;
          const seen = record(log, t);
          i = i + 1;
        }
        function record(l, v) { l.push(v); return v; }
        if (kept > 0) out[0] += 1;
        return out;
      }`;
    const after = run(src, 'f', () => [[1, 2, 3], [0, 0, 0], []]);
    expect(after).not.toMatch(/unused/);
    expect(after).toMatch(/out\[i\] = t/);
    expect(after).toMatch(/a\[--top\]/);
    expect(after).toMatch(/record\(log, t\)/);
    expect(after).toMatch(/kept = kept \* 0\.5 \+ popped/);
  });

  test('a name written by destructuring or read in a nested function stays', () => {
    const src = `
      function g(x) {
        let a = x * 2;
        let b = 0;
        [b] = [a + 1];
        let c = x + 5;
        const h = () => c;
        return [b, h()];
      }`;
    const after = run(src, 'g', () => [3]);
    expect(after).toMatch(/let a = x \* 2/);
    expect(after).toMatch(/let c = x \+ 5/);
  });

  test('Math.random is not pure: a dead random draw stays', () => {
    const file = ts.createSourceFile('t.ts', 'const r = Math.random(); const q = Math.sqrt(2); out.push(1);', ts.ScriptTarget.ES2022);
    const { statements, removedWork } = removeDeadValues(file.statements);
    expect(statements.map((s) => s.getText(file))).toEqual(['const r = Math.random();', 'out.push(1);']);
    // What went was not in a loop: not worth a copy of the body.
    expect(removedWork).toBe(false);
  });
});
