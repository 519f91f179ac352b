/**
 * The `wengert` command line (run by bin/wengert.js from dist/):
 *
 *   wengert build [paths...] [--watch] [--project tsconfig.json]
 *   wengert inspect src/model.ts#f
 *
 * `main(argv)` parses with commander and returns the exit code: 0 when
 * clean (warnings allowed), 1 when there are errors to fix, 2 on an
 * internal error. What it prints names files relative to the working
 * directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { build, EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK } from './build/build.ts';
import { formatBuildMessage } from './build/messages.ts';
import { watch } from './build/watch.ts';
import { CompileError } from './frontend/diagnostics.ts';
import { inspectFunction } from './pipeline.ts';

interface BuildFlags {
  watch?: boolean;
  project?: string;
  quiet?: boolean;
}

/** Runs the CLI on `argv` (as in `process.argv`: node, script, args...) and resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command()
    .name('wengert')
    .description('Source-to-source automatic differentiation for TypeScript')
    .version(packageVersion())
    .exitOverride();

  program
    .command('build')
    .description('write a <name>.grad.ts beside every source file that has @differentiable functions')
    .argument('[paths...]', 'files or folders (default: the --project files, else the current folder)')
    .option('-w, --watch', 'rebuild changed files until interrupted')
    .option('-p, --project <tsconfig>', 'tsconfig.json to resolve types with (default: each file\'s nearest)')
    .option('-q, --quiet', 'print only errors')
    .action(async (paths: string[], flags: BuildFlags) => {
      exitCode = flags.watch ? await runWatch(paths, flags) : build(paths, flags).exitCode;
    });

  program
    .command('inspect')
    .description('print the Wengert list, forward-mode and reverse-mode code of one function')
    .argument('<target>', 'file and function, as src/model.ts#f')
    .action((target: string) => {
      exitCode = runInspect(target);
    });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_ERRORS;
    throw error;
  }
  return exitCode;
}

/** Watches until SIGINT or SIGTERM, then closes the watcher. */
async function runWatch(paths: string[], flags: BuildFlags): Promise<number> {
  const watcher = watch(paths, { project: flags.project, quiet: flags.quiet });
  await watcher.ready;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await watcher.close();
  return EXIT_OK;
}

/** `wengert inspect file.ts#fn` */
function runInspect(target: string): number {
  const hash = target.lastIndexOf('#');
  if (hash <= 0 || hash === target.length - 1) {
    process.stderr.write(`wengert inspect: expected file.ts#functionName, got '${target}'\n`);
    return EXIT_ERRORS;
  }
  const file = target.slice(0, hash);
  const functionName = target.slice(hash + 1);
  if (!fs.existsSync(file)) {
    process.stderr.write(formatBuildMessage({ file, message: 'no such file' }) + '\n');
    return EXIT_ERRORS;
  }
  try {
    process.stdout.write(relativeToCwd(inspectFunction(path.resolve(file), functionName).trimEnd()) + '\n');
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CompileError) {
      process.stderr.write(formatBuildMessage(error.diagnostic) + '\n');
      return EXIT_ERRORS;
    }
    // A plain Error is a deliberate refusal (e.g. no such function); TypeError and the like are bugs.
    if (error instanceof Error && error.constructor === Error) {
      process.stderr.write(`wengert inspect: error: ${relativeToCwd(error.message)}\n`);
      return EXIT_ERRORS;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${file}: error: internal compiler error: ${relativeToCwd(detail)}\n`);
    return EXIT_INTERNAL;
  }
}

/**
 * `text` with the absolute paths below the working directory made relative
 * to it: `/home/me/proj/src/model.ts` -> `src/model.ts`, and in code
 * `import("/home/me/proj/runtime/tensor")` -> `import("./runtime/tensor")`.
 * Paths outside it stay as they are.
 */
export function relativeToCwd(text: string, cwd: string = process.cwd()): string {
  const prefix = cwd.endsWith(path.sep) ? cwd : cwd + path.sep;
  const inImports = text.split(`import("${prefix}`).join('import("./').split(`import('${prefix}`).join("import('./");
  return inImports.split(prefix).join('');
}

/** The version in wengert's package.json (found upward from this file, in compiler/ or dist/compiler/). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'wengert' && pkg.version) return pkg.version;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}
