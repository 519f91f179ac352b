#!/usr/bin/env bash
# The WebGPU benchmark and the per-kernel profile on a machine with a real GPU
# (the coordinator's `device` tool), in well under 5 minutes.
#
# What the machine needs, since it reaches no registry (no npm ci there):
# - node_modules as a real directory (not the symlink a helper worktree has),
#   carried; the `webgpu` package's dawn.node for linux-x64 finds the GPU
#   through the Vulkan loader. node_modules is far over the tool's 64 MiB
#   carry limit as installed (webgpu alone ships Dawn for every platform):
#   carry a trimmed copy (tsx, esbuild, webgpu with only its linux-x64 binary,
#   @jax-js/jax, @tensorflow/tfjs*, ts-morph, typescript).
# - dist/ built here (npm run build), carried.
# - the Vulkan loader: once, on this side, as the device tool's README says,
#   download libvulkan1 into .gl/ and carry it; this script unpacks it.
#   No VK_ICD_FILENAMES: the real driver, not SwiftShader.
# - node itself; the script stops with a message when there is none.
#
# Writes to $OUT (or out/device-check): bench.log, webgpu.json, profile.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out/device-check}
mkdir -p "$out"
if compgen -G '.gl/*.deb' >/dev/null; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
unset VK_ICD_FILENAMES
command -v node >/dev/null || { echo 'device-check: no node on this machine (carry a node binary and put it on PATH)'; exit 2; }
ldconfig -p | grep -q libvulkan || echo 'device-check: no libvulkan found; Dawn will find no adapter (carry .gl, see the header)'
{ node --version; nvidia-smi -L 2>/dev/null || true; } | tee "$out/machine.txt"
timeout 200 node_modules/.bin/tsx bench/webgpu/main.ts --json "$out/webgpu.json" 2>&1 | tee "$out/bench.log"
timeout 80 node_modules/.bin/tsx bench/webgpu/profile.ts 'wengert fused,jax-js webgpu' 2>&1 | tee "$out/profile.log"
