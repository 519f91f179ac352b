/**
 * Forward values of the tensor ops: elementwise with broadcasting and
 * number operands, reductions (numbers for full reductions, keepdims),
 * layout ops, nn ops, creation, dtypes, edge shapes (size 0 and size 1
 * dimensions, 0-d tensors) and the sync / async read paths.
 */
import { describe, expect, test } from 'vitest';
import * as W from 'wengert';
import { Tensor } from 'wengert';

const A = () => W.fromArray([
  [1, 2, 3],
  [4, 5, 6],
]);

describe('creation and reading', () => {
  test('fromArray infers shape and dtype; toArray, dataSync and data agree', async () => {
    const a = A();
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await a.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(W.fromArray(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(W.fromArray(new Float64Array([1, 2]), [2, 1]).shape).toEqual([2, 1]);
    expect(W.fromArray(5).toArray()).toBe(5);
    expect(W.toArray(3)).toBe(3);
    expect(a.backend.name).toBe('cpu');
  });

  test('zeros, ones, full, seeded random', () => {
    expect(W.zeros([2]).toArray()).toEqual([0, 0]);
    expect(W.ones([1, 2], 'int32').toArray()).toEqual([[1, 1]]);
    expect(W.full([2], 2.5, 'float64').toArray()).toEqual([2.5, 2.5]);
    expect(W.randn([4], 3).toArray()).toEqual(W.randn([4], 3).toArray());
    expect(W.randn([4], 3).toArray()).not.toEqual(W.randn([4], 4).toArray());
    const u = W.randu([1000], 1, { low: 2, high: 3 }).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(3);
    const n = W.randn([20000], 5, { mean: 1, std: 2, dtype: 'float64' });
    expect(W.mean(n)).toBeCloseTo(1, 1);
    expect(Math.sqrt(W.mean(W.mul(W.sub(n, 1), W.sub(n, 1))))).toBeCloseTo(2, 1);
  });

  test('zero-size and 0-d tensors', () => {
    const e = W.zeros([0, 3]);
    expect(W.add(e, W.ones([3])).shape).toEqual([0, 3]);
    expect(W.sum(e)).toBe(0);
    expect(W.sum(e, 0).toArray()).toEqual([0, 0, 0]);
    expect(W.matmul(W.zeros([2, 0]), W.zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const s = W.fromArray(2);
    expect(s.shape).toEqual([]);
    expect(W.mul(s, W.ones([2])).toArray()).toEqual([2, 2]);
    expect(W.sum(s)).toBe(2);
  });
});

describe('elementwise', () => {
  test('broadcasting over rows, columns and size-1 dims', () => {
    expect(W.add(A(), W.fromArray([10, 20, 30])).toArray()).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(W.sub(A(), W.fromArray([[1], [2]])).toArray()).toEqual([
      [0, 1, 2],
      [2, 3, 4],
    ]);
    expect(W.mul(W.fromArray([[1], [2]]), W.fromArray([[1, 2, 3]])).toArray()).toEqual([
      [1, 2, 3],
      [2, 4, 6],
    ]);
    const big = W.mul(W.ones([2, 1, 3]), W.reshape(W.fromArray([1, 2, 3, 4]), [4, 1]));
    expect(big.shape).toEqual([2, 4, 3]);
    expect(W.sum(big)).toBe(2 * 3 * 10);
  });

  test('number operands; numbers in, number out', () => {
    expect(W.div(1, A()).toArray()).toEqual([
      [1, 0.5, 1 / 3],
      [0.25, 0.2, 1 / 6],
    ].map((r) => r.map(Math.fround)));
    expect(W.pow(A(), 2).toArray()).toEqual([
      [1, 4, 9],
      [16, 25, 36],
    ]);
    expect(W.add(2, 3)).toBe(5);
    expect(W.exp(0)).toBe(1);
    expect(W.maximum(-1, 2)).toBe(2);
  });

  test('unary functions', () => {
    const x = W.fromArray([-2, -0.5, 0, 0.5, 2], undefined, 'float64');
    const v = (t: W.Operand) => Array.from((t as Tensor).dataSync());
    expect(v(W.relu(x))).toEqual([0, 0, 0, 0.5, 2]);
    expect(v(W.leakyRelu(x, 0.1))).toEqual([-0.2, -0.05, 0, 0.5, 2]);
    expect(v(W.abs(x))).toEqual([2, 0.5, 0, 0.5, 2]);
    expect(v(W.sign(x))).toEqual([-1, -1, 0, 1, 1]);
    expect(v(W.neg(x))).toEqual([2, 0.5, -0, -0.5, -2]);
    v(W.tanh(x)).forEach((y, i) => expect(y).toBeCloseTo(Math.tanh([-2, -0.5, 0, 0.5, 2][i]!), 15));
    v(W.sigmoid(x)).forEach((y, i) => expect(y).toBeCloseTo(1 / (1 + Math.exp(-[-2, -0.5, 0, 0.5, 2][i]!)), 15));
    v(W.softplus(x)).forEach((y, i) => expect(y).toBeCloseTo(Math.log1p(Math.exp([-2, -0.5, 0, 0.5, 2][i]!)), 15));
    expect(v(W.softplus(W.fromArray([1000, -1000], undefined, 'float64')))).toEqual([1000, 0]);
    expect(v(W.sqrt(W.fromArray([4, 9])))).toEqual([2, 3]);
    expect(v(W.log(W.fromArray([1])))).toEqual([0]);
  });

  test('float32 tanh and sigmoid stay within 3e-7 of the float64 functions', () => {
    const xs = Array.from({ length: 4001 }, (_, i) => (i - 2000) / 100);
    const t32 = W.tanh(W.fromArray(xs)).dataSync();
    const s32 = W.sigmoid(W.fromArray(xs)).dataSync();
    xs.forEach((x, i) => {
      expect(Math.abs(t32[i]! - Math.tanh(x))).toBeLessThan(3e-7);
      expect(Math.abs(s32[i]! - 1 / (1 + Math.exp(-x)))).toBeLessThan(3e-7);
    });
  });

  test('maximum, minimum, prelu, where and comparisons', () => {
    const a = W.fromArray([1, 5, 3]);
    const b = W.fromArray([4, 2, 3]);
    expect(W.maximum(a, b).toArray()).toEqual([4, 5, 3]);
    expect(W.minimum(a, b).toArray()).toEqual([1, 2, 3]);
    expect(W.maxMask(a, b).toArray()).toEqual([0, 1, 0.5]);
    expect(W.greater(a, b).toArray()).toEqual([0, 1, 0]);
    expect(W.greater(a, b).dtype).toBe('int32');
    expect(W.lessEqual(a, b).toArray()).toEqual([1, 0, 1]);
    expect(W.equal(a, 3).toArray()).toEqual([0, 0, 1]);
    expect(W.notEqual(a, 3).toArray()).toEqual([1, 1, 0]);
    expect(W.where(W.greater(a, b), a, 0).toArray()).toEqual([0, 5, 0]);
    expect(W.prelu(W.fromArray([-2, 3]), W.fromArray([0.5, 0.5])).toArray()).toEqual([-1, 3]);
  });

  test('dtype promotion: float64 wins, numbers are weak, int32 stays int32', () => {
    const f64 = W.zeros([2], 'float64');
    const i32 = W.ones([2], 'int32');
    expect(W.add(W.zeros([2]), f64).dtype).toBe('float64');
    expect(W.mul(W.zeros([2]), 2.5).dtype).toBe('float32');
    expect(W.add(i32, 2).dtype).toBe('int32');
    expect(W.add(i32, 0.5).dtype).toBe('float32');
    expect(W.div(i32, i32).dtype).toBe('float32');
    expect(W.cast(W.fromArray([1.7, -1.7]), 'int32').toArray()).toEqual([1, -1]);
  });
});

describe('reductions', () => {
  test('all axes give numbers; axes give tensors; keepdims', () => {
    expect(W.sum(A())).toBe(21);
    expect(W.mean(A())).toBe(3.5);
    expect(W.max(A())).toBe(6);
    expect(W.min(A())).toBe(1);
    expect(W.sum(A(), 0).toArray()).toEqual([5, 7, 9]);
    expect(W.sum(A(), -1, true).toArray()).toEqual([[6], [15]]);
    expect(W.sum(A(), null, true).toArray()).toEqual([[21]]);
    expect(W.max(A(), [0, 1]).toArray()).toBe(6);
    expect(W.mean(A(), 1).toArray()).toEqual([2, 5]);
    expect(W.argmax(A(), 1).toArray()).toEqual([2, 2]);
    expect(W.argmax(W.fromArray([3, 1, 3])).toArray()).toBe(0);
  });

  test('non-adjacent axes', () => {
    const x = W.reshape(W.fromArray([...Array(24).keys()]), [2, 3, 4]);
    expect(W.sum(x, [0, 2]).toArray()).toEqual([60, 92, 124]);
    expect(W.max(x, [0, 2], true).toArray()).toEqual([[[15], [19], [23]]]);
  });

  test('logsumexp is stable and handles -Infinity rows', () => {
    const x = W.fromArray([[1000, 1000], [-Infinity, -Infinity]], undefined, 'float64');
    const r = W.logsumexp(x, 1).dataSync();
    expect(r[0]).toBeCloseTo(1000 + Math.log(2), 10);
    expect(r[1]).toBe(-Infinity);
    expect(W.logsumexp(W.fromArray([0, 0], undefined, 'float64'))).toBeCloseTo(Math.log(2), 15);
  });
});

describe('linear algebra and layout', () => {
  test('matmul, transposed operands and batches', () => {
    const a = A();
    expect(W.matmul(a, a, false, true).toArray()).toEqual([
      [14, 32],
      [32, 77],
    ]);
    expect(W.matmul(a, a, true, false).toArray()).toEqual([
      [17, 22, 27],
      [22, 29, 36],
      [27, 36, 45],
    ]);
    const batch = W.reshape(W.fromArray([...A().dataSync(), ...A().dataSync()]), [2, 2, 3]);
    const r = W.matmul(batch, W.transpose(a));
    expect(r.shape).toEqual([2, 2, 2]);
    expect(r.toArray()).toEqual([
      [
        [14, 32],
        [32, 77],
      ],
      [
        [14, 32],
        [32, 77],
      ],
    ]);
  });

  test('transpose, reshape, broadcastTo, concat, slice', () => {
    const x = W.reshape(W.fromArray([...Array(24).keys()]), [2, 3, 4]);
    const t = W.transpose(x, [2, 0, 1]);
    expect(t.shape).toEqual([4, 2, 3]);
    expect((t.toArray() as number[][][])[3]![1]![2]).toBe(23);
    expect(W.transpose(A()).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(W.reshape(A(), [-1]).shape).toEqual([6]);
    expect(W.broadcastTo(W.fromArray([1, 2]), [2, 2]).toArray()).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(W.concat([A(), W.fromArray([[7, 8, 9]])]).shape).toEqual([3, 3]);
    expect(W.concat([A(), W.fromArray([[0], [0]])], -1).toArray()).toEqual([
      [1, 2, 3, 0],
      [4, 5, 6, 0],
    ]);
    expect(W.slice(A(), [1, 1]).toArray()).toEqual([[5, 6]]);
    expect(W.slice(x, [1, 0, 2], [1, 2, 2]).toArray()).toEqual([
      [
        [14, 15],
        [18, 19],
      ],
    ]);
  });

  test('gather rows (embeddings) and scatterAdd with repeated indices', () => {
    const table = A();
    expect(W.gather(table, [1, 0, 1]).toArray()).toEqual([
      [4, 5, 6],
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const idx = W.reshape(W.fromArray(new Int32Array([0, 1, 1, 1])), [2, 2]);
    expect(W.gather(table, idx).shape).toEqual([2, 2, 3]);
    expect(W.scatterAdd(W.zeros([2, 3]), [1, 1, 0], W.ones([3, 3])).toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });
});

describe('nn', () => {
  test('softmax and logSoftmax along any axis', () => {
    const x = W.fromArray([[1, 2], [3, 5]], undefined, 'float64');
    const s = W.softmax(x).toArray() as number[][];
    expect(s[0]![0]! + s[0]![1]!).toBeCloseTo(1, 15);
    expect(s[1]![1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    const s0 = W.softmax(x, 0).toArray() as number[][];
    expect(s0[0]![0]! + s0[1]![0]!).toBeCloseTo(1, 15);
    const l = W.logSoftmax(x).toArray() as number[][];
    expect(l[1]![1]).toBeCloseTo(Math.log(s[1]![1]!), 14);
  });

  test('softmaxCrossEntropy equals the mean of -logSoftmax at the labels', () => {
    const logits = W.randn([5, 4], 1, { dtype: 'float64' });
    const labels = new Int32Array([0, 3, 1, 1, 2]);
    const ls = W.logSoftmax(logits).toArray() as number[][];
    const expected = -[...labels].reduce((s, c, i) => s + ls[i]![c]!, 0) / 5;
    expect(W.softmaxCrossEntropy(logits, labels)).toBeCloseTo(expected, 14);
    expect(W.softmaxCrossEntropy(logits, W.fromArray(labels))).toBeCloseTo(expected, 14);
  });

  test('sigmoidCrossEntropy, mse and dropout', () => {
    const x = W.fromArray([0, 2], undefined, 'float64');
    const z = W.fromArray([1, 0], undefined, 'float64');
    expect(W.sigmoidCrossEntropy(x, z)).toBeCloseTo((Math.log(2) + Math.log(1 + Math.exp(2))) / 2, 14);
    expect(W.mse(W.fromArray([1, 2]), W.fromArray([0, 0]))).toBe(2.5);
    const d = W.dropout(W.ones([10000]), 0.3, 42);
    const kept = d.dataSync().filter((v) => v !== 0);
    expect(kept.length / 10000).toBeCloseTo(0.7, 1);
    expect(kept[0]).toBeCloseTo(1 / 0.7, 6);
    expect(W.dropout(W.ones([50]), 0.3, 42).toArray()).toEqual(W.dropout(W.ones([50]), 0.3, 42).toArray());
    expect(W.dropout(W.ones([50]), 0.3, 43).toArray()).not.toEqual(W.dropout(W.ones([50]), 0.3, 42).toArray());
    const x0 = W.ones([3]);
    expect(W.dropout(x0, 0, 1)).toBe(x0);
  });
});

describe('adjoint helpers', () => {
  test('unbroadcast sums down to the operand, numbers for numbers', () => {
    const g = W.ones([2, 3]);
    expect(W.unbroadcast(g, W.zeros([3])).toArray()).toEqual([2, 2, 2]);
    expect(W.unbroadcast(g, W.zeros([2, 1])).toArray()).toEqual([[3], [3]]);
    expect(W.unbroadcast(g, W.zeros([1, 1, 3])).shape).toEqual([1, 1, 3]);
    expect(W.unbroadcast(g, 7)).toBe(6);
    expect(W.unbroadcast(2, W.zeros([2])).toArray()).toEqual([2, 2]);
    expect(() => W.unbroadcast(g, W.zeros([4]))).toThrow(
      'unbroadcast: cotangent of shape [2,3] does not broadcast from operand shape [4]',
    );
  });

  test('addN and accumulate treat null as zero and recurse into structures', () => {
    expect(W.addN([1, null, 2])).toBe(3);
    expect((W.addN([W.ones([2]), 1]) as Tensor).toArray()).toEqual([2, 2]);
    expect(W.accumulate(null, 3)).toBe(3);
    const acc = W.accumulate({ a: W.ones([2]), b: [1, 2] }, { a: W.ones([2]), b: [3, 4] })!;
    expect((acc.a as Tensor).toArray()).toEqual([2, 2]);
    expect(acc.b).toEqual([4, 6]);
  });
});
