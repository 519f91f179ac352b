/**
 * The peers of the MLP benchmark: one SGD step (forward, backward, update)
 * of the 784-128-10 tanh MLP with mean softmax cross-entropy, written for
 * TensorFlow.js (cpu and wasm backends, `optimizer.minimize`) and jax-js
 * (wasm device, the whole step under `jit`). Every step returns the loss as
 * a number, as wengert's does.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm'; // registers the 'wasm' backend (in Node it reads its .wasm files from its own dist/)
import type { Array as JaxArray } from '@jax-js/jax';
import type { Problem, StepFn } from './problem.ts';

/** TensorFlow.js on `backend` ('cpu' or 'wasm'). */
export async function tfjsStep(backend: 'cpu' | 'wasm', p: Problem): Promise<StepFn> {
  await tf.setBackend(backend);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`tfjs: backend ${backend} did not start`);
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
    return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  };
  return () => {
    const cost = optimizer.minimize(lossFn, true)!;
    const value = cost.dataSync()[0]!;
    cost.dispose();
    return value;
  };
}

type JaxParams = { W1: JaxArray; b1: JaxArray; W2: JaxArray; b2: JaxArray };

/**
 * The MLP problem as jax-js arrays on its current default device, and its SGD step jitted
 * (value and next parameters); the wasm and webgpu benchmarks both use it. Follows jax-js's
 * `.ref` ownership rules: each argument of `loss` is used once, so no `.ref` is needed inside.
 */
export function jaxProblem(jax: typeof import('@jax-js/jax'), p: Problem): {
  params: JaxParams;
  x: JaxArray;
  y: JaxArray;
  step: (q: JaxParams, xb: JaxArray, yb: JaxArray) => [JaxArray, JaxParams];
} {
  const { numpy: np, nn, jit, valueAndGrad, tree } = jax;
  const params: JaxParams = {
    W1: np.array(p.W1).reshape([p.inputs, p.hidden]),
    b1: np.array(p.b1),
    W2: np.array(p.W2).reshape([p.hidden, p.classes]),
    b2: np.array(p.b2),
  };
  const x = np.array(p.x).reshape([p.batch, p.inputs]);
  const y = nn.oneHot(np.array(p.labels, { dtype: np.int32 }), p.classes);
  const loss = (q: JaxParams, xb: JaxArray, yb: JaxArray) => {
    const h = np.tanh(np.matmul(xb, q.W1).add(q.b1));
    const logits = np.matmul(h, q.W2).add(q.b2);
    return nn.logSoftmax(logits, -1).mul(yb).sum().mul(-1 / p.batch);
  };
  const step = jit((q: JaxParams, xb: JaxArray, yb: JaxArray) => {
    const [value, g] = valueAndGrad(loss)(tree.ref(q), xb, yb);
    const next = tree.map((w: JaxArray, dw: JaxArray) => w.sub(dw.mul(p.lr)), q, g) as JaxParams;
    return [value, next] as [JaxArray, JaxParams];
  });
  return { params, x, y, step };
}

/** jax-js on its wasm device, the step jitted. */
export async function jaxStep(p: Problem): Promise<StepFn> {
  const jax = await import('@jax-js/jax');
  await jax.init('wasm');
  jax.defaultDevice('wasm');
  const problem = jaxProblem(jax, p);
  let params = problem.params;
  const { x, y, step } = problem;
  return () => {
    const [value, next] = step(params, x.ref, y.ref);
    params = next;
    return value.dataSync()[0]!;
  };
}
