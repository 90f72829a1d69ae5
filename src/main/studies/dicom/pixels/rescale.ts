/**
 * Stored values → modality values in the volume's voxel type, in one pass per frame, on the decode
 * worker. The loops are written per output type so each stays monomorphic (a generic typed-array loop
 * runs several times slower in V8).
 */
import { allocateVoxels, bytesPerVoxel, viewVoxels, type VoxelArray, type VoxelType } from '../../../../shared/volume.js';
import type { StoredFrame } from './format.js';
import { samplesToVoxels16 } from './simd-kernels.js';
import { toStoredValues, type IntegerSamples, type SampleLayout } from './stored-values.js';

export interface FrameRange {
  min: number;
  max: number;
}

const LIMITS: Partial<Record<VoxelType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 2 ** 32 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

/**
 * Rescale one frame into `voxelType`; `overflow` when a value does not fit it. The frame is consumed:
 * when the output element has the same width it is written in place over the frame's own buffer
 * (element i is read before it is written), saving an allocation per frame.
 */
export function rescaleFrame(frame: StoredFrame, voxelType: VoxelType, slope: number, intercept: number): { data: VoxelArray; overflow: boolean } & FrameRange {
  const out = frame.BYTES_PER_ELEMENT === bytesPerVoxel(voxelType) && isWholeBuffer(frame) ? viewVoxels(voxelType, new Uint8Array(frame.buffer)) : allocateVoxels(voxelType, frame.length);
  const { min, max } = slope === 1 && intercept === 0 ? copyWithRange(out, frame) : rescaleWithRange(out, frame, slope, intercept);
  const limits = LIMITS[voxelType];
  return { data: out, min, max, overflow: limits !== undefined && (min < limits[0] || max > limits[1]) };
}

const isFloat = (a: StoredFrame) => a instanceof Float32Array || a instanceof Float64Array;
const isWholeBuffer = (a: StoredFrame) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;

// The range is taken from the source values before any narrowing, so overflow is never hidden by
// typed-array wrapping. Separate functions keep each call site's element kinds stable.
function copyWithRange(out: VoxelArray, frame: StoredFrame): FrameRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // In place (same buffer) between integer kinds the bits are already right, whatever the
  // signedness: the range check above, taken on the source values, catches any that the output type
  // cannot hold. Integer → float of the same width must convert (set() copies the source first).
  if (out.buffer !== frame.buffer || isFloat(out) !== isFloat(frame)) out.set(frame as never);
  return { min, max };
}

function rescaleWithRange(out: VoxelArray, frame: StoredFrame, slope: number, intercept: number): FrameRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i]! * slope + intercept;
    out[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * Raw grey sample words → modality values in `voxelType`, in one pass: the Bits Stored mask, sign
 * extension and Rescale Slope/Intercept are fused so each voxel is read and written once (the two
 * separate passes cost three times as much on a 512×512×600 CT). `samples` is only read, so it may be a
 * view into the file. Codec output in signed *values* (see toStoredValues) and 32-bit stored values
 * take the two-pass path, which handles them exactly.
 */
export function samplesToVoxels(
  samples: IntegerSamples,
  layout: SampleLayout,
  signedValues: boolean,
  voxelType: VoxelType,
  slope: number,
  intercept: number,
): { data: VoxelArray; overflow: boolean } & FrameRange {
  if (signedValues || layout.bitsStored >= 32) {
    const stored = toStoredValues(samples, layout, signedValues);
    return rescaleFrame(stored === samples ? (stored.slice() as StoredFrame) : stored, voxelType, slope, intercept);
  }
  const simd = samplesToVoxels16(samples, layout, voxelType, slope, intercept);
  if (simd) return simd;
  const out = allocateVoxels(voxelType, samples.length);
  const shift = layout.highBit + 1 - layout.bitsStored;
  const mask = 2 ** layout.bitsStored - 1;
  // sign extension as (v ^ sign) - sign; sign 0 leaves unsigned values as they are
  const sign = layout.pixelRepresentation === 1 ? 2 ** (layout.bitsStored - 1) : 0;
  const { min, max } = Number.isInteger(slope) && Number.isInteger(intercept) ? fusedInteger(samples, out, shift, mask, sign, slope, intercept) : fusedFloat(samples, out, shift, mask, sign, slope, intercept);
  const limits = LIMITS[voxelType];
  return { data: out, min, max, overflow: limits !== undefined && (min < limits[0] || max > limits[1]) };
}

// Integer slope and intercept (nearly every CT): small-integer arithmetic throughout, and the range
// is taken on the stored values and mapped once (a linear map keeps the order, or reverses it).
function fusedInteger(samples: IntegerSamples, out: VoxelArray, shift: number, mask: number, sign: number, slope: number, intercept: number): FrameRange {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0, n = samples.length; i < n; i++) {
    const s = (((samples[i]! >>> shift) & mask) ^ sign) - sign;
    out[i] = s * slope + intercept;
    low = s < low ? s : low;
    high = s > high ? s : high;
  }
  const a = low * slope + intercept;
  const b = high * slope + intercept;
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

function fusedFloat(samples: IntegerSamples, out: VoxelArray, shift: number, mask: number, sign: number, slope: number, intercept: number): FrameRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0, n = samples.length; i < n; i++) {
    const v = ((((samples[i]! >>> shift) & mask) ^ sign) - sign) * slope + intercept;
    out[i] = v;
    min = v < min ? v : min;
    max = v > max ? v : max;
  }
  return { min, max };
}
