/**
 * The word2vec updates are sparse: a step touches only the rows of its
 * group, and the work of a step does not grow with the vocabulary. The
 * same steps on vocabularies of 1,000 and 100,000 words gather and update
 * exactly the same number of matrix floats, use gather buffers of the same
 * size, and get gradients of the same size; every other row stays as it
 * was (checked row by row).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { Rng } from 'wengert';
import { generateWord2vecDerivatives } from '../../examples/word2vec/generate.ts';
import { createEmbeddings, type Embeddings } from '../../examples/word2vec/embeddings.ts';
import type { SparseStep as SparseStepClass } from '../../examples/word2vec/train-step.ts';

let SparseStep: typeof SparseStepClass;

beforeAll(async () => {
  generateWord2vecDerivatives();
  ({ SparseStep } = await import('../../examples/word2vec/train-step.ts'));
}, 120_000);

const dim = 16;
const negative = 5;
const window = 5;

/** Indices of the rows of `after` that differ from `before`. */
function changedRows(before: Float32Array, after: Float32Array): number[] {
  const rows: number[] = [];
  for (let w = 0; w < before.length / dim; w++) {
    for (let i = 0; i < dim; i++) {
      if (before[w * dim + i] !== after[w * dim + i]) {
        rows.push(w);
        break;
      }
    }
  }
  return rows;
}

interface Counts {
  floatsRead: number;
  floatsWritten: number;
  rowsBuffer: number;
  expected: number;
}

/** 300 skip-gram and 100 CBOW steps on word indices below 1,000, the same for every vocabulary size. */
function runSteps(embeddings: Embeddings): Counts {
  const step = new SparseStep(embeddings, negative, window);
  const random = new Rng(7);
  let expected = 0;
  for (let k = 0; k < 400; k++) {
    const count = 1 + (random.nextUint32() % (negative + 1));
    for (let j = 0; j < count; j++) {
      step.targets[j] = random.nextUint32() % 1000;
      step.labels[j] = j === 0 ? 1 : 0;
    }
    if (k < 300) {
      step.skipGram(random.nextUint32() % 1000, count, 0.025);
      expected += (count + 1) * dim;
    } else {
      const contextCount = 1 + (random.nextUint32() % (2 * window));
      for (let c = 0; c < contextCount; c++) step.contextWords[c] = random.nextUint32() % 1000;
      step.cbow(contextCount, count, 0.05);
      expected += (contextCount + count) * dim;
    }
  }
  return { floatsRead: step.floatsRead, floatsWritten: step.floatsWritten, rowsBuffer: step.rows.length, expected };
}

function withTrainedOutputs(vocabSize: number): Embeddings {
  const embeddings = createEmbeddings(vocabSize, dim, 1);
  // Non-zero output rows, so that input rows change too.
  const random = new Rng(2);
  for (let k = 0; k < embeddings.output.length; k++) embeddings.output[k] = (random.uniform() - 0.5) * 0.2;
  return embeddings;
}

describe('work per step does not depend on the vocabulary size', () => {
  test('vocabularies of 1,000 and 100,000 words: equal counts of gathered and updated floats, equal buffers', () => {
    const small = runSteps(withTrainedOutputs(1_000));
    const large = runSteps(withTrainedOutputs(100_000));
    expect(large).toEqual(small);
    // And the counts are those of the groups, not of the matrices.
    expect(small.floatsRead).toBe(small.expected);
    expect(small.floatsWritten).toBe(small.expected);
    expect(small.rowsBuffer).toBe((2 * window + negative + 1) * dim);
  });

  test('the generated gradient is the size of the gathered rows, whatever the vocabulary', async () => {
    const { valueAndGrad_skipGramLoss } = await import('../../examples/word2vec/loss.grad.ts');
    const rows = new Float32Array((2 * window + negative + 1) * dim).fill(0.1);
    const labels = Float32Array.from([1, 0, 0, 0, 0, 0]);
    const [, gradient] = valueAndGrad_skipGramLoss(rows, labels, negative + 1, dim);
    expect(gradient).toHaveLength(rows.length);
  });
});

describe('a step changes only the rows of its group', () => {
  test('skip-gram: the input row of the context word and the output rows of the targets', () => {
    const embeddings = withTrainedOutputs(5_000);
    const step = new SparseStep(embeddings, negative, window);
    const targets = [17, 4_321, 9, 2_500, 4_999, 1];
    targets.forEach((t, j) => {
      step.targets[j] = t;
      step.labels[j] = j === 0 ? 1 : 0;
    });
    const input = embeddings.input.slice();
    const output = embeddings.output.slice();
    step.skipGram(123, targets.length, 0.025);
    expect(changedRows(input, embeddings.input)).toEqual([123]);
    expect(changedRows(output, embeddings.output)).toEqual([...targets].sort((a, b) => a - b));
  });

  test('CBOW: the context rows and the output rows of the targets', () => {
    const embeddings = withTrainedOutputs(5_000);
    const step = new SparseStep(embeddings, negative, window);
    const targets = [40, 3_000, 12];
    targets.forEach((t, j) => {
      step.targets[j] = t;
      step.labels[j] = j === 0 ? 1 : 0;
    });
    const contexts = [7, 4_000, 250, 7];
    contexts.forEach((c, k) => (step.contextWords[k] = c));
    const input = embeddings.input.slice();
    const output = embeddings.output.slice();
    step.cbow(contexts.length, targets.length, 0.05);
    expect(changedRows(input, embeddings.input)).toEqual([7, 250, 4_000]);
    expect(changedRows(output, embeddings.output)).toEqual([12, 40, 3_000]);
  });

  test('the update is SGD on the group loss: the loss of the group goes down after a small step', async () => {
    const { skipGramLoss } = await import('../../examples/word2vec/loss.ts');
    const embeddings = withTrainedOutputs(100);
    const step = new SparseStep(embeddings, negative, window);
    [3, 50, 60, 70].forEach((t, j) => {
      step.targets[j] = t;
      step.labels[j] = j === 0 ? 1 : 0;
    });
    const lossBefore = step.skipGram(8, 4, 0.05);
    // step.rows still holds the rows as gathered before the update.
    expect(skipGramLoss(step.rows, step.labels, 4, dim)).toBeCloseTo(lossBefore, 10);
    const regathered = new Float32Array(5 * dim);
    regathered.set(embeddings.input.subarray(8 * dim, 9 * dim), 0);
    [3, 50, 60, 70].forEach((t, j) => regathered.set(embeddings.output.subarray(t * dim, (t + 1) * dim), (j + 1) * dim));
    expect(skipGramLoss(regathered, step.labels, 4, dim)).toBeLessThan(lossBefore);
  });
});
