/**
 * Backend selection. Tensors remember their backend, and ops run on the
 * backend of their tensor operands; tensors made from host values (zeros,
 * fromArray, random initialisers...) go to the current default backend,
 * which `useBackend` sets: `await useBackend('webgpu')` once at start-up,
 * `await useBackend('cpu')` to go back.
 */
import type { Backend, BackendName } from './backend.ts';
import { cpu } from './cpu/index.ts';
import { webgpuBackend, type WebGpuOptions } from './webgpu/index.ts';

export type { Backend, BackendName } from './backend.ts';
export { cpu } from './cpu/index.ts';
export { setSimdEnabled, simdAvailable } from './cpu/simd-gemm.ts';
export { cpuPoolStatus, cpuThreads, cpuThreadsReady, setCpuThreads } from './cpu/threads.ts';
export { WebGpuBackend, WebGpuError, WebGpuUnavailableError, webgpuBackend } from './webgpu/index.ts';
export { tanhF32 } from './op-table.ts';
export type { WebGpuOptions } from './webgpu/index.ts';

let current: Backend = cpu;

/** The backend new tensors are created on. */
export function defaultBackend(): Backend {
  return current;
}

/** Sets the backend for tensors created from host values. */
export function setDefaultBackend(backend: Backend): void {
  current = backend;
}

/**
 * Makes `name` the backend new tensors are created on and returns it. The
 * first `useBackend('webgpu')` acquires the device (the browser's
 * `navigator.gpu`, or in Node the `webgpu` package); it throws a
 * `WebGpuUnavailableError` saying why when there is none.
 */
export async function useBackend(name: BackendName, options: WebGpuOptions = {}): Promise<Backend> {
  current = name === 'cpu' ? cpu : await webgpuBackend(options);
  return current;
}
