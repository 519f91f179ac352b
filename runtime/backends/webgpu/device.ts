/**
 * Getting a WebGPU device: the browser's `navigator.gpu`, or in Node the
 * `webgpu` npm package (Dawn), loaded only when asked for so that the
 * runtime imports nothing GPU-specific until `useBackend('webgpu')`.
 */

/** Why no device could be had (no WebGPU, no adapter, the device request failed). */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** A device-side failure (validation, out of memory, lost device), named with the op and shapes that caused it. */
export class WebGpuError extends Error {
  override name = 'WebGpuError';
}

// The numeric flags of the WebGPU spec, so nothing depends on the GPUBufferUsage / GPUMapMode globals.
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_READ = 0x1;

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let nodeGpu: GPU | null = null;

/** The `GPU` object of this environment, or null when there is none. */
export async function findGpu(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) return null;
  if (nodeGpu) return nodeGpu;
  // A variable module name, so bundlers for the browser leave this import alone.
  const name = 'webgpu';
  let mod: DawnModule;
  try {
    mod = (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (e) {
    throw new WebGpuUnavailableError(`useBackend('webgpu') in Node needs the \`webgpu\` package (npm install webgpu): ${(e as Error).message}`);
  }
  // Dawn's own code and other WebGPU libraries read these globals.
  for (const [key, value] of Object.entries(mod.globals)) {
    if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  }
  nodeGpu = mod.create([]);
  return nodeGpu;
}

/**
 * In Node, SwiftShader's Vulkan driver (shipped with Debian's chromium)
 * when no other Vulkan driver is configured: a CPU WebGPU for tests.
 */
export function preferSwiftShader(env: Record<string, string | undefined>, exists: (path: string) => boolean): void {
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (env.VK_ICD_FILENAMES === undefined && exists(icd)) env.VK_ICD_FILENAMES = icd;
}

export interface AcquiredDevice {
  device: GPUDevice;
  /** vendor / architecture of the adapter, for messages. */
  description: string;
}

export async function acquireDevice(): Promise<AcquiredDevice> {
  const gpu = await findGpu();
  if (!gpu) throw new WebGpuUnavailableError('WebGPU is not available here (no navigator.gpu, and not Node)');
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new WebGpuUnavailableError(
      'WebGPU found no adapter (no GPU driver; on Linux without a GPU install chromium and libvulkan1 and set ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)',
    );
  }
  const lim = adapter.limits;
  // Ask for the adapter's larger buffer limits: defaults cap a storage binding at 128 MiB.
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(lim.maxStorageBuffersPerShaderStage, 8),
    },
  });
  const info = adapter.info as GPUAdapterInfo | undefined;
  const description = [info?.vendor, info?.architecture, info?.device].filter((s) => s).join(' ') || 'unknown adapter';
  return { device, description };
}
