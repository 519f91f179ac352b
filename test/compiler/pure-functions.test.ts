/**
 * Which plain functions have no effect (compiler/frontend/pure-functions.ts):
 * what lets value-free.ts leave out a call whose value nothing needs. Each
 * impure case is one kind of effect the check must see; a function of
 * another file is not judged (its body may change without a rebuild of the
 * caller).
 */
import { Project } from 'ts-morph';
import { describe, expect, test } from 'vitest';
import { isPureFunction } from '../../compiler/frontend/pure-functions.ts';

const source = `
const TABLE = [1, 2, 3];
let state = 0;
const box = { v: 0 };
declare function external(x: number): number;

export function mathOnly(x: number): number { return Math.log(x) + Math.sqrt(x); }
export function loopsAndLocals(n: number): number { let s = 0; for (let i = 0; i < n; i++) { s += TABLE[i % 3]; s++; } return s; }
export function recursive(n: number): number { return n <= 1 ? 0 : Math.log(n) + recursive(n - 1); }
export function mutualA(n: number): number { return n <= 0 ? 0 : mutualB(n - 1); }
export function mutualB(n: number): number { return n <= 0 ? 1 : mutualA(n - 1); }
const arrowHelper = (v: number): number => 2 * v;
export function callsPureArrow(x: number): number { return arrowHelper(x) + mathOnly(x); }

export function writesModuleState(x: number): number { state = x; return x; }
export function incrementsModuleState(x: number): number { state++; return x; }
export function writesAnElement(x: number): number { TABLE[0] = x; return x; }
export function writesAProperty(x: number): number { box.v = x; return x; }
export function random(x: number): number { return x * Math.random(); }
export function logs(x: number): number { console.log(x); return x; }
export function allocates(x: number): number { return new Float64Array(2).length + x; }
export function throws(x: number): number { if (x < 0) throw new RangeError('negative'); return x; }
export function closure(x: number): number { const f = () => x; return f(); }
export function callsImpure(x: number): number { return writesModuleState(x) + 1; }
export function callsDeclared(x: number): number { return external(x); }
export function callsAnotherFile(x: number): number { return pureElsewhere(x); }
export function impureAfterCycle(n: number): number { const v = n <= 0 ? 0 : inCycle(n - 1); state = v; return v; }
export function inCycle(n: number): number { return impureAfterCycle(n); }
`;

const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true } });
project.createSourceFile('other.ts', 'export function pureElsewhere(x: number): number { return 2 * x; }');
const file = project.createSourceFile('plain.ts', `import { pureElsewhere } from './other';\n${source}`);
const pure = (name: string) => isPureFunction(file.getFunctionOrThrow(name));

describe('pure plain functions', () => {
  test.each(['mathOnly', 'loopsAndLocals', 'recursive', 'mutualA', 'mutualB', 'callsPureArrow'])('%s is pure', (name) => {
    expect(pure(name)).toBe(true);
  });

  test.each(['writesModuleState', 'incrementsModuleState', 'writesAnElement', 'writesAProperty', 'random', 'logs', 'allocates', 'throws', 'closure', 'callsImpure', 'callsDeclared', 'callsAnotherFile'])(
    '%s is not',
    (name) => {
      expect(pure(name)).toBe(false);
    },
  );

  test('a function found pure while a caller in its cycle was assumed pure is not, once the caller is found impure', () => {
    // Checked first: impureAfterCycle assumes itself pure while it checks inCycle, then writes state.
    expect(pure('impureAfterCycle')).toBe(false);
    expect(pure('inCycle')).toBe(false);
  });
});
