/**
 * docs/supported.md against the compiler's own list of refusals
 * (compiler/frontend/refusals.ts): the doc's "Refused, with the reason"
 * list is exactly the one the list renders, every refusal by syntax kind in
 * compiler/frontend/unsupported.ts is in the list, and the compiler refuses
 * every example of the list with a located error and a hint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import { generatedDir } from '../helpers/generate.ts';
import { refusedConstructs, refusedMarkdown, uncoveredRefusals } from '../../compiler/frontend/refusals.ts';

const doc = fs.readFileSync(new URL('../../docs/supported.md', import.meta.url), 'utf8');
const BEGIN = '<!-- refused list: generated from compiler/frontend/refusals.ts (refusedMarkdown); test/diagnostics/supported-doc.test.ts checks it -->';
const END = '<!-- end of refused list -->';

describe('docs/supported.md and the compiler agree on what is refused', () => {
  test("the doc's refused list is the compiler's", () => {
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start, 'the markers around the refused list').toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const listed = doc.slice(start + BEGIN.length, end).trim();
    expect(listed, 'paste refusedMarkdown() between the markers').toBe(refusedMarkdown());
  });

  test('every refusal by syntax kind (unsupported.ts) is named by a construct of the list', () => {
    expect(uncoveredRefusals()).toEqual([]);
  });

  test('the compiler refuses each example with a located error and a hint', () => {
    const dir = path.join(generatedDir, 'h4-refused-examples');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'helper-not-differentiable.ts'), 'export function helper(v: number): number {\n  return v > 0 ? v : 0;\n}\n');
    const files = refusedConstructs.map((c, i) => {
      const file = path.join(dir, `refused-${i}.ts`);
      fs.writeFileSync(file, c.example);
      return file;
    });
    const result = compileFiles(files);
    refusedConstructs.forEach((c, i) => {
      const errors = result.diagnostics.filter((d) => d.severity !== 'warning' && d.file === files[i]);
      expect(errors.length, `${c.construct}: the example is refused`).toBeGreaterThan(0);
      const text = formatDiagnostic(errors[0]!);
      expect(text, c.construct).toMatch(new RegExp(`refused-${i}\\.ts:\\d+:\\d+: error: `));
      expect(errors[0]!.hint.length, `${c.construct}: a hint`).toBeGreaterThan(0);
    });
  });
});
