/**
 * Higher-order benchmark (`npm run bench -- --only higher-order`, issue
 * #12): one Hessian-vector product (`hvp_f`, forward mode over the reverse
 * code) against one gradient (`grad_f`) of the same function, in the same
 * run, on the scalar benchmark's cases (the seed function, the logistic map
 * with n = 1000, the ridge loss over d = 16, n = 64) and the MNIST MLP loss
 * (784-128-10, a batch of 128, float32). The target is hvp / grad <= 4
 * (Griewank's bound for a second-order adjoint is about that).
 *
 * Before timing, each hvp is checked against central differences of the
 * generated gradient. The sources (bench/higher-order/cases.ts) are compiled
 * here into cases.grad.ts (not committed).
 *
 * JSON records: { case: 'higher-order/<name>', impl: 'grad' | 'hvp',
 * nsPerCall, ratio } (ratio: hvp over grad, on the hvp record).
 */
import * as fs from 'node:fs';
import { compileFiles, formatDiagnostic } from '../../compiler/index.ts';
import { flatten, randn, Rng, unflatten, type Tensor } from 'wengert';
import { formatRatio, measure, printTable, type BenchContext, type BenchModule, type BenchResult, type TableRow } from '../harness.ts';

/** The hvp record: its time over the gradient's, same case, same run. */
export interface HigherOrderResult extends BenchResult {
  ratio: number;
}

interface Case {
  name: string;
  grad: () => unknown;
  hvp: () => unknown;
  /** hvp against central differences of the gradient along the same direction. */
  check: () => number;
}

/** Largest |a - b| / max(1, |b|) between hvp and (grad(x + h v) - grad(x - h v)) / 2h. */
function fdError(hv: unknown, gradAt: (s: number) => unknown, h: number): number {
  const plus = flatten(gradAt(h));
  const minus = flatten(gradAt(-h));
  const got = flatten(hv);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const fd = (plus[i]! - minus[i]!) / (2 * h);
    worst = Math.max(worst, Math.abs(got[i]! - fd) / Math.max(1, Math.abs(fd)));
  }
  return worst;
}

async function cases(): Promise<Case[]> {
  const source = new URL('./cases.ts', import.meta.url).pathname;
  const result = compileFiles([source]);
  const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
  if (errors.length || !result.files[0]) throw new Error(`bench/higher-order/cases.ts did not compile:\n${errors.map(formatDiagnostic).join('\n')}`);
  fs.writeFileSync(result.files[0].outputPath, result.files[0].text);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const g: any = await import(new URL('./cases.grad.ts', import.meta.url).href);

  const rng = new Rng(7);
  const d = 16;
  const rows = 64;
  const w = Float64Array.from({ length: d }, () => rng.normal());
  const X = Array.from({ length: rows }, () => Float64Array.from({ length: d }, () => rng.normal()));
  const y = Float64Array.from({ length: rows }, () => rng.normal());
  const vw = Float64Array.from({ length: d }, () => rng.normal());

  const p = { W1: randn([784, 128], 1, { std: 0.05 }), b1: randn([128], 2, { std: 0.05 }), W2: randn([128, 10], 3, { std: 0.1 }), b2: randn([10], 4, { std: 0.1 }) };
  const v = { W1: randn([784, 128], 5), b1: randn([128], 6), W2: randn([128, 10], 7), b2: randn([10], 8) };
  const x: Tensor = randn([128, 784], 9);
  const labels = Int32Array.from({ length: 128 }, (_, i) => (i * 7) % 10);
  // The MLP's check runs in float64 at small sizes (float32 central differences are too coarse).
  const small = (seed: number) => ({ W1: randn([6, 5], seed, { dtype: 'float64' }), b1: randn([5], seed + 1, { dtype: 'float64' }), W2: randn([5, 3], seed + 2, { dtype: 'float64' }), b2: randn([3], seed + 3, { dtype: 'float64' }) });
  const sp = small(20);
  const sv = small(30);
  const sx = randn([4, 6], 40, { dtype: 'float64' });
  const sl = Int32Array.from([0, 2, 1, 1]);
  const shift = (a: unknown, b: unknown, s: number) => unflatten(a, flatten(a).map((t, i) => t + s * flatten(b)[i]!));

  return [
    { name: 'seed f', grad: () => g.grad_f(2, 1), hvp: () => g.hvp_f(2, 1, 0.3, -0.7), check: () => fdError(g.hvp_f(2, 1, 0.3, -0.7), (s: number) => g.grad_f(2 + 0.3 * s, 1 - 0.7 * s), 1e-5) },
    { name: 'logistic n=1000', grad: () => g.grad_logistic(0.3, 1000), hvp: () => g.hvp_logistic(0.3, 1000, 1), check: () => fdError(g.hvp_logistic(0.3, 10, 1), (s: number) => g.grad_logistic(0.3 + s, 10), 1e-6) },
    {
      name: 'ridge d=16 n=64',
      grad: () => g.grad_ridgeLoss(w, X, y, 0.1),
      hvp: () => g.hvp_ridgeLoss(w, X, y, 0.1, vw),
      check: () => fdError(g.hvp_ridgeLoss(w, X, y, 0.1, vw), (s: number) => g.grad_ridgeLoss(shift(w, vw, s), X, y, 0.1), 1e-5),
    },
    {
      name: 'MLP 784-128-10 batch 128',
      grad: () => g.grad_loss(p, x, labels),
      hvp: () => g.hvp_loss(p, x, labels, v),
      check: () => fdError(g.hvp_loss(sp, sx, sl, sv), (s: number) => g.grad_loss(shift(sp, sv, s), sx, sl), 1e-5),
    },
  ];
}

export const higherOrderBench: BenchModule = {
  name: 'higher-order',
  description: 'hvp_f (forward over reverse) against grad_f: the scalar cases and the MNIST MLP loss; target hvp / grad <= 4',
  async run(ctx: BenchContext): Promise<void> {
    const rows: TableRow[] = [];
    for (const c of await cases()) {
      const error = c.check();
      if (!(error < 1e-4)) throw new Error(`higher-order/${c.name}: hvp differs from central differences of the gradient by ${error}`);
      const sink = (r: unknown) => flatten(r)[0] ?? 0;
      const grad = measure(() => sink(c.grad()), ctx.options);
      const hvp = measure(() => sink(c.hvp()), ctx.options);
      const ratio = hvp.nsPerCall / grad.nsPerCall;
      ctx.record({ case: `higher-order/${c.name}`, impl: 'grad', nsPerCall: grad.nsPerCall });
      const result: HigherOrderResult = { case: `higher-order/${c.name}`, impl: 'hvp', nsPerCall: hvp.nsPerCall, ratio };
      ctx.record(result);
      rows.push({ impl: `${c.name}: grad_f`, nsPerCall: grad.nsPerCall }, { impl: `${c.name}: hvp_f`, nsPerCall: hvp.nsPerCall, note: `hvp / grad ${formatRatio(ratio)}${ratio <= 4 ? '' : ' (over the 4x target)'}` });
    }
    printTable('time per call (same run)', rows);
  },
};
