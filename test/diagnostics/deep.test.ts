/**
 * Sources too deep for the parser or the compiler (docs/fuzz-findings.md
 * C1, C2) give a located diagnostic for that file, and the other files of
 * the same build still compile.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { compileFiles } from 'wengert/compiler';
import { diagnosticsDir } from './paths.ts';

test('a file with 1,000 nested calls is reported, and the other file still builds', () => {
  const dir = path.join(diagnosticsDir, 'deep');
  fs.mkdirSync(dir, { recursive: true });
  const deep = path.join(dir, 'deep-calls.ts');
  const ok = path.join(dir, 'fine.ts');
  fs.writeFileSync(deep, `export function id(v: number): number {\n  return v;\n}\n/** @differentiable */\nexport function f(x: number): number {\n  return ${'id('.repeat(1000)}x${')'.repeat(1000)};\n}\n`);
  fs.writeFileSync(ok, '/** @differentiable */\nexport function g(x: number): number {\n  return x * x;\n}\n');
  const r = compileFiles([deep, ok]);
  expect(r.files.map((f) => path.basename(f.outputPath))).toEqual(['fine.grad.ts']);
  expect(r.diagnostics).toHaveLength(1);
  expect(r.diagnostics[0]!.file).toBe(deep);
  expect(r.diagnostics[0]!.message).toBe('the file is nested too deeply for the TypeScript parser (its stack overflowed)');
});

test('a 5,000-term expression is reported as too deep (located), not as an internal error', () => {
  const dir = path.join(diagnosticsDir, 'deep');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'long-sum.ts');
  fs.writeFileSync(file, `/** @differentiable */\nexport function f(x: number): number {\n  return ${Array.from({ length: 5000 }, (_, i) => `${i % 7} * x`).join(' + ')};\n}\n`);
  const r = compileFiles([file]);
  expect(r.files).toEqual([]);
  expect(r.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`)).toEqual(['2:1: f is nested too deeply for the compiler (its stack overflowed)']);
});
