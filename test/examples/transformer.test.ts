/**
 * The transformer example (examples/transformer): its model.ts compiled
 * with the real compiler into test/.generated/, then
 *   - the gradient of `loss` against central finite differences in
 *     float64 on a tiny configuration, and forward mode against reverse;
 *   - each layer helper's vjp against its jvp (<dy, J v> = <J^T dy, v>)
 *     and its jvp against finite differences of the helper itself;
 *   - the causal mask: a token changes no logit before its position;
 *   - a short training run with the generated gradient halves the loss;
 *   - the generated file type-checks under strict.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { flatten, fromArray, randn, Rng, unflatten, type Tensor } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';
import { initParams, type Config, type Params } from '../../examples/transformer/model.ts';
import { causalMask } from '../../examples/transformer/text.ts';
import { train, type ValueAndGrad } from '../../examples/transformer/train.ts';

const modelSource = readFileSync(new URL('../../examples/transformer/model.ts', import.meta.url), 'utf8');

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('transformer-example-model', modelSource);
});

/** vocab 5, 2 windows of 4 tokens, d_model 4, one head of 3, MLP 5: 177 parameters. */
const tiny: Config = { vocab: 5, maxTime: 4, dModel: 4, dHead: 3, hidden: 5 };
const rng = new Rng(7);

/** Every leaf N(0, 0.5^2) in float64, gains and biases included, so no gradient is trivially zero or one. */
function randomParams(seed: number): Params {
  const like = initParams(tiny, seed, 'float64');
  return unflatten(like, flatten(like).map(() => 0.5 * rng.normal()));
}

const tokens = fromArray([[0, 3, 1, 4], [2, 2, 0, 1]], undefined, 'int32');
const targets = Int32Array.from([3, 1, 4, 2, 2, 0, 1, 3]);
const mask = causalMask(4, 'float64');

describe('the gradient of the transformer loss, float64, tiny configuration', () => {
  test('reverse mode against central finite differences, in every parameter', () => {
    const p = randomParams(1);
    const args = [p, tokens, targets, mask];
    const g = flatten(m.grad.grad_loss(...args));
    const fd = finiteDifferenceGradient(m.source.loss, args, [0], 1e-6);
    expect(g).toHaveLength(177);
    expect(maxRelError(g, fd)).toBeLessThan(1e-6);
    // Every block of parameters gets a gradient: none of them is cut off from the loss.
    const grad = m.grad.grad_loss(...args) as Params;
    for (const [name, leaf] of Object.entries(flattenNamed(grad))) {
      expect(Math.max(...flatten(leaf).map(Math.abs)), name).toBeGreaterThan(1e-4);
    }
  });

  test('forward mode against reverse: jvp along v equals <grad, v>, and both give the loss', () => {
    const p = randomParams(2);
    const v = randomParams(3);
    const [value, g] = m.grad.valueAndGrad_loss(p, tokens, targets, mask);
    const [y, dy] = m.grad.jvp_loss(p, tokens, targets, mask, v);
    const expected = dotFlat(flatten(g), flatten(v));
    expect(value).toBeCloseTo(m.source.loss(p, tokens, targets, mask), 12);
    expect(y).toBeCloseTo(value, 12);
    expect(Math.abs(dy - expected)).toBeLessThan(1e-9 * Math.max(1, Math.abs(expected)));
  });
});

/** The leaves of a Params by dotted path. */
function flattenNamed(p: Params): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const walk = (x: unknown, path: string) => {
    if (x && typeof x === 'object' && !('shape' in x)) for (const [k, v] of Object.entries(x)) walk(v, path ? `${path}.${k}` : k);
    else out[path] = x as Tensor;
  };
  walk(p, '');
  return out;
}

describe('the layer helpers that return tensors', () => {
  const f64 = (shape: readonly number[]) => randn(shape, rng, { dtype: 'float64' });
  const p = randomParams(4);
  const x = f64([2, 4, 4]);

  /** helper(args) with its differentiated arguments at `wrt`: vjp against jvp, jvp against finite differences of <dy, helper>. */
  function checkHelper(name: string, args: unknown[], wrt: number[]) {
    const out = m.source[name](...args) as Tensor;
    const dy = f64(out.shape);
    const dirs = wrt.map((i) => unflatten(args[i], flatten(args[i]).map(() => rng.normal())));
    const [value, jv] = m.grad[`jvp_${name}`](...args, ...dirs);
    expect(flatten(value)).toEqual(flatten(out));
    const cotangents = m.grad[`vjp_${name}`](...args, dy);
    const lhs = dotFlat(flatten(dy), flatten(jv));
    const rhs = dotFlat(flatten(cotangents), flatten(dirs));
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lhs)));
    // <dy, helper(args)> is a scalar function: its finite-difference gradient is the vjp.
    const projected = (...a: unknown[]) => dotFlat(flatten(dy), flatten(m.source[name](...a)));
    const fd = finiteDifferenceGradient(projected, args, wrt, 1e-6);
    expect(maxRelError(flatten(cotangents), fd)).toBeLessThan(1e-6);
  }

  test('embed(p, tokens): token rows gathered plus position rows', () => checkHelper('embed', [p.embedding, tokens], [0]));
  test('layerNorm(p, x)', () => checkHelper('layerNorm', [p.norm1, x], [0, 1]));
  test('attention(p, x, mask), the mask a constant', () => checkHelper('attention', [p.attention, x, mask], [0, 1]));
  test('mlp(p, x)', () => checkHelper('mlp', [p.mlp, x], [0, 1]));
  test('logits(p, tokens, mask), composing all of them', () => checkHelper('logits', [p, tokens, mask], [0]));

  test('the mask is causal: changing the last token changes no logit of an earlier position', () => {
    const changed = fromArray([[0, 3, 1, 2], [2, 2, 0, 1]], undefined, 'int32');
    const before = (m.source.logits(p, tokens, mask) as Tensor).toArray() as number[][][];
    const after = (m.source.logits(p, changed, mask) as Tensor).toArray() as number[][][];
    expect(after[0]!.slice(0, 3)).toEqual(before[0]!.slice(0, 3));
    expect(after[0]![3]).not.toEqual(before[0]![3]);
    expect(after[1]).toEqual(before[1]);
  });
});

describe('training', () => {
  test('a short run of Adam on the generated gradient halves the loss on the whole text', () => {
    const started = performance.now();
    const result = train(m.grad.valueAndGrad_loss as ValueAndGrad, { log: () => {}, maxSteps: 300 });
    const seconds = (performance.now() - started) / 1000;
    expect(result.reached).toBe(true);
    expect(result.finalLoss).toBeLessThanOrEqual(result.initialLoss / 2);
    expect(result.steps).toBeLessThan(300);
    // A character model starts near log(vocabulary size).
    expect(result.initialLoss).toBeGreaterThan(0.8 * Math.log(result.vocabulary.chars.length));
    expect(seconds).toBeLessThan(60);
  });
});

test('the generated file type-checks under strict', () => {
  expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')]).join('\n')).toBe('');
});
