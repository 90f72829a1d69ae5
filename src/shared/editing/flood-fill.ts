/**
 * Flood fill / connected region growing from a click: the voxels connected to the seed (6-connected in
 * 3D, 4-connected in the seed's slice in 2D) whose image value is within `tolerance` of the seed's.
 * A scanline fill over typed arrays: memory is one bitmask plus a stack of row seeds, so a region of
 * tens of millions of voxels fills in well under a second.
 */
import type { Vec3, VoxelArray } from '../volume.js';
import type { Box, RegionMask, SliceAxis } from './grid.js';
import { ScanlineFill } from './scanline-fill.js';

export interface FloodSpec {
  seed: Vec3;
  tolerance: number;
  /** '3d', or 2D in the slice across `axis` that holds the seed */
  mode: '3d' | { axis: SliceAxis };
}

export interface Region {
  mask: RegionMask;
  box: Box;
  voxels: number;
}

export function floodRegion(image: VoxelArray, dims: Vec3, spec: FloodSpec): Region {
  const [nx, ny, nz] = dims;
  const seed = spec.seed.map(Math.round) as Vec3;
  if (seed.some((v, a) => v < 0 || v >= dims[a]!)) throw new RangeError(`seed ${seed.join(',')} is outside the ${dims.join('×')} grid`);
  const seedIndex = seed[0] + nx * (seed[1] + ny * seed[2]);
  const centre = image[seedIndex]!;
  const lo = centre - spec.tolerance;
  const hi = centre + spec.tolerance;
  // limits of the fill: the whole grid, or the seed's slice
  const min: Vec3 = [0, 0, 0];
  const max: Vec3 = [nx - 1, ny - 1, nz - 1];
  if (spec.mode !== '3d') min[spec.mode.axis] = max[spec.mode.axis] = seed[spec.mode.axis];

  const mask = new Uint8Array(image.length);
  const box: Box = { min: [...seed], max: [...seed] };
  let voxels = 0;
  const fill = new ScanlineFill(dims, min, max);
  fill.push(seed[1], seed[2], seed[0], seed[0]);
  fill.run(
    (index) => mask[index] === 0 && image[index]! >= lo && image[index]! <= hi,
    (row, left, right, j, k) => {
      mask.fill(1, row + left, row + right + 1);
      voxels += right - left + 1;
      if (left < box.min[0]) box.min[0] = left;
      if (right > box.max[0]) box.max[0] = right;
      if (j < box.min[1]) box.min[1] = j;
      if (j > box.max[1]) box.max[1] = j;
      if (k < box.min[2]) box.min[2] = k;
      if (k > box.max[2]) box.max[2] = k;
    },
  );
  return { mask, box, voxels };
}
