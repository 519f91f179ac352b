/**
 * `npm run example:newton`: Newton-CG on L2-regularised logistic regression
 * (examples/newton/model.ts), its Hessian-vector products from the
 * generated `hvp_loss` (forward mode over reverse mode), against gradient
 * descent with the step 1 / L. Both start from zero and stop at the same
 * loss: the optimum (Newton run to |grad| < 1e-10) plus 1e-6.
 *
 * Options: --n 2000 (points), --d 20 (features), --decades 1 (the spread of
 * the feature scales, in powers of ten: the conditioning), --l2 1e-3,
 * --seed 1, --max-gd 200000 (gradient steps at most).
 */
import { parseArgs } from 'node:util';
import { hvp_loss, valueAndGrad_loss } from './model.grad.ts';
import { curvatureBound, gradientDescent, makeData, newtonCg, type Problem, type Trace } from './solvers.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    d: { type: 'string', default: '20' },
    decades: { type: 'string', default: '1' },
    l2: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '1' },
    'max-gd': { type: 'string', default: '200000' },
  },
});
const n = Number(values.n);
const d = Number(values.d);
const l2 = Number(values.l2);
const decades = Number(values.decades);
const { x, y } = makeData(n, d, Number(values.seed), decades);

const problem: Problem = {
  size: d + 1,
  valueAndGrad: (w) => valueAndGrad_loss(w, x, y, d, l2),
  hvp: (w, v) => hvp_loss(w, x, y, d, l2, v),
};

const optimum = newtonCg(problem, { gradTol: 1e-10, maxIterations: 100 });
const target = optimum.loss + 1e-6;
console.log(`logistic regression: ${n} points, ${d} correlated features with scales over ${decades} decade(s), l2 = ${l2}`);
console.log(`optimum: loss ${optimum.loss.toFixed(10)} (|grad| ${optimum.gradNorm.toExponential(1)}); target: optimum + 1e-6\n`);

const newton = newtonCg(problem, { target, maxIterations: 100 });
const L = curvatureBound(x, n, d, l2);
const gd = gradientDescent(problem, { target, maxIterations: Number(values['max-gd']) }, 1 / L);

const row = (name: string, t: Trace) =>
  `${name.padEnd(18)} ${String(t.iterations).padStart(10)} ${String(t.gradients).padStart(10)} ${String(t.hvps).padStart(8)} ${t.ms.toFixed(1).padStart(10)} ms  ${t.loss.toFixed(10)}${t.reached ? '' : '  (target not reached)'}`;
console.log(`${'method'.padEnd(18)} ${'iterations'.padStart(10)} ${'gradients'.padStart(10)} ${'hvps'.padStart(8)} ${'time'.padStart(13)}  loss`);
console.log(row('Newton-CG (hvp)', newton));
console.log(row('gradient descent', gd));
if (newton.reached && gd.reached) console.log(`\nNewton-CG: ${(gd.iterations / newton.iterations).toFixed(0)}x fewer iterations, ${(gd.ms / newton.ms).toFixed(1)}x less time to the same loss.`);
