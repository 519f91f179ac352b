/**
 * Walking structured parameters (objects and arrays of Tensors, typed
 * arrays and numbers) together with their gradients, so optimizers can
 * update every leaf in place through the backend's in-place kernels.
 */
import { cpu } from '../backends/index.ts';
import { Tensor } from '../tensor.ts';
import { ShapeError, fmt } from '../shape.ts';

/** One parameter leaf, as a tensor whose storage is the parameter's own. */
export interface Leaf {
  path: string;
  param: Tensor;
  grad: Tensor;
  /** Writes the tensor's value back where the leaf was a plain number. */
  commit(): void;
}

function asTensor(x: unknown): Tensor | null {
  if (x instanceof Tensor) return x;
  if (x instanceof Float32Array || x instanceof Float64Array) return cpu.fromValues(x, [x.length]);
  return null;
}

/** The leaves of `params` paired with the matching entries of `grads`. */
export function leaves(params: unknown, grads: unknown, path = 'params'): Leaf[] {
  const out: Leaf[] = [];
  walk(params, grads, path, out, null, null);
  return out;
}

function walk(
  p: unknown,
  g: unknown,
  path: string,
  out: Leaf[],
  parent: Record<string | number, unknown> | null,
  key: string | number | null,
): void {
  if (g === undefined || g === null) throw new ShapeError(`optimizer: no gradient for ${path}`);
  if (typeof p === 'number') {
    if (parent === null || key === null) throw new ShapeError(`optimizer: ${path} is a number; pass parameters in an object or array so they can be updated in place`);
    const cell = new Float64Array([p]);
    const gv = typeof g === 'number' ? g : g instanceof Tensor && g.size === 1 ? g.dataSync()[0]! : NaN;
    if (Number.isNaN(gv) && typeof g !== 'number') throw new ShapeError(`optimizer: gradient for number ${path} is not a number`);
    out.push({
      path,
      param: cpu.fromValues(cell, [1]),
      grad: cpu.fromValues(new Float64Array([gv]), [1]),
      commit: () => {
        parent[key] = cell[0]!;
      },
    });
    return;
  }
  const pt = asTensor(p);
  if (pt !== null) {
    if (pt.dtype === 'int32') return;
    const gt = asTensor(g);
    if (gt === null) throw new ShapeError(`optimizer: gradient for ${path} should be a tensor or typed array`);
    if (gt.size !== pt.size) throw new ShapeError(`optimizer: gradient for ${path} has shape ${fmt(gt.shape)}, parameter has ${fmt(pt.shape)}`);
    out.push({ path, param: pt, grad: gt, commit: () => {} });
    return;
  }
  if (Array.isArray(p)) {
    p.forEach((v, i) => walk(v, (g as unknown[])[i], `${path}[${i}]`, out, p as unknown as Record<number, unknown>, i));
    return;
  }
  if (p !== null && typeof p === 'object') {
    for (const [k, v] of Object.entries(p)) {
      walk(v, (g as Record<string, unknown>)[k], `${path}.${k}`, out, p as Record<string, unknown>, k);
    }
  }
}
