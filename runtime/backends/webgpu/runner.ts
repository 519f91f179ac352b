/**
 * What every WebGPU kernel launch goes through: the buffer pools, the
 * pipeline cache, the uniform cache, the open command encoder, uploads,
 * readbacks, and turning device errors into exceptions that name the op.
 *
 * - Buffers come from pools keyed by a rounded size (`sizeClass`); a
 *   released tensor's buffer goes back to its pool. Nothing is destroyed
 *   while the backend lives, so a training loop in steady state creates no
 *   buffers.
 * - Kernel parameters (shapes, strides, scalars) go in small uniform
 *   buffers cached by content: a step that repeats the previous step's
 *   shapes uploads nothing but its data.
 * - Bind groups are cached by (pipeline, buffers, bound sizes, uniform):
 *   in steady state a step's buffers come back from the pools in the same
 *   order, so a repeated step creates none.
 * - Dispatches are recorded into one open compute pass and submitted when
 *   something must be ordered after them (an upload, a copy, a read) or
 *   after `MAX_PENDING` dispatches. Uploads (`queue.writeBuffer`) happen on
 *   the queue timeline, so the open encoder is always submitted before one.
 * - Errors: the device's `uncapturederror` and `lost` events are always
 *   listened to and thrown at the next op or read, naming the op that was
 *   running. In debug mode each op runs in its own error scopes and is
 *   submitted at once, so an error names exactly its op and shapes.
 */
import { MAP_READ, USAGE, WebGpuError } from './device.ts';

const MAX_PENDING = 64;
const UNIFORM_CACHE_SIZE = 4096;
const BIND_GROUP_CACHE_SIZE = 4096;
export const WORKGROUP = 256;
const MAX_GROUPS = 65535;

/** A bound range of a buffer: the tensor's exact bytes (at least 4). */
export interface Binding {
  readonly buffer: GPUBuffer;
  readonly size: number;
}

/** Pool bucket for a request of `bytes`: powers of two up to 4 KiB, then steps of 1/8 of the power of two below. */
export function sizeClass(bytes: number): number {
  if (bytes <= 16) return 16;
  if (bytes <= 4096) return 2 ** Math.ceil(Math.log2(bytes));
  const step = 2 ** Math.floor(Math.log2(bytes)) / 8;
  return Math.ceil(bytes / step) * step;
}

class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  inUseBytes = 0;
  pooledBytes = 0;
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    private readonly onCreate: () => void,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) this.pooledBytes -= size;
    else {
      buffer = this.device.createBuffer({ size, usage: this.usage, label: `${this.label}-${size}` });
      this.created++;
      this.onCreate();
    }
    this.inUseBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
    this.inUseBytes -= size;
    this.pooledBytes += size;
  }
}

/** Counters of what the backend asked the device to do (for tests and benchmarks). */
export interface GpuCounters {
  dispatches: number;
  submits: number;
  uploads: number;
  uploadBytes: number;
  readbacks: number;
  pipelines: number;
  /** Bind groups created (a repeated step in steady state creates none). */
  bindGroups: number;
  /** Every GPU buffer created: tensor storage, staging, parameters. */
  buffersCreated: number;
}

export class Runner {
  readonly storage: BufferPool;
  private readonly staging: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly uniforms = new Map<string, GPUBuffer>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private error: WebGpuError | null = null;
  private lostMessage: string | null = null;
  private depth = 0;
  /** Error scopes of debug mode still being popped. */
  private scopes: Promise<void>[] = [];
  /** The op being run, for error messages (a thunk: the text is built only when an error needs it). */
  private opDesc: string | (() => string) = 'webgpu';
  readonly counters: GpuCounters = { dispatches: 0, submits: 0, uploads: 0, uploadBytes: 0, readbacks: 0, pipelines: 0, bindGroups: 0, buffersCreated: 0 };
  readonly maxBinding: number;
  /** Called before each op (outside any other op) and before a sync: work a backend deferred is recorded here. */
  beforeOp: (() => void) | null = null;

  constructor(
    readonly device: GPUDevice,
    readonly debug: boolean,
  ) {
    const created = () => this.counters.buffersCreated++;
    this.storage = new BufferPool(device, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, 'wengert-tensor', created);
    this.staging = new BufferPool(device, USAGE.MAP_READ | USAGE.COPY_DST, 'wengert-staging', created);
    this.maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    device.addEventListener('uncapturederror', (event) => {
      const e = (event as GPUUncapturedErrorEvent).error;
      this.error ??= new WebGpuError(`webgpu: ${this.op} (or an op shortly before it, run with debug to pin it down) failed on the device: ${e.message}`);
    });
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.lostMessage = `webgpu: the device was lost (${info.reason}) during or after ${this.op}: ${info.message}`;
      else this.lostMessage = 'webgpu: the device was destroyed';
    });
  }

  // ---- ops -----------------------------------------------------------------

  /** Starts op `desc` (e.g. `matmul([128,784], [784,128])`): throws a pending device error first. */
  begin(desc: string | (() => string)): void {
    this.throwPending();
    if (this.depth++ === 0) {
      this.beforeOp?.();
      this.opDesc = desc;
      if (this.debug) {
        this.device.pushErrorScope('out-of-memory');
        this.device.pushErrorScope('validation');
      }
    }
  }

  end(): void {
    if (--this.depth > 0) return;
    if (this.depth < 0) this.depth = 0;
    if (!this.debug) return;
    this.flush();
    const op = this.op;
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    this.scopes.push(
      Promise.all([validation, oom]).then(([v, o]) => {
        const e = v ?? o;
        if (e) this.error ??= new WebGpuError(`webgpu: ${op} failed on the device: ${e.message}`);
      }),
    );
  }

  /** Runs `f` as op `desc` (begin / end around it, end also when it throws). */
  run<T>(desc: string | (() => string), f: () => T): T {
    this.begin(desc);
    try {
      return f();
    } finally {
      this.end();
    }
  }

  /** The op being run, as text. */
  get op(): string {
    return typeof this.opDesc === 'string' ? this.opDesc : this.opDesc();
  }

  throwPending(): void {
    if (this.lostMessage) throw new WebGpuError(this.lostMessage);
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw e;
    }
  }

  /** Waits for submitted work and throws the first device error it raised. */
  async sync(): Promise<void> {
    this.beforeOp?.();
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    const scopes = this.scopes;
    this.scopes = [];
    await Promise.all(scopes);
    this.throwPending();
  }

  // ---- buffers -------------------------------------------------------------

  /** A pooled storage buffer for `bytes` (checked against the device's limits, naming the op). */
  alloc(bytes: number): GPUBuffer {
    if (bytes > this.maxBinding) {
      throw new WebGpuError(`webgpu: ${this.op} needs a buffer of ${bytes} bytes; this device binds at most ${this.maxBinding}`);
    }
    return this.storage.acquire(bytes);
  }

  free(buffer: GPUBuffer): void {
    this.storage.release(buffer);
  }

  /** `data` in a pooled storage buffer (submits open work first: the write lands on the queue timeline). */
  upload(data: ArrayBufferView): GPUBuffer {
    const buffer = this.alloc(Math.max(data.byteLength, 4));
    this.write(buffer, data);
    return buffer;
  }

  write(buffer: GPUBuffer, data: ArrayBufferView): void {
    this.flush();
    if (data.byteLength > 0) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    this.counters.uploads++;
    this.counters.uploadBytes += data.byteLength;
  }

  /** The first `bytes` of `buffer`, copied to the host. */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const staging = this.staging.acquire(Math.max(bytes, 4));
    const enc = this.commandEncoder();
    if (bytes > 0) enc.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    this.flush();
    this.counters.readbacks++;
    try {
      await staging.mapAsync(MAP_READ, 0, staging.size);
      const copy = staging.getMappedRange(0, staging.size).slice(0, bytes);
      staging.unmap();
      return copy;
    } finally {
      this.staging.release(staging);
      this.throwPending();
    }
  }

  // ---- commands ------------------------------------------------------------

  /** The cached pipeline for `key`, compiling `source()` the first time. */
  pipeline(key: string, source: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const code = source();
      const module = this.device.createShaderModule({ code, label: key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.pipelines.set(key, p);
      this.counters.pipelines++;
    }
    return p;
  }

  /** A uniform buffer holding `params`, shared by every dispatch with the same values. */
  private uniform(params: Uint32Array): GPUBuffer {
    const key = params.join(',');
    const hit = this.uniforms.get(key);
    if (hit) {
      // Most recently used last.
      this.uniforms.delete(key);
      this.uniforms.set(key, hit);
      return hit;
    }
    let buffer: GPUBuffer | undefined;
    if (this.uniforms.size >= UNIFORM_CACHE_SIZE) {
      const [oldKey, old] = this.uniforms.entries().next().value as [string, GPUBuffer];
      this.uniforms.delete(oldKey);
      if (old.size === params.byteLength) buffer = old;
      else {
        this.flush();
        old.destroy();
        // Cached bind groups may hold it.
        this.bindGroups.clear();
      }
    }
    if (!buffer) {
      buffer = this.device.createBuffer({ size: params.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST, label: 'wengert-params' });
      this.counters.buffersCreated++;
    }
    this.write(buffer, params);
    this.uniforms.set(key, buffer);
    return buffer;
  }

  private readonly slots = new Map<string, { buffer: GPUBuffer; words: Uint32Array }>();

  /**
   * The uniform buffer of `slot` holding `params`: for parameters that
   * change from step to step (optimizer scalars, dropout seeds), one buffer
   * per slot rewritten when its words change, instead of a new cache entry
   * (and buffer) per value.
   */
  private slotUniform(slot: string, params: Uint32Array): GPUBuffer {
    let s = this.slots.get(slot);
    if (s && s.words.length === params.length && s.words.every((w, i) => w === params[i])) return s.buffer;
    if (!s || s.words.length !== params.length) {
      s = { buffer: this.device.createBuffer({ size: params.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST, label: `wengert-params-${slot}` }), words: params };
      this.slots.set(slot, s);
      this.counters.buffersCreated++;
    }
    s.words = params.slice();
    this.write(s.buffer, params);
    return s.buffer;
  }

  /**
   * Records one dispatch of `pipeline` over `groups` workgroups, binding the
   * storage `bindings` at 0..n-1 and, when given, `params` as a uniform at n
   * (from the content cache, or from `slot`'s buffer: see slotUniform).
   */
  dispatch(
    pipeline: GPUComputePipeline,
    bindings: readonly Binding[],
    params: Uint32Array | null,
    groups: readonly [number, number, number],
    slot?: string,
  ): void {
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    for (const g of groups) {
      if (g > MAX_GROUPS) throw new WebGpuError(`webgpu: ${this.op} needs ${g} workgroups in one dimension (at most ${MAX_GROUPS})`);
    }
    // The uniform is created (and maybe uploaded) before the pass is opened: an upload submits open work.
    const uniform = params ? (slot ? this.slotUniform(slot, params) : this.uniform(params)) : null;
    const bindGroup = this.bindGroup(pipeline, bindings, uniform);
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.counters.dispatches++;
    if (++this.pending >= MAX_PENDING) this.flush();
  }

  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = this.nextId++));
    return id;
  }

  /** The bind group of `bindings` (at 0..n-1) and `uniform` (at n) for `pipeline`, from the cache when it was made before. */
  private bindGroup(pipeline: GPUComputePipeline, bindings: readonly Binding[], uniform: GPUBuffer | null): GPUBindGroup {
    let key = String(this.idOf(pipeline));
    for (const b of bindings) key += `,${this.idOf(b.buffer)}:${b.size}`;
    if (uniform) key += `,u${this.idOf(uniform)}`;
    const hit = this.bindGroups.get(key);
    if (hit) return hit;
    const entries: GPUBindGroupEntry[] = bindings.map((b, i) => ({ binding: i, resource: { buffer: b.buffer, offset: 0, size: b.size } }));
    if (uniform) entries.push({ binding: bindings.length, resource: { buffer: uniform } });
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.counters.bindGroups++;
    // Oldest first out: a cache, not a record of every combination a long run binds.
    if (this.bindGroups.size >= BIND_GROUP_CACHE_SIZE) this.bindGroups.delete(this.bindGroups.keys().next().value!);
    this.bindGroups.set(key, group);
    return group;
  }

  /** Zeroes the first `bytes` of `buffer`. */
  clear(buffer: GPUBuffer, bytes: number): void {
    if (bytes === 0) return;
    this.commandEncoder().clearBuffer(buffer, 0, Math.ceil(bytes / 4) * 4);
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    if (bytes === 0) return;
    this.commandEncoder().copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 4) * 4);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const cb = this.encoder.finish();
    this.encoder = null;
    this.pending = 0;
    this.device.queue.submit([cb]);
    this.counters.submits++;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** The open encoder outside any pass (for copies and clears). */
  private commandEncoder(): GPUCommandEncoder {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Memory held in tensor buffers: in use by live tensors, and pooled for reuse. */
  memory(): { inUseBytes: number; pooledBytes: number; buffersCreated: number } {
    return { inUseBytes: this.storage.inUseBytes, pooledBytes: this.storage.pooledBytes, buffersCreated: this.storage.created };
  }
}

/** Workgroup counts covering `n` threads of WORKGROUP each, folded into two dimensions when past 65535. */
export function groups1d(n: number, perGroup: number = WORKGROUP): [number, number, number] {
  const g = Math.ceil(n / perGroup);
  if (g <= MAX_GROUPS) return [g, 1, 1];
  const x = MAX_GROUPS;
  return [x, Math.ceil(g / x), 1];
}
