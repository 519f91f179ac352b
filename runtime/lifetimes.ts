/**
 * Lifetimes of device tensors (docs/fusion.md, "Lifetimes"). On the CPU
 * none of this does anything that matters (typed arrays are garbage
 * collected and `Backend.release` is a no-op); on a device backend every
 * intermediate tensor must give its buffer back to the pool.
 *
 * Three mechanisms, from the most precise to the backstop:
 * - `release(t)`: the compiler inserts it after the last use of an
 *   intermediate that it can prove owns its storage (compiler/analysis/
 *   lifetimes.ts); users may call it (or `dispose`) on their own tensors.
 * - scopes: every generated derivative runs inside `beginScope()` /
 *   `keep(mark, result)` / `endScope(mark)` (in a finally). At the end every tensor whose storage was
 *   made inside the scope (by generated code or inside a runtime helper),
 *   that is not reachable from the result and not yet released, is
 *   released. What the result holds moves to the enclosing scope, or, at
 *   the outermost scope, to the user.
 * - what the user holds (tensors made by hand, results of generated
 *   functions) is the user's: `dispose(value)` gives it back at once, and
 *   a device backend gives back storage nobody released when the garbage
 *   collector reclaims the last Tensor object over it (the webgpu
 *   backend's FinalizationRegistry).
 *
 * Storage identity (the `storage` object of a Tensor) is what aliasing
 * means: `reshape` makes a new Tensor over the same storage, so a storage
 * is released once, and only by the scope that made it.
 */
import { setTensorHook, Tensor } from './tensor.ts';

/** Storage first seen in a scope -> that scope; storage made outside any scope -> OUTSIDE. */
const OUTSIDE = 0;
const owner = new WeakMap<object, number>();
/** Tensor objects already released (so scopes skip them). */
const released = new WeakSet<object>();
/** Storage that is never given back (`constantTensor`: the cached gradient seed). */
const pinned = new WeakSet<object>();

interface Scope {
  id: number;
  tensors: Tensor[];
  /** What the body returns (`keep`): its storage outlives the scope. */
  result: unknown;
}

const scopes: Scope[] = [];
let nextScopeId = 1;

function storageKey(t: Tensor): object | null {
  const s = t.storage;
  return typeof s === 'object' && s !== null ? s : null;
}

/** Has a tensor of a backend that releases (not the CPU) been made? Scopes track only from then on. */
let deviceSeen = false;

/** Called by every Tensor constructor (runtime/tensor.ts). */
function onTensorCreated(t: Tensor): void {
  if (!deviceSeen && t.backend.name !== 'cpu') deviceSeen = true;
  const key = storageKey(t);
  if (key === null) return;
  // A new view of known storage (reshape) belongs where the storage does.
  if (owner.has(key)) return;
  const scope = scopes[scopes.length - 1];
  if (scope === undefined) {
    owner.set(key, OUTSIDE);
    return;
  }
  owner.set(key, scope.id);
  scope.tensors.push(t);
}

setTensorHook(onTensorCreated);

/** Scopes track tensors only when something can be released: once a device tensor exists, or under `trackLifetimes`. */
let forced = false;

/** Makes scopes track tensors even on the CPU (the release checker of the tests uses it). */
export function trackLifetimes(on: boolean): void {
  forced = on;
}

/**
 * Opens a scope (generated code calls it first, then runs its body in
 * `try { ... return keep(scope, result); } finally { endScope(scope); }`).
 * Returns the scope's mark, -1 when nothing needs tracking (no device
 * tensor exists).
 */
export function beginScope(): number {
  if (!forced && !deviceSeen) return -1;
  const id = nextScopeId++;
  scopes.push({ id, tensors: [], result: undefined });
  return id;
}

function scopeIndex(mark: number): number {
  if (mark < 0) return -1;
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.id === mark) return i;
  return -1;
}

/** Records `result` as what the scope `mark` returns (its storage outlives the scope); returns it. */
export function keep<T>(mark: number, result: T): T {
  const i = scopeIndex(mark);
  if (i >= 0) scopes[i]!.result = result;
  return result;
}

/**
 * Closes the scope `mark`: releases every storage it made that its kept
 * result does not hold (all of them when an exception left the body), and
 * hands what the result holds to the enclosing scope, or to the user.
 */
export function endScope(mark: number): void {
  const at = scopeIndex(mark);
  if (at < 0) return;
  const closing = scopes.splice(at);
  const keepSet = new Set<object>();
  collectStorages(closing[0]!.result, keepSet, 0);
  const parent = scopes[scopes.length - 1];
  const done = new Set<object>();
  for (const scope of closing) {
    for (const t of scope.tensors) {
      const key = storageKey(t)!;
      if (released.has(t) || done.has(key) || owner.get(key) !== scope.id) continue;
      done.add(key);
      if (keepSet.has(key)) {
        if (parent) {
          owner.set(key, parent.id);
          parent.tensors.push(t);
        } else {
          owner.set(key, OUTSIDE);
        }
        continue;
      }
      releaseStorage(t);
    }
  }
}

/** Tensors of a result: tensors, arrays, tuples and plain objects of them. */
function forEachTensor(value: unknown, visit: (t: Tensor) => void, depth: number): void {
  if (value instanceof Tensor) {
    visit(value);
    return;
  }
  if (depth > 32 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) for (const v of value) forEachTensor(v, visit, depth + 1);
  else for (const v of Object.values(value)) forEachTensor(v, visit, depth + 1);
}

function collectStorages(value: unknown, into: Set<object>, depth: number): void {
  forEachTensor(
    value,
    (t) => {
      const key = storageKey(t);
      if (key) into.add(key);
    },
    depth,
  );
}

/**
 * Gives each tensor's storage back to its backend now; they must not be used afterwards.
 * Generated code calls it after an intermediate's last use. Numbers, null
 * and tensors already released are ignored; on the CPU it does nothing.
 */
export function release(...ts: unknown[]): void {
  for (const t of ts) {
    if (!(t instanceof Tensor) || (t.backend.name === 'cpu' && !forced) || released.has(t)) continue;
    releaseStorage(t);
  }
}

/** Releases every tensor in a value (tensors, arrays and objects of them): for tensors a user made or was given. */
export function dispose(value: unknown): void {
  const seen = new Set<object>();
  forEachTensor(
    value,
    (t) => {
      const key = storageKey(t);
      if (key === null || seen.has(key) || released.has(t)) return;
      seen.add(key);
      releaseStorage(t);
    },
    0,
  );
}

/** Has `release`, `dispose` or a scope given this tensor's storage back? */
export function isReleased(t: Tensor): boolean {
  return released.has(t);
}

/**
 * A tensor `make` creates outside every scope whose storage is never
 * released (release, dispose and scopes skip it): a constant the runtime
 * caches, such as the `ones([])` seed of `grad_f` on a device backend.
 */
export function constantTensor(make: () => Tensor): Tensor {
  const open = scopes.splice(0);
  try {
    const t = make();
    const key = storageKey(t);
    if (key !== null) pinned.add(key);
    return t;
  } finally {
    scopes.push(...open);
  }
}

function releaseStorage(t: Tensor): void {
  const key = storageKey(t);
  if (key !== null && pinned.has(key)) return;
  released.add(t);
  if (key !== null) owner.delete(key);
  t.backend.release(t);
}
