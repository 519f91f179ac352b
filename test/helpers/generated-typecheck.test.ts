/**
 * The end-of-run type check of generated files (test/global-setup.ts) looks
 * at the right files and fails on the right errors: files written since the
 * run started, `.grad.ts` and `.grad.mts`, not fuzz/ (the fuzz runner checks
 * its own) nor a `deliberately-broken` folder; errors inside a generated
 * file are reported as `path:line:col: TS code: message`, errors in the user
 * source it imports are not.
 *
 * The files of this test live in test/.generated/deliberately-broken/, so
 * the real end-of-run check skips them by the same rule it tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { DELIBERATELY_BROKEN_DIR, generatedFilesSince, generatedRoot } from './generated-files.ts';
import { typecheckOwnErrors } from './typecheck.ts';

const dir = path.join(generatedRoot, DELIBERATELY_BROKEN_DIR, 'end-of-run-check');
const at = (name: string) => path.join(dir, name);

const files: Record<string, string> = {
  'user.ts': 'export const wrong: number = "a user error, not the generated file\'s";\nexport function h(x: number): number {\n  return x;\n}\n',
  'user.grad.ts': "import { h } from './user.ts';\nexport function grad_f(x: number): number {\n  const s: string = h(x);\n  return s.length;\n}\n",
  'clean.grad.ts': "import { h } from './user.ts';\nexport function grad_g(x: number): number {\n  return 2 * h(x);\n}\n",
  'module.grad.mts': 'export const ok: number = 1;\n',
  'old.grad.ts': 'export const old: number = 1;\n',
  'fuzz/p0.grad.ts': 'export const fuzzed: number = 1;\n',
  'nested/deliberately-broken/bad.grad.ts': 'export const bad: number = "broken on purpose";\n',
  'not-generated.ts': 'export const plain = 1;\n',
};

let runStarted = 0;
beforeAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  // A second of slack: the file system's clock is coarser than Date.now(), so a file written right after
  // can carry an mtime a few milliseconds before it (seen on a loaded CI machine).
  runStarted = Date.now() - 1000;
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(at(name)), { recursive: true });
    fs.writeFileSync(at(name), text);
  }
  const anHourAgo = new Date(runStarted - 3_600_000);
  fs.utimesSync(at('old.grad.ts'), anHourAgo, anHourAgo);
});

describe('which generated files the end-of-run check takes', () => {
  test('files written since the start, .grad.ts and .grad.mts, without fuzz/ and deliberately-broken folders', () => {
    const found = generatedFilesSince(runStarted, dir).map((f) => path.relative(dir, f));
    expect(found).toEqual(['clean.grad.ts', 'module.grad.mts', 'user.grad.ts']);
  });

  test('the real check skips this test folder, and takes a generated file written elsewhere in test/.generated', () => {
    const elsewhere = path.join(generatedRoot, 'end-of-run-check-probe.grad.ts');
    fs.writeFileSync(elsewhere, 'export const probe = 1;\n');
    try {
      const found = generatedFilesSince(runStarted);
      expect(found.filter((f) => f.startsWith(dir))).toEqual([]);
      expect(found).toContain(elsewhere);
    } finally {
      fs.rmSync(elsewhere);
    }
  });
});

describe('what the end-of-run check reports', () => {
  test("a type error inside a generated file, located; not the errors of the user source it imports", () => {
    const errors = typecheckOwnErrors([at('user.grad.ts'), at('clean.grad.ts')]);
    const relative = path.relative(path.resolve(generatedRoot, '..', '..'), at('user.grad.ts'));
    expect(errors).toEqual([`${relative}:3:9: TS2322: Type 'number' is not assignable to type 'string'.`]);
  });

  test('generated files that type-check give no line', () => {
    expect(typecheckOwnErrors([at('clean.grad.ts'), at('module.grad.mts')])).toEqual([]);
  });
});
