/**
 * Second derivatives (issue #12, "Higher order"): `@differentiable order(2)`
 * gives hvp_f, hessian_f, jvp_grad_f and valueAndVjp_grad_f, made by the
 * forward transform over the function's own reverse code
 * (compiler/emit/higher-order.ts); a grad_f imported from a .grad.ts file
 * is differentiable inside another function; vector-valued functions get
 * jacfwd_f and jacrev_f. Checked against central differences of the
 * generated gradient, hvp against hessian . v, Hessian symmetry, and the
 * generated files type-checked under strict.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileSourceFile, createProject } from '../../compiler/pipeline.ts';
import { buildFixture, compileFixture, type Built } from '../helpers/generate.ts';
import { finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheckOwnErrors } from '../helpers/typecheck.ts';
import { lectureSources } from '../helpers/lecture-sources.ts';

const source = `
/** Rosenbrock's banana. @differentiable order(2) */
export function rosen(x: number, y: number): number {
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
}

${lectureSources('order(2)')}

/** Rosenbrock in n dimensions, on a Float64Array. @differentiable order(2) */
export function rosenN(xs: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < xs.length; i++) s += (1 - xs[i]!) ** 2 + 100 * (xs[i + 1]! - xs[i]! * xs[i]!) ** 2;
  return s;
}

/** The same on a number[]. @differentiable order(2) */
export function rosenA(xs: number[]): number {
  let s = 0;
  for (let i = 0; i + 1 < xs.length; i++) s += (1 - xs[i]!) ** 2 + 100 * (xs[i + 1]! - xs[i]! * xs[i]!) ** 2;
  return s;
}

/**
 * logsumexp of each row of x after a rewrite into a scratch row: a running
 * maximum recorded by its last taken trip, and exp results pushed instead of
 * recomputed (compiler/analysis/last-taken.ts, tbr-results.ts).
 * @differentiable wrt(x) order(2)
 */
export function rowsLse2(x: Float64Array, k: number): number {
  const row = new Float64Array(k);
  let s = 0;
  for (let i = 0; i * k < x.length; i++) {
    for (let j = 0; j < k; j++) row[j] = x[i * k + j] * (i + 1);
    let mx = row[0]!;
    for (let j = 1; j < k; j++) if (row[j]! > mx) mx = row[j]!;
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(row[j]! - mx);
    s += mx + Math.log(sum);
  }
  return s;
}

/**
 * A tiny MLP (2 inputs, 3 tanh units, 1 output) on a fixed batch, its 13
 * weights packed in w: the squared error.
 * @differentiable wrt(w) order(2)
 */
export function mlpLoss(w: Float64Array, xs: Float64Array, ys: Float64Array): number {
  let loss = 0;
  for (let n = 0; n < ys.length; n++) {
    let out = w[12]!;
    for (let h = 0; h < 3; h++) {
      const z = w[h * 3]! * xs[2 * n]! + w[h * 3 + 1]! * xs[2 * n + 1]! + w[h * 3 + 2]!;
      out += w[9 + h]! * Math.tanh(z);
    }
    loss += (out - ys[n]!) ** 2;
  }
  return loss / ys.length;
}

/**
 * (x y)^2 with v reassigned: at (0, 1) the cotangent of the first v is exactly
 * zero, while its derivative is not (d2/dx2 = 2 y^2 = 2).
 * @differentiable order(2)
 */
export function zeroCotangent(x: number, y: number): number {
  let v = x * y;
  v = v * v;
  return v;
}

/** One number in, for grad_f(x) * x. @differentiable order(2) */
export function cube(x: number): number {
  return x * x * x + Math.sin(x);
}

/** A vector-valued function: jacfwd and jacrev beside jacobian. @differentiable */
export function polar(r: number, t: number): number[] {
  return [r * Math.cos(t), r * Math.sin(t), r * r * t];
}
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let m: Built<any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let user: Built<any, any>;

const consumer = `
import { grad_cube, grad_rosen, grad_logProduct, grad_rosenN, jvp_cube, jvp_rosen, vjp_cube, vjp_rosen } from './h5-higher-order.grad.ts';

/** grad_f inside a differentiable function: g(x) = grad_f(x) * x. @differentiable */
export function g(x: number): number {
  return grad_cube(x) * x;
}

/** A tuple gradient, destructured, with a constant argument. @differentiable */
export function h(x: number): number {
  const [ga, gb] = grad_logProduct(x, 2);
  return ga * x + gb;
}

/** vjp_ and jvp_ inside a differentiable function, with arguments that depend on the inputs. @differentiable */
export function mixed(x: number, y: number): number {
  const [p, q] = vjp_rosen(x, y, x * y);
  const [v, t] = jvp_rosen(x, y, y, 2 * x);
  return p * q + v * t;
}

/** The same for a function of one number. @differentiable */
export function mixedOne(x: number): number {
  const [v, t] = jvp_cube(x, x);
  return vjp_cube(x, 3 * x) + v * t;
}

/** The squared norm of Rosenbrock's gradient, a function of (x, y). @differentiable */
export function gradNorm(x: number, y: number): number {
  const [gx, gy] = grad_rosen(x, y);
  return gx * gx + gy * gy;
}

/** The same through an array gradient. @differentiable */
export function gradNormN(xs: Float64Array): number {
  const gs = grad_rosenN(xs);
  let s = 0;
  for (let i = 0; i < gs.length; i++) s += gs[i]! * gs[i]!;
  return s;
}
`;

beforeAll(async () => {
  m = await buildFixture('h5-higher-order', source);
  user = await buildFixture('h5-higher-order-user', consumer);
}, 240_000);

/** Columns of the Hessian from central differences of the generated gradient (flattened). */
function fdHessian(grad: (...args: any[]) => unknown, args: unknown[], wrt: number[]): number[][] {
  const flat = (v: unknown) => (typeof v === 'number' ? [v] : Array.from(v as ArrayLike<number>).flatMap((x) => (typeof x === 'number' ? [x] : Array.from(x as ArrayLike<number>))));
  const n = finiteDifferenceGradient(() => 0, args, wrt).length;
  const rows: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    const column = finiteDifferenceGradient((...a: unknown[]) => flat(grad(...a))[i]!, args, wrt, 1e-5);
    for (let j = 0; j < n; j++) rows[i]![j] = column[j]!;
  }
  return rows;
}

function matVec(h: number[][], v: number[]): number[] {
  return h.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
}

const flatten2 = (h: number[][]) => h.flat();

const cases: { name: string; args: unknown[]; wrt: number[]; tol?: number }[] = [
  { name: 'rosen', args: [-1.2, 1], wrt: [0, 1] },
  { name: 'rosen', args: [1, 1], wrt: [0, 1] },
  { name: 'seed', args: [2, 1], wrt: [0, 1] },
  { name: 'seedWithA', args: [2, 1, 3], wrt: [0, 1, 2] },
  { name: 'logProduct', args: [3, 0.5], wrt: [0, 1] },
  { name: 'forwardExample', args: [2, 5], wrt: [0, 1] },
  { name: 'logisticMap', args: [0.3, 4], wrt: [0] },
  { name: 'rosenN', args: [Float64Array.from([-1.2, 1, 0.5, -0.3])], wrt: [0] },
  { name: 'rosenA', args: [[0.1, -0.7, 1.3]], wrt: [0] },
  {
    name: 'mlpLoss',
    args: [
      Float64Array.from([0.3, -0.2, 0.1, 0.5, 0.4, -0.3, -0.6, 0.2, 0.05, 0.7, -0.4, 0.3, 0.1]),
      Float64Array.from([0.5, -1, 1.5, 0.2, -0.3, 0.8]),
      Float64Array.from([1, -0.5, 0.25]),
    ],
    wrt: [0],
  },
  { name: 'rowsLse2', args: [Float64Array.from([0.2, -1.3, 0.8, 0.5, 1.7, -0.4]), 3], wrt: [0] },
  { name: 'zeroCotangent', args: [0, 1], wrt: [0, 1] },
  { name: 'cube', args: [0.7], wrt: [0] },
];

describe('hessian_f against central differences of grad_f', () => {
  for (const c of cases) {
    test(`${c.name}(${c.args.map((a) => (typeof a === 'number' ? a : `[${Array.from(a as ArrayLike<number>).length}]`)).join(', ')})`, () => {
      const h: number[][] = m.grad[`hessian_${c.name}`](...c.args);
      const fd = fdHessian(m.grad[`grad_${c.name}`], c.args, c.wrt);
      expect(h.length).toBe(fd.length);
      expect(maxRelError(flatten2(h), flatten2(fd))).toBeLessThan(c.tol ?? 1e-5);
      // Symmetric (to rounding: the two sides are computed by different sweeps).
      for (let i = 0; i < h.length; i++) for (let j = 0; j < i; j++) expect(Math.abs(h[i]![j]! - h[j]![i]!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(h[i]![j]!)));
    });
  }
});

test('the zero-cotangent case is exact: d2/dx2 (x y)^2 = 2 at (0, 1)', () => {
  expect(m.grad.hessian_zeroCotangent(0, 1)).toEqual([[2, 0], [0, 0]]);
});

describe('hvp_f equals hessian_f . v, and jvp_grad_f returns the gradient with it', () => {
  for (const c of cases) {
    test(c.name, () => {
      const wrtArgs = c.wrt.map((i) => c.args[i]);
      const n = (m.grad[`hessian_${c.name}`](...c.args) as number[][]).length;
      const v = Array.from({ length: n }, (_, i) => Math.sin(i + 1.5));
      // The direction, shaped like the wrt arguments.
      let k = 0;
      const direction = wrtArgs.map((a) => {
        if (typeof a === 'number') return v[k++]!;
        const len = (a as ArrayLike<number>).length;
        const part = v.slice(k, k + len);
        k += len;
        return a instanceof Float64Array ? Float64Array.from(part) : part;
      });
      const hv = m.grad[`hvp_${c.name}`](...c.args, ...direction);
      const flatHv = typeof hv === 'number' ? [hv] : Array.from(hv as ArrayLike<number>);
      expect(maxRelError(flatHv, matVec(m.grad[`hessian_${c.name}`](...c.args), v))).toBeLessThan(1e-12);
      const [gradient, tangent] = m.grad[`jvp_grad_${c.name}`](...c.args, ...direction);
      const flat = (x: unknown) => (typeof x === 'number' ? [x] : Array.from(x as ArrayLike<number>));
      // Equal up to the sign of zero (the first-order code keeps its zero-cotangent guards).
      expect(maxRelError(flat(gradient), flat(m.grad[`grad_${c.name}`](...c.args)))).toBe(0);
      expect(maxRelError(flat(tangent), flatHv)).toBe(0);
    });
  }
});

describe('grad_f inside a differentiable function', () => {
  test('g(x) = grad_cube(x) * x and h(x) = grad_logProduct(x, 2) . [x, 1]: gradients against central differences, forward against reverse', () => {
    for (const name of ['g', 'h']) {
      for (const x of [0.5, 2, 3.5]) {
        const fd = finiteDifferenceGradient(user.source[name], [x], [0]);
        expect(maxRelError([user.grad[`grad_${name}`](x)], fd)).toBeLessThan(1e-6);
        expect(user.grad[`jvp_${name}`](x, 1)[1]).toBeCloseTo(user.grad[`grad_${name}`](x), 12);
      }
    }
    // d/dx (3x^2 + cos x) x = 9x^2 + cos x - x sin x, exactly as the formula gives it
    expect(user.grad.grad_g(2)).toBeCloseTo(36 + Math.cos(2) - 2 * Math.sin(2), 12);
  });
  test('|grad rosen|^2: reverse mode (through valueAndVjp_grad_rosen) and forward mode (jvp_grad_rosen)', () => {
    for (const [x, y] of [[-1.2, 1], [0.3, 0.4]] as const) {
      const fd = finiteDifferenceGradient(user.source.gradNorm, [x, y], [0, 1]);
      const g = user.grad.grad_gradNorm(x, y);
      expect(maxRelError(g, fd)).toBeLessThan(1e-6);
      const t = user.grad.jvp_gradNorm(x, y, 0.7, -0.2)[1];
      expect(t).toBeCloseTo(g[0] * 0.7 - g[1] * 0.2, 8);
    }
  });
  test('vjp_f and jvp_f inside a differentiable function: reverse against central differences, forward against reverse', () => {
    for (const [x, y] of [[-1.2, 1], [0.3, 0.4]] as const) {
      const fd = finiteDifferenceGradient(user.source.mixed, [x, y], [0, 1]);
      const g = user.grad.grad_mixed(x, y);
      expect(maxRelError(g, fd)).toBeLessThan(1e-6);
      expect(user.grad.jvp_mixed(x, y, 0.7, -0.2)[1]).toBeCloseTo(g[0] * 0.7 - g[1] * 0.2, 8);
    }
    for (const x of [-0.8, 1.3]) {
      const fd = finiteDifferenceGradient(user.source.mixedOne, [x], [0]);
      expect(maxRelError([user.grad.grad_mixedOne(x)], fd)).toBeLessThan(1e-6);
      expect(user.grad.jvp_mixedOne(x, 1)[1]).toBeCloseTo(user.grad.grad_mixedOne(x), 10);
    }
  });
  test('|grad rosenN|^2 through a Float64Array gradient', () => {
    const xs = Float64Array.from([-1.2, 1, 0.5]);
    const fd = finiteDifferenceGradient(user.source.gradNormN, [xs], [0]);
    expect(maxRelError(Array.from(user.grad.grad_gradNormN(xs) as Float64Array), fd)).toBeLessThan(1e-6);
  });
  test('a grad_ of a function without order(2) is refused with a located hint', () => {
    const { result } = compileFixture('h5-higher-order-refused', `
import { grad_polar } from './h5-higher-order.grad.ts';
/** @differentiable */
export function bad(x: number): number {
  return grad_polar(x, 1)[0];
}
`);
    const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
    expect(errors.length).toBe(1);
    expect(errors[0]!.line).toBe(5);
    expect(errors[0]!.message).toMatch(/grad_polar|polar/);
  });
});

describe('jacfwd_f and jacrev_f', () => {
  test('both equal jacobian_f and central differences', () => {
    const args = [1.5, 0.7];
    const j = m.grad.jacobian_polar(...args) as number[][];
    expect(m.grad.jacfwd_polar(...args)).toEqual(j);
    const rev = m.grad.jacrev_polar(...args) as number[][];
    expect(maxRelError(rev.flat(), j.flat())).toBeLessThan(1e-15);
    for (let i = 0; i < 3; i++) {
      const fd = finiteDifferenceGradient((r: number, t: number) => m.source.polar(r, t)[i], args, [0, 1]);
      expect(maxRelError(j[i]!, fd)).toBeLessThan(1e-7);
    }
  });
});

describe('what order(2) costs and refuses', () => {
  test('functions without order(2) get no second-order exports', () => {
    expect(m.grad.hvp_polar).toBeUndefined();
    expect(m.text).not.toMatch(/hvp_polar|jvp_grad_polar/);
  });
  test('order(2) on a vector-valued function is a located error with a hint', () => {
    const { result } = compileFixture('h5-higher-order-vector', `
/** @differentiable order(2) */
export function v(x: number): [number, number] {
  return [x, x * x];
}
`);
    const errors = result.diagnostics.filter((d) => d.severity !== 'warning');
    expect(errors.map((d) => `${d.line}: ${d.message}`)).toEqual(['3: order(2) needs v to return one number']);
    expect(errors[0]!.hint).toMatch(/jacfwd_/);
  });
  test('the virtual files of grad_f leave the project, whether the file builds or not (watch and the editor reuse it)', () => {
    const dir = path.join(path.dirname(m.sourcePath), 'h5-higher-order-project');
    fs.mkdirSync(dir, { recursive: true });
    const good = path.join(dir, 'good.ts');
    const bad = path.join(dir, 'bad.ts');
    fs.writeFileSync(good, '/** @differentiable order(2) */\nexport function sq(x: number): number {\n  return x * x * x;\n}\n');
    fs.writeFileSync(bad, fs.readFileSync(good, 'utf8') + '/** @differentiable order(2) */\nexport function v(x: number): [number, number] {\n  return [x, x];\n}\n');
    const project = createProject([good, bad]);
    const virtual = () => project.getSourceFiles().filter((sf) => sf.getFilePath().includes('wengert-order2'));
    const built = compileSourceFile(project.getSourceFileOrThrow(good));
    expect(built.file?.text).toMatch(/export function hvp_sq/);
    expect(virtual()).toEqual([]);
    const refused = compileSourceFile(project.getSourceFileOrThrow(bad));
    expect(refused.file).toBeNull();
    expect(virtual()).toEqual([]);
  });
  test('the generated files type-check under strict', () => {
    expect(typecheckOwnErrors([m.sourcePath.replace(/\.ts$/, '.grad.ts'), user.sourcePath.replace(/\.ts$/, '.grad.ts')])).toEqual([]);
  });
});
