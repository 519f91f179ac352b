/** `wengert inspect` (pipeline.inspectFunction) lists the fused groups of a function with their WGSL. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { inspectFunction } from '../../compiler/pipeline.ts';
import { generatedDir } from '../helpers/generate.ts';

it('inspect shows the fused groups and their WGSL', () => {
  const file = path.join(generatedDir, 'h2-webgpu', 'inspect.ts');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `import { add, matmul, softmaxCrossEntropyLoss, tanh, type Tensor } from 'wengert';
/** @differentiable wrt(W, b) */
export function layer(W: Tensor, b: Tensor, x: Tensor, labels: Int32Array): Tensor {
  return softmaxCrossEntropyLoss(tanh(add(matmul(x, W), b)), labels);
}
`,
  );
  const text = inspectFunction(file, 'layer');
  expect(text).toContain('== fused groups of layer (one generated kernel each, alone or inside a matmul or a reduction) ==');
  // The tanh layer runs as the epilogue of its matrix product.
  expect(text).toMatch(/kernel_layer_\d+ in valueAndVjp_layer, the epilogue of matmul\(x, W\) \(v0\): \w+ = tanh\(add\(v0, v1\)\) with v = \[the product, b\] \(2 ops: add, tanh\)/);
  expect(text).toContain('    fn body(v0: f32, v1: f32) -> f32 {');
  // The section of the generated code includes the kernel declaration itself.
  expect(text).toMatch(/const kernel_layer_\d+: FusedKernel = \{/);
  expect(text).toMatch(/= matmulFused\(kernel_layer_\d+, x, W, \[b\]\);/);
});

it('inspect shows a reduction prologue and its WGSL', () => {
  const file = path.join(generatedDir, 'h1', 'inspect-prologue.ts');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `import { meanAll, mul, sub, type Tensor } from 'wengert';
/** @differentiable wrt(y) */
export function mse(y: Tensor, t: Tensor): Tensor {
  const d = sub(y, t);
  return meanAll(mul(d, d));
}
`,
  );
  const text = inspectFunction(file, 'mse');
  expect(text).toMatch(/kernel_mse_\d+ in valueAndVjp_mse, the prologue of meanAll\(·\): \w+ = mul\(v0, v0\) with v = \[d\] \(1 op: mul\)/);
  expect(text).toContain('  let t0 = (v0 * v0);');
  expect(text).toMatch(/= meanAllFused\(kernel_mse_\d+, \[d\]\);/);
});
