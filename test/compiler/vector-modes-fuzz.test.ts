/**
 * The lane rewrite (compiler/transforms/lanes.ts) over random programs: the
 * differential fuzzer's programs (test/fuzz, fixed seed) each get a
 * tuple-valued wrapper `pairOf(...)` that returns `[f(...), 2 sin(f) + f^2]`,
 * so its vector modes run f's derivatives in two lanes (f's own k-lane
 * variants, made because the wrapper calls f inside its lanes, or, where the
 * rewrite gives up on f, f's scalar sweep once per lane). Every lane must
 * equal the scalar sweep along its own direction bit for bit, and the
 * generated files must type-check under strict. (This caught objects pushed
 * by reference into an adjoint array, shared between lanes.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import { flatten } from 'wengert';
import { programArbitrary } from '../fuzz/arbitraries.ts';
import { copyArgs, directionFor, inputsAt } from '../fuzz/inputs.ts';
import { paramName } from '../fuzz/render-context.ts';
import { renderProgram } from '../fuzz/render.ts';
import { generatedDir } from '../helpers/generate.ts';
import { typecheck } from '../helpers/typecheck.ts';

const SEED = 4242;
const COUNT = 30;

/** The wrapper for the fuzzed main function `f`: the same parameters and wrt clause, two outputs. */
function withPair(source: string): string | null {
  const m = /\/\*\* (@differentiable[^*]*) \*\/\nexport function f\(([^)]*)\): number \{/.exec(source);
  if (!m) return null;
  const params = m[2]!;
  const args = params.split(/,\s*(?=[A-Za-z_$][\w$]*\??:)/).map((p) => p.split(':')[0]!.trim()).filter((n) => n !== '');
  return `${source}
/** ${m[1]} */
export function pairOf(${params}): [number, number] {
  const a = f(${args.join(', ')});
  return [a, Math.sin(a) * 2 + a * a];
}
`;
}

/** Same numbers (0 and -0 alike, NaN matching NaN), in flatten order; the differences otherwise. */
function differences(a: unknown, b: unknown): string[] {
  const x = flatten(a);
  const y = flatten(b);
  if (x.length !== y.length) return [`lengths ${x.length} vs ${y.length}`];
  return x.flatMap((v, i) => (v === y[i] || (Number.isNaN(v) && Number.isNaN(y[i]!)) ? [] : [`${i}: ${v} vs ${y[i]}`]));
}

/** `f()`'s result, or the error it threw (lanes must throw where the scalar sweep does). */
function attempt<T>(f: () => T): { ok: true; value: T } | { ok: false; error: string } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

test(`${COUNT} fuzzed programs (seed ${SEED}) in two lanes equal their scalar sweeps bit for bit`, async () => {
  const dir = path.join(generatedDir, 'h8-lanes-fuzz');
  fs.mkdirSync(dir, { recursive: true });
  const programs = fc.sample(programArbitrary(), { seed: SEED, numRuns: COUNT });
  const files: { n: number; path: string }[] = [];
  programs.forEach((p, n) => {
    const text = withPair(renderProgram(p));
    if (!text) return;
    const file = path.join(dir, `p${n}.ts`);
    fs.writeFileSync(file, text);
    files.push({ n, path: file });
  });
  expect(files.length).toBe(COUNT);
  const result = compileFiles(files.map((f) => f.path));
  for (const out of result.files) fs.writeFileSync(out.outputPath, out.text);
  const built = new Set(result.files.map((o) => o.outputPath));
  const errors = result.diagnostics.filter((d) => d.severity !== 'warning').map(formatDiagnostic);

  const failures: string[] = [];
  let laned = 0;
  let compared = 0;
  // Programs whose own f got two-lane variants (the others run f's scalar sweep once per lane).
  let innerReverse = 0;
  let innerForward = 0;
  for (const { n, path: file } of files) {
    const gradPath = file.replace(/\.ts$/, '.grad.ts');
    if (!built.has(gradPath)) continue;
    const source = await import(/* @vite-ignore */ file);
    const grad = await import(/* @vite-ignore */ gradPath);
    if (typeof grad.valueAndVjps_pairOf !== 'function' || typeof grad.jvps_pairOf !== 'function') continue;
    laned++;
    const text = fs.readFileSync(gradPath, 'utf8');
    if (text.includes('function valueAndVjps2_f(')) innerReverse++;
    if (text.includes('function jvps2_f(')) innerForward++;
    const p = programs[n]!;
    const tangents = grad.jvp_pairOf.length - source.pairOf.length;
    const tag = /\/\*\* @differentiable wrt\(([^)]*)\) \*\/\nexport function pairOf/.exec(fs.readFileSync(file, 'utf8'));
    const names = p.main.params.map((q, i) => paramName(q, i));
    const wrt = tag ? tag[1]!.split(', ').map((w) => names.indexOf(w)) : p.main.params.map((_, i) => i);
    if (wrt.length !== tangents || wrt.some((i) => i < 0)) {
      failures.push(`p${n}: wrt ${JSON.stringify(wrt)} against ${tangents} tangent parameters`);
      continue;
    }
    for (let k = 0; k < 2; k++) {
      const args = inputsAt(p, k);
      const dys = [[0.7, -1.3], [-0.4, 2.1]];
      const lanes = attempt(() => grad.valueAndVjps_pairOf(...copyArgs(args), dys));
      for (let r = 0; r < 2; r++) {
        const scalar = attempt(() => grad.valueAndVjp_pairOf(...copyArgs(args), dys[r]));
        if (!scalar.ok || !lanes.ok) {
          if (scalar.ok !== lanes.ok) failures.push(`p${n} point ${k} reverse lane ${r}: ${scalar.ok ? 'lanes threw' : 'only the scalar sweep threw'}`);
          continue;
        }
        const d = [...differences(lanes.value[0], scalar.value[0]), ...differences(lanes.value[1][r], scalar.value[1])];
        if (d.length) failures.push(`p${n} point ${k} reverse lane ${r}: ${d.slice(0, 3).join('; ')}`);
        compared++;
      }
      const dirs = [1, 2].map((s) => directionFor(wrt.map((i) => p.main.params[i]!), 100 * n + 10 * k + s));
      const forward = attempt(() => grad.jvps_pairOf(...copyArgs(args), dirs));
      for (let r = 0; r < 2; r++) {
        const scalar = attempt(() => grad.jvp_pairOf(...copyArgs(args), ...copyArgs(dirs[r]!)));
        if (!scalar.ok || !forward.ok) {
          if (scalar.ok !== forward.ok) failures.push(`p${n} point ${k} forward lane ${r}: ${scalar.ok ? 'lanes threw' : 'only the scalar sweep threw'}`);
          continue;
        }
        const d = [...differences(forward.value[0], scalar.value[0]), ...differences(forward.value[1][r], scalar.value[1])];
        if (d.length) failures.push(`p${n} point ${k} forward lane ${r}: ${d.slice(0, 3).join('; ')}`);
        compared++;
      }
    }
  }
  console.log(`lanes over fuzzed programs: ${files.length} programs, ${result.files.length} built, ${laned} with vector modes (f itself in lanes: ${innerReverse} reverse, ${innerForward} forward), ${compared} lanes compared`);
  expect(failures).toEqual([]);
  // The slice must exercise the rewrite, not fall back through it.
  expect(laned).toBeGreaterThanOrEqual(COUNT * 0.6);
  expect(compared).toBeGreaterThanOrEqual(laned * 4);
  expect(innerReverse).toBeGreaterThanOrEqual(COUNT / 2);
  expect(innerForward).toBeGreaterThanOrEqual(COUNT / 2);
  // Programs the fuzzer steers into known compiler bugs may fail to build; none may fail in the lanes.
  expect(errors.filter((e) => /lanes|vector-wrappers|internal compiler error/.test(e))).toEqual([]);
  expect(typecheck([...built]).join('\n')).toBe('');
}, 600_000);
