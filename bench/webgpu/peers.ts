/**
 * The WebGPU peers of the benchmark: one SGD step of the 784-128-10 tanh
 * MLP with mean softmax cross-entropy in TensorFlow.js's `webgpu` backend
 * (`optimizer.minimize`) and in jax-js on its webgpu device (the whole step
 * under `jit`). Both find the GPU through `navigator.gpu`, which
 * `exposeGpu` sets in Node before they are imported. A step returns
 * nothing (no readback); `sync` waits for the device and reads the loss.
 */
import type { Array as JaxArray } from '@jax-js/jax';
import type { Problem } from '../mlp/problem.ts';
import { jaxProblem } from '../mlp/peers.ts';

export interface GpuStep {
  step(): void;
  /** Waits for the queued work; returns the last loss (read back). */
  sync(): Promise<number>;
}

/** Makes `gpu` the `navigator.gpu` of this process (Node has no navigator). */
export function exposeGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu) return;
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  // jax-js reads navigator.userAgent too.
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js/${process.version}` }, configurable: true });
}

export async function tfjsWebgpuStep(p: Problem): Promise<GpuStep> {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  if (tf.getBackend() !== 'webgpu') throw new Error('tfjs: the webgpu backend did not start');
  const W1 = tf.variable(tf.tensor2d(p.W1, [p.inputs, p.hidden]));
  const b1 = tf.variable(tf.tensor1d(p.b1));
  const W2 = tf.variable(tf.tensor2d(p.W2, [p.hidden, p.classes]));
  const b2 = tf.variable(tf.tensor1d(p.b2));
  const x = tf.tensor2d(p.x, [p.batch, p.inputs]);
  const y = tf.oneHot(tf.tensor1d(p.labels, 'int32'), p.classes);
  const optimizer = tf.train.sgd(p.lr);
  const lossFn = () => {
    const h = tf.tanh(tf.add(tf.matMul(x, W1), b1));
    const logits = tf.add(tf.matMul(h, W2), b2);
    return tf.losses.softmaxCrossEntropy(y, logits) as import('@tensorflow/tfjs').Scalar;
  };
  let last: import('@tensorflow/tfjs').Scalar | null = null;
  return {
    step() {
      last?.dispose();
      last = optimizer.minimize(lossFn, true);
    },
    async sync() {
      const v = (await last!.data())[0]!;
      return v;
    },
  };
}

export async function jaxWebgpuStep(p: Problem): Promise<GpuStep> {
  const jax = await import('@jax-js/jax');
  await jax.init('webgpu');
  jax.defaultDevice('webgpu');
  if (jax.defaultDevice() !== 'webgpu') throw new Error('jax-js: the webgpu device did not start');
  const problem = jaxProblem(jax, p);
  let params = problem.params;
  const { x, y, step } = problem;
  let last: JaxArray | null = null;
  return {
    step() {
      last?.dispose();
      const [value, next] = step(params, x.ref, y.ref);
      params = next;
      last = value;
    },
    async sync() {
      const v = (await last!.ref.data())[0]!;
      return v as number;
    },
  };
}
