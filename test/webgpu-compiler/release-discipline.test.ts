/**
 * The lifetimes the compiler inserts (compiler/analysis/lifetimes.ts), on
 * the CPU with a checking backend (helpers/release-checker.ts) that poisons
 * released storage: generated code never uses a tensor after releasing it,
 * gives the same numbers as without the checker, releases every
 * intermediate it made (whatever it does not return), never releases an
 * input, a parameter or a returned value, and releases nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, SGD, flatten, fromArray, randn, retain, type Tensor } from 'wengert';
import { buildFixture, type Built } from '../helpers/generate.ts';
import { makeChecker, tensorsIn, type Checker } from './helpers/release-checker.ts';

const source = `
import { add, matmul, mul, relu, reshape, softmaxCrossEntropy, softmaxCrossEntropyLoss, sumAll, tanh, type Tensor } from 'wengert';

export interface P { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** @differentiable wrt(p) */
export function mlp(p: P, x: Tensor, labels: Int32Array): number {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  return softmaxCrossEntropy(add(matmul(h, p.W2), p.b2), labels);
}

/** @differentiable wrt(p) */
export function mlpT(p: P, x: Tensor, labels: Int32Array): Tensor {
  const h = tanh(add(matmul(x, p.W1), p.b1));
  return softmaxCrossEntropyLoss(add(matmul(h, p.W2), p.b2), labels);
}

/** @differentiable */
export function dense(x: Tensor, W: Tensor, b: Tensor): Tensor {
  return add(matmul(x, W), b);
}

/** @differentiable wrt(p) */
export function layered(p: P, x: Tensor, labels: Int32Array): Tensor {
  const h = relu(dense(x, p.W1, p.b1));
  return softmaxCrossEntropyLoss(dense(h, p.W2, p.b2), labels);
}

/** @differentiable wrt(x) */
export function looped(x: Tensor, n: number): Tensor {
  let y = x;
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) y = tanh(mul(y, 1.5));
    else y = add(mul(y, y), reshape(x, [6]));
  }
  return sumAll(mul(y, 0.5));
}

/** @differentiable wrt(x) */
export function identity(x: Tensor): Tensor {
  return reshape(x, [6]);
}
`;

type Fn = (...a: any[]) => any;
let built: Built<Record<string, Fn>, Record<string, Fn>>;
let checker: Checker;

beforeAll(async () => {
  built = await buildFixture('h2-webgpu/release-discipline', source);
  checker = makeChecker();
});

afterAll(() => checker.uninstall());

/** Fresh inputs on the default backend (the same values every time). */
function inputs() {
  const rng = new Rng(11);
  const p = { W1: randn([4, 5], rng), b1: randn([5], rng), W2: randn([5, 3], rng), b2: randn([3], rng) };
  const x = randn([6, 4], rng);
  const xs = randn([6], rng);
  return { p, x, xs, labels: Int32Array.from([0, 1, 2, 2, 1, 0]) };
}

interface Case {
  name: string;
  call: (i: ReturnType<typeof inputs>) => unknown;
  /** Makes no intermediate of its own (its result is a view of its input). */
  nothingToRelease?: boolean;
}

const cases: Case[] = [
  { name: 'valueAndGrad_mlp', call: (i) => built.grad.valueAndGrad_mlp!(i.p, i.x, i.labels) },
  { name: 'jvp_mlp', call: (i) => built.grad.jvp_mlp!(i.p, i.x, i.labels, i.p) },
  { name: 'valueAndGrad_mlpT', call: (i) => built.grad.valueAndGrad_mlpT!(i.p, i.x, i.labels) },
  { name: 'valueAndGrad_layered (calls of a helper)', call: (i) => built.grad.valueAndGrad_layered!(i.p, i.x, i.labels) },
  { name: 'valueAndGrad_looped (tape, branches, a reshape of the input)', call: (i) => built.grad.valueAndGrad_looped!(i.xs, 5) },
  { name: 'jvp_looped', call: (i) => built.grad.jvp_looped!(i.xs, 5, i.xs) },
  { name: 'valueAndVjp_identity (returns a view of its input)', call: (i) => built.grad.valueAndVjp_identity!(i.xs, fromArray([1, 2, 3, 4, 5, 6], [6])), nothingToRelease: true },
];

describe('release discipline (checking backend on the CPU)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const expected = flatten(c.call(inputs()));
      checker.install();
      try {
        const i = inputs();
        const keep = new Set<object>([...tensorsIn(i), ...tensorsIn(i.p)].map((t) => t.storage as object));
        checker.reset();
        const result = c.call(i);
        const made = checker.made.slice();
        const returned = new Set(tensorsIn(result).map((t) => t.storage as object));
        // Inputs and what is returned are intact.
        for (const t of [...tensorsIn(i), ...tensorsIn(result)]) expect(checker.isPoisoned(t)).toBe(false);
        expect(flatten(result)).toEqual(expected);
        // Every intermediate is released, once.
        const leaked = made.filter((t) => !keep.has(t.storage as object) && !returned.has(t.storage as object) && !checker.isPoisoned(t));
        expect(leaked.map((t) => t.toString())).toEqual([]);
        expect(checker.doubleReleases).toBe(0);
        if (c.nothingToRelease) expect(checker.releases).toBe(0);
        else expect(checker.releases).toBeGreaterThan(0);
      } finally {
        checker.uninstall();
      }
    });
  }

  it('a training loop keeps alive only the last loss, or what it retains', () => {
    checker.install();
    try {
      const i = inputs();
      const opt = new SGD({ lr: 0.1 });
      // Live storages (a reshape is a second Tensor over the same storage).
      const live = () => new Set(checker.made.filter((t) => !checker.isPoisoned(t)).map((t) => t.storage)).size;
      checker.reset();
      const alive: number[] = [];
      for (let step = 0; step < 30; step++) {
        const [, grads] = built.grad.valueAndGrad_mlpT!(i.p, i.x, i.labels) as [Tensor, unknown];
        opt.step(i.p, grads);
        alive.push(live());
      }
      // The step released the gradients, each call the previous loss: what is alive is this step's loss.
      expect(new Set(alive)).toEqual(new Set([1]));
      checker.reset();
      const held: unknown[] = [];
      const extra: number[] = [];
      for (let step = 0; step < 30; step++) {
        const [loss, grads] = retain(built.grad.valueAndGrad_mlpT!(i.p, i.x, i.labels) as [Tensor, unknown]);
        opt.step(i.p, grads);
        held.push([loss, grads]);
        extra.push(live() - new Set(tensorsIn(held).map((t) => t.storage)).size);
      }
      // Retained results are the user's: what is alive is exactly what the loop retained.
      expect(new Set(extra)).toEqual(new Set([0]));
    } finally {
      checker.uninstall();
    }
  });

  it('the generated code releases intermediates after their last use, not only at the end', () => {
    expect(built.text).toMatch(/\n\s+release\(t2\);\n/);
    expect(built.text).toContain('const scope = beginScope();');
    expect(built.text).toContain('return keep(scope, ');
    expect(built.text).toMatch(/finally \{\n\s+endScope\(scope\);\n/);
  });
});
