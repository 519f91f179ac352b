/**
 * Generates loss.grad.ts beside loss.ts by running the wengert CLI
 * (`node bin/wengert.js build examples/word2vec/loss.ts`, from dist/), as
 * `npm run example:word2vec` does. Tests and the benchmark call it before
 * they import the trainer; `npx tsx examples/word2vec/generate.ts` runs it
 * by hand.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

/** The source whose derivatives the example uses. */
export const lossSource = path.join(here, 'loss.ts');

/** Runs `wengert build` on loss.ts; throws with the CLI's output when it fails. */
export function generateWord2vecDerivatives(): void {
  const cli = path.join(repoRoot, 'bin', 'wengert.js');
  const result = spawnSync(process.execPath, [cli, 'build', path.relative(repoRoot, lossSource)], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`wengert build examples/word2vec/loss.ts failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  generateWord2vecDerivatives();
  console.log('examples/word2vec/loss.grad.ts is up to date');
}
