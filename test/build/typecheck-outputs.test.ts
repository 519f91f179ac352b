// The build type-checks what it is about to write (compiler/typecheck-outputs.ts):
// a generated file that fails is not written, and the error is located at the
// source line it came from, saying whose fault it is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { build } from '../../compiler/build/build.ts';
import { generatedHeader } from '../../compiler/emit/header.ts';
import { createProject, type GeneratedFile } from '../../compiler/pipeline.ts';
import { sourceLineAbove, typecheckOutputs } from '../../compiler/typecheck-outputs.ts';
import { tempProjects, writeFiles } from './helpers/temp.ts';

const project = tempProjects();

function buildIn(dir: string, paths: string[]) {
  const err: string[] = [];
  const result = build(paths, { cwd: dir, log: () => {}, logError: (l) => err.push(l) });
  return { result, err: err.join('\n') };
}

const lib = (tag: string) => `/** @differentiable${tag} */\nexport function sq(x: number, y: number): number {\n  return x * x * y;\n}\n`;
const main = `import { sq } from './lib.ts';\n/** @differentiable */\nexport function h(x: number): number {\n  return sq(x, 3) + x;\n}\n`;

/** A generated file for `model.ts` in `dir` with `body` after the header (not written). */
function generated(dir: string, body: string): GeneratedFile {
  return { sourcePath: path.join(dir, 'model.ts'), outputPath: path.join(dir, 'model.grad.ts'), text: `${generatedHeader('model.ts')}\n${body}\n`, functions: ['f'] };
}

function check(dir: string, file: GeneratedFile) {
  return typecheckOutputs(createProject([file.sourcePath]), [file]);
}

const source = '/** @differentiable */\nexport function f(x: number): number {\n  return x * x;\n}\n';

describe('the build type-checks the files it writes', () => {
  test('a caller built alone against a stale callee derivative is not written, and the error names the callee to rebuild', () => {
    const dir = project({ 'lib.ts': lib(''), 'main.ts': main });
    expect(buildIn(dir, ['.']).result.exitCode).toBe(0);
    const before = fs.readFileSync(path.join(dir, 'main.grad.ts'), 'utf8');

    // sq loses y from its wrt list; only main.ts is built, so lib.grad.ts on disk still differentiates both.
    writeFiles(dir, { 'lib.ts': lib(' wrt(x)'), 'main.ts': main.replace('+ x', '+ 2 * x') });
    const { result, err } = buildIn(dir, ['main.ts']);
    expect(result.exitCode).toBe(1);
    expect(result.written).toEqual([]);
    expect(err).toMatch(/^main\.ts:4:1: error: the generated main\.grad\.ts does not type-check \(main\.grad\.ts:\d+:\d+: TS\d+: /);
    expect(err).toContain('it uses the derivatives of lib.ts, which this build did not regenerate');
    expect(err).toContain('hint: build lib.ts and main.ts together');
    expect(fs.readFileSync(path.join(dir, 'main.grad.ts'), 'utf8')).toBe(before);

    // Built together, both are written and the caller's gradient is right: d/dx (3 x^2 + 2 x) = 6 x + 2.
    const both = buildIn(dir, ['lib.ts', 'main.ts']);
    expect(both.err).toBe('');
    expect(both.result.written.map((f) => path.basename(f)).sort()).toEqual(['lib.grad.ts', 'main.grad.ts']);
  });

  test('an error in the compiler\'s own output is an internal error at the source line of the code that fails', () => {
    const dir = project({ 'model.ts': source });
    const { passed, diagnostics } = check(dir, generated(dir, '// model.ts:2-3\nexport function grad_f(x: number): number {\n  return dout * x;\n}'));
    expect(passed).toEqual([]);
    expect(diagnostics).toHaveLength(1);
    const [d] = diagnostics;
    expect(d).toMatchObject({ file: path.join(dir, 'model.ts'), line: 2, column: 1 });
    expect(d!.message).toMatch(/^internal error: the generated model\.grad\.ts does not type-check under strict \(model\.grad\.ts:\d+:10: TS2304: Cannot find name 'dout'\.\); please report this/);
    expect(d!.hint).toBe('this is a wengert bug; model.grad.ts was not written');
  });

  test('a clean file passes, and only the failing one of two is held back', () => {
    const dir = project({ 'model.ts': source, 'other.ts': source });
    const good = generated(dir, 'export function grad_f(x: number): number {\n  return 2 * x;\n}');
    const bad: GeneratedFile = { ...generated(dir, 'export const n: number = "two";'), sourcePath: path.join(dir, 'other.ts'), outputPath: path.join(dir, 'other.grad.ts') };
    const { passed, diagnostics } = typecheckOutputs(createProject([good.sourcePath, bad.sourcePath]), [good, bad]);
    expect(passed).toEqual([good]);
    expect(diagnostics.map((d) => d.file)).toEqual([bad.sourcePath]);
    expect(diagnostics[0]!.message).toContain("TS2322: Type 'string' is not assignable to type 'number'.");
  });

  test('the check runs under strict even where the project is not strict, and ignores unused names', () => {
    const dir = project({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: false, noImplicitAny: false, noUnusedLocals: true, noUnusedParameters: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true } }),
      'model.ts': source,
    });
    const unused = generated(dir, 'export function grad_f(x: number, unusedParam: number): number {\n  const unusedLocal = 1;\n  return 2 * x;\n}');
    expect(check(dir, unused).diagnostics).toEqual([]);
    const implicitAny = check(dir, generated(dir, '// model.ts:2\nexport function grad_f(x) {\n  return x;\n}'));
    expect(implicitAny.diagnostics[0]?.message).toContain("TS7006: Parameter 'x' implicitly has an 'any' type.");
    // And the real build of this project writes its file.
    const { result, err } = buildIn(dir, ['model.ts']);
    expect(err).toBe('');
    expect(result.written).toEqual([path.join(dir, 'model.grad.ts')]);
  });

  test("where the project cannot resolve 'wengert', the generated code is checked against the compiler's own runtime", () => {
    const dir = project({ 'model.ts': source });
    expect(fs.existsSync(path.join(dir, 'node_modules'))).toBe(false);
    const wrong = check(dir, generated(dir, "import { tape } from 'wengert';\n// model.ts:3\nexport const n: number = tape.values.notAMember;"));
    expect(wrong.diagnostics[0]?.message).toContain("TS2339: Property 'notAMember' does not exist on type");
    const right = check(dir, generated(dir, "import { tape } from 'wengert';\nexport const n: number = tape.values.length;"));
    expect(right.diagnostics).toEqual([]);
  });

  test('when the source has type errors of its own, the message says to fix them first', () => {
    const dir = project({ 'model.ts': `${source}export const broken: number = 'one';\n` });
    const { diagnostics } = check(dir, generated(dir, '// model.ts:2\nexport const n: number = "two";'));
    expect(diagnostics[0]).toMatchObject({ line: 5, column: 14 });
    expect(diagnostics[0]!.message).toContain('and this file has type errors of its own (TS2322');
    expect(diagnostics[0]!.hint).toBe('fix the type errors in model.ts first; model.grad.ts was not written');
  });

  test('sourceLineAbove reads the nearest source-line comment above a generated line', () => {
    const text = 'a\n// model.ts:12-14\nb\nc\n  // model.ts:20\nd';
    expect(sourceLineAbove(text, 0, 'model.ts')).toBe(1);
    expect(sourceLineAbove(text, 3, 'model.ts')).toBe(12);
    expect(sourceLineAbove(text, 5, 'model.ts')).toBe(20);
    expect(sourceLineAbove(text, 5, 'other.ts')).toBe(1);
  });
});
