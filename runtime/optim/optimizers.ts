/**
 * Optimizers that update structured parameters in place: SGD (online,
 * minibatch or full batch is just how the training loop feeds it),
 * momentum (optionally Nesterov) and Adam. State (velocities, moments) is
 * kept per leaf, in the order the leaves are visited, and created on the
 * first step. `lr` may be changed between steps for schedules.
 *
 * `step(params, grads)` releases the gradients it applied when they are
 * transient (returned by `grad_f` / `valueAndGrad_f`, not retained:
 * runtime/lifetimes.ts), so a training loop needs no `dispose`.
 */
import type { Tensor } from '../tensor.ts';
import { ShapeError } from '../shape.ts';
import { assertLive, dispose, outsideScopes, releaseTransient } from '../lifetimes.ts';
import { leaves, type Leaf } from './params.ts';

export interface Optimizer {
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  /** Updates every parameter leaf in place from the matching gradient, then releases the gradients that are transient. */
  step(params: unknown, grads: unknown): void;
  /** Gives the optimizer's state (velocities, moments) back now; the next step starts it again from zero. */
  dispose(): void;
}

/** Releases an optimizer's state tensors and forgets them. */
function disposeState(...states: Tensor[][]): void {
  for (const state of states) {
    dispose(state);
    state.length = 0;
  }
}

/** The leaves of one step, each checked live (a released parameter or gradient throws, naming the optimizer). */
function liveLeaves(name: string, params: unknown, grads: unknown): Leaf[] {
  const ls = leaves(params, grads);
  for (const leaf of ls) {
    assertLive(`${name}.step (${leaf.path})`, leaf.param);
    assertLive(`${name}.step (gradient of ${leaf.path})`, leaf.grad);
  }
  return ls;
}

export interface SGDOptions {
  lr: number;
  /** L2 penalty added to the gradient: g + weightDecay * p. */
  weightDecay?: number;
}

export class SGD implements Optimizer {
  lr: number;
  readonly weightDecay: number;

  constructor(options: SGDOptions) {
    this.lr = options.lr;
    this.weightDecay = options.weightDecay ?? 0;
  }

  step(params: unknown, grads: unknown): void {
    for (const leaf of liveLeaves('SGD', params, grads)) {
      leaf.param.backend.sgdInPlace(leaf.param, leaf.grad, this.lr, this.weightDecay);
      leaf.commit();
    }
    releaseTransient(grads, 'SGD.step');
  }

  /** SGD keeps no state. */
  dispose(): void {}
}

function stateFor(state: Tensor[], i: number, like: Tensor, count: number): Tensor {
  if (i === 0 && state.length !== 0 && state.length !== count) {
    throw new ShapeError(`optimizer: the parameters changed structure (${state.length} leaves before, ${count} now)`);
  }
  let s = state[i];
  if (s === undefined) {
    // The optimizer's, even when its first step runs inside a scope (`scoped`).
    s = outsideScopes(() => like.backend.fill(like.shape, 0, like.dtype === 'float64' ? 'float64' : 'float32'));
    state[i] = s;
  }
  return s;
}

export interface MomentumOptions {
  lr: number;
  /** Velocity decay, default 0.9. */
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class Momentum implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly velocity: Tensor[] = [];

  constructor(options: MomentumOptions) {
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
  }

  step(params: unknown, grads: unknown): void {
    const ls = liveLeaves('Momentum', params, grads);
    ls.forEach((leaf, i) => {
      const v = stateFor(this.velocity, i, leaf.param, ls.length);
      withDecay(leaf.param, leaf.grad, this.weightDecay, (g) => leaf.param.backend.momentumInPlace(leaf.param, g, v, this.lr, this.momentum, this.nesterov));
      leaf.commit();
    });
    releaseTransient(grads, 'Momentum.step');
  }

  dispose(): void {
    disposeState(this.velocity);
  }
}

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty added to the gradient before the moments. */
  weightDecay?: number;
}

export class Adam implements Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken so far. */
  t = 0;
  private readonly m: Tensor[] = [];
  private readonly v: Tensor[] = [];

  constructor(options: AdamOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  step(params: unknown, grads: unknown): void {
    this.t++;
    const ls = liveLeaves('Adam', params, grads);
    ls.forEach((leaf, i) => {
      const m = stateFor(this.m, i, leaf.param, ls.length);
      const v = stateFor(this.v, i, leaf.param, ls.length);
      withDecay(leaf.param, leaf.grad, this.weightDecay, (g) => leaf.param.backend.adamInPlace(leaf.param, g, m, v, this.lr, this.beta1, this.beta2, this.eps, this.t));
      leaf.commit();
    });
    releaseTransient(grads, 'Adam.step');
  }

  /** Releases the moments; the step count restarts too. */
  dispose(): void {
    disposeState(this.m, this.v);
    this.t = 0;
  }
}

/** Runs `use` on g + wd * p (g itself when wd is 0), then gives the temporaries back to the backend. */
function withDecay(p: Tensor, g: Tensor, wd: number, use: (g: Tensor) => void): void {
  if (wd === 0) {
    use(g);
    return;
  }
  const b = p.backend;
  const scaled = b.binary('mul', p, wd, p.shape, p.dtype);
  const decayed = b.binary('add', g, scaled, p.shape, g.dtype === 'float64' ? 'float64' : p.dtype);
  b.release(scaled);
  use(decayed);
  b.release(decayed);
}
