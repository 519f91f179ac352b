/**
 * The runtime exports generated code may refer to, and nothing else: the
 * tape, the structure helpers, the Jacobian drivers, and every tensor op and
 * gradient helper the rule templates call. Template identifiers are checked
 * against this list (compiler/emit/template.ts), and test/compiler/
 * runtime-names.test.ts checks that the runtime really exports each one.
 */
import { tensorRules, tensorRuntimeNames } from '../rules/tensor.ts';

const CORE = [
  'tape', 'zerosLike', 'lazyZerosLike', 'fillZeros', 'addInto', 'addArrayInto', 'flatten', 'basisLike', 'countNumbers', 'jacobianByRows',
  'jacobianByColumns', 'dotAll', 'pullbackFromJvp', 'asTensor', 'addTensor', 'addTensorsInto', 'addTensorOrNull', 'addCotangentInto', 'Tensor', 'tapeMark', 'recursionFailed',
  'jacobianByColumnChunks', 'jacobianRow', 'JacobianScratch', 'LoopCheckpoints',
];

/** Fused kernels and inserted lifetimes (compiler/emit/fuse.ts, compiler/analysis/lifetimes.ts). */
const FUSION = ['fused', 'matmulFused', 'matmulGradAFused', 'matmulGradBFused', 'productLike', 'sumFused', 'meanFused', 'sumAllFused', 'meanAllFused', 'unbroadcastFused', 'fusedLike', 'FusedKernel', 'TypedArray', 'release', 'beginScope', 'keep', 'endScope', 'handOut', 'handOutGrad', 'seedFor', 'scalarSeed', 'tanhF32'];

/** Typed stacks for the local tapes of second-order code (compiler/emit/higher-order.ts). */
const HIGHER_ORDER = ['F64Stack'];

let names: ReadonlySet<string> | null = null;

/** Every name in the list (for tests). */
export function runtimeExports(): ReadonlySet<string> {
  names ??= new Set([...CORE, ...FUSION, ...HIGHER_ORDER, ...tensorRuntimeNames, ...Object.keys(tensorRules)]);
  return names;
}

export function isRuntimeExport(name: string): boolean {
  return runtimeExports().has(name);
}

/** Names exported only as types. */
export const RUNTIME_TYPES: ReadonlySet<string> = new Set(['Tensor', 'FusedKernel', 'TypedArray']);
