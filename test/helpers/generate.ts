/**
 * Test helper: writes a TypeScript source into test/.generated/, runs the
 * compiler on it, writes the generated `.grad.ts` next to it and imports
 * both modules, so tests execute the real emitted code. Every generated
 * file written here is type-checked under --strict once, at the end of the
 * run (test/global-setup.ts); a fixture that pins an open bug in the types
 * of the generated code goes under `deliberately-broken/` (name it
 * 'deliberately-broken/<name>'), which that check skips.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';
import { compileFiles, formatDiagnostic, type CompileResult } from 'wengert/compiler';

export const generatedDir = fileURLToPath(new URL('../.generated/', import.meta.url));

export interface Built<M, G> {
  source: M;
  grad: G;
  text: string;
  sourcePath: string;
}

/**
 * Writes `code` as test/.generated/<name>.ts, compiles it and writes the
 * generated files beside it (no import), so the end-of-run type check
 * (test/global-setup.ts) covers them.
 */
export function compileFixture(name: string, code: string): { result: CompileResult; sourcePath: string } {
  const sourcePath = path.join(generatedDir, `${name}.ts`);
  fs.mkdirSync(path.dirname(sourcePath), { recursive: true });
  fs.writeFileSync(sourcePath, code);
  const result = compileFiles([sourcePath]);
  for (const file of result.files) fs.writeFileSync(file.outputPath, file.text);
  return { result, sourcePath };
}

/** Compiles `code`, writes the generated file and imports both modules. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function buildFixture<M = any, G = any>(name: string, code: string): Promise<Built<M, G>> {
  const { result, sourcePath } = compileFixture(name, code);
  // Warnings (a misspelled tag elsewhere in the file) do not stop the fixture from building.
  const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
  if (errors.length) throw new Error(errors.map(formatDiagnostic).join('\n'));
  const file = result.files[0];
  if (!file) throw new Error(`no differentiable function in ${name}`);
  const source = (await import(/* @vite-ignore */ sourcePath)) as M;
  const grad = (await import(/* @vite-ignore */ file.outputPath)) as G;
  return { source, grad, text: file.text, sourcePath };
}

/** The text of the generated function `name` in generated `text`, up to its closing brace; throws when there is none. */
export function functionText(text: string, name: string): string {
  const at = text.indexOf(`export function ${name}(`);
  if (at < 0) throw new Error(`no function ${name} in the generated text`);
  const rest = text.slice(at);
  return rest.slice(0, rest.indexOf('\n}\n') + 3);
}

/**
 * Generated `text` with each counted loop's reserving copy (compiler/emit/tape-cursors.ts: `if (safe) {
 * reserve; while ... } else { while ... }`) replaced by its other copy, the loop that tests for a full
 * buffer: for tests that count or match the loops a pass made, which are the same in both copies.
 */
export function withoutReservations(text: string): string {
  const file = ts.createSourceFile('generated.ts', text, ts.ScriptTarget.ES2022, true);
  const cuts: [number, number, string][] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIfStatement(n) && ts.isBlock(n.thenStatement) && n.elseStatement && ts.isBlock(n.elseStatement) && n.elseStatement.statements.length === 1) {
      const then = n.thenStatement.getText(file);
      if (/\b\w+ = \w+\.reserve\(/.test(then) && ts.isWhileStatement(n.elseStatement.statements[0]!)) {
        cuts.push([n.getStart(file), n.end, n.elseStatement.statements[0]!.getText(file)]);
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  let out = text;
  for (const [start, end, replacement] of cuts.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + replacement + out.slice(end);
  return out;
}
