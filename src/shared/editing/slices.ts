/**
 * Axis-aligned 2D slices of a 3D grid, for the algorithms that work slice by slice. The slice across
 * `axis` has in-plane axes u < v (the two others, in grid order), u fastest: pixel (a, b) is at
 * a + width·b and is voxel `a` along u, `b` along v.
 */
import type { Vec3 } from '../volume.js';
import type { LabelArray, SliceAxis } from './grid.js';

export type Vec2 = [number, number];

export interface SlicePlane {
  axis: SliceAxis;
  /** the in-plane grid axes, u fastest */
  u: SliceAxis;
  v: SliceAxis;
  width: number;
  height: number;
  /** mm per pixel along u and v */
  spacing: Vec2;
}

export function slicePlane(dims: Vec3, spacing: Vec3, axis: SliceAxis): SlicePlane {
  const [u, v]: [SliceAxis, SliceAxis] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
  return { axis, u, v, width: dims[u], height: dims[v], spacing: [spacing[u], spacing[v]] };
}

/** Index steps of the three grid axes. */
export const gridStrides = (dims: Vec3): Vec3 => [1, dims[0], dims[0] * dims[1]];

/** The slice `index` across `axis` as a 0/1 mask: 1 where `data` equals `value`. */
export function readSlice(data: LabelArray, dims: Vec3, axis: SliceAxis, index: number, value: number): Uint8Array {
  const plane = slicePlane(dims, [1, 1, 1], axis);
  const step = gridStrides(dims);
  const su = step[plane.u];
  const sv = step[plane.v];
  const out = new Uint8Array(plane.width * plane.height);
  for (let b = 0, p = 0; b < plane.height; b++) {
    let at = index * step[axis] + b * sv;
    for (let a = 0; a < plane.width; a++, p++, at += su) out[p] = data[at] === value ? 1 : 0;
  }
  return out;
}

/** Copy a slice mask (as `readSlice` lays it out) into slice `index` across `axis` of `target`. */
export function writeSlice(target: Uint8Array, dims: Vec3, axis: SliceAxis, index: number, slice: Uint8Array): void {
  const plane = slicePlane(dims, [1, 1, 1], axis);
  const step = gridStrides(dims);
  const su = step[plane.u];
  const sv = step[plane.v];
  for (let b = 0, p = 0; b < plane.height; b++) {
    let at = index * step[axis] + b * sv;
    for (let a = 0; a < plane.width; a++, p++, at += su) target[at] = slice[p]!;
  }
}

/** The indices (ascending) of the slices across `axis` that hold at least one voxel equal to `value`. */
export function slicesContaining(data: LabelArray, dims: Vec3, axis: SliceAxis, value: number): number[] {
  const [nx, ny, nz] = dims;
  const present = new Uint8Array(dims[axis]);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      if ((axis === 2 && present[k]) || (axis === 1 && present[j])) continue; // already known: skip the row
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) {
        if (data[row + i] !== value) continue;
        present[axis === 0 ? i : axis === 1 ? j : k] = 1;
        if (axis !== 0) break;
      }
    }
  }
  const found: number[] = [];
  present.forEach((p, s) => p && found.push(s));
  return found;
}
