/**
 * The fuzzer's type check (typecheckBatch, used by the slice in `npm test`
 * and by `npm run fuzz`): one TypeScript program per batch, and a type
 * error in a generated file is a `tsc` failure of that program, located;
 * an ill-typed rendered source is the generator's fault (`fuzzer`).
 * The files are written by hand here, so each outcome is known.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { emptyTally, type Tally } from './report.ts';
import { fuzzDir, typecheckBatch, type TscEntry } from './runner.ts';

const dir = path.join(fuzzDir, 'deliberately-broken', 'tsc-check');
const at = (name: string) => path.join(dir, name);

const files: Record<string, string> = {
  'p0.ts': 'export function f(x: number): number {\n  return x * x;\n}\n',
  'p0.grad.ts': "export function grad_f(x: number): number {\n  return 2 * x;\n}\n",
  'p1.ts': 'export function f(x: number): number {\n  return x * x;\n}\n',
  'p1.grad.ts': "export function grad_f(x: number): number {\n  const t: string = 2 * x;\n  return t.length;\n}\n",
  'p2.ts': 'export const wrong: number = "ill-typed";\nexport function h(x: number): number {\n  return x;\n}\n',
  'p2.grad.ts': "import { h } from './p2.ts';\nexport function grad_f(x: number): number {\n  return h(x);\n}\n",
  'p3.ts': 'export function f(x: number): number {\n  return x;\n}\n',
};

let entries: TscEntry[];
let tally: Tally;

beforeAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(at(name), text);
  entries = ['p0', 'p1', 'p2', 'p3'].map((p) => ({
    sourcePath: at(`${p}.ts`),
    gradPath: p === 'p3' ? null : at(`${p}.grad.ts`),
    failures: [],
  }));
  tally = emptyTally();
  typecheckBatch(entries, tally);
});

test('a generated file that type-checks gives no failure', () => {
  expect(entries[0]!.failures).toEqual([]);
});

test('a type error in a generated file is a tsc failure of its program, with file:line:col', () => {
  expect(entries[1]!.failures).toEqual([
    { kind: 'tsc', message: "p1.grad.ts fails tsc --strict:\np1.grad.ts:2:9: TS2322: Type 'number' is not assignable to type 'string'." },
  ]);
});

test('a type error in the rendered source is a fuzzer failure, not the generated file\'s', () => {
  expect(entries[2]!.failures).toHaveLength(1);
  expect(entries[2]!.failures[0]!.kind).toBe('fuzzer');
  expect(entries[2]!.failures[0]!.message).toMatch(/^the generated source fails tsc --strict:\np2\.ts:1:14: TS2322: /);
});

test('programs that did not compile are not type-checked; the others are counted', () => {
  expect(entries[3]!.failures).toEqual([]);
  expect(tally.checks.get('tsc')).toBe(3);
});
