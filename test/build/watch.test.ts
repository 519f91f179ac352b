// `wengert build --watch`: after the first build, a change to one file
// rebuilds that file, and the files that call into it when its derivative
// interface changed; their generated files change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { BuildResult } from '../../compiler/build/build.ts';
import { watch } from '../../compiler/build/watch.ts';
import { makeTempDir, removeDir, writeFiles } from './helpers/temp.ts';
import { modelSource } from './helpers/sources.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const TIMEOUT_MS = 20_000;

test('rebuilds only the changed file and prints what it rebuilt', async () => {
  const dir = makeTempDir({ 'a.ts': modelSource('x * x', 'a'), 'b.ts': modelSource('x + x', 'b') });
  dirs.push(dir);
  const aGrad = path.join(dir, 'a.grad.ts');
  const bGrad = path.join(dir, 'b.grad.ts');
  const lines: string[] = [];
  const rebuilds: { result: BuildResult; changed: readonly string[] }[] = [];
  let notify: (() => void) | undefined;

  const watcher = watch(['.'], {
    cwd: dir,
    debounceMs: 50,
    log: (line) => lines.push(line),
    logError: (line) => lines.push(line),
    onBuild: (result, changed) => {
      if (changed.length > 0) rebuilds.push({ result, changed });
      notify?.();
    },
  });
  try {
    await watcher.ready;
    const aBefore = fs.readFileSync(aGrad, 'utf8');
    const bMtime = fs.statSync(bGrad).mtimeMs;

    const rebuilt = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no rebuild within ${TIMEOUT_MS} ms; log:\n${lines.join('\n')}`)), TIMEOUT_MS);
      notify = () => {
        if (rebuilds.length > 0) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    writeFiles(dir, { 'a.ts': modelSource('x * x * x', 'a') });
    await rebuilt;

    expect(rebuilds[0]!.changed).toEqual([path.join(dir, 'a.ts')]);
    expect(rebuilds[0]!.result.sources).toEqual([path.join(dir, 'a.ts')]);
    expect(rebuilds[0]!.result.written).toEqual([aGrad]);
    expect(fs.readFileSync(aGrad, 'utf8')).not.toBe(aBefore);
    expect(fs.statSync(bGrad).mtimeMs).toBe(bMtime);
    expect(lines.some((l) => /^rebuilt a\.ts in \d+ ms: wrote a\.grad\.ts$/.test(l))).toBe(true);
  } finally {
    await watcher.close();
  }
});

// A caller's generated code follows its callee's derivative interface, so a
// change to the callee's tag, wrt list or types rebuilds its callers too.

/** The options the compiler uses without a tsconfig, written as one, so the project folder is the build root. */
const tsconfig = JSON.stringify({
  compilerOptions: {
    strict: true,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    allowImportingTsExtensions: true,
    noEmit: true,
  },
});

/** `g(x, y) = x² y` with the given tag line and, optionally, a declared return type and another body. */
function libSource(tag: string, returnType = '', body = 'x * x * y'): string {
  return `${tag}\nexport function g(x: number, y: number)${returnType} {\n  return ${body};\n}\n`;
}

/** `h(x) = g(x, 3) + x`, importing g from `from`. */
function mainSource(from: string): string {
  return `import { g } from '${from}';\n\n/** @differentiable */\nexport function h(x: number) {\n  return g(x, 3) + x;\n}\n`;
}

interface Rebuild {
  result: BuildResult;
  changed: readonly string[];
}

interface Session {
  dir: string;
  lines: string[];
  /** Writes `files` and resolves with the rebuild that follows. */
  edit(files: Record<string, string>): Promise<Rebuild>;
  close(): Promise<void>;
}

/** Starts `watch(['.'])` in a new project folder holding `files` and a tsconfig.json. */
async function watchProject(files: Record<string, string>): Promise<Session> {
  const dir = makeTempDir({ 'tsconfig.json': tsconfig, ...files });
  dirs.push(dir);
  const lines: string[] = [];
  const rebuilds: Rebuild[] = [];
  let builds = 0;
  let notify: (() => void) | undefined;
  const watcher = watch(['.'], {
    cwd: dir,
    debounceMs: 50,
    log: (line) => lines.push(line),
    logError: (line) => lines.push(line),
    onBuild: (result, changed) => {
      builds++;
      if (builds > 1) rebuilds.push({ result, changed });
      notify?.();
    },
  });
  await watcher.ready;
  const edit = (edited: Record<string, string>): Promise<Rebuild> => {
    const wanted = rebuilds.length + 1;
    const rebuilt = new Promise<Rebuild>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no rebuild within ${TIMEOUT_MS} ms; log:\n${lines.join('\n')}`)), TIMEOUT_MS);
      notify = () => {
        if (rebuilds.length < wanted) return;
        clearTimeout(timer);
        resolve(rebuilds[wanted - 1]!);
      };
    });
    writeFiles(dir, edited);
    return rebuilt;
  };
  return { dir, lines, edit, close: () => watcher.close() };
}

/** Imports a module of a test project (each test has its own folder, so the module cache holds no older version). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function load(dir: string, file: string): Promise<any> {
  return import(/* @vite-ignore */ path.join(dir, file));
}

function centralDifference(f: (x: number) => number, x: number, step = 1e-5): number {
  return (f(x + step) - f(x - step)) / (2 * step);
}

test('when the wrt list of g shrinks, its caller main.ts is rebuilt and grad_h is right', async () => {
  const session = await watchProject({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */'), 'main.ts': mainSource('./lib.ts') });
  const { dir } = session;
  try {
    const mainGrad = path.join(dir, 'main.grad.ts');
    const before = fs.readFileSync(mainGrad, 'utf8');
    const { result, changed } = await session.edit({ 'lib.ts': libSource('/** @differentiable wrt(x) */') });

    expect(changed).toEqual([path.join(dir, 'lib.ts')]);
    expect(result.callers).toEqual([path.join(dir, 'main.ts')]);
    expect(result.written).toEqual([path.join(dir, 'lib.grad.ts'), mainGrad]);
    expect(fs.readFileSync(mainGrad, 'utf8')).not.toBe(before);
    const line = /^rebuilt lib\.ts, and its caller main\.ts in \d+ ms: wrote lib\.grad\.ts, main\.grad\.ts$/;
    expect(session.lines.some((l) => line.test(l))).toBe(true);

    const main = await load(dir, 'main.ts');
    const grad = await load(dir, 'main.grad.ts');
    // h(x) = 3x² + x, h'(2) = 6·2 + 1 = 13.
    expect(grad.grad_h(2)).toBeCloseTo(13, 12);
    expect(grad.grad_h(2)).toBeCloseTo(centralDifference(main.h, 2), 6);
  } finally {
    await session.close();
  }
});

test('when g loses its tag, the rebuild reports a located error in main.ts', async () => {
  const session = await watchProject({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */'), 'main.ts': mainSource('./lib.ts') });
  const { dir } = session;
  try {
    const { result } = await session.edit({ 'lib.ts': libSource('/** g, no longer differentiable */') });

    expect(result.callers).toEqual([path.join(dir, 'main.ts')]);
    expect(result.exitCode).toBe(1);
    expect(result.diagnostics.map((d) => [path.relative(dir, d.file), d.line])).toEqual([['main.ts', 5]]);
    expect(result.removed).toEqual([path.join(dir, 'lib.grad.ts')]);
    expect(session.lines.some((l) => /^main\.ts:5:\d+: error: .*\bg\b/.test(l))).toBe(true);
    expect(session.lines.some((l) => /^rebuilt lib\.ts, and its caller main\.ts in \d+ ms: .*1 error$/.test(l))).toBe(true);
  } finally {
    await session.close();
  }
});

test('a caller that imports g through a barrel index.ts is rebuilt', async () => {
  const session = await watchProject({
    'lib.ts': libSource('/** @differentiable wrt(x, y) */'),
    'index.ts': "export { g } from './lib.ts';\n",
    'main.ts': mainSource('./index.ts'),
  });
  const { dir } = session;
  try {
    const { result } = await session.edit({ 'lib.ts': libSource('/** @differentiable wrt(x) */') });
    expect(result.callers).toEqual([path.join(dir, 'main.ts')]);
    expect(result.written).toContain(path.join(dir, 'main.grad.ts'));
    expect(session.lines.some((l) => l.startsWith('rebuilt lib.ts, and its caller main.ts (imports index.ts) in '))).toBe(true);
  } finally {
    await session.close();
  }
});

test('a chain a -> b -> c: editing c rebuilds b and a, and grad_a is right', async () => {
  const session = await watchProject({
    'c.ts': libSource('/** @differentiable wrt(x, y) */', ': number').replaceAll('g(', 'c('),
    'b.ts': "import { c } from './c.ts';\n\n/** @differentiable */\nexport function b(x: number): number {\n  return c(x, 2) + x;\n}\n",
    'a.ts': "import { b } from './b.ts';\n\n/** @differentiable */\nexport function a(x: number): number {\n  return b(x) * x;\n}\n",
  });
  const { dir } = session;
  try {
    const cText = fs.readFileSync(path.join(dir, 'c.ts'), 'utf8');
    const { result } = await session.edit({ 'c.ts': cText.replace('wrt(x, y)', 'wrt(x)') });
    expect(result.callers).toEqual([path.join(dir, 'b.ts'), path.join(dir, 'a.ts')]);
    expect(session.lines.some((l) => l.startsWith('rebuilt c.ts, and its callers b.ts, a.ts (imports b.ts) in '))).toBe(true);

    const a = await load(dir, 'a.ts');
    const grad = await load(dir, 'a.grad.ts');
    // a(x) = (2x² + x)·x = 2x³ + x², a'(2) = 6·4 + 2·2 = 28.
    expect(grad.grad_a(2)).toBeCloseTo(28, 12);
    expect(grad.grad_a(2)).toBeCloseTo(centralDifference(a.a, 2), 5);
  } finally {
    await session.close();
  }
});

test('an edit inside a body with a declared return type rebuilds only that file, and grad_h is still right', async () => {
  const session = await watchProject({
    'lib.ts': libSource('/** @differentiable wrt(x, y) */', ': number'),
    'main.ts': mainSource('./lib.ts'),
  });
  const { dir } = session;
  try {
    const mainGrad = path.join(dir, 'main.grad.ts');
    const mainMtime = fs.statSync(mainGrad).mtimeMs;
    const { result } = await session.edit({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */', ': number', 'x * y * y') });
    expect(result.callers).toEqual([]);
    expect(result.sources).toEqual([path.join(dir, 'lib.ts')]);
    expect(fs.statSync(mainGrad).mtimeMs).toBe(mainMtime);
    expect(session.lines.some((l) => /^rebuilt lib\.ts in \d+ ms: wrote lib\.grad\.ts$/.test(l))).toBe(true);

    const grad = await load(dir, 'main.grad.ts');
    // g(x, y) = x y² now, h(x) = 9x + x, h'(2) = 10.
    expect(grad.grad_h(2)).toBeCloseTo(10, 12);
  } finally {
    await session.close();
  }
});

test('a misspelled tag is counted as a warning in the rebuild summary, not as an error', async () => {
  const session = await watchProject({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */') });
  try {
    const misspelled = '\n/** @differentable */\nexport function k(x: number): number {\n  return x * x;\n}\n';
    const { result } = await session.edit({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */') + misspelled });
    expect(result.exitCode).toBe(0);
    expect(result.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    const summary = session.lines.find((l) => l.startsWith('rebuilt lib.ts in '));
    expect(summary).toMatch(/: lib\.grad\.ts unchanged; 1 warning$/);
    expect(summary).not.toContain('error');
  } finally {
    await session.close();
  }
});

test('deleting g rebuilds its caller, which reports the error', async () => {
  const session = await watchProject({ 'lib.ts': libSource('/** @differentiable wrt(x, y) */'), 'main.ts': mainSource('./lib.ts') });
  const { dir } = session;
  try {
    const rebuilt = session.edit({});
    fs.unlinkSync(path.join(dir, 'lib.ts'));
    const { result } = await rebuilt;
    expect(result.callers).toEqual([path.join(dir, 'main.ts')]);
    expect(result.exitCode).toBe(1);
    expect(result.diagnostics.map((d) => path.relative(dir, d.file))).toContain('main.ts');
    expect(fs.existsSync(path.join(dir, 'lib.grad.ts'))).toBe(false);
    expect(session.lines.some((l) => l.startsWith('rebuilt main.ts (imports deleted lib.ts) in '))).toBe(true);
  } finally {
    await session.close();
  }
});
