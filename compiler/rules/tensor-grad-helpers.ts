/**
 * Derivative rules of the runtime's gradient helpers (runtime/ops/adjoint.ts,
 * nn.ts, elementwise.ts, typed.ts): the functions generated reverse code
 * calls (`tanhGrad`, `unbroadcast`, `matmulGradA`, ...). With them the
 * reverse code of a tensor function is itself differentiable, which is how
 * second derivatives are made (emit/higher-order.ts: forward mode over the
 * reverse code). Same conventions as tensor.ts: `g` is the result's
 * cotangent, `out` the result, `dx` a tangent; constant operands (shapes,
 * labels, transposition flags) get no derivative.
 *
 * Every helper below is linear in its cotangent operand (the first), so its
 * JVP in that operand is the helper applied to the tangent; the rest is the
 * product rule through the primal values it reads.
 */
import type { Rule } from './types.ts';

/** The gradient helpers with derivative rules. */
export type GradHelperPrim =
  | 'asTensor'
  | 'tanhGrad'
  | 'sigmoidGrad'
  | 'reluGrad'
  | 'unbroadcast'
  | 'broadcastLike'
  | 'reduceGrad'
  | 'meanGrad'
  | 'matmulGradA'
  | 'matmulGradB'
  | 'softmaxGrad'
  | 'softmaxCrossEntropyGrad'
  | 'mseGrad'
  | 'zerosLike';

/** `fn(a, b, ...)`, without trailing `undefined` operands (as tensor.ts writes calls). */
function call(fn: string, ...args: string[]): string {
  let n = args.length;
  while (n > 0 && args[n - 1] === 'undefined') n--;
  return `${fn}(${args.slice(0, n).join(', ')})`;
}

const primalOf = (name: string) => (args: readonly string[]) => call(name, ...args);

/** `a + b` of two tangent terms, either of which may be absent. */
function plus(a: string | null, b: string | null): string | null {
  return a && b ? call('add', a, b) : (a ?? b);
}

/**
 * `name(g, y)`, elementwise: g times f'(x) written in y. `dPartial(g, y, t)`
 * is the derivative in y along t (the product rule's second term, t = dy for
 * the JVP, t = the cotangent for the VJP: the map is diagonal).
 */
function elementwiseGrad(name: string, dPartial: ((g: string, y: string, t: string) => string) | null): Rule {
  return {
    arity: 2,
    primal: primalOf(name),
    jvp: ({ args: [g, y], dargs: [dg, dy] }) => plus(dg ? call(name, dg, y!) : null, dy && dPartial ? dPartial(g!, y!, dy) : null),
    vjp: ({ args: [g, y], g: c }, i) => (i === 0 ? call(name, c, y!) : i === 1 && dPartial ? dPartial(g!, y!, c) : null),
  };
}

export const gradHelperRules: Record<GradHelperPrim, Rule> = {
  // zerosLike(x): a constant
  zerosLike: { arity: 1, primal: primalOf('zerosLike'), jvp: () => null, vjp: () => null },
  // asTensor(x) = x (a type assertion)
  asTensor: {
    arity: 1,
    primal: primalOf('asTensor'),
    jvp: ({ dargs: [dx] }) => (dx ? call('asTensor', dx) : null),
    vjp: ({ g }, i) => (i === 0 ? g : null),
  },
  // tanhGrad(g, y) = g (1 - y^2):  d = tanhGrad(dg, y) - 2 g y dy
  tanhGrad: elementwiseGrad('tanhGrad', (g, y, t) => call('neg', call('mul', call('mul', '2', g), call('mul', y, t)))),
  // sigmoidGrad(g, y) = g y (1 - y):  d = sigmoidGrad(dg, y) + g (1 - 2 y) dy
  sigmoidGrad: elementwiseGrad('sigmoidGrad', (g, y, t) => call('mul', call('mul', g, call('sub', '1', call('mul', '2', y))), t)),
  // reluGrad(g, x) = g [x > 0]:  d = reluGrad(dg, x) (the mask is constant almost everywhere)
  reluGrad: elementwiseGrad('reluGrad', null),
  // unbroadcast(g, like) sums g down to like's shape: linear in g; its adjoint broadcasts back to g's shape
  unbroadcast: {
    arity: 2,
    primal: primalOf('unbroadcast'),
    jvp: ({ args: [, like], dargs: [dg] }) => (dg ? call('unbroadcast', dg, like!) : null),
    vjp: ({ args: [g], g: c }, i) => (i === 0 ? call('broadcastLike', c, g!) : null),
  },
  // broadcastLike(t, like) broadcasts t to like's shape: linear in t; its adjoint sums back
  broadcastLike: {
    arity: 2,
    primal: primalOf('broadcastLike'),
    jvp: ({ args: [, like], dargs: [dt] }) => (dt ? call('broadcastLike', dt, like!) : null),
    vjp: ({ args: [t], g: c }, i) => (i === 0 ? call('unbroadcast', c, t!) : null),
  },
  // reduceGrad(g, x, axes, keepdims) spreads g over the reduced axes of x: linear in g; its adjoint is the sum
  reduceGrad: {
    arity: 4,
    primal: primalOf('reduceGrad'),
    jvp: ({ args: [, x, axes, keepdims], dargs: [dg] }) => (dg ? call('reduceGrad', dg, x!, axes!, keepdims!) : null),
    vjp: ({ args: [, , axes, keepdims], g: c }, i) => (i === 0 ? call('sum', c, axes!, keepdims!) : null),
  },
  // meanGrad(g, x, axes, keepdims) spreads g / count over the reduced axes: its adjoint is the mean
  meanGrad: {
    arity: 4,
    primal: primalOf('meanGrad'),
    jvp: ({ args: [, x, axes, keepdims], dargs: [dg] }) => (dg ? call('meanGrad', dg, x!, axes!, keepdims!) : null),
    vjp: ({ args: [, , axes, keepdims], g: c }, i) => (i === 0 ? call('mean', c, axes!, keepdims!) : null),
  },
  // matmulGradA(g, a, b) = g op(b)^T (a gives the shape): bilinear in (g, b).
  // <c, matmulGradA(g, a, b)> = <g, matmul(c, b)>, so g_bar = matmul(c, b) and b_bar = matmulGradB(g, c, b)
  matmulGradA: {
    arity: 5,
    primal: primalOf('matmulGradA'),
    jvp: ({ args: [g, a, b, ta, tb], dargs: [dg, , db] }) =>
      plus(dg ? call('matmulGradA', dg, a!, b!, ta!, tb!) : null, db ? call('matmulGradA', g!, a!, db, ta!, tb!) : null),
    vjp: ({ args: [g, , b, ta, tb], g: c }, i) =>
      i === 0 ? call('matmul', c, b!, ta!, tb!) : i === 2 ? call('matmulGradB', g!, c, b!, ta!, tb!) : null,
  },
  // matmulGradB(g, a, b) = op(a)^T g (b gives the shape): bilinear in (g, a).
  // <c, matmulGradB(g, a, b)> = <g, matmul(a, c)>, so g_bar = matmul(a, c) and a_bar = matmulGradA(g, a, c)
  matmulGradB: {
    arity: 5,
    primal: primalOf('matmulGradB'),
    jvp: ({ args: [g, a, b, ta, tb], dargs: [dg, da] }) =>
      plus(dg ? call('matmulGradB', dg, a!, b!, ta!, tb!) : null, da ? call('matmulGradB', g!, da, b!, ta!, tb!) : null),
    vjp: ({ args: [g, a, , ta, tb], g: c }, i) =>
      i === 0 ? call('matmul', a!, c, ta!, tb!) : i === 1 ? call('matmulGradA', g!, a!, c, ta!, tb!) : null,
  },
  // softmaxGrad(g, y) = y (g - sum(g y)), linear in g and symmetric in it;
  // in y: d = dy (g - sum(g y)) - y sum(g dy)   (the same form gives the VJP in y, with the cotangent for dy)
  softmaxGrad: {
    arity: 3,
    primal: primalOf('softmaxGrad'),
    jvp: ({ args: [g, y, axis], dargs: [dg, dy] }) =>
      plus(dg ? call('softmaxGrad', dg, y!, axis!) : null, dy ? softmaxGradInY(g!, y!, axis!, dy) : null),
    vjp: ({ args: [g, y, axis], g: c }, i) => (i === 0 ? call('softmaxGrad', c, y!, axis!) : i === 1 ? softmaxGradInYAdjoint(g!, y!, axis!, c) : null),
  },
  // sceGrad(g, z, l) = g (softmax(z) - onehot(l)) / n:  d = sceGrad(dg, z, l) + (g / n) softmaxGrad(dz, softmax(z));
  // symmetric in z (a Hessian), so z_bar has the same form; g_bar = <c, sceGrad(1, z, l)>
  softmaxCrossEntropyGrad: {
    arity: 3,
    primal: primalOf('softmaxCrossEntropyGrad'),
    jvp: ({ args: [g, z, labels], dargs: [dg, dz] }) =>
      plus(dg ? call('softmaxCrossEntropyGrad', dg, z!, labels!) : null, dz ? softmaxCrossEntropyCurvature(g!, z!, dz) : null),
    vjp: ({ args: [g, z, labels], g: c }, i) =>
      i === 0 ? call('sum', call('mul', c, call('softmaxCrossEntropyGrad', '1', z!, labels!))) : i === 1 ? softmaxCrossEntropyCurvature(g!, z!, c) : null,
  },
  // mseGrad(g, p, t) = 2 g (p - t) / n:  d = mseGrad(dg, p, t) + mseGrad(g, dp, dt)  (linear in p - t)
  mseGrad: {
    arity: 3,
    primal: primalOf('mseGrad'),
    jvp: ({ args: [g, p, t], dargs: [dg, dp, dt] }) =>
      plus(
        dg ? call('mseGrad', dg, p!, t!) : null,
        dp || dt ? call('mseGrad', g!, dp ?? call('zerosLike', p!), dt ?? call('zerosLike', t!)) : null,
      ),
    vjp: ({ args: [g, p, t], g: c }, i) =>
      i === 0
        ? call('sum', call('mul', c, call('mseGrad', '1', p!, t!)))
        : i === 1
          ? call('mseGrad', g!, c, call('zerosLike', c))
          : i === 2
            ? call('neg', call('mseGrad', g!, c, call('zerosLike', c)))
            : null,
  },
};

/** d/dy of y (g - sum(g y)) along dy: dy (g - sum(g y)) - y sum(g dy). */
function softmaxGradInY(g: string, y: string, axis: string, dy: string): string {
  const ax = axis === 'undefined' ? '-1' : axis;
  return call('sub', call('mul', dy, call('sub', g, call('sum', call('mul', g, y), ax, 'true'))), call('mul', y, call('sum', call('mul', g, dy), ax, 'true')));
}

/** Its adjoint in y, for a cotangent c: c (g - sum(g y)) - g sum(c y). */
function softmaxGradInYAdjoint(g: string, y: string, axis: string, c: string): string {
  const ax = axis === 'undefined' ? '-1' : axis;
  return call('sub', call('mul', c, call('sub', g, call('sum', call('mul', g, y), ax, 'true'))), call('mul', g, call('sum', call('mul', c, y), ax, 'true')));
}

/** (g / n) softmaxGrad(t, softmax(z)), n the batch: the Hessian of the mean cross-entropy (times g) applied to t. */
function softmaxCrossEntropyCurvature(g: string, z: string, t: string): string {
  return call('mul', call('softmaxGrad', t, call('softmax', z)), `${g} / (${z}.shape[0] ?? 1)`);
}
