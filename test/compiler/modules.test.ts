/**
 * Calls across files, class methods with the @differentiable decorator,
 * and the generated files type-checking under `strict`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { typecheck } from '../helpers/typecheck.ts';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import { generatedDir } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';

const dir = path.join(generatedDir, 'modules');
const files: Record<string, string> = {
  'shapes.ts': `
/** @differentiable */
export function squaredNorm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

/** @differentiable wrt(x) */
export function scaledLog(x: number, scale: number): number {
  return scale * Math.log(1 + x * x);
}
`,
  'model.ts': `
import { differentiable } from 'wengert';
import { squaredNorm, scaledLog as slog } from './shapes.ts';

/** @differentiable */
export function energy(v: Float64Array, k: number): number {
  return 0.5 * k * squaredNorm(v) + slog(k, 3);
}

export class Spring {
  constructor(readonly rest: number) {}

  @differentiable
  potential(x: number, k: number): number {
    const stretch = x - this.rest;
    return 0.5 * k * stretch * stretch;
  }

  @differentiable({ wrt: ['x'] })
  force(x: number, k: number): number {
    return -k * (x - this.rest);
  }
}
`,
};

let shapes: any;
let model: any;
let modelGrad: any;
beforeAll(async () => {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const result = compileFiles(Object.keys(files).map((f) => path.join(dir, f)));
  if (result.diagnostics.length) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  for (const f of result.files) fs.writeFileSync(f.outputPath, f.text);
  shapes = await import(/* @vite-ignore */ path.join(dir, 'shapes.ts'));
  model = await import(/* @vite-ignore */ path.join(dir, 'model.ts'));
  modelGrad = await import(/* @vite-ignore */ path.join(dir, 'model.grad.ts'));
  void shapes;
});

describe('modules', () => {
  test('a function calling differentiable functions imported from another file (renamed import too)', () => {
    const v = Float64Array.from([1, -2, 0.5]);
    checkDerivatives({ source: model, grad: modelGrad }, 'energy', [v, 1.5]);
    const [gv, gk] = modelGrad.grad_energy(v, 1.5);
    expect(Array.from(gv)).toEqual([1.5, -3, 0.75]);
    expect(gk).toBeCloseTo(0.5 * 5.25 + (3 * 2 * 1.5) / (1 + 2.25), 12);
  });

  test('class methods with @differentiable take the instance as `self`', () => {
    const s = new model.Spring(1);
    const [gx, gk] = modelGrad.grad_Spring_potential(s, 3, 2);
    expect(gx).toBe(4);
    expect(gk).toBe(2);
    expect(modelGrad.grad_Spring_force(s, 3, 2)).toBe(-2);
    const [y, dy] = modelGrad.jvp_Spring_potential(s, 3, 2, 1, 0);
    expect(y).toBe(s.potential(3, 2));
    expect(dy).toBe(4);
  });

  test('generated files type-check under strict together with their sources', () => {
    const generated = ['shapes.grad.ts', 'model.grad.ts'].map((f) => path.join(dir, f));
    expect(typecheck(generated).join('\n')).toBe('');
  });
});
