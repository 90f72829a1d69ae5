/**
 * Stored values → modality values in the volume's voxel type, in one pass per frame, on the decode
 * worker. The loops are written per output type so each stays monomorphic (a generic typed-array loop
 * runs several times slower in V8).
 */
import { allocateVoxels, bytesPerVoxel, viewVoxels, type VoxelArray, type VoxelType } from '../../../../shared/volume.js';
import type { StoredFrame } from './format.js';

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
  // in place (same buffer) the bits are already right, whatever the signedness: the range check
  // above, taken on the source values, catches any that the output type cannot hold
  if (out.buffer !== frame.buffer) out.set(frame as never);
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
