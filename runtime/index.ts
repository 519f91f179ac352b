export { F64Stack, I32Stack, RefStack, tape, watchStack } from './tape.ts';
export { zerosLike, lazyZerosLike, fillZeros, mapLike, flatten, unflatten, addInto } from './structure.ts';
export type { Differentiable } from './structure.ts';
export { asTensor, addTensor, addTensorsInto, addTensorOrNull, addCotangentInto } from './typed.ts';
export { addArrayInto, basisLike, countNumbers, dotAll, jacobianByColumns, jacobianByRows, pullbackFromJvp } from './jacobian.ts';
export { jacobianByColumnChunks, jacobianRow } from './jacobian.ts';
export { JacobianScratch } from './jacobian-scratch.ts';
export { differentiable, stopGradient } from './differentiable.ts';
export { RecursionDepthError, recursionFailed, tapeMark } from './recursion.ts';
export { LoopCheckpoints, checkpointMemory, binomial, repetitions, revolveCost, revolveSplit } from './checkpoint.ts';
export type { CheckpointOptions, CheckpointStep } from './checkpoint.ts';
export type { TapeMark } from './recursion.ts';

// Tensors, ops and backends (issue #4).
export { Tensor, isTensor } from './tensor.ts';
export type { DType, NestedArray, Shape, TypedArray } from './tensor.ts';
export { ShapeError } from './shape.ts';
export { Rng } from './rng.ts';
export * from './ops/index.ts';
export { cpu, defaultBackend, setDefaultBackend, setSimdEnabled, simdAvailable } from './backends/index.ts';
export { cpuPoolStatus, cpuThreads, cpuThreadsReady, setCpuThreads } from './backends/index.ts';
export type { Backend, BackendName } from './backends/index.ts';
export { useBackend, WebGpuBackend, WebGpuError, WebGpuUnavailableError, webgpuBackend, tanhF32 } from './backends/index.ts';
export type { WebGpuOptions } from './backends/index.ts';
export * from './optim/index.ts';
export { checkGrad } from './checkgrad.ts';
export { beginScope, dispose, endScope, handOut, handOutGrad, isReleased, keep, release, releaseTransient, retain, scoped, outsideScopes, transientOf, trackLifetimes, ReleasedTensorError } from './lifetimes.ts';
export type { CheckGradOptions, CheckGradReport, ParameterError } from './checkgrad.ts';
