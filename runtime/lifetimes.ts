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
 *   the outermost scope, to the user. `scoped(body)` opens one for user
 *   code (a step that makes a batch by hand).
 * - what a gradient call hands out (`grad_f`, `valueAndGrad_f`: the loss
 *   and the gradients it made) is transient, owned by that function
 *   (`handOut`): an optimizer's `step(params, grads)` releases the
 *   transient gradients once applied (`releaseTransient`), and the next
 *   call of the same function releases, when it returns, whatever of the
 *   previous call's results is still transient (the loss). `retain(value)`
 *   takes results out of that rule: they become the user's.
 * - what the user holds (tensors made by hand, retained results, results
 *   of `jvp_f` and `vjp_f`) is the user's: `dispose(value)` gives it back
 *   at once, and a device backend gives back storage nobody released when
 *   the garbage collector reclaims the last Tensor object over it (the
 *   webgpu backend's FinalizationRegistry).
 *
 * A released tensor used afterwards (by an op, an optimizer, `data()` or
 * `dataSync()`) throws `ReleasedTensorError`, naming the op, how the
 * tensor was released and how to keep it (`assertLive`). docs/webgpu.md,
 * "Who owns a tensor", states the rule for users.
 *
 * Storage identity (the `storage` object of a Tensor) is what aliasing
 * means: `reshape` makes a new Tensor over the same storage, so a storage
 * is released once, and only by the scope that made it.
 */
import { fmt } from './shape.ts';
import { setReadHook, setTensorHook, Tensor } from './tensor.ts';

/** Storage first seen in a scope -> that scope; storage made outside any scope -> OUTSIDE; handed out by an outermost scope -> HANDED. */
const OUTSIDE = 0;
const HANDED = -1;
const owner = new WeakMap<object, number>();
/** Tensor objects already released (so scopes skip them). */
const released = new WeakSet<object>();
/** Storage that is never given back (`constantTensor`: the cached gradient seed). */
const pinned = new WeakSet<object>();
/** Released storage -> how it was released (for ReleasedTensorError). */
const releasedHow = new WeakMap<object, string>();
/** Has anything been released (until then `assertLive` costs one test)? */
let anyReleased = false;
/** Transient storage -> the gradient function whose call handed it out. */
const transientOwner = new WeakMap<object, string>();
/** Per gradient function (by identity): the tensors its last call handed out as transient. */
const lastHandedOut = new WeakMap<object, Tensor[]>();

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
          owner.set(key, HANDED);
        }
        continue;
      }
      releaseStorage(t, 'released when the generated derivative that made it returned (it is not part of the result)');
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
    releaseStorage(t, 'released by the generated code after its last use');
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
      releaseStorage(t, 'released by dispose()');
    },
    0,
  );
}

/** Has `release`, `dispose`, a scope, an optimizer step or a later gradient call given this tensor's storage back (through it or a view of the same storage)? */
export function isReleased(t: Tensor): boolean {
  if (released.has(t)) return true;
  const key = storageKey(t);
  return key !== null && releasedHow.has(key);
}

/**
 * Runs `make` as if no scope were open: the tensors it creates belong to
 * nobody's scope (the caller owns them), e.g. an optimizer's state created
 * on its first step inside a user's `scoped` step.
 */
export function outsideScopes<T>(make: () => T): T {
  const open = scopes.splice(0);
  try {
    return make();
  } finally {
    scopes.push(...open);
  }
}

/**
 * A tensor `make` creates outside every scope whose storage is never
 * released (release, dispose and scopes skip it): a constant the runtime
 * caches, such as the `ones([])` seed of `grad_f` on a device backend.
 */
export function constantTensor(make: () => Tensor): Tensor {
  const t = outsideScopes(make);
  const key = storageKey(t);
  if (key !== null) pinned.add(key);
  return t;
}

/**
 * Runs `body` in a scope and releases, when it returns, every tensor made
 * during it (by hand, by ops, by gradient calls) that its result does not
 * hold: the `tf.tidy` of wengert, for code outside generated derivatives
 * (a batch made each step, an evaluation). What the result holds is the
 * caller's. `body` must be synchronous (a scope spans no await). On the
 * CPU, until a device tensor exists, it only runs `body`.
 */
export function scoped<T>(body: () => T): T {
  const mark = beginScope();
  try {
    return keep(mark, body());
  } finally {
    endScope(mark);
  }
}

function releaseStorage(t: Tensor, how: string): void {
  const key = storageKey(t);
  if (key !== null && pinned.has(key)) return;
  released.add(t);
  if (key !== null) {
    if (releasedHow.has(key)) return;
    owner.delete(key);
    transientOwner.delete(key);
    releasedHow.set(key, how);
    anyReleased = true;
  }
  t.backend.release(t);
}

// ---- results handed out by gradient calls --------------------------------

/**
 * What `grad_f` / `valueAndGrad_f` return goes through here (generated
 * code: `return handOut(valueAndGrad_f, valueAndVjp_f(...), [args])`).
 * At the outermost level (not inside another derivative, whose scope owns
 * the result), the tensors of `result` that the call made become
 * transient, owned by `fn`; and whatever of the previous call's results is
 * still transient (not released by an optimizer, not retained) is released
 * now, after this call has run (so a previous result may be an argument of
 * this one). Tensors reachable from `args` are never transient; on a
 * backend whose scopes track (a device), neither is storage made outside
 * the call.
 */
export function handOut<T>(fn: (...a: never[]) => unknown, result: T, args: readonly unknown[]): T {
  if (scopes.length > 0) return result;
  const inArgs = new Set<object>();
  collectStorages(args, inArgs, 0);
  const fresh = new Map<object, Tensor>();
  const tracking = forced || deviceSeen;
  forEachTensor(
    result,
    (t) => {
      const key = storageKey(t);
      if (key === null || inArgs.has(key) || fresh.has(key) || releasedHow.has(key) || pinned.has(key)) return;
      // When scopes track, only what this call's outermost scope handed out is the call's.
      if (tracking && owner.get(key) !== HANDED) return;
      fresh.set(key, t);
    },
    0,
  );
  const previous = lastHandedOut.get(fn);
  if (previous !== undefined) {
    const inResult = new Set<object>();
    collectStorages(result, inResult, 0);
    for (const t of previous) {
      const key = storageKey(t)!;
      if (inResult.has(key) || !transientOwner.has(key)) continue;
      releaseStorage(t, `released when ${fn.name} was called again (what a gradient call returns is valid until the next call of the same function returns)`);
    }
  }
  for (const key of fresh.keys()) {
    transientOwner.set(key, fn.name);
    // Handed out once: a later result that holds it again (a view) does not make it fresh again.
    owner.set(key, OUTSIDE);
  }
  lastHandedOut.set(fn, [...fresh.values()]);
  return result;
}

/**
 * `grad_f`: hands out the gradient of `[value, gradient]` (as `handOut`)
 * and releases the value at once when the call made it and the gradient
 * does not hold it (nobody can see it).
 */
export function handOutGrad<G>(fn: (...a: never[]) => unknown, pair: readonly [unknown, G], args: readonly unknown[]): G {
  handOut(fn, pair, args);
  const [value, grad] = pair;
  const key = value instanceof Tensor ? storageKey(value) : null;
  if (key === null || !transientOwner.has(key)) return grad;
  const inGrad = new Set<object>();
  collectStorages(grad, inGrad, 0);
  if (!inGrad.has(key)) releaseStorage(value as Tensor, `released by ${fn.name}, which returns only the gradient`);
  return grad;
}

/**
 * Releases the transient tensors in `value` (an optimizer's gradients once
 * applied); tensors the user made or retained are left alone. `by` says
 * who, for the error a later use raises.
 */
export function releaseTransient(value: unknown, by: string): void {
  forEachTensor(
    value,
    (t) => {
      const key = storageKey(t);
      if (key === null) return;
      const fn = transientOwner.get(key);
      if (fn !== undefined) releaseStorage(t, `released by ${by} once it had applied it (a gradient returned by ${fn} is transient)`);
    },
    0,
  );
}

/**
 * Takes the tensors in `value` (results of `grad_f` / `valueAndGrad_f`)
 * out of the transient rule: no optimizer step and no later call releases
 * them; they are the user's (give them back with `dispose`, or leave them
 * to the garbage collector). Returns `value`.
 */
export function retain<T>(value: T): T {
  forEachTensor(
    value,
    (t) => {
      const key = storageKey(t);
      if (key !== null) transientOwner.delete(key);
    },
    0,
  );
  return value;
}

/** Is `t` transient (handed out by a gradient call, not yet released or retained)? The name of that gradient function, or null. */
export function transientOf(t: Tensor): string | null {
  const key = storageKey(t);
  return (key !== null && transientOwner.get(key)) || null;
}

/** A released tensor was used. */
export class ReleasedTensorError extends Error {
  constructor(op: string, t: Tensor, how: string) {
    super(
      `${op}: a ${t.dtype} tensor of shape ${fmt(t.shape)} (${t.backend.name}) was used after it was ${how}. ` +
        'To use a result of grad_f / valueAndGrad_f longer, read it before the next step or keep it with retain(value) (it is then yours: dispose(value) when done); ' +
        'to keep an intermediate, return it from the differentiated function.',
    );
    this.name = 'ReleasedTensorError';
  }
}

/** Throws ReleasedTensorError when `t`'s storage has been released (ops, optimizers and reads call it). */
export function assertLive(op: string, t: Tensor): void {
  if (!anyReleased) return;
  const key = storageKey(t);
  const how = key === null ? undefined : releasedHow.get(key);
  if (how !== undefined) throw new ReleasedTensorError(op, t, how);
}

setReadHook(assertLive);
