/**
 * The grids every editing algorithm works on. A label map lies on its image's voxel grid, x fastest:
 * voxel (i, j, k) is at index i + nx·(j + ny·k). Spacing is in millimetres per axis (anisotropic
 * spacing is the rule, not the exception), so every size a user gives in mm is converted per axis.
 */
import type { Vec3, VoxelArray } from '../volume.js';

/** Label values: 0 is background; uint8 up to 255 segments, uint16 beyond. */
export type LabelArray = Uint8Array | Uint16Array;

export interface LabelGrid {
  dims: Vec3;
  spacing: Vec3;
  data: LabelArray;
}

export interface ImageGrid {
  dims: Vec3;
  spacing: Vec3;
  data: VoxelArray;
}

/** Inclusive voxel bounds. */
export interface Box {
  min: Vec3;
  max: Vec3;
}

export const indexOf = (dims: Vec3, i: number, j: number, k: number): number => i + dims[0] * (j + dims[1] * k);

export function wholeBox(dims: Vec3): Box {
  return { min: [0, 0, 0], max: [dims[0] - 1, dims[1] - 1, dims[2] - 1] };
}

/** `box` cut to the grid; null when nothing of it is inside. */
export function clipBox(box: Box, dims: Vec3): Box | null {
  const min = box.min.map((v) => Math.max(0, Math.floor(v))) as Vec3;
  const max = box.max.map((v, a) => Math.min(dims[a]! - 1, Math.ceil(v))) as Vec3;
  return min.every((v, a) => v <= max[a]!) ? { min, max } : null;
}

/** A bitmask (1 = in the region) on a grid, the common result of region-finding algorithms. */
export type RegionMask = Uint8Array;

/** Axis-aligned slice orientation: the axis a 2D tool works across (2 = k: axial for an axial stack). */
export type SliceAxis = 0 | 1 | 2;
