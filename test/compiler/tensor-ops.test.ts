/**
 * The tensor-op matrix: for every tensor op with a derivative rule
 * (compiler/rules/tensor.ts, less the creation ops and the ops whose
 * derivative is zero), small `@differentiable` functions that call it with
 * its optional operands omitted and given, each ending in a scalar loss.
 * All of them are compiled into one fixture and type-checked once; each
 * function then checks
 *   - that its generated code has no error under the strict tsconfig,
 *   - reverse mode against central finite differences in float64,
 *   - forward mode against reverse mode: jvp along a pseudo-random
 *     direction v equals grad . v.
 * Cases that fail because of how the emitter uses a rule (not the rule
 * itself) are pinned with `test.fails` and the reason; cases the frontend
 * rejects are compiled on a fixture of their own and pinned the same way.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { Rng, abs, add, flatten, fromArray, greater, randn, unflatten, type Tensor } from 'wengert';
import { formatDiagnostic } from 'wengert/compiler';
import { buildFixture, compileFixture, type Built } from '../helpers/generate.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';
import { tensorRules, zeroDerivativeTensorPrims, type TensorPrim } from '../../compiler/rules/tensor.ts';

/** One function of the matrix. */
interface OpCase {
  /** The function's name in the fixture (unique). */
  name: string;
  /** Its parameter list, as written in the fixture. */
  params: string;
  /** The parameters it is differentiated with respect to. */
  wrt: string[];
  /** Its body, returning a number. */
  body: string;
  /** Fresh arguments for one call. */
  args: () => unknown[];
  /** Set where the emitter, not the rule, gets this case wrong: the case is a `test.fails` with this reason. */
  emitterBug?: string;
  /** Set where the frontend rejects this case: it is compiled on its own fixture and pinned as a `test.fails`. */
  rejected?: string;
  /**
   * Set where the op computes in float32 whatever its operands (a number
   * broadcast to a new tensor): finite differences take a larger step and
   * both checks a looser tolerance.
   */
  float32?: boolean;
}

const rng = new Rng(20240601);
/** A float64 normal tensor. */
const f64 = (shape: number[]): Tensor => randn(shape, rng, { dtype: 'float64' });
/** A float64 tensor with entries in [0.5, ...), for log, sqrt, pow and div. */
const pos = (shape: number[]): Tensor => add(abs(f64(shape)), 0.5);
/** A float64 number away from zero. */
const num = (): number => 0.3 + rng.nextUint32() / 2 ** 33;
/** An int32 0/1 mask, a constant operand of `where`. */
const mask = (shape: number[]): Tensor => greater(f64(shape), 0);

/** sum(y * y): a loss whose cotangent differs entry by entry, so misplaced entries show. */
const square = (y: string) => `return sum(mul(${y}, ${y}));`;

const elementwiseCases: OpCase[] = [
  {
    name: 'addBroadcast',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = add(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3])],
  },
  {
    name: 'addNumber',
    params: 'a: Tensor, s: number',
    wrt: ['a', 's'],
    body: `const y = add(s, a); ${square('y')}`,
    args: () => [f64([2, 3]), num()],
  },
  {
    name: 'subBroadcast',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = sub(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), f64([2, 1])],
  },
  {
    name: 'subSecondOnly',
    params: 'a: Tensor, b: Tensor',
    wrt: ['b'],
    body: `const y = sub(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3])],
  },
  {
    name: 'subNumber',
    params: 'a: Tensor, s: number',
    wrt: ['a', 's'],
    body: `const y = sub(s, a); ${square('y')}`,
    args: () => [f64([2, 3]), num()],
  },
  {
    name: 'mulBroadcast',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = mul(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3])],
  },
  {
    name: 'mulNumber',
    params: 'a: Tensor, s: number',
    wrt: ['a', 's'],
    body: `const y = mul(a, s); ${square('y')}`,
    args: () => [f64([2, 3]), num()],
  },
  {
    name: 'divBroadcast',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = div(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), pos([3])],
  },
  {
    name: 'divDenominatorOnly',
    params: 'a: Tensor, b: Tensor',
    wrt: ['b'],
    body: `const y = div(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), pos([2, 1])],
  },
  {
    name: 'divNumber',
    params: 's: number, b: Tensor',
    wrt: ['s', 'b'],
    body: `const y = div(s, b); ${square('y')}`,
    args: () => [num(), pos([2, 3])],
  },
  {
    name: 'powTensors',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: 'return sum(pow(a, b));',
    args: () => [pos([2, 3]), f64([2, 3])],
  },
  {
    name: 'powExponentOnly',
    params: 'a: Tensor, b: Tensor',
    wrt: ['b'],
    body: 'return sum(pow(a, b));',
    args: () => [pos([2, 3]), f64([3])],
  },
  { name: 'powLiteral', params: 'a: Tensor', wrt: ['a'], body: 'return sum(pow(a, 3));', args: () => [f64([2, 3])] },
  {
    name: 'powNumberBase',
    params: 's: number, b: Tensor',
    wrt: ['s', 'b'],
    body: 'return sum(pow(s, b));',
    args: () => [num() + 0.5, f64([2, 3])],
  },
  {
    name: 'maximumTensors',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = maximum(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3])],
  },
  {
    name: 'maximumNumber',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = maximum(a, 0.1); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'maximumNumberOperand',
    params: 's: number, a: Tensor',
    wrt: ['s', 'a'],
    body: `const y = maximum(s, a); ${square('y')}`,
    args: () => [num(), f64([2, 3])],
  },
  {
    name: 'minimumTensors',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = minimum(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), f64([2, 3])],
  },
  {
    name: 'preluSlope',
    params: 'x: Tensor, alpha: Tensor',
    wrt: ['x', 'alpha'],
    body: `const y = prelu(x, alpha); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3])],
  },
  {
    name: 'preluNumberSlope',
    params: 'x: Tensor, alpha: number',
    wrt: ['x', 'alpha'],
    body: `const y = prelu(x, alpha); ${square('y')}`,
    args: () => [f64([2, 3]), num()],
  },
  { name: 'negOp', params: 'a: Tensor', wrt: ['a'], body: 'return sum(mul(neg(a), a));', args: () => [f64([2, 3])] },
  { name: 'expOp', params: 'a: Tensor', wrt: ['a'], body: 'return sum(mul(exp(a), a));', args: () => [f64([2, 3])] },
  { name: 'logOp', params: 'a: Tensor', wrt: ['a'], body: 'return sum(mul(log(a), a));', args: () => [pos([2, 3])] },
  { name: 'sqrtOp', params: 'a: Tensor', wrt: ['a'], body: 'return sum(mul(sqrt(a), a));', args: () => [pos([2, 3])] },
  { name: 'absOp', params: 'a: Tensor', wrt: ['a'], body: 'return sum(mul(abs(a), a));', args: () => [f64([2, 3])] },
  { name: 'tanhOp', params: 'a: Tensor', wrt: ['a'], body: 'return sum(mul(tanh(a), a));', args: () => [f64([2, 3])] },
  {
    name: 'sigmoidOp',
    params: 'a: Tensor',
    wrt: ['a'],
    body: 'return sum(mul(sigmoid(a), a));',
    args: () => [f64([2, 3])],
  },
  { name: 'reluOp', params: 'a: Tensor', wrt: ['a'], body: 'return sum(mul(relu(a), a));', args: () => [f64([2, 3])] },
  {
    name: 'softplusOp',
    params: 'a: Tensor',
    wrt: ['a'],
    body: 'return sum(mul(softplus(a), a));',
    args: () => [f64([2, 3])],
  },
  {
    name: 'leakyReluDefault',
    params: 'a: Tensor',
    wrt: ['a'],
    body: 'return sum(mul(leakyRelu(a), a));',
    args: () => [f64([2, 3])],
  },
  {
    name: 'leakyReluSlopeParameter',
    params: 'a: Tensor, alpha: number',
    wrt: ['a', 'alpha'],
    body: 'return sum(mul(leakyRelu(a, alpha), a));',
    args: () => [f64([2, 3]), num()],
  },
  {
    name: 'leakyReluSlope',
    params: 'a: Tensor',
    wrt: ['a'],
    body: 'return sum(mul(leakyRelu(a, 0.2), a));',
    args: () => [f64([2, 3])],
  },
  {
    name: 'unaryOnNumbers',
    params: 's: number, t: number',
    wrt: ['s', 't'],
    body: [
      'const e = exp(s);',
      'const h = tanh(t);',
      'const g = sigmoid(s);',
      'const r = relu(t);',
      'const k = leakyRelu(s, 0.2);',
      'const q = sqrt(add(s, 1));',
      'const l = log(mul(s, t));',
      'const p = softplus(neg(t));',
      'const m = abs(sub(s, t));',
      'return e * h + g * r + k * q + l * p + m;',
    ].join(' '),
    args: () => [num(), num()],
  },
  {
    name: 'whereTensors',
    params: 'c: Tensor, a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = where(c, a, b); ${square('y')}`,
    args: () => [mask([2, 3]), f64([2, 3]), f64([3])],
  },
  {
    name: 'whereOneBranch',
    params: 'c: Tensor, a: Tensor, b: Tensor',
    wrt: ['b'],
    body: `const y = where(c, a, b); ${square('y')}`,
    args: () => [mask([2, 3]), f64([2, 3]), f64([2, 3])],
  },
  {
    name: 'whereNumber',
    params: 'c: Tensor, a: Tensor, s: number',
    wrt: ['a', 's'],
    body: `const y = where(c, s, a); ${square('y')}`,
    args: () => [mask([2, 3]), f64([2, 3]), num()],
  },
  {
    name: 'castFloat',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = cast(a, 'float64'); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'castInt',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `return sum(mul(a, cast(a, 'int32')));`,
    args: () => [add(f64([2, 3]), 0.25)],
  },
  {
    name: 'castNumber',
    params: 's: number',
    wrt: ['s'],
    body: `const y = cast(s, 'float64'); return y * y;`,
    args: () => [num()],
  },
];

/** The reductions, each over all axes, one axis, a negative axis, a list of axes, with keepdims, and all axes with keepdims. */
const reductionCases: OpCase[] = ['sum', 'mean', 'max', 'min', 'logsumexp'].flatMap((op): OpCase[] => [
  {
    name: `${op}AllAxes`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a); return r * r;`,
    args: () => [f64([2, 3])],
  },
  {
    name: `${op}Axis`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a, 1); ${square('r')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: `${op}NegativeAxis`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a, -1); ${square('r')}`,
    args: () => [f64([2, 3, 2])],
  },
  {
    name: `${op}AxisList`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a, [0, 2]); ${square('r')}`,
    args: () => [f64([2, 3, 2])],
  },
  {
    name: `${op}Keepdims`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a, 0, true); ${square('r')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: `${op}NullAxes`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a, null); return r * r;`,
    args: () => [f64([2, 3])],
  },
  {
    name: `${op}UndefinedKeepdims`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a, undefined, true); ${square('r')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: `${op}AllKeepdims`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a, null, true); ${square('r')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: `${op}ThenBroadcast`,
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const r = ${op}(a); const y = sub(a, r); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: `${op}OfNumber`,
    params: 's: number',
    wrt: ['s'],
    body: `const r = ${op}(s); return r * r * s;`,
    args: () => [num()],
  },
]);

const layoutCases: OpCase[] = [
  {
    name: 'matmulPlain',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = matmul(a, b); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3, 4])],
  },
  {
    name: 'matmulTransposeA',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = matmul(a, b, true); ${square('y')}`,
    args: () => [f64([3, 2]), f64([3, 4])],
  },
  {
    name: 'matmulTransposeB',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = matmul(a, b, false, true); ${square('y')}`,
    args: () => [f64([2, 3]), f64([4, 3])],
  },
  {
    name: 'matmulTransposeBoth',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = matmul(a, b, true, true); ${square('y')}`,
    args: () => [f64([3, 2]), f64([4, 3])],
  },
  {
    name: 'matmulLeftOnly',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a'],
    body: `const y = matmul(a, b, false, true); ${square('y')}`,
    args: () => [f64([2, 3]), f64([4, 3])],
  },
  {
    name: 'matmulRightOnly',
    params: 'a: Tensor, b: Tensor',
    wrt: ['b'],
    body: `const y = matmul(a, b, true); ${square('y')}`,
    args: () => [f64([3, 2]), f64([3, 4])],
  },
  {
    name: 'matmulBatched',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = matmul(a, b); ${square('y')}`,
    args: () => [f64([2, 2, 3]), f64([3, 2])],
  },
  {
    name: 'transposeDefault',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = transpose(a); return sum(mul(y, mul(y, y)));`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'transposeDefault3d',
    params: 'a: Tensor, w: Tensor',
    wrt: ['a'],
    body: `const y = transpose(a); return sum(mul(y, w));`,
    args: () => [f64([2, 3, 4]), f64([4, 3, 2])],
  },
  {
    name: 'transposePermutationParameter',
    params: 'a: Tensor, perm: readonly number[], w: Tensor',
    wrt: ['a'],
    body: `const y = transpose(a, perm); return sum(mul(y, w));`,
    args: () => [f64([2, 3, 4]), [1, 2, 0], f64([3, 4, 2])],
  },
  {
    name: 'transposeNullPermutation',
    params: 'a: Tensor, w: Tensor',
    wrt: ['a'],
    body: `const y = transpose(a, null); return sum(mul(y, w));`,
    args: () => [f64([2, 3, 4]), f64([4, 3, 2])],
  },
  {
    name: 'transposePermutation',
    params: 'a: Tensor, w: Tensor',
    wrt: ['a'],
    body: `const y = transpose(a, [2, 0, 1]); return sum(mul(y, w));`,
    args: () => [f64([2, 3, 4]), f64([4, 2, 3])],
  },
  {
    name: 'reshapeShape',
    params: 'a: Tensor, w: Tensor',
    wrt: ['a'],
    body: `const y = reshape(a, [3, 2]); return sum(mul(y, w));`,
    args: () => [f64([2, 3]), f64([3, 2])],
  },
  {
    name: 'reshapeInferred',
    params: 'a: Tensor, w: Tensor',
    wrt: ['a'],
    body: `const y = reshape(a, [-1]); return sum(mul(y, w));`,
    args: () => [f64([2, 3]), f64([6])],
  },
  {
    name: 'broadcastToShape',
    params: 'b: Tensor, w: Tensor',
    wrt: ['b'],
    body: `const y = broadcastTo(b, [2, 3]); return sum(mul(y, w));`,
    args: () => [f64([3]), f64([2, 3])],
  },
  {
    name: 'broadcastToNumber',
    params: 's: number, w: Tensor',
    wrt: ['s'],
    body: `const y = broadcastTo(s, [2, 3]); return sum(mul(y, w));`,
    args: () => [num(), f64([2, 3])],
    float32: true,
  },
  {
    name: 'concatArrayDefaultAxis',
    params: 'parts: Tensor[]',
    wrt: ['parts'],
    body: `const y = concat(parts); ${square('y')}`,
    args: () => [[f64([2, 3]), f64([1, 3])]],
  },
  {
    name: 'concatArrayAxis',
    params: 'parts: Tensor[]',
    wrt: ['parts'],
    body: `const y = concat(parts, 0); ${square('y')}`,
    args: () => [[f64([2, 3]), f64([1, 3])]],
  },
  {
    name: 'concatTupleAxis',
    params: 'parts: [Tensor, Tensor]',
    wrt: ['parts'],
    body: `const y = concat(parts, 1); ${square('y')}`,
    args: () => [[f64([2, 3]), f64([2, 1])]],
  },
  {
    name: 'concatLiteralList',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = concat([a, b], 1); ${square('y')}`,
    args: () => [f64([2, 3]), f64([2, 1])],
  },
  {
    name: 'concatLocalList',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const parts = [a, b]; const y = concat(parts); ${square('y')}`,
    args: () => [f64([2, 3]), f64([1, 3])],
  },
  {
    name: 'stackParam',
    params: 'parts: Tensor[]',
    wrt: ['parts'],
    body: `const y = stack(parts); ${square('y')}`,
    args: () => [[f64([2, 3]), f64([2, 3]), f64([2, 3])]],
  },
  {
    name: 'stackLiteralAxis',
    params: 'a: Tensor, b: Tensor',
    wrt: ['a', 'b'],
    body: `const y = stack([a, mul(a, b)], -1); ${square('y')}`,
    args: () => [f64([2, 3]), f64([2, 3])],
  },
  {
    name: 'stackPushed',
    params: 'a: Tensor, n: number',
    wrt: ['a'],
    body: `const hs: Tensor[] = []; let h = a; for (let i = 0; i < n; i++) { h = tanh(h); hs.push(h); } const y = stack(hs, 1); ${square('y')}`,
    args: () => [f64([2, 3]), 3],
  },
  {
    name: 'sliceToEnd',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = slice(a, [0, 1]); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'sliceSizeToEnd',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = slice(a, [1, 1], [-1, 1]); ${square('y')}`,
    args: () => [f64([3, 3])],
  },
  {
    name: 'sliceSize',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = slice(a, [1, 0], [1, 2]); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'gatherList',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = gather(a, [2, 0, 2]); ${square('y')}`,
    args: () => [f64([3, 2])],
  },
  {
    name: 'gatherIndexArray',
    params: 'a: Tensor, idx: Int32Array',
    wrt: ['a'],
    body: `const y = gather(a, idx); ${square('y')}`,
    args: () => [f64([3, 2]), Int32Array.from([0, 0, 1])],
  },
  {
    name: 'gatherTensor',
    params: 'a: Tensor, idx: Tensor',
    wrt: ['a'],
    body: `const y = gather(a, idx); ${square('y')}`,
    args: () => [f64([3, 2]), fromArray([[1, 1], [0, 2]], undefined, 'int32')],
  },
  {
    name: 'scatterAddRows',
    params: 't: Tensor, u: Tensor',
    wrt: ['t', 'u'],
    body: `const y = scatterAdd(t, [1, 0, 1], u); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3, 3])],
  },
  {
    name: 'scatterAddTargetOnly',
    params: 't: Tensor, u: Tensor',
    wrt: ['t'],
    body: `const y = scatterAdd(t, [1, 0, 1], u); ${square('y')}`,
    args: () => [f64([2, 3]), f64([3, 3])],
  },
  {
    name: 'scatterAddUpdatesOnly',
    params: 't: Tensor, idx: Int32Array, u: Tensor',
    wrt: ['u'],
    body: `const y = scatterAdd(t, idx, u); ${square('y')}`,
    args: () => [f64([2, 3]), Int32Array.from([1, 1, 0]), f64([3, 3])],
  },
  {
    name: 'cloneOp',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = clone(a); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
];

const nnCases: OpCase[] = [
  {
    name: 'softmaxDefault',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = softmax(a); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'softmaxAxis',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = softmax(a, 0); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'logSoftmaxDefault',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = logSoftmax(a); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'logSoftmaxAxis',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = logSoftmax(a, 0); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
  {
    name: 'softmaxCrossEntropyLabels',
    params: 'z: Tensor, labels: Int32Array',
    wrt: ['z'],
    body: 'const l = softmaxCrossEntropy(z, labels); return l * l;',
    args: () => [f64([3, 4]), Int32Array.from([0, 3, 1])],
  },
  {
    name: 'softmaxCrossEntropyTensorLabels',
    params: 'z: Tensor, labels: Tensor',
    wrt: ['z'],
    body: 'return softmaxCrossEntropy(z, labels);',
    args: () => [f64([3, 4]), fromArray([2, 2, 0], undefined, 'int32')],
  },
  {
    name: 'softmaxCrossEntropyLoss0d',
    params: 'z: Tensor, labels: Int32Array',
    wrt: ['z'],
    body: 'const l = softmaxCrossEntropyLoss(z, labels); return sum(mul(l, l));',
    args: () => [f64([3, 4]), Int32Array.from([0, 3, 1])],
  },
  {
    name: 'sumAll0d',
    params: 'a: Tensor',
    wrt: ['a'],
    body: 'const s = sumAll(mul(a, a)); return sum(mul(s, s));',
    args: () => [f64([2, 3])],
  },
  {
    name: 'meanAll0d',
    params: 'a: Tensor',
    wrt: ['a'],
    body: 'const s = meanAll(a); return sum(mul(s, s));',
    args: () => [f64([2, 3])],
  },
  {
    name: 'sigmoidCrossEntropyBoth',
    params: 'x: Tensor, t: Tensor',
    wrt: ['x', 't'],
    body: 'const l = sigmoidCrossEntropy(x, t); return l * l;',
    args: () => [f64([2, 3]), pos([2, 3])],
  },
  {
    name: 'sigmoidCrossEntropyTargetsOnly',
    params: 'x: Tensor, t: Tensor',
    wrt: ['t'],
    body: 'return sigmoidCrossEntropy(x, t);',
    args: () => [f64([2, 3]), pos([2, 3])],
  },
  {
    name: 'msePredictionOnly',
    params: 'p: Tensor, t: Tensor',
    wrt: ['p'],
    body: 'return mse(p, t);',
    args: () => [f64([2, 3]), f64([2, 3])],
  },
  {
    name: 'mseTargetOnly',
    params: 'p: Tensor, t: Tensor',
    wrt: ['t'],
    body: 'const l = mse(p, t); return l * l;',
    args: () => [f64([2, 3]), f64([2, 3])],
  },
  {
    name: 'mseBoth',
    params: 'p: Tensor, t: Tensor',
    wrt: ['p', 't'],
    body: 'const l = mse(p, t); return l * l;',
    args: () => [f64([2, 3]), f64([2, 3])],
  },
  {
    name: 'dropoutRate',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = dropout(a, 0.5, 7); ${square('y')}`,
    args: () => [f64([4, 3])],
  },
  {
    name: 'dropoutParameters',
    params: 'a: Tensor, rate: number, seed: number',
    wrt: ['a'],
    body: `const y = dropout(a, rate, seed); ${square('y')}`,
    args: () => [f64([4, 3]), 0.25, 11],
  },
  {
    name: 'dropoutRateParameter',
    params: 'a: Tensor, rate: number',
    wrt: ['a', 'rate'],
    body: `const y = dropout(a, rate, 5); ${square('y')}`,
    args: () => [f64([4, 3]), 0.3],
  },
  {
    name: 'dropoutNone',
    params: 'a: Tensor',
    wrt: ['a'],
    body: `const y = dropout(a, 0, 7); ${square('y')}`,
    args: () => [f64([2, 3])],
  },
];

/**
 * The runtime's gradient helpers, called as ops (second-order code calls
 * them; a user may too): each is differentiated with respect to every
 * tensor it reads.
 */
const gradHelperCases: OpCase[] = [
  { name: 'tanhGradBoth', params: 'g: Tensor, y: Tensor', wrt: ['g', 'y'], body: `const d = tanhGrad(g, y); ${square('d')}`, args: () => [f64([2, 3]), f64([2, 3])] },
  { name: 'sigmoidGradBoth', params: 'g: Tensor, y: Tensor', wrt: ['g', 'y'], body: `const d = sigmoidGrad(g, y); ${square('d')}`, args: () => [f64([2, 3]), f64([2, 3])] },
  { name: 'reluGradIncoming', params: 'g: Tensor, x: Tensor', wrt: ['g', 'x'], body: `const d = reluGrad(g, x); ${square('d')}`, args: () => [f64([2, 3]), pos([2, 3])] },
  { name: 'unbroadcastRows', params: 'g: Tensor, b: Tensor', wrt: ['g'], body: `const d = unbroadcast(g, b); ${square('d')}`, args: () => [f64([4, 3]), f64([3])] },
  { name: 'broadcastLikeRows', params: 'b: Tensor, a: Tensor', wrt: ['b'], body: `const d = broadcastLike(b, a); ${square('d')}`, args: () => [f64([3]), f64([4, 3])] },
  { name: 'reduceGradAxis', params: 'g: Tensor, x: Tensor', wrt: ['g'], body: `const d = reduceGrad(g, x, [1]); ${square('d')}`, args: () => [f64([4]), f64([4, 3])] },
  { name: 'meanGradAxis', params: 'g: Tensor, x: Tensor', wrt: ['g'], body: `const d = meanGrad(g, x, [0]); ${square('d')}`, args: () => [f64([3]), f64([4, 3])] },
  { name: 'matmulGradABoth', params: 'g: Tensor, a: Tensor, b: Tensor', wrt: ['g', 'b'], body: `const d = matmulGradA(g, a, b); ${square('d')}`, args: () => [f64([2, 4]), f64([2, 3]), f64([3, 4])] },
  { name: 'matmulGradBBoth', params: 'g: Tensor, a: Tensor, b: Tensor', wrt: ['g', 'a'], body: `const d = matmulGradB(g, a, b); ${square('d')}`, args: () => [f64([2, 4]), f64([2, 3]), f64([3, 4])] },
  { name: 'softmaxGradBoth', params: 'g: Tensor, z: Tensor', wrt: ['g', 'z'], body: `const y = softmax(z, 1); const d = softmaxGrad(g, y, 1); ${square('d')}`, args: () => [f64([2, 3]), f64([2, 3])] },
  { name: 'softmaxCrossEntropyGradLogits', params: 'z: Tensor, labels: Int32Array, s: number', wrt: ['z', 's'], body: `const d = softmaxCrossEntropyGrad(s, z, labels); ${square('d')}`, args: () => [f64([3, 4]), Int32Array.from([1, 0, 3]), num()] },
  { name: 'mseGradBoth', params: 'p: Tensor, t: Tensor, s: number', wrt: ['p', 't', 's'], body: `const d = mseGrad(s, p, t); ${square('d')}`, args: () => [f64([2, 3]), f64([2, 3]), num()] },
  { name: 'asTensorOfTensor', params: 'a: Tensor, s: number', wrt: ['a', 's'], body: `const y = asTensor(mul(a, s)); ${square('y')}`, args: () => [f64([2, 3]), num()] },
  { name: 'zerosLikeConstant', params: 'a: Tensor', wrt: ['a'], body: `const y = add(zerosLike(a), mul(a, a)); ${square('y')}`, args: () => [f64([2, 3])] },
];

const cases: OpCase[] = [...elementwiseCases, ...reductionCases, ...layoutCases, ...nnCases, ...gradHelperCases];

const runtimeImports = [
  'Tensor', 'abs', 'add', 'broadcastTo', 'cast', 'clone', 'concat', 'div', 'dropout', 'exp', 'gather', 'leakyRelu', 'log',
  'logSoftmax', 'logsumexp', 'matmul', 'max', 'maximum', 'mean', 'min', 'minimum', 'mse', 'mul', 'neg', 'pow', 'prelu',
  'relu', 'reshape', 'scatterAdd', 'sigmoid', 'sigmoidCrossEntropy', 'slice', 'softmax', 'softmaxCrossEntropy', 'softmaxCrossEntropyLoss', 'softplus', 'sumAll', 'meanAll',
  'sqrt', 'stack', 'sub', 'sum', 'tanh', 'transpose', 'where',
  'tanhGrad', 'sigmoidGrad', 'reluGrad', 'unbroadcast', 'broadcastLike', 'reduceGrad', 'meanGrad', 'matmulGradA', 'matmulGradB',
  'softmaxGrad', 'softmaxCrossEntropyGrad', 'mseGrad', 'asTensor', 'zerosLike',
];

function fixtureSource(all: readonly OpCase[]): string {
  const functions = all.map(
    (c) => `/** @differentiable wrt(${c.wrt.join(', ')}) */\nexport function ${c.name}(${c.params}): number {\n  ${c.body}\n}\n`,
  );
  return `import { ${runtimeImports.join(', ')} } from 'wengert';\n\n${functions.join('\n')}`;
}

/** The name of the function each line of `text` lies in (from `export function` lines or the generated section headers). */
function functionAtLine(text: string, header: RegExp): string[] {
  const at: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const m = header.exec(line);
    if (m) current = m[1]!;
    at.push(current);
  }
  return at;
}

/** Type errors of the generated file, by the function whose section they fall in ('' for none). */
function errorsByFunction(text: string, errors: readonly string[], gradFile: string): Map<string, string[]> {
  const sectionAt = functionAtLine(text, /^\/\/ ---- (\w+) \(/);
  const byName = new Map<string, string[]>();
  for (const colored of errors) {
    const e = colored.replace(/\u001b\[[0-9;]*m/g, '');
    const at = /^([^:]+):(\d+):/.exec(e);
    const name = at && at[1] === gradFile ? (sectionAt[Number(at[2]) - 1] ?? '') : '';
    byName.set(name, [...(byName.get(name) ?? []), e]);
  }
  return byName;
}

const accepted = cases.filter((c) => !c.rejected);
const rejected = cases.filter((c) => c.rejected);

let built: Built<any, any>;
let typeErrors: Map<string, string[]>;
/** Compiler diagnostics of the rejected cases, by function. */
const rejections = new Map<string, string[]>();

beforeAll(async () => {
  built = await buildFixture('tensor-ops', fixtureSource(accepted));
  const gradPath = built.sourcePath.replace(/\.ts$/, '.grad.ts');
  typeErrors = errorsByFunction(built.text, typecheck([gradPath]), 'tensor-ops.grad.ts');
  const rejectedSource = fixtureSource(rejected);
  const functionAt = functionAtLine(rejectedSource, /^export function (\w+)\(/);
  const diagnostics = compileFixture('tensor-ops-rejected', rejectedSource).result.diagnostics;
  for (const d of diagnostics.filter((x) => x.severity !== 'warning')) {
    const name = functionAt[d.line - 1] ?? '';
    rejections.set(name, [...(rejections.get(name) ?? []), formatDiagnostic(d)]);
  }
}, 60_000);

/** A pseudo-random direction shaped like each differentiated argument. */
function directionsFor(args: readonly unknown[], wrt: readonly number[], seed: number): unknown[] {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return wrt.map((i) => {
    const flat = flatten(args[i]).map(() => next());
    return typeof args[i] === 'number' ? flat[0] : unflatten(args[i], flat);
  });
}

function checkCase(c: OpCase, index: number): void {
  expect((typeErrors.get(c.name) ?? []).join('\n'), `type errors in the generated code of ${c.name}`).toBe('');
  const names = c.params.split(',').map((p) => p.split(':')[0]!.trim());
  const wrt = c.wrt.map((n) => names.indexOf(n));
  const args = c.args();
  const f = built.source[c.name] as (...a: unknown[]) => number;
  const value = f(...args);
  const gradient = built.grad[`grad_${c.name}`](...args);
  const gradFlat = flatten(gradient);
  const tolerance = c.float32 ? { step: 1e-2, fd: 1e-4, forward: 1e-6 } : { step: 1e-6, fd: 1e-6, forward: 1e-9 };
  const fd = finiteDifferenceGradient(f, args, wrt, tolerance.step);
  expect(gradFlat.length, `${c.name}: gradient size`).toBe(fd.length);
  const fdError = maxRelError(gradFlat, fd);
  const against = `${c.name}: reverse mode ${JSON.stringify(gradFlat)} against finite differences ${JSON.stringify(fd)}`;
  expect(fdError, against).toBeLessThan(tolerance.fd);
  const dirs = directionsFor(args, wrt, 1000 + index);
  const [y, dy] = built.grad[`jvp_${c.name}`](...args, ...dirs) as [number, number];
  expect(y, `${c.name}: forward-mode primal`).toBe(value);
  const expected = dotFlat(gradFlat, flatten(dirs));
  const forwardError = Math.abs(dy - expected) / Math.max(1, Math.abs(expected));
  expect(forwardError, `${c.name}: jvp ${dy} against grad . v = ${expected}`).toBeLessThanOrEqual(tolerance.forward);
}

describe('every tensor op: strict types, reverse mode against finite differences, forward against reverse', () => {
  test('the generated file has no type error outside the functions', () => {
    expect((typeErrors.get('') ?? []).join('\n')).toBe('');
  });

  accepted.forEach((c, index) => {
    if (c.emitterBug) test.fails(`${c.name} (emitter: ${c.emitterBug})`, () => checkCase(c, index));
    else test(c.name, () => checkCase(c, index));
  });

  rejected.forEach((c) => {
    test.fails(`${c.name} (frontend: ${c.rejected})`, () => {
      expect((rejections.get(c.name) ?? []).join('\n')).toBe('');
    });
  });

  test('every op with a non-zero derivative has a case', () => {
    const called = (op: string) => new RegExp(`\\b${op}\\(`);
    const ops = (Object.keys(tensorRules) as TensorPrim[]).filter((op) => !zeroDerivativeTensorPrims.has(op));
    const missing = ops.filter((op) => !accepted.some((c) => called(op).test(c.body)));
    expect(missing).toEqual([]);
  });

  test('the rejected cases are rejected for themselves, not for a neighbour', () => {
    expect([...rejections.keys()].sort()).toEqual(rejected.map((c) => c.name).sort());
  });
});
