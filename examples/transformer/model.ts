/**
 * A one-block, one-head transformer language model over characters,
 * written the way a PyTorch user writes one: each layer is a small
 * `@differentiable` helper that takes its parameters and a tensor and
 * returns a tensor, and `loss` composes them.
 *
 *   tokens [batch, time] -> embed -> x + attention(layerNorm(x))
 *                        -> h + mlp(layerNorm(h)) -> layerNorm -> logits
 *   loss = cross-entropy of the logits against the next tokens
 *
 * The causal mask is a constant tensor argument (0 on and below the
 * diagonal, a large negative number above it) added to the attention
 * scores before the softmax. `wengert build` writes the gradients of every
 * helper and of `loss` to model.grad.ts.
 */
import {
  add,
  div,
  gather,
  glorotUniform,
  matmul,
  mean,
  mul,
  ones,
  randn,
  relu,
  reshape,
  slice,
  softmax,
  softmaxCrossEntropy,
  sqrt,
  sub,
  zeros,
  type DType,
  type Tensor,
} from 'wengert';

/** Token and position embeddings: [vocab, dModel] and [maxTime, dModel]. */
export interface Embedding {
  tokens: Tensor;
  positions: Tensor;
}

/** A layer norm's learned gain and bias, [dModel] each. */
export interface LayerNormParams {
  gain: Tensor;
  bias: Tensor;
}

/** One attention head: query, key and value projections [dModel, dHead] and the output projection [dHead, dModel]. */
export interface AttentionParams {
  query: Tensor;
  key: Tensor;
  value: Tensor;
  out: Tensor;
}

/** The position-wise MLP: dModel -> hidden (ReLU) -> dModel. */
export interface MlpParams {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

export interface Params {
  embedding: Embedding;
  norm1: LayerNormParams;
  attention: AttentionParams;
  norm2: LayerNormParams;
  mlp: MlpParams;
  normOut: LayerNormParams;
  /** The unembedding, [dModel, vocab]. */
  unembed: Tensor;
}

export interface Config {
  vocab: number;
  maxTime: number;
  dModel: number;
  dHead: number;
  hidden: number;
}

/** Embeddings N(0, 0.1^2), Glorot-uniform projections, unit gains, zero biases. */
export function initParams(c: Config, seed: number, dtype: DType = 'float32'): Params {
  const norm = (): LayerNormParams => ({ gain: ones([c.dModel], dtype), bias: zeros([c.dModel], dtype) });
  return {
    embedding: {
      tokens: randn([c.vocab, c.dModel], seed, { std: 0.1, dtype }),
      positions: randn([c.maxTime, c.dModel], seed + 1, { std: 0.1, dtype }),
    },
    norm1: norm(),
    attention: {
      query: glorotUniform([c.dModel, c.dHead], seed + 2, { dtype }),
      key: glorotUniform([c.dModel, c.dHead], seed + 3, { dtype }),
      value: glorotUniform([c.dModel, c.dHead], seed + 4, { dtype }),
      out: glorotUniform([c.dHead, c.dModel], seed + 5, { dtype }),
    },
    norm2: norm(),
    mlp: {
      W1: glorotUniform([c.dModel, c.hidden], seed + 6, { dtype }),
      b1: zeros([c.hidden], dtype),
      W2: glorotUniform([c.hidden, c.dModel], seed + 7, { dtype }),
      b2: zeros([c.dModel], dtype),
    },
    normOut: norm(),
    unembed: glorotUniform([c.dModel, c.vocab], seed + 8, { dtype }),
  };
}

/**
 * Token embeddings plus the embeddings of positions 0..time-1:
 * [batch, time] int32 tokens -> [batch, time, dModel].
 * @differentiable wrt(p)
 */
export function embed(p: Embedding, tokens: Tensor): Tensor {
  const time = tokens.shape[1]!;
  const dModel = p.tokens.shape[1]!;
  return add(gather(p.tokens, tokens), slice(p.positions, [0, 0], [time, dModel]));
}

/**
 * Normalises each row over its last axis to mean 0 and variance 1, then
 * scales by the gain and shifts by the bias.
 * @differentiable
 */
export function layerNorm(p: LayerNormParams, x: Tensor): Tensor {
  const centered = sub(x, mean(x, -1, true));
  const variance = mean(mul(centered, centered), -1, true);
  const normalized = div(centered, sqrt(add(variance, 1e-5)));
  return add(mul(normalized, p.gain), p.bias);
}

/**
 * One causal self-attention head: softmax(q k^T / sqrt(dHead) + mask) v,
 * projected back to dModel. The mask [time, time] is 0 where a position
 * may look and a large negative number where it may not.
 * @differentiable wrt(p, x)
 */
export function attention(p: AttentionParams, x: Tensor, mask: Tensor): Tensor {
  const dHead = p.query.shape[1]!;
  const q = matmul(x, p.query);
  const k = matmul(x, p.key);
  const v = matmul(x, p.value);
  const scores = add(div(matmul(q, k, false, true), Math.sqrt(dHead)), mask);
  return matmul(matmul(softmax(scores, -1), v), p.out);
}

/**
 * The position-wise MLP: relu(x W1 + b1) W2 + b2.
 * @differentiable
 */
export function mlp(p: MlpParams, x: Tensor): Tensor {
  const hidden = relu(add(matmul(x, p.W1), p.b1));
  return add(matmul(hidden, p.W2), p.b2);
}

/**
 * Next-token logits [batch, time, vocab]: one pre-norm transformer block
 * (attention and MLP, each added back to its input) and a final norm.
 * @differentiable wrt(p)
 */
export function logits(p: Params, tokens: Tensor, mask: Tensor): Tensor {
  const x = embed(p.embedding, tokens);
  const h = add(x, attention(p.attention, layerNorm(p.norm1, x), mask));
  const y = add(h, mlp(p.mlp, layerNorm(p.norm2, h)));
  return matmul(layerNorm(p.normOut, y), p.unembed);
}

/**
 * Mean cross-entropy of the next-token predictions: targets[b * time + t]
 * is the token that follows tokens[b, t].
 * @differentiable wrt(p)
 */
export function loss(p: Params, tokens: Tensor, targets: Int32Array, mask: Tensor): number {
  const z = logits(p, tokens, mask);
  const vocab = p.unembed.shape[1]!;
  return softmaxCrossEntropy(reshape(z, [tokens.size, vocab]), targets);
}
