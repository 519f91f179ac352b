/**
 * Every diagnostic says what to do (wengert issue #8): each one the hostile
 * cases produce has a non-empty hint, types in messages read as the user
 * wrote them (`Tensor`, not `import("/abs/path").Tensor`), and a tag that
 * was meant for wengert but is not read (misspelled, or in a `//` or
 * `/* *\/` comment) gives a located warning with "did you mean" that does
 * not fail the build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileFiles, formatDiagnostic, type CompileResult, type Diagnostic } from 'wengert/compiler';
import { build } from '../../compiler/build/build.ts';
import { closestKnownTag, editDistance } from '../../compiler/frontend/near-miss-tags.ts';
import { hostileCases } from './cases.ts';
import { diagnosticsDir } from './paths.ts';

const root = path.join(diagnosticsDir, 'hints');

/** Writes `sources` (name -> text) into a fresh folder under test/.generated/diagnostics/hints/. */
function writeSources(folder: string, sources: Record<string, string>): { dir: string; files: string[] } {
  const dir = path.join(root, folder);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files = Object.entries(sources).map(([name, text]) => {
    const file = path.join(dir, `${name}.ts`);
    fs.writeFileSync(file, text);
    return file;
  });
  return { dir, files };
}

/** The diagnostics of one file, formatted with its base name. */
function linesOf(result: CompileResult, file: string): string[] {
  return result.diagnostics.filter((d) => path.resolve(d.file) === file).map((d) => formatDiagnostic({ ...d, file: path.basename(d.file) }));
}

function warningsOf(result: CompileResult): Diagnostic[] {
  return result.diagnostics.filter((d) => d.severity === 'warning');
}

describe('every diagnostic carries a hint', () => {
  let result: CompileResult;
  beforeAll(() => {
    const { files } = writeSources('hostile', Object.fromEntries(hostileCases.map((c) => [c.name, c.source])));
    result = compileFiles(files);
  });

  test('each diagnostic of the hostile cases has a non-empty hint', () => {
    expect(result.diagnostics.length).toBeGreaterThanOrEqual(hostileCases.length);
    const withoutHint = result.diagnostics.filter((d) => typeof d.hint !== 'string' || d.hint.trim() === '').map(formatDiagnostic);
    expect(withoutHint).toEqual([]);
  });

  test('the hostile cases give errors, not warnings', () => {
    expect(warningsOf(result).map(formatDiagnostic)).toEqual([]);
  });
});

const tensorImport = "import { Tensor, sum } from 'wengert';\n\n";

/** Sources for messages that had no hint before issue #8. */
const namedSources: Record<string, string> = {
  'tensor-shape-write': `${tensorImport}/** @differentiable */\nexport function f(x: Tensor): number {\n  const s = x.shape as number[];\n  s[0] = 2;\n  return sum(x) as number;\n}\n`,
  'continue-to-block': '/** @differentiable */\nexport function f(x: number): number {\n  let y = x;\n  blk: {\n    for (let i = 0; i < 2; i++) {\n      if (i > 0) continue blk;\n    }\n  }\n  return y;\n}\n',
  'rest-in-array-pattern': '/** @differentiable */\nexport function f(x: number): number {\n  let a = 0;\n  let b = [0];\n  [a, ...b] = [x, x * x];\n  return a + b[0]!;\n}\n',
  'returns-map': `${tensorImport}/** @differentiable */\nexport function f(x: Tensor): Map<string, Tensor> {\n  return new Map([['x', x]]);\n}\n`,
  'tensor-or-string': `${tensorImport}/** @differentiable wrt(p) */\nexport function f(p: Tensor | string, x: number): number {\n  return x;\n}\n`,
};

describe('messages that had no hint, and types as the user wrote them', () => {
  let result: CompileResult;
  let files: Record<string, string>;
  beforeAll(() => {
    const written = writeSources('named', namedSources);
    files = Object.fromEntries(Object.keys(namedSources).map((name, k) => [name, written.files[k]!]));
    result = compileFiles(written.files);
  });

  const cases: { name: string; first: string }[] = [
    { name: 'tensor-shape-write', first: "tensor-shape-write.ts:6:3: error: cannot write into s[0]: x is a parameter" },
    { name: 'continue-to-block', first: 'continue-to-block.ts:6:18: error: continue blk names a labelled block, not a loop' },
    { name: 'rest-in-array-pattern', first: 'rest-in-array-pattern.ts:5:7: error: a rest element in a destructuring assignment is not supported' },
  ];
  for (const c of cases) {
    test(`${c.first.replace(/^[^ ]+ error: /, '')} comes with a hint`, () => {
      const [first] = linesOf(result, files[c.name]!);
      expect(first).toBeDefined();
      const [message, hint] = first!.split('\n');
      expect(message).toBe(c.first);
      expect(hint).toMatch(/^ {2}hint: \S.{10,}/);
    });
  }

  test('a Map<string, Tensor> return type prints as written', () => {
    const [first] = linesOf(result, files['returns-map']!);
    expect(first!.split('\n')[0]).toBe('returns-map.ts:4:31: error: f returns Map<string, Tensor>, not a number, a Tensor, an array of numbers, or a tuple or object of these');
    expect(first).not.toContain('import(');
  });

  test('a Tensor inside a union prints as Tensor', () => {
    const [first] = linesOf(result, files['tensor-or-string']!);
    expect(first!.split('\n')[0]).toBe('tensor-or-string.ts:4:1: error: parameter p has type string | Tensor, which cannot be differentiated');
  });

  test('no message anywhere names a type by its import path', () => {
    for (const d of result.diagnostics) {
      expect(d.message).not.toMatch(/import\(/);
      expect(d.hint).not.toMatch(/import\(/);
    }
  });
});

/** Near misses: each with the warning's first line (file base name, line, column). */
const nearMisses: { name: string; source: string; expected: string }[] = [
  {
    name: 'misspelled',
    source: '/** @differentable */\nexport function f(x: number): number {\n  return x * x;\n}\n',
    expected: 'misspelled.ts:1:5: warning: unknown tag @differentable: did you mean `@differentiable`?',
  },
  {
    name: 'swapped-letters',
    source: '/**\n * The square.\n * @differnetiable wrt(x)\n */\nexport function f(x: number): number {\n  return x * x;\n}\n',
    expected: 'swapped-letters.ts:3:4: warning: unknown tag @differnetiable: did you mean `@differentiable`?',
  },
  {
    name: 'line-comment',
    source: '// @differentiable\nexport function f(x: number): number {\n  return x * x;\n}\n',
    expected: 'line-comment.ts:1:4: warning: @differentiable in a // comment is ignored: did you mean `@differentiable` in a /** */ comment?',
  },
  {
    name: 'block-comment',
    source: 'export const k = 2;\n\n/* @differentiable wrt(x) */\nexport function f(x: number): number {\n  return x * k;\n}\n',
    expected: 'block-comment.ts:3:4: warning: @differentiable in a /* */ comment is ignored: did you mean `@differentiable` in a /** */ comment?',
  },
  {
    name: 'misspelled-line-comment',
    source: 'export class C {\n  // @diferentiable\n  m(x: number): number {\n    return x;\n  }\n}\n',
    expected: 'misspelled-line-comment.ts:2:6: warning: @diferentiable in a // comment is ignored: did you mean `@differentiable` in a /** */ comment?',
  },
  {
    name: 'derivative',
    source:
      '/** @differentiable */\nexport function f(x: number): number {\n  return x * x;\n}\n\n/** @derivitive vjp(f) */\nexport function fVjp(x: number, dy: number): number {\n  return 2 * x * dy;\n}\n',
    expected: 'derivative.ts:6:5: warning: unknown tag @derivitive: did you mean `@derivative`?',
  },
  {
    name: 'after-last-statement',
    source: 'export const k = 2;\n/** @Differentiable */\n',
    expected: 'after-last-statement.ts:2:5: warning: unknown tag @Differentiable: did you mean `@differentiable`?',
  },
];

describe('a near-miss tag gives a located warning', () => {
  let result: CompileResult;
  let files: string[];
  beforeAll(() => {
    files = writeSources('near-miss', Object.fromEntries(nearMisses.map((c) => [c.name, c.source]))).files;
    result = compileFiles(files);
  });

  nearMisses.forEach((c, k) => {
    test(c.expected.replace(/^[^ ]+ warning: /, ''), () => {
      const warnings = warningsOf(result).filter((d) => path.resolve(d.file) === files[k]);
      expect(warnings.map((d) => formatDiagnostic({ ...d, file: path.basename(d.file) }).split('\n')[0])).toEqual([c.expected]);
      expect(warnings[0]!.hint).toMatch(/@differentiable|@derivative/);
    });
  });

  test('a warning is no error: the correctly tagged function beside a misspelled tag is still generated', () => {
    const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
    expect(errors.map(formatDiagnostic)).toEqual([]);
    expect(result.files.map((f) => path.basename(f.sourcePath))).toEqual(['derivative.ts']);
  });
});

describe('correct tags give no warning', () => {
  test('JSDoc with @differentiable, other tags, e-mail addresses and plain comments', () => {
    const source = [
      '/**',
      ' * Squares x. Mail questions to someone@differentiable.example.',
      ' * @param x the input',
      ' * @returns x squared',
      ' * @deprecated use g',
      ' * @differentiable wrt(x)',
      ' */',
      'export function f(x: number): number {',
      '  // this comment says differentiable without a tag',
      '  return x * x;',
      '}',
      '',
      '/* a block comment about @decorators */',
      'export const k = 1;',
      '',
    ].join('\n');
    const { files } = writeSources('correct', { correct: source });
    const result = compileFiles(files);
    expect(warningsOf(result).map(formatDiagnostic)).toEqual([]);
  });
});

describe('the build prints warnings and exits 0', () => {
  test('a folder whose only problems are near-miss tags', () => {
    const { dir } = writeSources('build', {
      misspelled: nearMisses[0]!.source,
      'line-comment': nearMisses[2]!.source,
    });
    const out: string[] = [];
    const err: string[] = [];
    const result = build(['.'], { cwd: dir, log: (l) => out.push(l), logError: (l) => err.push(l) });
    expect(result.exitCode).toBe(0);
    expect(result.diagnostics.map((d) => d.severity)).toEqual(['warning', 'warning']);
    const printed = err.join('\n');
    expect(printed).toContain('line-comment.ts:1:4: warning: @differentiable in a // comment is ignored: did you mean `@differentiable` in a /** */ comment?\n  hint: ');
    expect(printed).toContain('misspelled.ts:1:5: warning: unknown tag @differentable: did you mean `@differentiable`?\n  hint: ');
    expect(printed).not.toMatch(/ error: /);
    expect(out.at(-1)).toMatch(/^wengert: 0 written, 0 unchanged, 0 removed, 0 errors, 2 warnings in \d+ ms$/);
  });
});

describe('edit distance', () => {
  test('counts a swap of neighbours as one edit', () => {
    expect(editDistance('differnetiable', 'differentiable')).toBe(1);
    expect(editDistance('differentable', 'differentiable')).toBe(1);
    expect(editDistance('dfferentable', 'differentiable')).toBe(2);
    expect(editDistance('different', 'differentiable')).toBeGreaterThan(2);
  });

  test('maps near misses to the tag they were meant to be, and other tags to nothing', () => {
    expect(closestKnownTag('differentiabel')).toBe('differentiable');
    expect(closestKnownTag('derivatve')).toBe('derivative');
    expect(closestKnownTag('deprecated')).toBeNull();
    expect(closestKnownTag('default')).toBeNull();
    expect(closestKnownTag('param')).toBeNull();
  });
});
