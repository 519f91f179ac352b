/**
 * A checking backend for the release discipline, on the CPU: the CPU
 * backend with every method wrapped. A released tensor's storage is
 * poisoned (filled with NaN and remembered): any later use of it by a
 * kernel, or a read, throws, naming the method. It records every tensor it
 * makes, so a test can assert that everything generated code made and did
 * not return was released.
 */
import { Tensor, cpu, setDefaultBackend, trackLifetimes, type Backend } from 'wengert';

export interface Checker {
  backend: Backend;
  /** Tensors made since the last `reset`. */
  made: Tensor[];
  /** Releases since the last `reset` (each storage once). */
  releases: number;
  /** Storages released twice (a bug). */
  doubleReleases: number;
  reset(): void;
  isPoisoned(t: Tensor): boolean;
  /** Switches the default backend to the checker (and scopes on), until `uninstall`. */
  install(): void;
  uninstall(): void;
}

export function makeChecker(): Checker {
  const poisoned = new WeakSet<object>();
  const proto = Object.getPrototypeOf(cpu) as Record<string, unknown>;
  const backend = Object.create(cpu) as Backend & Record<string, unknown>;
  const state: Checker = {
    backend,
    made: [],
    releases: 0,
    doubleReleases: 0,
    reset() {
      state.made = [];
      state.releases = 0;
      state.doubleReleases = 0;
    },
    isPoisoned: (t) => poisoned.has(t.storage as object),
    install() {
      setDefaultBackend(backend);
      trackLifetimes(true);
    },
    uninstall() {
      setDefaultBackend(cpu);
      trackLifetimes(false);
    },
  };
  const check = (method: string, args: unknown[]) => {
    const visit = (a: unknown): void => {
      if (a instanceof Tensor) {
        if (poisoned.has(a.storage as object)) throw new Error(`release checker: ${method} used a released tensor ${a.toString()}`);
      } else if (Array.isArray(a)) a.forEach(visit);
    };
    args.forEach(visit);
  };
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    if (name === 'release') {
      backend.release = (t: Tensor) => {
        const key = t.storage as object;
        if (poisoned.has(key)) {
          state.doubleReleases++;
          return;
        }
        poisoned.add(key);
        (t.storage as Float32Array | Float64Array | Int32Array).fill(t.dtype === 'int32' ? -2147483648 : NaN);
        state.releases++;
      };
      continue;
    }
    backend[name] = function (this: unknown, ...args: unknown[]) {
      check(name, args);
      const out = (method as (...a: unknown[]) => unknown).apply(backend, args);
      if (name === 'make' && out instanceof Tensor) state.made.push(out);
      return out;
    };
  }
  return state;
}

/** Every tensor in a value (tensors, arrays, objects). */
export function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => tensorsIn(v, out));
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) Object.values(value).forEach((v) => tensorsIn(v, out));
  return out;
}
