/**
 * wengert's side of the WebGPU benchmark: the MLP loss below (the model of
 * examples/mnist-mlp with the loss kept on the device as a 0-d tensor) is
 * compiled twice, with build-time fusion on and off, into out/bench-webgpu/,
 * and one SGD step calls the generated `valueAndGrad_loss` and the SGD
 * optimizer on webgpu tensors. The step reads nothing back and disposes
 * nothing: SGD releases the gradients, the next call the previous loss.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SGD, type Tensor, type WebGpuBackend } from 'wengert';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import type { Problem } from '../mlp/problem.ts';
import type { GpuStep } from './peers.ts';

export const modelSource = `import { add, matmul, softmaxCrossEntropyLoss, tanh, type Tensor } from 'wengert';

export interface Params {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

/** @differentiable wrt(p) */
export function loss(p: Params, x: Tensor, labels: Int32Array): Tensor {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  return softmaxCrossEntropyLoss(add(matmul(h, p.W2), p.b2), labels);
}
`;

interface Params {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

type ValueAndGrad = (p: Params, x: Tensor, labels: Int32Array) => [Tensor, Params];

const outDir = fileURLToPath(new URL('../../out/bench-webgpu/', import.meta.url));

/** The compiler's fusion switch (compiler/emit/fuse.ts), when this checkout has build-time fusion. */
async function fusionSwitch(): Promise<((on: boolean) => boolean) | null> {
  const specifier = '../../compiler/emit/fuse.ts';
  try {
    const mod = (await import(specifier)) as { setFusion?: (on: boolean) => boolean };
    return mod.setFusion ?? null;
  } catch {
    return null;
  }
}

/** Compiles the model with fusion on or off; returns its valueAndGrad_loss, or the reason it cannot. */
export async function compileModel(fused: boolean): Promise<ValueAndGrad | string> {
  const setFusion = await fusionSwitch();
  if (!setFusion) return 'this checkout has no build-time fusion (compiler/emit/fuse.ts)';
  const dir = path.join(outDir, fused ? 'fused' : 'unfused');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.ts');
  fs.writeFileSync(file, modelSource);
  const was = setFusion(fused);
  let result;
  try {
    result = compileFiles([file]);
  } finally {
    setFusion(was);
  }
  const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
  if (errors.length > 0) return errors.map(formatDiagnostic).join('\n');
  const out = result.files[0]!;
  fs.writeFileSync(out.outputPath, out.text);
  const mod = (await import(out.outputPath)) as { valueAndGrad_loss?: ValueAndGrad };
  return mod.valueAndGrad_loss ?? 'the generated file has no valueAndGrad_loss';
}

export function wengertWebgpuStep(backend: WebGpuBackend, p: Problem, vg: ValueAndGrad): GpuStep {
  const t = (v: Float32Array, shape: number[]) => backend.fromValues(v.slice(), shape);
  const params: Params = { W1: t(p.W1, [p.inputs, p.hidden]), b1: t(p.b1, [p.hidden]), W2: t(p.W2, [p.hidden, p.classes]), b2: t(p.b2, [p.classes]) };
  const x = t(p.x, [p.batch, p.inputs]);
  const sgd = new SGD({ lr: p.lr });
  let last: Tensor | null = null;
  return {
    step() {
      // No release: the step releases the gradients, the next call the loss (docs/webgpu.md, "Who owns a tensor").
      const [value, grads] = vg(params, x, p.labels);
      sgd.step(params, grads);
      last = value;
    },
    async sync() {
      return (await last!.data())[0]!;
    },
  };
}
