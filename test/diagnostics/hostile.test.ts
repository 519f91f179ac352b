/**
 * Every kind of unsupported or malformed input gives `file:line:col:
 * message` (and no generated file), never an exception, a stack trace or a
 * hang. All cases are compiled by one `compileFiles` call, as a build of a
 * folder would; each file's diagnostics are its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileFiles, formatDiagnostic, type CompileResult } from 'wengert/compiler';
import { hostileCases, knownGaps } from './cases.ts';
import { diagnosticsDir } from './paths.ts';

const dir = path.join(diagnosticsDir, 'hostile');
let result: CompileResult;
let elapsedMs = 0;

/** The diagnostics of one case, formatted with the file's base name. */
function linesOf(name: string): string[] {
  const file = path.join(dir, `${name}.ts`);
  return result.diagnostics.filter((d) => path.resolve(d.file) === file).map((d) => formatDiagnostic({ ...d, file: path.basename(d.file) }));
}

beforeAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files = [...hostileCases, ...knownGaps].map((c) => {
    const file = path.join(dir, `${c.name}.ts`);
    fs.writeFileSync(file, c.source);
    return file;
  });
  const started = performance.now();
  result = compileFiles(files);
  elapsedMs = performance.now() - started;
});

describe('unsupported and malformed input gives a located diagnostic', () => {
  for (const c of hostileCases) {
    test(`${c.name}: ${c.expected.replace(/^[^ ]+ error: /, '')}`, () => {
      const lines = linesOf(c.name);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]!.split('\n')[0]).toBe(c.expected);
      for (const line of lines) {
        expect(line).not.toMatch(/internal compiler error/);
        expect(line).not.toMatch(/^\s+at /m);
      }
      expect(result.files.some((f) => path.basename(f.sourcePath) === `${c.name}.ts`)).toBe(false);
    });
  }

  test('every position lies inside its file, and every diagnostic says what to do instead', () => {
    for (const d of result.diagnostics) {
      const lines = fs.readFileSync(d.file, 'utf8').split(/\r?\n/);
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.line).toBeLessThanOrEqual(lines.length);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeLessThanOrEqual(lines[d.line - 1]!.length + 1);
      expect(d.hint.trim()).not.toBe('');
    }
  });

  test(`${hostileCases.length + knownGaps.length} hostile files compile in one call well under a minute (no hang)`, () => {
    expect(elapsedMs).toBeLessThan(30_000);
  });
});

// Defined only while some gap is open (an empty suite is an error in vitest).
if (knownGaps.length > 0) describe('known gaps (docs/fuzz-findings.md): the compiler accepts these today', () => {
  for (const gap of knownGaps) {
    // test.fails: passes while the compiler still accepts the input; fix the compiler, then move the case to hostileCases.
    test.fails(`${gap.name} should give ${gap.wanted} [${gap.finding}]`, () => {
      expect(linesOf(gap.name)).not.toEqual([]);
    });
  }
});
