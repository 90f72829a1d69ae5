/**
 * Flood fill / connected region growing from a click: the voxels connected to the seed (6-connected in
 * 3D, 4-connected in the seed's slice in 2D) whose image value is within `tolerance` of the seed's.
 * A scanline fill over typed arrays: memory is one bitmask plus a stack of row seeds, so a region of
 * tens of millions of voxels fills in well under a second.
 */
import type { Vec3, VoxelArray } from '../volume.js';
import type { Box, RegionMask, SliceAxis } from './grid.js';

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
  let stack = new Int32Array(1024);
  let top = 0;
  const push = (j: number, k: number, i0: number, i1: number) => {
    if (top + 4 > stack.length) {
      const bigger = new Int32Array(stack.length * 2);
      bigger.set(stack);
      stack = bigger;
    }
    stack[top++] = j;
    stack[top++] = k;
    stack[top++] = i0;
    stack[top++] = i1;
  };
  const inside = (index: number) => mask[index] === 0 && image[index]! >= lo && image[index]! <= hi;
  let voxels = 0;
  push(seed[1], seed[2], seed[0], seed[0]);
  while (top > 0) {
    const i1 = stack[--top]!;
    const i0 = stack[--top]!;
    const k = stack[--top]!;
    const j = stack[--top]!;
    const row = nx * (j + ny * k);
    // every run in [i0, i1] of this row that is inside, widened left and right to its full extent
    for (let i = i0; i <= i1; i++) {
      if (!inside(row + i)) continue;
      let left = i;
      while (left > min[0] && inside(row + left - 1)) left--;
      let right = i;
      while (right < max[0] && inside(row + right + 1)) right++;
      mask.fill(1, row + left, row + right + 1);
      voxels += right - left + 1;
      if (left < box.min[0]) box.min[0] = left;
      if (right > box.max[0]) box.max[0] = right;
      if (j < box.min[1]) box.min[1] = j;
      if (j > box.max[1]) box.max[1] = j;
      if (k < box.min[2]) box.min[2] = k;
      if (k > box.max[2]) box.max[2] = k;
      if (j > min[1]) push(j - 1, k, left, right);
      if (j < max[1]) push(j + 1, k, left, right);
      if (k > min[2]) push(j, k - 1, left, right);
      if (k < max[2]) push(j, k + 1, left, right);
      i = right;
    }
  }
  return { mask, box, voxels };
}
