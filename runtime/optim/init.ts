/**
 * Parameter initialisation. Weight shapes follow the runtime's convention
 * y = x W, so a dense layer's weight is [fanIn, fanOut]; for more than two
 * dimensions the leading ones are a receptive field multiplying both fans.
 */
import type { DType, Shape, Tensor } from '../tensor.ts';
import type { Rng } from '../rng.ts';
import { randn, randu } from '../ops/creation.ts';
import { ShapeError, fmt } from '../shape.ts';

export interface InitOptions {
  dtype?: DType;
}

function fans(op: string, shape: Shape): [number, number] {
  if (shape.length < 2) throw new ShapeError(`${op}: needs a weight of at least 2 dimensions, got shape ${fmt(shape)}`);
  let field = 1;
  for (let i = 0; i < shape.length - 2; i++) field *= shape[i]!;
  return [shape[shape.length - 2]! * field, shape[shape.length - 1]! * field];
}

/** Glorot / Xavier uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)). For tanh and sigmoid layers. */
export function glorotUniform(shape: Shape, seed: number | Rng, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = fans('glorotUniform', shape);
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return randu(shape, seed, { low: -a, high: a, dtype: options.dtype });
}

/** Glorot / Xavier normal: N(0, 2 / (fanIn + fanOut)). */
export function glorotNormal(shape: Shape, seed: number | Rng, options: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = fans('glorotNormal', shape);
  return randn(shape, seed, { std: Math.sqrt(2 / (fanIn + fanOut)), dtype: options.dtype });
}

/** He / Kaiming normal: N(0, 2 / fanIn). For ReLU layers. */
export function heNormal(shape: Shape, seed: number | Rng, options: InitOptions = {}): Tensor {
  const [fanIn] = fans('heNormal', shape);
  return randn(shape, seed, { std: Math.sqrt(2 / fanIn), dtype: options.dtype });
}

/** He / Kaiming uniform: U(-a, a), a = sqrt(6 / fanIn). */
export function heUniform(shape: Shape, seed: number | Rng, options: InitOptions = {}): Tensor {
  const [fanIn] = fans('heUniform', shape);
  const a = Math.sqrt(6 / fanIn);
  return randu(shape, seed, { low: -a, high: a, dtype: options.dtype });
}

/** Aliases under the other common names. */
export const xavierUniform = glorotUniform;
export const xavierNormal = glorotNormal;
