/**
 * Temporary project folders for the compile benchmarks: a strict
 * tsconfig.json, so `compileFiles` resolves types as in a user's project.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A new folder under the OS temp dir holding a tsconfig.json; the caller removes it. */
export function makeProjectDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const tsconfig = { compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true } };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return dir;
}
