/**
 * Derivative rules of the tensor ops of the runtime (runtime/ops/), keyed by
 * the name the runtime exports. Each entry is a `Rule` (types.ts): source
 * templates over the operands' expressions, with the JVP and the VJP side
 * by side and the math on the line above.
 *
 * Conventions
 * - `g` is the cotangent of the result, `out` the result, `dx` a tangent.
 * - Operands may be tensors or numbers. Broadcasting ops undo broadcasting in
 *   their VJPs with `unbroadcast(..., operand)` (a number for a number
 *   operand) and give JVPs the result's shape with `broadcastLike(..., out)`.
 * - Constant operands (axes, keepdims, shapes, permutations, labels,
 *   indices, seeds, dtypes) are plain expressions passed through to
 *   the helpers; their vjp is null and their tangent is ignored. The number
 *   operands `leakyRelu`'s slope and `dropout`'s rate are differentiated
 *   when they are variables (a literal has no cotangent).
 * - Optional operands: `args` always holds `arity` entries. When a call
 *   omits trailing optional operands, the compiler passes the literal
 *   `undefined` for them; the templates pass them on unchanged (every
 *   runtime helper treats `undefined` as the default) and `call` drops
 *   trailing `undefined`s so emitted code stays short.
 * - The templates call runtime exports by their bare names, listed in
 *   `tensorRuntimeNames`; generated code imports them from `wengert`.
 */
import type { Rule } from './types.ts';
import type { BinaryOpName, UnaryOpName } from '../../runtime/backends/op-table.ts';
import { gradHelperRules, type GradHelperPrim } from './tensor-grad-helpers.ts';

/** Every runtime op with a derivative rule. */
export type TensorPrim =
  // elementwise: every op of the runtime's op table (runtime/backends/op-table.ts), comparisons,
  // sign and maxMask with a zero derivative
  | UnaryOpName
  | BinaryOpName
  | 'where'
  | 'cast'
  // zero derivative
  | 'argmax'
  // reductions
  | 'sum'
  | 'mean'
  | 'max'
  | 'min'
  | 'logsumexp'
  // linear algebra and layout
  | 'matmul'
  | 'transpose'
  | 'reshape'
  | 'broadcastTo'
  | 'concat'
  | 'stack'
  | 'slice'
  | 'gather'
  | 'scatterAdd'
  | 'clone'
  // nn
  | 'softmax'
  | 'logSoftmax'
  | 'softmaxCrossEntropy'
  | 'softmaxCrossEntropyLoss'
  | 'sumAll'
  | 'meanAll'
  | 'sigmoidCrossEntropy'
  | 'mse'
  | 'dropout'
  // creation (constants)
  | 'zeros'
  | 'ones'
  | 'full'
  | 'randn'
  | 'randu'
  | 'fromArray'
  | 'fromTypedArray'
  // the gradient helpers generated reverse code calls (tensor-grad-helpers.ts), so that it can be differentiated again
  | GradHelperPrim;

/** `fn(a, b, ...)`, without trailing `undefined` operands. */
export function call(fn: string, ...args: string[]): string {
  let n = args.length;
  while (n > 0 && args[n - 1] === 'undefined') n--;
  return `${fn}(${args.slice(0, n).join(', ')})`;
}

/** The primal call of `name` on its operands. */
const primalOf =
  (name: string) =>
  (args: readonly string[]): string =>
    call(name, ...args);

/**
 * An elementwise function of x (operand 0), with constant extra operands.
 * Its Jacobian is diagonal, so the same template `scale(t)` = f'(x) * t
 * gives the JVP (t = dx) and the VJP (t = g).
 */
function elementwise(
  name: string,
  arity: number,
  scale: (t: string, x: string, out: string, extra: readonly string[]) => string,
): Rule {
  return {
    arity,
    primal: primalOf(name),
    jvp: ({ args, out, dargs }) => (dargs[0] ? scale(dargs[0], args[0]!, out, args.slice(1)) : null),
    vjp: ({ args, out, g }, i) => (i === 0 ? scale(g, args[0]!, out, args.slice(1)) : null),
  };
}

/**
 * A broadcasting function of a and b with partial derivatives given as
 * "tangent times partial" templates; `linear` marks ops (add, sub) whose
 * JVP terms do not already have the result's shape.
 */
function broadcastBinary(
  name: string,
  partA: (t: string, a: string, b: string, out: string) => string,
  partB: (t: string, a: string, b: string, out: string) => string,
  linear = false,
): Rule {
  return {
    arity: 2,
    primal: primalOf(name),
    jvp: ({ args: [a, b], out, dargs: [da, db] }) => {
      const terms = [da ? partA(da, a!, b!, out) : null, db ? partB(db, a!, b!, out) : null];
      const [ta, tb] = terms;
      const t = ta && tb ? call('add', ta, tb) : (ta ?? tb);
      if (t === null) return null;
      return linear ? call('broadcastLike', t, out) : t;
    },
    vjp: ({ args: [a, b], out, g }, i) =>
      call('unbroadcast', i === 0 ? partA(g, a!, b!, out) : partB(g, a!, b!, out), i === 0 ? a! : b!),
  };
}

/** An op whose result does not depend differentiably on any operand. */
function constant(name: string, arity: number): Rule {
  return { arity, primal: primalOf(name), jvp: () => null, vjp: () => null };
}

/**
 * A reduction `name(x, axes, keepdims)`; `jvp` and `vjp` build the
 * templates from (t, x, out, axes, keepdims).
 */
function reduction(
  name: string,
  jvp: (dx: string, x: string, out: string, axes: string, keepdims: string) => string,
  vjp: (g: string, x: string, out: string, axes: string, keepdims: string) => string,
): Rule {
  return {
    arity: 3,
    primal: primalOf(name),
    jvp: ({ args: [x, axes, keepdims], out, dargs: [dx] }) => (dx ? jvp(dx, x!, out, axes!, keepdims!) : null),
    vjp: ({ args: [x, axes, keepdims], out, g }, i) => (i === 0 ? vjp(g, x!, out, axes!, keepdims!) : null),
  };
}

/** A function linear in operand 0 (the others constant): JVP and VJP are templates of their own. */
function linearIn0(name: string, arity: number, jvp: (dx: string, args: readonly string[]) => string, vjp: (g: string, args: readonly string[]) => string): Rule {
  return {
    arity,
    primal: primalOf(name),
    jvp: ({ args, dargs }) => (dargs[0] ? jvp(dargs[0], args) : null),
    vjp: ({ args, g }, i) => (i === 0 ? vjp(g, args) : null),
  };
}

export const tensorRules: Record<TensorPrim, Rule> = {
  // ---- elementwise, broadcasting ------------------------------------------
  // d(a + b) = da + db
  add: broadcastBinary('add', (t) => t, (t) => t, true),
  // d(a - b) = da - db
  sub: broadcastBinary('sub', (t) => t, (t) => call('neg', t), true),
  // d(a b) = da b + a db
  mul: broadcastBinary('mul', (t, _a, b) => call('mul', t, b), (t, a) => call('mul', a, t)),
  // d(a / b) = da / b - (a / b) db / b
  div: broadcastBinary('div', (t, _a, b) => call('div', t, b), (t, _a, b, out) => call('neg', call('div', call('mul', t, out), b))),
  // d(a^b) = b a^(b-1) da + log(a) a^b db
  pow: broadcastBinary(
    'pow',
    (t, a, b) => call('mul', t, call('mul', b, call('pow', a, call('sub', b, '1')))),
    (t, a, _b, out) => call('mul', t, call('mul', call('log', a), out)),
  ),
  // d max(a, b) = [a > b] da + [b > a] db, ties split 1/2 - 1/2
  maximum: broadcastBinary('maximum', (t, a, b) => call('mul', t, call('maxMask', a, b)), (t, a, b) => call('mul', t, call('maxMask', b, a))),
  // d min(a, b) = [a < b] da + [b < a] db, ties split 1/2 - 1/2
  minimum: broadcastBinary('minimum', (t, a, b) => call('mul', t, call('maxMask', b, a)), (t, a, b) => call('mul', t, call('maxMask', a, b))),
  // d prelu(x, alpha) = (x > 0 ? 1 : alpha) dx + min(x, 0) dalpha
  prelu: broadcastBinary(
    'prelu',
    (t, x, alpha) => call('mul', t, call('where', call('greater', x, '0'), '1', alpha)),
    (t, x) => call('mul', t, call('minimum', x, '0')),
  ),

  // ---- elementwise, one operand ----------------------------------------------
  // d(-x) = -dx
  neg: elementwise('neg', 1, (t) => call('neg', t)),
  // d exp(x) = exp(x) dx
  exp: elementwise('exp', 1, (t, _x, out) => call('mul', t, out)),
  // d log(x) = dx / x
  log: elementwise('log', 1, (t, x) => call('div', t, x)),
  // d sqrt(x) = dx / (2 sqrt(x))
  sqrt: elementwise('sqrt', 1, (t, _x, out) => call('div', t, call('mul', '2', out))),
  // d |x| = sign(x) dx
  abs: elementwise('abs', 1, (t, x) => call('mul', t, call('sign', x))),
  // d tanh(x) = (1 - tanh(x)^2) dx
  tanh: elementwise('tanh', 1, (t, _x, out) => call('tanhGrad', t, out)),
  // d sigmoid(x) = sigmoid(x) (1 - sigmoid(x)) dx
  sigmoid: elementwise('sigmoid', 1, (t, _x, out) => call('sigmoidGrad', t, out)),
  // d relu(x) = [x > 0] dx
  relu: elementwise('relu', 1, (t, x) => call('reluGrad', t, x)),
  // d leakyRelu(x, alpha) = (x > 0 ? 1 : alpha) dx + min(x, 0) dalpha   (alpha a number)
  leakyRelu: {
    arity: 2,
    primal: primalOf('leakyRelu'),
    jvp: ({ args: [x, alpha], dargs: [dx, dalpha] }) => {
      const viaX = dx ? call('leakyReluGrad', dx, x!, alpha!) : null;
      const viaAlpha = dalpha ? call('mul', dalpha, call('minimum', x!, '0')) : null;
      return viaX && viaAlpha ? call('add', viaX, viaAlpha) : (viaX ?? viaAlpha);
    },
    vjp: ({ args: [x, alpha], g }, i) =>
      i === 0
        ? call('leakyReluGrad', g, x!, alpha!)
        : i === 1 && !isLiteral(alpha!)
          ? call('sum', call('mul', g, call('minimum', x!, '0')))
          : null,
  },
  // d softplus(x) = sigmoid(x) dx
  softplus: elementwise('softplus', 1, (t, x) => call('mul', t, call('sigmoid', x))),
  // d cast(x, dtype) = cast(dx, dtype); zero when casting to int32
  cast: {
    arity: 2,
    primal: primalOf('cast'),
    jvp: ({ args: [, dtype], dargs: [dx] }) => (dx && !isInt32(dtype!) ? call('cast', dx, dtype!) : null),
    vjp: ({ args: [x, dtype], g }, i) => (i === 0 && !isInt32(dtype!) ? call('castLike', g, x!) : null),
  },
  // d where(c, a, b) = where(c, da, db)   (c constant)
  where: {
    arity: 3,
    primal: primalOf('where'),
    jvp: ({ args: [c], out, dargs: [, da, db] }) =>
      da || db ? call('broadcastLike', call('where', c!, da ?? '0', db ?? '0'), out) : null,
    vjp: ({ args: [c, a, b], g }, i) =>
      i === 1 ? call('unbroadcast', call('where', c!, g, '0'), a!) : i === 2 ? call('unbroadcast', call('where', c!, '0', g), b!) : null,
  },

  // ---- zero derivative ------------------------------------------------------
  // d sign(x) = 0 (almost everywhere); comparisons are piecewise constant
  sign: constant('sign', 1),
  greater: constant('greater', 2),
  greaterEqual: constant('greaterEqual', 2),
  less: constant('less', 2),
  lessEqual: constant('lessEqual', 2),
  equal: constant('equal', 2),
  notEqual: constant('notEqual', 2),
  maxMask: constant('maxMask', 2),
  argmax: constant('argmax', 2),

  // ---- reductions: (x, axes, keepdims) ------------------------------------
  // d sum(x) = sum(dx);  x_bar = g copied along the reduced axes
  sum: reduction(
    'sum',
    (dx, _x, _out, axes, keepdims) => call('sum', dx, axes, keepdims),
    (g, x, _out, axes, keepdims) => call('reduceGrad', g, x, axes, keepdims),
  ),
  // d mean(x) = mean(dx);  x_bar = g / n copied along the reduced axes
  mean: reduction(
    'mean',
    (dx, _x, _out, axes, keepdims) => call('mean', dx, axes, keepdims),
    (g, x, _out, axes, keepdims) => call('meanGrad', g, x, axes, keepdims),
  ),
  // d max(x) = sum over the arg-max positions of dx, ties sharing equally
  max: reduction(
    'max',
    (dx, x, out, axes, keepdims) => call('maxJvp', dx, x, out, axes, keepdims),
    (g, x, out, axes, keepdims) => call('maxGrad', g, x, out, axes, keepdims),
  ),
  // d min(x): as max, at the arg-min positions
  min: reduction(
    'min',
    (dx, x, out, axes, keepdims) => call('maxJvp', dx, x, out, axes, keepdims),
    (g, x, out, axes, keepdims) => call('maxGrad', g, x, out, axes, keepdims),
  ),
  // d logsumexp(x) = sum(softmax(x) dx)
  logsumexp: reduction(
    'logsumexp',
    (dx, x, out, axes, keepdims) => call('logsumexpJvp', dx, x, out, axes, keepdims),
    (g, x, out, axes, keepdims) => call('logsumexpGrad', g, x, out, axes, keepdims),
  ),

  // ---- linear algebra and layout ---------------------------------------------
  // d(A B) = dA B + A dB;  A_bar = G B^T, B_bar = A^T G (for the transposed forms too)
  matmul: {
    arity: 4,
    primal: primalOf('matmul'),
    jvp: ({ args: [a, b, ta, tb], dargs: [da, db] }) => {
      const left = da ? call('matmul', da, b!, ta!, tb!) : null;
      const right = db ? call('matmul', a!, db, ta!, tb!) : null;
      return left && right ? call('add', left, right) : (left ?? right);
    },
    vjp: ({ args: [a, b, ta, tb], g }, i) =>
      i === 0 ? call('matmulGradA', g, a!, b!, ta!, tb!) : i === 1 ? call('matmulGradB', g, a!, b!, ta!, tb!) : null,
  },
  // d transpose(x, p) = transpose(dx, p);  x_bar = transpose(g, p^-1)   (p omitted: reversed axes, its own inverse)
  transpose: linearIn0(
    'transpose',
    2,
    (dx, [, perm]) => call('transpose', dx, perm!),
    (g, [, perm]) => call('transposeGrad', g, perm!),
  ),
  // d reshape(x, s) = reshape(dx, s);  x_bar = g reshaped to x's shape
  reshape: linearIn0(
    'reshape',
    2,
    (dx, [, shape]) => call('reshape', dx, shape!),
    (g, [x]) => call('reshapeLike', g, x!),
  ),
  // d broadcastTo(x, s) = broadcastTo(dx, s);  x_bar = g summed back to x's shape
  broadcastTo: linearIn0(
    'broadcastTo',
    2,
    (dx, [, shape]) => call('broadcastTo', dx, shape!),
    (g, [x]) => call('unbroadcast', g, x!),
  ),
  // d concat(xs, axis) = concat(dxs, axis);  xs_bar = g cut into pieces shaped like xs
  concat: linearIn0(
    'concat',
    2,
    (dxs, [, axis]) => call('concat', dxs, axis!),
    (g, [xs, axis]) => call('splitLike', g, xs!, axis!),
  ),
  // d stack(xs, axis) = stack(dxs, axis);  xs_bar = g cut along the new axis into pieces shaped like xs
  stack: linearIn0(
    'stack',
    2,
    (dxs, [, axis]) => call('stack', dxs, axis!),
    (g, [xs, axis]) => call('unstackLike', g, xs!, axis!),
  ),
  // d slice(x, b, s) = slice(dx, b, s);  x_bar = zeros like x with g written at b
  slice: linearIn0(
    'slice',
    3,
    (dx, [, begin, size]) => call('slice', dx, begin!, size!),
    (g, [x, begin]) => call('sliceGrad', g, x!, begin!),
  ),
  // d gather(x, i) = gather(dx, i);  x_bar = rows of g added at i   (i constant)
  gather: linearIn0(
    'gather',
    2,
    (dx, [, idx]) => call('gather', dx, idx!),
    (g, [x, idx]) => call('scatterAdd', call('zerosLike', x!), idx!, g),
  ),
  // d scatterAdd(t, i, u) = scatterAdd(dt, i, du);  t_bar = g, u_bar = gather(g, i)
  scatterAdd: {
    arity: 3,
    primal: primalOf('scatterAdd'),
    jvp: ({ args: [t, idx], dargs: [dt, , du] }) =>
      du ? call('scatterAdd', dt ?? call('zerosLike', t!), idx!, du) : (dt ?? null),
    vjp: ({ args: [, idx], g }, i) => (i === 0 ? g : i === 2 ? call('gather', g, idx!) : null),
  },
  // d clone(x) = dx
  clone: linearIn0('clone', 1, (dx) => dx, (g) => g),

  // ---- nn ------------------------------------------------------------------------
  // d softmax(x) = y (dx - sum(y dx)), y = softmax(x): symmetric, so the VJP has the same form
  softmax: linearIn0Out('softmax', (t, out, axis) => call('softmaxGrad', t, out, axis), (t, out, axis) => call('softmaxGrad', t, out, axis)),
  // d logSoftmax(x) = dx - sum(e^y dx);  x_bar = g - e^y sum(g), y = logSoftmax(x)
  logSoftmax: linearIn0Out('logSoftmax', (t, out, axis) => call('logSoftmaxJvp', t, out, axis), (t, out, axis) => call('logSoftmaxGrad', t, out, axis)),
  // d sce(z, l) = <softmax(z) - onehot(l), dz> / n;  z_bar = g (softmax(z) - onehot(l)) / n   (labels constant)
  softmaxCrossEntropy: {
    arity: 2,
    primal: primalOf('softmaxCrossEntropy'),
    jvp: ({ args: [z, labels], dargs: [dz] }) => (dz ? call('softmaxCrossEntropyJvp', dz, z!, labels!) : null),
    vjp: ({ args: [z, labels], g }, i) => (i === 0 ? call('softmaxCrossEntropyGrad', g, z!, labels!) : null),
  },
  // The same loss as a 0-d tensor (no read back on a device): the same derivatives, g a 0-d tensor
  softmaxCrossEntropyLoss: {
    arity: 2,
    primal: primalOf('softmaxCrossEntropyLoss'),
    jvp: ({ args: [z, labels], dargs: [dz] }) => (dz ? call('softmaxCrossEntropyLossJvp', dz, z!, labels!) : null),
    vjp: ({ args: [z, labels], g }, i) => (i === 0 ? call('softmaxCrossEntropyLossGrad', g, z!, labels!) : null),
  },
  // d sumAll(x) = sumAll(dx);  x_bar = g copied to every element (0-d tensors)
  sumAll: {
    arity: 1,
    primal: primalOf('sumAll'),
    jvp: ({ dargs: [dx] }) => (dx ? call('sumAll', dx) : null),
    vjp: ({ args: [x], g }) => call('reduceGrad', g, x!),
  },
  // d meanAll(x) = meanAll(dx);  x_bar = g / n copied to every element
  meanAll: {
    arity: 1,
    primal: primalOf('meanAll'),
    jvp: ({ dargs: [dx] }) => (dx ? call('meanAll', dx) : null),
    vjp: ({ args: [x], g }) => call('meanGrad', g, x!),
  },
  // d bce(x, t) = mean((sigmoid(x) - t) dx - x dt)
  sigmoidCrossEntropy: {
    arity: 2,
    primal: primalOf('sigmoidCrossEntropy'),
    jvp: ({ args: [x, t], dargs: [dx, dt] }) => {
      const a = dx ? call('sum', call('mul', call('sigmoidCrossEntropyGrad', '1', x!, t!), dx)) : null;
      const b = dt ? call('sum', call('mul', call('sigmoidCrossEntropyTargetGrad', '1', x!), dt)) : null;
      return a && b ? `${a} + ${b}` : (a ?? b);
    },
    vjp: ({ args: [x, t], g }, i) =>
      i === 0 ? call('sigmoidCrossEntropyGrad', g, x!, t!) : call('sigmoidCrossEntropyTargetGrad', g, x!),
  },
  // d mse(p, t) = mean(2 (p - t) (dp - dt))
  mse: {
    arity: 2,
    primal: primalOf('mse'),
    jvp: ({ args: [p, t], dargs: [dp, dt] }) => {
      const d = dp && dt ? call('sub', dp, dt) : dp ? dp : dt ? call('neg', dt) : null;
      return d ? call('sum', call('mul', call('mseGrad', '1', p!, t!), d)) : null;
    },
    vjp: ({ args: [p, t], g }, i) => (i === 0 ? call('mseGrad', g, p!, t!) : call('neg', call('mseGrad', g, p!, t!))),
  },
  // d dropout(x, rate, seed) = dropout(dx, rate, seed) + dropout(x, rate, seed) drate / (1 - rate):
  // the same mask (it changes with the rate only at isolated rates), and the 1 / (1 - rate) scale
  dropout: {
    arity: 3,
    primal: primalOf('dropout'),
    jvp: ({ args: [, rate, seed], out, dargs: [dx, drate] }) => {
      const viaX = dx ? call('dropout', dx, rate!, seed!) : null;
      const viaRate = drate ? call('mul', out, call('div', drate, call('sub', '1', rate!))) : null;
      return viaX && viaRate ? call('add', viaX, viaRate) : (viaX ?? viaRate);
    },
    vjp: ({ args: [, rate, seed], out, g }, i) =>
      i === 0
        ? call('dropout', g, rate!, seed!)
        : i === 1 && !isLiteral(rate!)
          ? call('div', call('sum', call('mul', g, out)), call('sub', '1', rate!))
          : null,
  },

  // ---- creation: constants -----------------------------------------------------
  zeros: constant('zeros', 2),
  ones: constant('ones', 2),
  full: constant('full', 3),
  randn: constant('randn', 3),
  randu: constant('randu', 3),
  fromArray: constant('fromArray', 3),
  fromTypedArray: constant('fromTypedArray', 2),
  ...gradHelperRules,
};

/** softmax-like ops `name(x, axis)` whose derivative templates read the output. */
function linearIn0Out(
  name: string,
  jvp: (dx: string, out: string, axis: string) => string,
  vjp: (g: string, out: string, axis: string) => string,
): Rule {
  return {
    arity: 2,
    primal: primalOf(name),
    jvp: ({ args: [, axis], out, dargs: [dx] }) => (dx ? jvp(dx, out, axis!) : null),
    vjp: ({ args: [, axis], out, g }, i) => (i === 0 ? vjp(g, out, axis!) : null),
  };
}

function isInt32(dtypeExpr: string): boolean {
  return dtypeExpr === "'int32'" || dtypeExpr === '"int32"';
}

/** A number literal or `undefined` (an omitted operand): a constant, with no cotangent. */
function isLiteral(expr: string): boolean {
  return expr === 'undefined' || /^-?\d[\d_]*(\.\d*)?([eE][-+]?\d+)?$|^-?\.\d+$/.test(expr);
}

/** Ops whose derivative is zero everywhere it exists (activity analysis can stop at them). */
export const zeroDerivativeTensorPrims: ReadonlySet<TensorPrim> = new Set<TensorPrim>([
  'sign',
  'greater',
  'greaterEqual',
  'less',
  'lessEqual',
  'equal',
  'notEqual',
  'maxMask',
  'argmax',
  'zeros',
  'ones',
  'full',
  'randn',
  'randu',
  'fromArray',
  'fromTypedArray',
]);

export function isTensorPrim(name: string): name is TensorPrim {
  return Object.prototype.hasOwnProperty.call(tensorRules, name);
}

/**
 * Runtime exports the templates call besides the primitives themselves;
 * generated code that uses tensor rules imports these from `wengert`.
 */
export const tensorRuntimeNames: readonly string[] = [
  'unbroadcast',
  'broadcastLike',
  'reduceGrad',
  'meanGrad',
  'maxGrad',
  'maxJvp',
  'logsumexpGrad',
  'logsumexpJvp',
  'matmulGradA',
  'matmulGradB',
  'invertPermutation',
  'transposeGrad',
  'reshapeLike',
  'castLike',
  'sliceGrad',
  'splitLike',
  'unstackLike',
  'zerosLike',
  'tanhGrad',
  'sigmoidGrad',
  'reluGrad',
  'leakyReluGrad',
  'softmaxGrad',
  'logSoftmaxGrad',
  'logSoftmaxJvp',
  'softmaxCrossEntropyGrad',
  'softmaxCrossEntropyJvp',
  'softmaxCrossEntropyLossGrad',
  'softmaxCrossEntropyLossJvp',
  'sigmoidCrossEntropyGrad',
  'sigmoidCrossEntropyTargetGrad',
  'mseGrad',
];
