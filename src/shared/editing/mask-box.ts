/**
 * Bounding boxes of masks and crops to them: most regions fill a small part of the grid, and running
 * a whole-grid transform on a 512×512×600 volume for a 30-voxel lesion would waste seconds.
 */
import type { Vec3, VoxelArray } from '../volume.js';
import type { Box, RegionMask } from './grid.js';

/** Bounds of the non-zero voxels; null when there are none. */
export function maskBox(mask: RegionMask, dims: Vec3): Box | null {
  const [nx, ny, nz] = dims;
  const min: Vec3 = [nx, ny, nz];
  const max: Vec3 = [-1, -1, -1];
  for (let k = 0, at = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++, at += nx) {
      let first = -1;
      for (let i = 0; i < nx; i++) if (mask[at + i] !== 0) { first = i; break; }
      if (first < 0) continue;
      let last = nx - 1;
      while (mask[at + last] === 0) last--;
      if (first < min[0]) min[0] = first;
      if (last > max[0]) max[0] = last;
      if (j < min[1]) min[1] = j;
      if (j > max[1]) max[1] = j;
      if (k < min[2]) min[2] = k;
      max[2] = k;
    }
  }
  return max[0] < 0 ? null : { min, max };
}

/** `box` widened by `pad` voxels per axis, cut to the grid. */
export function padBox(box: Box, pad: Vec3, dims: Vec3): Box {
  return {
    min: box.min.map((v, a) => Math.max(0, v - pad[a]!)) as Vec3,
    max: box.max.map((v, a) => Math.min(dims[a]! - 1, v + pad[a]!)) as Vec3,
  };
}

export const boxDims = (box: Box): Vec3 => box.min.map((v, a) => box.max[a]! - v + 1) as Vec3;

const isWhole = (box: Box, dims: Vec3) => box.min.every((v, a) => v === 0 && box.max[a] === dims[a]! - 1);

/** A copy of the voxels of `mask` inside `box`, as a grid of `boxDims(box)`. */
export function cropMask(mask: RegionMask, dims: Vec3, box: Box): Uint8Array {
  return cropGrid(mask, dims, box);
}

/** The same crop for any typed array (image intensities, label maps). */
export function cropGrid<T extends VoxelArray>(mask: T, dims: Vec3, box: Box): T {
  if (isWhole(box, dims)) return mask.slice() as T;
  const [cx, cy, cz] = boxDims(box);
  const out = new (mask.constructor as new (n: number) => T)(cx * cy * cz);
  for (let k = 0, o = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++, o += cx) {
      const from = box.min[0] + dims[0] * (box.min[1] + j + dims[1] * (box.min[2] + k));
      out.set(mask.subarray(from, from + cx) as never, o);
    }
  }
  return out;
}

/** A grid-sized mask, zero outside `box`, holding `crop` (laid out as `cropMask` makes it) inside. */
export function uncropMask(crop: Uint8Array, dims: Vec3, box: Box): Uint8Array {
  if (isWhole(box, dims)) return crop;
  const [cx, cy, cz] = boxDims(box);
  const out = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, o = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++, o += cx) {
      out.set(crop.subarray(o, o + cx), box.min[0] + dims[0] * (box.min[1] + j + dims[1] * (box.min[2] + k)));
    }
  }
  return out;
}
