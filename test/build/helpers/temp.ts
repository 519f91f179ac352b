/**
 * Helpers for the build tests: temporary folders (outside the repository,
 * removed afterwards), the repository root, and running the real `wengert`
 * command (`node bin/wengert.js`, which loads dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A fresh empty folder under the OS temp dir; `files` are written into it (paths relative to it). */
export function makeTempDir(files: Record<string, string> = {}): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wengert-test-')));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * For one test file: `project(files)` makes a temporary folder holding
 * `files` and returns its path; all of them are removed after the file's tests.
 */
export function tempProjects(): (files: Record<string, string>) => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  return (files) => {
    const dir = makeTempDir(files);
    dirs.push(dir);
    return dir;
  };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const wengertBin = path.join(repoRoot, 'bin', 'wengert.js');

/** Runs `node bin/wengert.js ...args` in `cwd`. */
export function runWengert(args: readonly string[], cwd: string): RunResult {
  const result = spawnSync(process.execPath, [wengertBin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `node script ...args` and resolves when it exits (for processes that must run at the same time). */
export function runNodeAsync(args: readonly string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
