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
  expect(text).toContain('== fused groups of layer (one generated kernel each) ==');
  expect(text).toMatch(/kernel_layer_\d+ in valueAndVjp_layer: \w+ = tanh\(add\(v0, v1\)\) with v = \[\w+, \w+\] \(2 ops: add, tanh\)/);
  expect(text).toContain('    fn body(v0: f32, v1: f32) -> f32 {');
  // The section of the generated code includes the kernel declaration itself.
  expect(text).toMatch(/const kernel_layer_\d+: FusedKernel = \{/);
});
