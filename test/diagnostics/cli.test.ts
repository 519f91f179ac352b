/**
 * Hostile input through the command users run, `node bin/wengert.js build
 * <dir>` (which loads dist/): located errors on stderr, no stack trace, a
 * non-zero exit, and the good files in the folder still built. `wengert
 * inspect` names files relative to the working directory.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { relativeToCwd } from '../../compiler/cli.ts';
import { diagnosticsDir } from './paths.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = path.join(root, 'bin', 'wengert.js');
const built = fs.existsSync(path.join(root, 'dist', 'compiler', 'cli.js'));
const dir = path.join(diagnosticsDir, 'cli');

function wengert(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!built) console.log('dist/ is not built (npm run build): the CLI tests are skipped; hostile.test.ts covers the same inputs through compileFiles');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', noEmit: true } }));
  fs.writeFileSync(path.join(dir, 'src', 'good.ts'), '/** @differentiable */\nexport function f(x: number): number {\n  return x * x;\n}\n');
  fs.writeFileSync(path.join(dir, 'src', 'try.ts'), '/** @differentiable */\nexport function g(x: number, k: number): number {\n  try {\n    return x;\n  } catch {\n    return k;\n  }\n}\n');
  fs.writeFileSync(path.join(dir, 'src', 'broken.ts'), '/** @differentiable */\nexport function h(x: number): number {\n  return x + ;\n}\n');
  fs.writeFileSync(path.join(dir, 'src', 'closure.ts'), '/** @differentiable */\nexport function k(x: number): number {\n  const g = async (v: number) => v * x;\n  return x;\n}\n');
});

describe.skipIf(!built)('wengert build on a folder with hostile files', () => {
  test('prints each error as path:line:col, exits 1, and still builds the good file', () => {
    const r = wengert('build', 'src');
    expect(r.status).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => / error: /.test(l));
    expect(errors).toEqual([
      'src/broken.ts:3:14: error: syntax error: Expression expected.',
      'src/closure.ts:3:13: error: the async function g is not supported in a differentiable function',
      'src/try.ts:3:3: error: try/catch is not supported in a differentiable function',
    ]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/internal compiler error/);
    expect(fs.existsSync(path.join(dir, 'src', 'good.grad.ts'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'src', 'try.grad.ts'))).toBe(false);
  });

  test('exits 0 once only good files are left', () => {
    const r = wengert('build', 'src/good.ts');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!built)('wengert inspect prints paths relative to the working directory', () => {
  test('a function that is not there: the file as the user named it', () => {
    const r = wengert('inspect', 'src/good.ts#nope');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('wengert inspect: error: src/good.ts: no @differentiable function named nope (found: f)\n');
  });

  test('an absolute path below the working directory is printed relative to it', () => {
    const r = wengert('inspect', `${path.join(dir, 'src', 'good.ts')}#nope`);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('wengert inspect: error: src/good.ts: no @differentiable function named nope (found: f)\n');
  });

  test('the Wengert list and the generated code hold no absolute path', () => {
    const r = wengert('inspect', 'src/good.ts#f');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('== Wengert list of f ==');
    expect(r.stdout).not.toContain(dir);
  });
});

describe('relativeToCwd', () => {
  const cwd = path.join(path.sep, 'home', 'me', 'proj');
  test('paths below the working directory lose its prefix, import("...") types become ./ specifiers', () => {
    const text = `${cwd}/src/model.ts: no function\nlet t!: import("${cwd}/runtime/tensor").Tensor;`;
    expect(relativeToCwd(text, cwd)).toBe('src/model.ts: no function\nlet t!: import("./runtime/tensor").Tensor;');
  });

  test('paths outside it, and names that only start like it, stay as they are', () => {
    const text = `/elsewhere/a.ts and ${cwd}-old/b.ts`;
    expect(relativeToCwd(text, cwd)).toBe(text);
  });
});
