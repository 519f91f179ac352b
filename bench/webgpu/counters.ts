/**
 * Counting what a step asks of the device, for any WebGPU library: the
 * methods of the prototypes of real WebGPU objects (a compute pass's
 * `dispatchWorkgroups`, the queue's `writeBuffer` and `submit`, the
 * device's `createBuffer` and `createBindGroup`, a buffer's `mapAsync`) are wrapped once to
 * count their calls and the bytes written. The counts depend on what the
 * library does, not on the device.
 */

export interface DeviceCounts {
  dispatches: number;
  writeBuffers: number;
  uploadBytes: number;
  submits: number;
  buffersCreated: number;
  bindGroups: number;
  readbacks: number;
}

const counts: DeviceCounts = { dispatches: 0, writeBuffers: 0, uploadBytes: 0, submits: 0, buffersCreated: 0, bindGroups: 0, readbacks: 0 };
let installed = false;

function wrap(proto: object, name: string, count: (args: unknown[]) => void): void {
  const target = proto as Record<string, unknown>;
  const original = target[name] as (...args: unknown[]) => unknown;
  if (typeof original !== 'function') throw new Error(`counters: ${name} is not a method of its prototype`);
  target[name] = function (this: unknown, ...args: unknown[]) {
    count(args);
    return original.apply(this, args);
  };
}

/** Wraps the prototypes of `device`'s objects (once per process). */
export function installCounters(device: GPUDevice): void {
  if (installed) return;
  installed = true;
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.end();
  encoder.finish();
  const buffer = device.createBuffer({ size: 16, usage: 0x1 | 0x8 });
  wrap(Object.getPrototypeOf(pass), 'dispatchWorkgroups', () => counts.dispatches++);
  wrap(Object.getPrototypeOf(device.queue), 'writeBuffer', (args) => {
    counts.writeBuffers++;
    const data = args[2] as ArrayBufferView | ArrayBuffer;
    const size = args[4] as number | undefined;
    const bytesPerElement = ArrayBuffer.isView(data) ? ((data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1) : 1;
    counts.uploadBytes += size !== undefined ? size * (ArrayBuffer.isView(data) ? bytesPerElement : 1) : data.byteLength;
  });
  wrap(Object.getPrototypeOf(device.queue), 'submit', () => counts.submits++);
  wrap(Object.getPrototypeOf(device), 'createBuffer', () => counts.buffersCreated++);
  wrap(Object.getPrototypeOf(device), 'createBindGroup', () => counts.bindGroups++);
  wrap(Object.getPrototypeOf(buffer), 'mapAsync', () => counts.readbacks++);
  buffer.destroy();
}

export function snapshot(): DeviceCounts {
  return { ...counts };
}

/** (after - before) / steps, per counter. */
export function perStep(before: DeviceCounts, after: DeviceCounts, steps: number): DeviceCounts {
  const out = {} as DeviceCounts;
  for (const k of Object.keys(before) as (keyof DeviceCounts)[]) out[k] = (after[k] - before[k]) / steps;
  return out;
}

const WARMUP_STEPS = 5;
const COUNTED_STEPS = 10;

/** A training step on the device and a wait for it (bench/webgpu/peers.ts GpuStep). */
export interface CountedStep {
  step(): void;
  sync(): Promise<unknown>;
}

/** Counts per step in steady state: over COUNTED_STEPS steps after WARMUP_STEPS and their final wait, less what a wait alone costs. */
export async function countPerStep(s: CountedStep): Promise<DeviceCounts> {
  for (let i = 0; i < WARMUP_STEPS; i++) s.step();
  await s.sync();
  const waitBefore = snapshot();
  await s.sync();
  const wait = perStep(waitBefore, snapshot(), 1);
  const before = snapshot();
  for (let i = 0; i < COUNTED_STEPS; i++) s.step();
  await s.sync();
  const total = perStep(before, snapshot(), 1);
  const out = {} as DeviceCounts;
  for (const k of Object.keys(total) as (keyof DeviceCounts)[]) out[k] = (total[k] - wait[k]) / COUNTED_STEPS;
  return out;
}
