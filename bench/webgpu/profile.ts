/**
 * `npm run bench:webgpu-profile`: where a WebGPU MLP step's time goes, per
 * kernel, for wengert and for the peers. One step of each implementation
 * is captured (every compute pass's pipeline, bind groups and workgroup
 * counts, by wrapping the WebGPU objects' methods as counters.ts does),
 * then each captured dispatch is replayed alone, REPEATS times in one pass
 * and one submit, and timed up to `onSubmittedWorkDone`. The sum of the
 * kernels' times against the step's time says how much of a step is host
 * work (building commands, bind groups, submits) rather than kernels.
 * With PROFILE_REPLAY=1 the captured step is also replayed whole, in one
 * submit and one submit per dispatch. Arguments: the implementations to
 * profile, comma-separated (default all); env PROFILE_REPEATS, PROFILE_DUMP
 * (a folder to write each dispatch's WGSL into).
 *
 * On SwiftShader (CPU emulation) the times say how fast SwiftShader runs
 * each kernel, nothing about a GPU; compare implementations within one run.
 */
import * as fs from 'node:fs';
import { useBackend, type WebGpuBackend } from 'wengert';
import { makeProblem } from '../mlp/problem.ts';
import { findGpu, preferSwiftShader } from '../../runtime/backends/webgpu/device.ts';
import { exposeGpu, jaxWebgpuStep, tfjsWebgpuStep, type GpuStep } from './peers.ts';
import { compileModel, wengertWebgpuStep } from './wengert.ts';

const REPEATS = Number(process.env.PROFILE_REPEATS ?? 20);
const STEPS = 8;

interface Captured {
  pipeline: GPUComputePipeline;
  groups: Map<number, [GPUBindGroup, number[]]>;
  workgroups: [number, number, number];
}

let warned = 0;
/** The device each pipeline was made on (each library makes its own). */
const owner = new WeakMap<object, GPUDevice>();
const code = new WeakMap<object, string>();
let capturing: Captured[] | null = null;
let current: { pipeline: GPUComputePipeline | null; groups: Map<number, [GPUBindGroup, number[]]> } = { pipeline: null, groups: new Map() };

function wrap(proto: object, name: string, after: (self: unknown, args: unknown[], result: unknown) => void): void {
  const target = proto as Record<string, unknown>;
  const original = target[name] as (...args: unknown[]) => unknown;
  target[name] = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    after(this, args, result);
    return result;
  };
}

function install(device: GPUDevice): void {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.end();
  encoder.finish();
  const dev = Object.getPrototypeOf(device) as object;
  wrap(dev, 'createShaderModule', (_s, args, module) => code.set(module as object, (args[0] as GPUShaderModuleDescriptor).code));
  const fromDescriptor = (args: unknown[]) => {
    const d = args[0] as GPUComputePipelineDescriptor;
    return `${d.label ? `// ${d.label}\n` : ''}${code.get(d.compute.module) ?? '?'}`;
  };
  const record = (self: unknown, args: unknown[], p: object) => {
    code.set(p, fromDescriptor(args));
    owner.set(p, self as GPUDevice);
  };
  wrap(dev, 'createComputePipeline', (self, args, p) => record(self, args, p as object));
  wrap(dev, 'createComputePipelineAsync', (self, args, p) => void (p as Promise<object>).then((q) => record(self, args, q)));
  const passProto = Object.getPrototypeOf(pass) as object;
  wrap(passProto, 'setPipeline', (_s, args) => (current.pipeline = args[0] as GPUComputePipeline));
  wrap(passProto, 'setBindGroup', (_s, args) => current.groups.set(args[0] as number, [args[1] as GPUBindGroup, [...((args[2] as number[] | undefined) ?? [])]]));
  wrap(passProto, 'dispatchWorkgroups', (_s, args) => {
    if (capturing && current.pipeline) capturing.push({ pipeline: current.pipeline, groups: new Map(current.groups), workgroups: [args[0] as number, (args[1] as number) ?? 1, (args[2] as number) ?? 1] });
  });
  wrap(passProto, 'end', () => (current = { pipeline: null, groups: new Map() }));
}

/** ms per run of `d` alone (REPEATS runs in one pass, one submit). */
async function timeAlone(d: Captured): Promise<number> {
  const device = owner.get(d.pipeline)!;
  const once = async (reps: number) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(d.pipeline);
    for (const [i, [g, offsets]] of d.groups) pass.setBindGroup(i, g, offsets);
    for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(...d.workgroups);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  device.pushErrorScope('validation');
  await once(1);
  const err = await device.popErrorScope();
  if (err) {
    if (!warned++) console.log(`  (a replay failed: ${err.message.split('\n')[0]})`);
    return NaN;
  }
  let best = Infinity;
  for (let s = 0; s < 3; s++) best = Math.min(best, await once(REPEATS));
  return best / REPEATS;
}

/**
 * ms to replay the captured dispatches in order, all in one pass and one
 * submit (`together`) or each in its own encoder and submit, as jax-js
 * records them.
 */
async function timeReplay(ds: readonly Captured[], together: boolean): Promise<number> {
  const device = owner.get(ds[0]!.pipeline)!;
  let best = Infinity;
  for (let s = 0; s < 3; s++) {
    const t0 = performance.now();
    let enc = device.createCommandEncoder();
    let pass = enc.beginComputePass();
    for (const [i, d] of ds.entries()) {
      pass.setPipeline(d.pipeline);
      for (const [k, [g, offsets]] of d.groups) pass.setBindGroup(k, g, offsets);
      pass.dispatchWorkgroups(...d.workgroups);
      if (!together || i === ds.length - 1) {
        pass.end();
        device.queue.submit([enc.finish()]);
        enc = device.createCommandEncoder();
        pass = enc.beginComputePass();
      }
    }
    pass.end();
    enc.finish();
    await device.queue.onSubmittedWorkDone();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** A short name for a kernel: its label, or the first interesting line of its WGSL. */
function kernelName(src: string): string {
  const label = /^\/\/ (.*)/.exec(src);
  if (label) return label[1]!.split(':')[0]!.slice(0, 60);
  const wg = /@workgroup_size\(([^)]*)\)/.exec(src)?.[1] ?? '?';
  const body = src.slice(src.indexOf('fn main')).replace(/\s+/g, ' ');
  return `wg(${wg}) ${body.slice(0, 70)}`;
}

/** ms of host work per step: the JavaScript that records and submits a step, without waiting for the device. */
async function hostMs(s: GpuStep): Promise<number> {
  let best = Infinity;
  for (let sample = 0; sample < 3; sample++) {
    await s.sync();
    const t0 = performance.now();
    s.step();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function stepMs(s: GpuStep): Promise<number> {
  let best = Infinity;
  for (let sample = 0; sample < 3; sample++) {
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) s.step();
    await s.sync();
    best = Math.min(best, (performance.now() - t0) / 4);
  }
  return best;
}

preferSwiftShader(process.env, (p) => fs.existsSync(p));
const backend = (await useBackend('webgpu')) as WebGpuBackend;
const device = backend.gpu.device;
console.log(`adapter: ${backend.description}`);
install(device);
exposeGpu((await findGpu())!);
const p = makeProblem();
/** Implementations to profile: a comma-separated list of names (default: all). */
const only = process.argv[2]?.split(',');
const impls: [string, () => Promise<GpuStep>][] = [];
for (const fused of [true, false]) {
  const vg = await compileModel(fused);
  if (typeof vg !== 'string') impls.push([`wengert ${fused ? 'fused' : 'unfused'}`, async () => wengertWebgpuStep(backend, p, vg)]);
}
impls.push(['tfjs webgpu', () => tfjsWebgpuStep(p)], ['jax-js webgpu', () => jaxWebgpuStep(p)]);
const dumpDir = process.env.PROFILE_DUMP;
for (const [name, make] of impls) {
  if (only && !only.includes(name)) continue;
  const s = await make();
  for (let i = 0; i < STEPS; i++) s.step();
  await s.sync();
  const step = await stepMs(s);
  const host = await hostMs(s);
  capturing = [];
  s.step();
  await s.sync();
  const captured = capturing;
  capturing = null;
  let total = 0;
  const rows: string[] = [];
  for (const [i, d] of captured.entries()) {
    const ms = await timeAlone(d);
    total += Number.isNaN(ms) ? 0 : ms;
    const src = code.get(d.pipeline) ?? '?';
    if (dumpDir) fs.writeFileSync(`${dumpDir}/${name.replace(/\W+/g, '_')}_${i}.wgsl`, src);
    rows.push(`  ${ms.toFixed(2).padStart(8)} ms  [${d.workgroups.join(',')}]  ${kernelName(src)}`);
  }
  await s.sync();
  const replay = process.env.PROFILE_REPLAY ? ` replayed in one submit ${(await timeReplay(captured, true)).toFixed(1)} ms, one submit each ${(await timeReplay(captured, false)).toFixed(1)} ms;` : '';
  console.log(
    `\n${name}: step ${step.toFixed(1)} ms (host ${host.toFixed(2)} ms); ${captured.length} dispatches, kernels alone ${total.toFixed(1)} ms (${((100 * total) / step).toFixed(0)}% of the step);${replay}`,
  );
  console.log(rows.join('\n'));
}
process.exit(0);
