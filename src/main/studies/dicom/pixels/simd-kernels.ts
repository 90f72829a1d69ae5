/**
 * WebAssembly SIMD for the commonest import case: 16-bit grey samples (nearly all CT and MR) becoming
 * int16/uint16 modality values with an integer slope and intercept. Eight voxels per instruction,
 * about ten times the speed of the JavaScript loop it stands in for; samplesToVoxels falls back to that
 * loop for every other case, and tests hold the two to the same results.
 */
import fs from 'node:fs';
import { allocateVoxels, type VoxelArray, type VoxelType } from '../../../../shared/volume.js';
import type { IntegerSamples, SampleLayout } from './stored-values.js';

// The WebAssembly globals are typed only in lib.dom, which main-process code does not include.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Kernels {
  memory: WasmMemory;
  convert16(n16: number, shift: number, mask: number, sign: number, slope: number, intercept: number, signed: number): void;
}

/** where sample words start in the module's memory (min and max of the stored values come first) */
const DATA = 16;
const PAGE = 65536;

let kernels: Kernels | null | undefined;

/** The assembled module (dist/…/wasm/voxel-kernels.wasm), or null where it cannot load. */
export function simdKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const bytes = fs.readFileSync(new URL('./wasm/voxel-kernels.wasm', import.meta.url));
    kernels = new wasm.Instance(new wasm.Module(bytes), {}).exports as Kernels;
  } catch {
    kernels = null; // a runtime without WebAssembly SIMD: the JavaScript loops do the work
  }
  return kernels;
}

const LIMITS16: Partial<Record<VoxelType, [number, number]>> = { int16: [-32768, 32767], uint16: [0, 65535] };

/** The kernel's memory from DATA on, `byteLength` long (grown as needed): for a caller that fills the sample words itself. */
export function kernelBytes(byteLength: number): Uint8Array | null {
  const k = simdKernels();
  if (!k) return null;
  const needed = DATA + byteLength;
  if (k.memory.buffer.byteLength < needed) k.memory.grow(Math.ceil((needed - k.memory.buffer.byteLength) / PAGE));
  return new Uint8Array(k.memory.buffer, DATA, byteLength);
}

/**
 * Convert the first `n` sample words already in kernel memory (see kernelBytes) in place. `data` views
 * the kernel's memory: copy or write it out before the next conversion. Words past `n` are overwritten.
 */
export function convertInKernel(
  n: number,
  layout: SampleLayout,
  voxelType: 'int16' | 'uint16',
  slope: number,
  intercept: number,
): { data: Int16Array | Uint16Array; min: number; max: number; overflow: boolean } | null {
  const n16 = Math.ceil(n / 8) * 8;
  if (!kernelBytes(2 * n16)) return null;
  const k = simdKernels()!;
  const words = new Uint16Array(k.memory.buffer, DATA, n16);
  words.fill(words[0]!, n); // pad with a real sample so the lanes past the end leave min/max alone

  const signed = layout.pixelRepresentation === 1;
  const shift = layout.highBit + 1 - layout.bitsStored;
  const mask = 2 ** layout.bitsStored - 1;
  k.convert16(n16, shift, mask, signed ? 2 ** (layout.bitsStored - 1) : 0, slope, intercept, signed ? 1 : 0);

  const [low, high] = new Int32Array(k.memory.buffer, 0, 2) as unknown as [number, number];
  const a = low * slope + intercept;
  const b = high * slope + intercept;
  const min = Math.min(a, b);
  const max = Math.max(a, b);
  const limits = LIMITS16[voxelType]!;
  const data = new (voxelType === 'int16' ? Int16Array : Uint16Array)(k.memory.buffer, DATA, n);
  return { data, min, max, overflow: min < limits[0] || max > limits[1] };
}

/**
 * The fused conversion (see samplesToVoxels) on the SIMD kernel, or null when this case is not one it
 * handles. Overflow is decided from the stored range mapped through slope and intercept, exactly as
 * the JavaScript loop decides it; the kernel's 16-bit lanes wrap only in attempts that overflow.
 */
export function samplesToVoxels16(
  samples: IntegerSamples,
  layout: SampleLayout,
  voxelType: VoxelType,
  slope: number,
  intercept: number,
): { data: VoxelArray; min: number; max: number; overflow: boolean } | null {
  if ((voxelType !== 'int16' && voxelType !== 'uint16') || samples.BYTES_PER_ELEMENT !== 2 || layout.bitsAllocated !== 16 || samples.length === 0) return null;
  if (!Number.isInteger(slope) || !Number.isInteger(intercept)) return null;
  const n = samples.length;
  const words = kernelBytes(2 * n);
  if (!words) return null;
  words.set(new Uint8Array(samples.buffer, samples.byteOffset, 2 * n)); // the same bits, whatever the signedness
  const converted = convertInKernel(n, layout, voxelType, slope, intercept)!;
  const data = allocateVoxels(voxelType, n);
  data.set(converted.data);
  return { ...converted, data };
}
