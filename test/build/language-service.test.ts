// The editor route: `wengert/language-service`, a TypeScript language-service
// plugin, driven through the language-service API as an editor drives it
// (helpers/language-service.ts: a LanguageServiceHost over a fixture project
// in a temporary folder, with unsaved edits as new script versions), and
// once through a real tsserver that loads it from tsconfig.json "plugins".
//
// What it must show: the build's errors and warnings with the build's
// messages, hints and positions (compared with compileFiles on the same
// text), the editor-only zero-gradient warnings where they apply and nowhere
// else (and the gradients they call zero are zero, by finite differences),
// fresh answers after each edit, and quick answers on a 2,000-line file.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { compileFiles } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture } from '../helpers/generate.ts';
import { finiteDifferenceGradient } from '../helpers/numeric.ts';
import { pluginService, wengertDiagnostics, type FixtureHost, type Shown } from './helpers/language-service.ts';
import { makeTempDir, removeDir, repoRoot, writeFiles } from './helpers/temp.ts';

const TSCONFIG = JSON.stringify(
  {
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      noEmit: true,
      types: [],
      plugins: [{ name: 'wengert/language-service' }],
    },
    include: ['*.ts'],
  },
  null,
  2,
);

const LIB = `/** @differentiable */
export function square(x: number): number {
  return x * x;
}

export function plainHelper(x: number): number {
  return x + 1;
}
`;

const MODEL = `import { plainHelper, square } from './lib.ts';

/**
 * A clean function.
 * @differentiable
 */
export function clean(x: number, y: number): number {
  return square(x) * Math.sin(y);
}

/** @differentiable */
export function callsPlain(x: number): number {
  const t = 2 * x;
  return plainHelper(t) * 3;
}

/** @differentiable */
export async function later(x: number): Promise<number> {
  return x;
}

/** TypeScript's own error, left as it is. */
export const wrong: string = 1;
`;

const WARNINGS = `/** @differentiable */
export function loops(x: number, n: number): number {
  let s = x;
  for (let i = 0; i < n; i++) {
    s = s * 1.5;
  }
  return s;
}

/** @differentiable wrt(a, b) */
export function ignoresB(a: number, b: number): number {
  return a > b ? a * a : 3 * a;
}

/** @differentiable wrt(x) */
export function constant(x: number, y: number): number {
  return y * 2;
}

/** @differentable */
export function misspelled(x: number): number {
  return x;
}

/** @differentiable wrt(x) */
export function logistic(x: number, n: number): number {
  let v = x;
  for (let i = 0; i < n; i++) {
    v = 4 * v * (1 - v);
  }
  return v;
}

/** @differentiable */
export function pair(x: number, y: number): [number, number] {
  return [x * y, x + y];
}

/** @differentiable */
export const weighted = (x: number, w: number[]): number => x * w[0] + w[1];
`;

/** Errors the build finds only while emitting: a non-constant default, a vector-valued function with one custom mode. */
const EMISSION = `/** @differentiable wrt(x) */
export function scaled(x: number, k: number = Math.random()): number {
  return k * x;
}

/** @derivative vjp(twice) */
export function twiceVjp(x: number, dy: [number, number]): number {
  return dy[0] + 2 * dy[1];
}

/** @differentiable */
export function twice(x: number): [number, number] {
  return [x, 2 * x];
}
`;

const FILES = {
  'tsconfig.json': TSCONFIG,
  'lib.ts': LIB,
  'model.ts': MODEL,
  'warnings.ts': WARNINGS,
  'emission.ts': EMISSION,
  'plain.ts': 'export const answer = 42;\n',
};

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function fixture(files: Record<string, string> = FILES): string {
  const dir = makeTempDir(files);
  dirs.push(dir);
  return dir;
}

/** A message as both the build and the editor can say it. */
interface Message {
  line: number;
  column: number;
  severity: 'error' | 'warning';
  message: string;
  hint: string | undefined;
}

/** What `compileFiles` (the build) says about `file`, with `edits` saved in a copy of the project first. */
function buildMessages(host: FixtureHost, file: string, edits: string[] = []): Message[] {
  const copy = fixture(FILES);
  writeFiles(copy, Object.fromEntries(edits.map((name) => [name, host.text(name)])));
  const result = compileFiles([path.join(copy, file)], { tsConfigFilePath: path.join(copy, 'tsconfig.json') });
  const messages = result.diagnostics.map((d) => ({ line: d.line, column: d.column, severity: d.severity ?? 'error', message: d.message, hint: d.hint }));
  return sorted(messages);
}

/** The plugin's messages that come from the build's checks (not the editor-only warnings). */
function buildCodeMessages(shownList: Shown[]): Message[] {
  return sorted(
    shownList
      .filter((d) => d.code === 990001 || d.code === 990002)
      .map((d) => ({ line: d.line, column: d.column, severity: d.category as 'error' | 'warning', message: d.message, hint: d.hint })),
  );
}

function sorted(list: Message[]): Message[] {
  return [...list].sort((a, b) => a.line - b.line || a.column - b.column || a.message.localeCompare(b.message));
}

/** 1-based line of the first line of `text` that contains `snippet`. */
function lineOf(text: string, snippet: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(snippet));
  if (index < 0) throw new Error(`no line contains ${snippet}`);
  return index + 1;
}

describe('the language-service plugin: build errors', () => {
  const dir = fixture();
  const { host, service } = pluginService(dir);

  test("a non-differentiable construct gives the build's message, hint and location, and TypeScript's own errors stay", () => {
    const shownList = wengertDiagnostics(service, host, 'model.ts');
    const build = buildMessages(host, 'model.ts');
    expect(build.length).toBe(2);
    expect(buildCodeMessages(shownList)).toEqual(build);

    const plain = shownList.find((d) => d.message.startsWith('plainHelper is not differentiable'))!;
    expect(plain).toMatchObject({ code: 990001, category: 'error', line: lineOf(MODEL, 'return plainHelper(t)'), span: 'plainHelper(t)' });
    expect(plain.hint).toContain('stopGradient');
    const later = shownList.find((d) => d.message === 'later is async')!;
    expect(later).toMatchObject({ line: lineOf(MODEL, 'async function later'), span: 'export async function later(x: number): Promise<number> {' });

    const all = service.getSemanticDiagnostics(host.resolve('model.ts'));
    expect(all.filter((d) => d.code === 2322).length).toBe(1);
    expect(all.filter((d) => d.source === 'wengert').every((d) => d.file?.fileName === host.resolve('model.ts'))).toBe(true);
  });

  test('errors the build finds while emitting (a non-constant default, one custom mode of a vector-valued function) show too', () => {
    const shownList = wengertDiagnostics(service, host, 'emission.ts');
    const build = buildMessages(host, 'emission.ts');
    expect(build.map((m) => m.message)).toEqual([
      'the default value of k is not a constant',
      'twice returns several values: give both @derivative vjp(twice) and @derivative jvp(twice)',
    ]);
    expect(buildCodeMessages(shownList)).toEqual(build);
    expect(shownList.find((d) => d.message.startsWith('the default value'))!.span).toBe('Math.random()');
  });

  test("an internal failure in one function's check (a 5,000-term sum overflows the compiler's stack) shows the build's own message", () => {
    const sum = Array.from({ length: 5000 }, (_, i) => `${i % 7} * x`).join(' + ');
    host.edit('deep.ts', `/** @differentiable */\nexport function f(x: number): number {\n  return ${sum};\n}\n`);
    const shownList = wengertDiagnostics(service, host, 'deep.ts');
    expect(shownList.map((d) => `${d.line}:${d.column}: ${d.message}`)).toEqual(['2:1: f is nested too deeply for the compiler (its stack overflowed)']);
    expect(buildCodeMessages(shownList)).toEqual(buildMessages(host, 'deep.ts', ['deep.ts']));
  });

  test('a file without differentiable code gets nothing from wengert and costs no check', () => {
    const before = service.wengertChecker.lastStats;
    expect(wengertDiagnostics(service, host, 'plain.ts')).toEqual([]);
    expect(service.wengertChecker.lastStats).toBe(before);
  });
});

describe('the language-service plugin: warnings the build skips', () => {
  const dir = fixture();
  const { host, service } = pluginService(dir);

  test('a parameter that never affects the result, a result that depends on no wrt parameter, and a near-miss tag', () => {
    const shownList = wengertDiagnostics(service, host, 'warnings.ts');
    const summary = shownList.map((d) => ({ code: d.code, category: d.category, line: d.line, span: d.span, message: d.message, hint: d.hint }));
    expect(summary).toEqual([
      {
        code: 990002,
        category: 'warning',
        line: lineOf(WARNINGS, '@differentable'),
        span: '@differentable',
        message: 'unknown tag @differentable: did you mean `@differentiable`?',
        hint: 'spell it @differentiable; wengert reads only that exact tag, so as written the tag is ignored',
      },
      {
        code: 990003,
        category: 'warning',
        line: lineOf(WARNINGS, 'function loops'),
        span: 'n: number',
        message: 'parameter n never affects the result of loops: its gradient is always zero',
        hint: 'differentiate only the parameters that matter: @differentiable wrt(x)',
      },
      {
        code: 990003,
        category: 'warning',
        line: lineOf(WARNINGS, 'function ignoresB'),
        span: 'b: number',
        message: 'parameter b never affects the result of ignoresB: its gradient is always zero',
        hint: 'remove it from the wrt list: @differentiable wrt(a)',
      },
      {
        code: 990004,
        category: 'warning',
        line: lineOf(WARNINGS, 'function constant'),
        span: 'constant',
        message: 'the result of constant does not depend on its differentiated parameter (x): every gradient of constant is zero',
        hint: 'name the parameters the result depends on in @differentiable wrt(...), or remove @differentiable',
      },
    ]);
    // The clean functions (logistic's n is not differentiated; pair and weighted use every parameter) get nothing.
    const cleanFrom = lineOf(WARNINGS, 'function misspelled') + 3;
    expect(shownList.filter((d) => d.line > cleanFrom)).toEqual([]);
    // The build reports the near-miss tag only.
    expect(buildMessages(host, 'warnings.ts')).toEqual(buildCodeMessages(shownList));
  });

  test('the gradients the warnings call zero are zero (finite differences), and the others are not', async () => {
    const mod = await buildFixture('language-service/warnings', WARNINGS);
    checkDerivatives(mod, 'loops', [0.7, 3.5]);
    checkDerivatives(mod, 'ignoresB', [0.5, 0.25]);
    checkDerivatives(mod, 'constant', [0.3, 2], { wrt: [0] });
    const [dx, dn] = mod.grad.grad_loops(0.7, 3.5) as [number, number];
    expect(dn).toBe(0);
    expect(dx).not.toBe(0);
    expect(finiteDifferenceGradient(mod.source.loops, [0.7, 3.5], [1])[0]).toBe(0);
    expect((mod.grad.grad_ignoresB(0.5, 0.25) as number[])[1]).toBe(0);
    expect(mod.grad.grad_constant(0.3, 2)).toBe(0);
    expect(finiteDifferenceGradient(mod.source.constant, [0.3, 2], [0])[0]).toBe(0);
  });
});

describe('the language-service plugin: edits', () => {
  test('a new script version of the file updates its diagnostics, at the build positions of the edited text', () => {
    const dir = fixture();
    const { host, service } = pluginService(dir);
    const messages = wengertDiagnostics(service, host, 'model.ts').map((d) => d.message);
    expect(messages).toContain('plainHelper is not differentiable, but its argument depends on x');

    // Fix the error: the call goes to the differentiable square.
    host.edit('model.ts', host.text('model.ts').replace('return plainHelper(t) * 3;', 'return square(t) * 3;'));
    const fixed = wengertDiagnostics(service, host, 'model.ts');
    expect(fixed.map((d) => d.message)).toEqual(['later is async']);
    expect(buildCodeMessages(fixed)).toEqual(buildMessages(host, 'model.ts', ['model.ts']));

    // A line added in a body above moves the remaining message down; the functions below come from the memo.
    host.edit('model.ts', host.text('model.ts').replace('  const t = 2 * x;\n', '  const t = 2 * x;\n  const u = t + 1;\n'));
    const moved = wengertDiagnostics(service, host, 'model.ts');
    expect(service.wengertChecker.lastStats).toMatchObject({ functions: 3, reused: 2 });
    expect(moved.map((d) => d.line)).toEqual([fixed[0]!.line + 1]);
    expect(buildCodeMessages(moved)).toEqual(buildMessages(host, 'model.ts', ['model.ts']));

    // Lines added above everything (outside the bodies) check every function again, at the new places.
    host.edit('model.ts', `// one\n// two\n${host.text('model.ts')}`);
    const shifted = wengertDiagnostics(service, host, 'model.ts');
    expect(service.wengertChecker.lastStats).toMatchObject({ functions: 3, reused: 0 });
    expect(shifted.map((d) => d.line)).toEqual([moved[0]!.line + 2]);
    expect(buildCodeMessages(shifted)).toEqual(buildMessages(host, 'model.ts', ['model.ts']));

    // An edit inside one body re-checks that function only, and a new error appears where the build puts it.
    host.edit('model.ts', host.text('model.ts').replace('return square(x) * Math.sin(y);', 'return plainHelper(square(x)) * Math.sin(y);'));
    const broken = wengertDiagnostics(service, host, 'model.ts');
    expect(service.wengertChecker.lastStats).toMatchObject({ functions: 3, reused: 2 });
    expect(broken.map((d) => d.message)).toEqual(['plainHelper is not differentiable, but its argument depends on x, y', 'later is async']);
    expect(buildCodeMessages(broken)).toEqual(buildMessages(host, 'model.ts', ['model.ts']));
  });

  test('an unsaved edit of an imported file changes what the importer shows', () => {
    const dir = fixture();
    const { host, service } = pluginService(dir);
    const cleanLine = lineOf(MODEL, 'return square(x)');
    expect(wengertDiagnostics(service, host, 'model.ts').filter((d) => d.line === cleanLine)).toEqual([]);

    host.edit('lib.ts', LIB.replace('/** @differentiable */\n', ''));
    const after = wengertDiagnostics(service, host, 'model.ts').filter((d) => d.line === cleanLine);
    expect(after.map((d) => d.message)).toEqual(['square is not differentiable, but its argument depends on x, y']);
    expect(buildCodeMessages(wengertDiagnostics(service, host, 'model.ts'))).toEqual(buildMessages(host, 'model.ts', ['lib.ts']));

    host.edit('lib.ts', LIB);
    expect(wengertDiagnostics(service, host, 'model.ts').filter((d) => d.line === cleanLine)).toEqual([]);
  });

  test('while the file does not parse wengert says nothing (TypeScript shows the syntax error); fixed, its messages return', () => {
    const dir = fixture();
    const { host, service } = pluginService(dir);
    const before = wengertDiagnostics(service, host, 'model.ts');
    expect(before.length).toBe(2);

    host.edit('model.ts', host.text('model.ts').replace('const t = 2 * x;', 'const t = 2 * ;'));
    expect(service.getSyntacticDiagnostics(host.resolve('model.ts')).length).toBeGreaterThan(0);
    expect(wengertDiagnostics(service, host, 'model.ts')).toEqual([]);

    host.edit('model.ts', MODEL);
    expect(wengertDiagnostics(service, host, 'model.ts')).toEqual(before);
  });
});

/** `functions` small differentiable functions, each calling the one before (18 lines each). */
function longSource(functions: number): string {
  const parts: string[] = [];
  for (let k = 0; k < functions; k++) {
    const call = k > 0 ? ` + f${k - 1}(x, y, n)` : '';
    parts.push(
      [
        '/**',
        ` * Function ${k} of a long file.`,
        ' * @differentiable wrt(x, y)',
        ' */',
        `export function f${k}(x: number, y: number, n: number): number {`,
        '  let s = 0;',
        '  for (let i = 0; i < n; i++) {',
        '    s = s + Math.sin(x * i) * y;',
        '  }',
        `  if (x > ${k}) {`,
        '    s = s * x;',
        '  } else {',
        '    s = s - y * y;',
        '  }',
        '  const t = Math.exp(-s * 0.01) + Math.log(1 + x * x);',
        `  return t${call};`,
        '}',
        '',
      ].join('\n'),
    );
  }
  return parts.join('\n');
}

describe('the language-service plugin: response time', () => {
  test('on a 2,000-line file: first answer, answers after one-line edits, and after an edit outside the bodies', () => {
    const text = longSource(112);
    const lines = text.split('\n').length;
    expect(lines).toBeGreaterThanOrEqual(2000);
    const dir = fixture({ 'tsconfig.json': TSCONFIG, 'long.ts': text });
    const { host, service, plain } = pluginService(dir);
    const file = host.resolve('long.ts');
    const timed = (): { ms: number; messages: number } => {
      const started = performance.now();
      const messages = service.getSemanticDiagnostics(file).filter((d) => d.source === 'wengert').length;
      return { ms: performance.now() - started, messages };
    };

    const first = timed();
    const firstOwn = service.wengertChecker.lastStats!;
    expect(first.messages).toBe(0);
    expect(firstOwn.functions).toBe(112);

    const edits: number[] = [];
    for (let k = 0; k < 5; k++) {
      const at = 20 + 20 * k;
      host.edit('long.ts', host.text('long.ts').replace(`  if (x > ${at}) {`, `  if (x > ${at} + ${k + 1}) {`));
      const answer = timed();
      expect(answer.messages).toBe(0);
      expect(service.wengertChecker.lastStats).toMatchObject({ functions: 112, reused: 111 });
      edits.push(answer.ms);
    }
    // An edit of a tag comment changes the outline: every function is checked again.
    const tagOfF50 = ' * @differentiable wrt(x, y)\n */\nexport function f50(';
    host.edit('long.ts', host.text('long.ts').replace(tagOfF50, tagOfF50.replace('wrt(x, y)', 'wrt(x)')));
    const outline = timed();
    expect(service.wengertChecker.lastStats).toMatchObject({ functions: 112, reused: 0 });
    // f51 passes its differentiated y to f50, which no longer differentiates it: the build's error, at f51's call.
    const errors = wengertDiagnostics(service, host, 'long.ts');
    expect(errors.map((d) => d.message)).toEqual(['argument 2 of f50 depends on x, y, but f50 does not differentiate that parameter']);
    expect(errors[0]!.line).toBe(lineOf(host.text('long.ts'), 'return t + f50(x, y, n);'));
    expect(outline.messages).toBe(1);
    host.edit('long.ts', `${host.text('long.ts')} `);
    const typeScriptOnly = (() => {
      const started = performance.now();
      plain.getSemanticDiagnostics(file);
      return performance.now() - started;
    })();

    const median = [...edits].sort((a, b) => a - b)[2]!;
    const ms = (t: number) => `${Math.round(t)} ms`;
    console.log(
      `[language-service] ${lines}-line file, 112 functions: first answer ${ms(first.ms)} (wengert ${ms(firstOwn.ms)} of it), ` +
        `after a one-line edit ${edits.map(ms).join(', ')} (median ${ms(median)}), ` +
        `after a tag edit (all functions again) ${ms(outline.ms)}; TypeScript alone after an edit ${ms(typeScriptOnly)}`,
    );
    expect(firstOwn.ms).toBeLessThan(4000);
    expect(median).toBeLessThan(1000);
    expect(outline.ms).toBeLessThan(4000);
  });
});

describe('the language-service plugin in tsserver', () => {
  test('tsserver loads wengert/language-service from tsconfig.json "plugins" and reports its messages', async () => {
    const dir = fixture();
    fs.mkdirSync(path.join(dir, 'node_modules'));
    // As `npm install wengert` makes it: node_modules/wengert is this package (dist/ built by the global setup).
    fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'wengert'), 'junction');
    const logFile = path.join(dir, 'tsserver.log');
    const server = new TsServer(dir, logFile);
    try {
      const file = path.join(dir, 'model.ts');
      server.request('open', { file });
      const body = (await server.request('semanticDiagnosticsSync', { file })) as ProtocolDiagnostic[];
      const own = body.filter((d) => d.source === 'wengert');
      expect(own.map((d) => d.text.split('\n')[0])).toEqual(['plainHelper is not differentiable, but its argument depends on x', 'later is async']);
      expect(own[0]!.start.line).toBe(lineOf(MODEL, 'return plainHelper(t)'));
      expect(body.some((d) => d.code === 2322)).toBe(true);
      const log = fs.readFileSync(logFile, 'utf8');
      expect(log).toContain('[wengert] language-service plugin loaded');
      expect(log).toMatch(/\[wengert\] checked \S*model\.ts in \d+ ms \(sync \d+ ms, 0 of 3 functions unchanged\): 2 messages/);
    } catch (e) {
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '(no log)';
      const pluginLines = log.split('\n').filter((l) => /plugin|wengert/i.test(l));
      throw new Error(`${(e as Error).message}\n--- tsserver log (plugin lines) ---\n${pluginLines.join('\n')}`);
    } finally {
      server.close();
    }
  });
});

describe('the language-service plugin in the published package', () => {
  test('npm pack ships the folder tsserver resolves wengert/language-service to, and the CommonJS entry it loads', () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.status).toBe(0);
    const [pack] = JSON.parse(result.stdout) as { files: { path: string }[] }[];
    const shipped = new Set(pack!.files.map((f) => f.path));
    const stub = JSON.parse(fs.readFileSync(path.join(repoRoot, 'language-service', 'package.json'), 'utf8')) as { main: string };
    const entry = path.posix.join('language-service', stub.main);
    expect(entry).toBe('dist/compiler/plugin/language-service.cjs');
    const needed = ['language-service/package.json', entry, 'dist/compiler/plugin/language-service.js', 'docs/editor.md'];
    for (const file of needed) expect(shipped).toContain(file);
  });
});

/** A diagnostic in tsserver's protocol (the fields read here). */
interface ProtocolDiagnostic {
  text: string;
  code: number;
  start: { line: number; offset: number };
  source?: string;
}

/** A tsserver process spoken to over its stdio protocol (one JSON request a line; responses framed by Content-Length). */
class TsServer {
  private readonly child;
  private seq = 0;
  private buffer = '';
  private readonly waiting = new Map<number, (body: unknown) => void>();

  constructor(dir: string, logFile: string) {
    const tsserver = path.join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsserver.js');
    // An editor's tsserver finds plugins in the node_modules beside it; this one is told where the project's is.
    const args = [tsserver, '--pluginProbeLocations', dir, '--disableAutomaticTypingAcquisition', '--logVerbosity', 'normal', '--logFile', logFile];
    this.child = spawn(process.execPath, args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.receive(chunk));
  }

  request(command: string, args: unknown): Promise<unknown> {
    const seq = ++this.seq;
    const answered = new Promise<unknown>((resolve) => this.waiting.set(seq, resolve));
    this.child.stdin.write(`${JSON.stringify({ seq, type: 'request', command, arguments: args })}\n`);
    return answered;
  }

  close(): void {
    this.child.kill();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const header = /Content-Length: (\d+)\r\n\r\n/.exec(this.buffer);
      if (!header) return;
      const start = header.index + header[0].length;
      const length = Number(header[1]);
      const bytes = Buffer.from(this.buffer.slice(start), 'utf8');
      if (bytes.length < length) return;
      const message = JSON.parse(bytes.subarray(0, length).toString('utf8')) as { type: string; request_seq?: number; body?: unknown };
      this.buffer = bytes.subarray(length).toString('utf8');
      if (message.type === 'response' && message.request_seq !== undefined) this.waiting.get(message.request_seq)?.(message.body);
    }
  }
}
