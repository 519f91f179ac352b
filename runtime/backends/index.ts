/**
 * Backend selection. Only `cpu` exists today; `webgpu` will implement the
 * same `Backend` interface. Tensors remember their backend, and ops run on
 * the backend of their tensor operands.
 */
import type { Backend } from './backend.ts';
import { cpu } from './cpu/index.ts';

export type { Backend, BackendName } from './backend.ts';
export { cpu } from './cpu/index.ts';
export { setSimdEnabled, simdAvailable } from './cpu/simd-gemm.ts';

let current: Backend = cpu;

/** The backend new tensors are created on. */
export function defaultBackend(): Backend {
  return current;
}

/** Sets the backend for tensors created from host values. */
export function setDefaultBackend(backend: Backend): void {
  current = backend;
}
