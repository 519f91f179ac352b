/**
 * Errors a user can act on: each names the op and the shapes (or the bad
 * value) involved. The messages are pinned exactly.
 */
import { expect, test } from 'vitest';
import * as W from 'wengert';

const z = (...shape: number[]) => W.zeros(shape);

test.each([
  ['matmul inner dimensions', () => W.matmul(z(2, 3), z(4, 5)), 'matmul: shapes [2,3] and [4,5] do not match (inner dimensions 3 != 4)'],
  [
    'matmul transposed',
    () => W.matmul(z(2, 3), z(4, 5), true, false),
    'matmul: shapes [2,3] (transposed) and [4,5] do not match (inner dimensions 2 != 4)',
  ],
  [
    'matmul of a vector',
    () => W.matmul(z(3), z(3, 2)),
    'matmul: shapes [3] and [3,2] do not match (both operands need at least 2 dimensions; reshape a vector to [1,n] or [n,1])',
  ],
  [
    'matmul batch',
    () => W.matmul(z(2, 2, 3), z(3, 3, 1)),
    'matmul: shapes [2,2,3] and [3,3,1] do not match (batch dimensions cannot be broadcast)',
  ],
  ['broadcast', () => W.add(z(2, 3), z(4)), 'add: shapes [2,3] and [4] cannot be broadcast together (dimension -1 is 3 vs 4)'],
  ['broadcast inner', () => W.mul(z(2, 3), z(3, 3)), 'mul: shapes [2,3] and [3,3] cannot be broadcast together (dimension -2 is 2 vs 3)'],
  ['reshape', () => W.reshape(z(2, 3), [4, 2]), 'reshape: cannot reshape [2,3] (6 elements) to [4,2]'],
  ['reshape -1', () => W.reshape(z(2, 3), [4, -1]), 'reshape: cannot reshape [2,3] (6 elements) to [4,-1]'],
  ['axis', () => W.sum(z(2, 3), 2), 'sum: axis 2 is out of range for shape [2,3]'],
  ['repeated axis', () => W.sum(z(2, 3), [1, -1]), 'sum: axis 1 is repeated in [1,-1]'],
  ['transpose', () => W.transpose(z(2, 3), [0, 0]), 'transpose: [0,0] is not a permutation of the axes of shape [2,3]'],
  ['concat', () => W.concat([z(2, 3), z(3, 3)], 1), 'concat: shapes [2,3] and [3,3] do not match outside axis 1'],
  ['slice', () => W.slice(z(2, 3), [1, 2], [1, 2]), 'slice: begin [1,2] and size [1,2] are out of range for shape [2,3]'],
  ['gather index', () => W.gather(z(2, 3), [0, 2]), 'gather: index 2 (at position 1) is out of range for shape [2,3]'],
  [
    'scatterAdd updates',
    () => W.scatterAdd(z(2, 3), [0], z(2, 3)),
    'scatterAdd: updates of shape [2,3] do not match indices and target (expected [1,3])',
  ],
  ['empty batch', () => W.softmaxCrossEntropy(z(0, 10), new Int32Array(0)), 'softmaxCrossEntropy: empty batch (logits of shape [0,10])'],
  [
    'label count',
    () => W.softmaxCrossEntropy(z(3, 10), new Int32Array(2)),
    'softmaxCrossEntropy: 2 labels for a batch of 3 (logits of shape [3,10])',
  ],
  ['label range', () => W.softmaxCrossEntropy(z(1, 10), new Int32Array([10])), 'softmaxCrossEntropy: label 10 (row 0) is out of range for 10 classes'],
  [
    'label dtype',
    () => W.softmaxCrossEntropy(z(1, 10), W.zeros([1])),
    'softmaxCrossEntropy: labels must be int32, got a float32 tensor of shape [1]',
  ],
  ['logits rank', () => W.softmaxCrossEntropy(z(10), new Int32Array(1)), 'softmaxCrossEntropy: logits must be [batch, classes], got shape [10]'],
  ['mse shapes', () => W.mse(z(2, 3), z(3, 2)), 'mse: shapes [2,3] and [3,2] must be equal'],
  ['mse empty', () => W.mse(z(0), z(0)), 'mse: empty batch (shape [0])'],
  ['dropout rate', () => W.dropout(z(2), 1, 0), 'dropout: rate must be in [0, 1), got 1'],
  ['fromArray size', () => W.fromArray([1, 2, 3], [2, 2]), 'fromArray: 3 values do not fill shape [2,2] (4 elements)'],
  ['ragged', () => W.fromArray([[1, 2], [3]]), 'fromArray: ragged nested array (expected 2 entries at depth 1, got 1)'],
  ['bad shape', () => W.zeros([2, -1]), 'zeros: invalid shape [2,-1]'],
  ['max of empty', () => W.max(z(0, 2), 0), 'max: cannot reduce an empty axis 0 of shape [0,2]'],
  ['matmul of a number', () => W.matmul(3 as unknown as W.Tensor, z(2, 2)), 'matmul: the first operand must be a Tensor, got a number'],
])('%s', (_name, fn, message) => {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(W.ShapeError);
  expect((error as Error).message).toBe(message);
});
