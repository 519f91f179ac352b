/**
 * What `npm pack` puts in the published package: the README, the licence,
 * the docs, the built runtime, compiler and CLI, and nothing from test/ or
 * examples/; and source maps that a debugger can follow, because every
 * source they name is either shipped or embedded in the map.
 *
 * `--ignore-scripts` keeps npm from running `prepare` (a full tsc build);
 * vitest's global setup has already brought dist/ up to date.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface PackedFile {
  path: string;
  size: number;
}

interface SourceMap {
  sources: string[];
  sourceRoot?: string;
  sourcesContent?: (string | null)[];
}

let shipped: Set<string>;
let tarballBytes: number;

beforeAll(() => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm pack --dry-run failed (exit ${result.status}):\n${result.stderr}`);
  const [pack] = JSON.parse(result.stdout) as { files: PackedFile[]; size: number }[];
  shipped = new Set(pack!.files.map((f) => f.path));
  tarballBytes = pack!.size;
});

describe('npm pack', () => {
  test('ships the README, the licence, package.json and every doc', () => {
    expect(shipped).toContain('README.md');
    expect(shipped).toContain('LICENSE');
    expect(shipped).toContain('package.json');
    const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(shipped).toContain(`docs/${doc}`);
  });

  test('ships the runtime entry point, the compiler entry points and the CLI', () => {
    for (const file of [
      'dist/runtime/index.js',
      'dist/runtime/index.d.ts',
      'dist/compiler/index.js',
      'dist/compiler/build/index.js',
      'dist/compiler/plugin/index.js',
      'dist/compiler/cli.js',
      'bin/wengert.js',
    ]) {
      expect(shipped).toContain(file);
    }
  });

  test('ships nothing from test/, examples/, bench/ or the TypeScript sources', () => {
    const unwanted = [...shipped].filter((f) => /^(test|examples|bench|compiler|runtime|out)\//.test(f));
    expect(unwanted).toEqual([]);
    expect([...shipped].filter((f) => f.endsWith('.grad.ts'))).toEqual([]);
  });

  test('every source named by a shipped source map is shipped or embedded', () => {
    const maps = [...shipped].filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const dangling: string[] = [];
    for (const mapPath of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(root, mapPath), 'utf8')) as SourceMap;
      map.sources.forEach((source, i) => {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(mapPath), map.sourceRoot ?? '', source));
        const embedded = typeof map.sourcesContent?.[i] === 'string' && map.sourcesContent[i]!.length > 0;
        if (!shipped.has(resolved) && !embedded) dangling.push(`${mapPath}: ${source}`);
      });
    }
    expect(dangling).toEqual([]);
  });

  // The limit catches datasets, fixtures or build output shipped by mistake; the package
  // itself is about 1 MB, most of it source maps that embed their sources.
  test('the tarball stays small', () => {
    console.log(`npm pack: ${shipped.size} files, tarball ${tarballBytes} bytes`);
    expect(tarballBytes).toBeLessThan(1_500_000);
  });
});
