/**
 * Morphology of one segment's binary mask (0/1, non-zero counts as 1), sizes in mm honoured per axis.
 * Grow and shrink threshold an exact Euclidean distance map (voxel centre to voxel centre), so the
 * structuring element is a true ball in mm (an ellipsoid in voxels) at any radius, in linear time.
 * Every function returns a new mask.
 *
 * Outside the grid is neither in nor out: nothing grows in from beyond the border and nothing is
 * eroded by it, so closing never loses voxels and opening never adds any.
 */
import { ScanlineFill } from './scanline-fill.js';
import type { Vec3 } from '../volume.js';
import type { RegionMask, SliceAxis } from './grid.js';
import { squaredDistanceMap } from './distance-map.js';
import { boxDims, cropMask, maskBox, padBox, uncropMask } from './mask-box.js';
import { gridStrides, slicePlane, writeSlice } from './slices.js';

/** Float32 squared distances are rounded: a voxel exactly `mm` away must still count as within `mm`. */
const within = (mm: number) => mm * mm * (1 + 1e-6);

/**
 * Grow (mm > 0) the mask by every voxel within `mm` of it, or shrink it (mm < 0) by every voxel within
 * |mm| of a voxel outside it (a voxel exactly |mm| away counts as within): dilation / erosion by a
 * ball of radius |mm| mm. Being exact on the voxel set, a grown ball of r falls a fraction of a voxel
 * short of the ball of r + mm (a voxel centre must fall in the thin lens between two balls).
 */
export function growMargin(mask: RegionMask, dims: Vec3, spacing: Vec3, mm: number): RegionMask {
  if (!Number.isFinite(mm)) throw new RangeError(`margin must be a finite number of mm, got ${mm}`);
  const box = maskBox(mask, dims);
  if (!box) return new Uint8Array(mask.length);
  if (mm === 0) return binarize(mask.slice());
  const grow = mm > 0;
  // a grown voxel is at most mm from the box; a shrink needs one layer of outside around it
  const pad = grow ? (spacing.map((s) => Math.ceil(mm / s)) as Vec3) : ([1, 1, 1] as Vec3);
  const crop = padBox(box, pad, dims);
  const sub = binarize(cropMask(mask, dims, crop));
  const limit = within(mm);
  const d2 = squaredDistanceMap(sub, boxDims(crop), spacing, grow ? 1 : 0, limit);
  if (grow) for (let i = 0; i < sub.length; i++) sub[i] = d2[i]! <= limit ? 1 : 0;
  else for (let i = 0; i < sub.length; i++) sub[i] = sub[i]! && d2[i]! > limit ? 1 : 0;
  return uncropMask(sub, dims, crop);
}

/** Shrink then grow by `radiusMm`: removes parts thinner than the ball (spurs, bridges, specks). */
export function opening(mask: RegionMask, dims: Vec3, spacing: Vec3, radiusMm: number): RegionMask {
  return growMargin(growMargin(mask, dims, spacing, -Math.abs(radiusMm)), dims, spacing, Math.abs(radiusMm));
}

/** Grow then shrink by `radiusMm`: fills gaps, cracks and dents narrower than the ball. */
export function closing(mask: RegionMask, dims: Vec3, spacing: Vec3, radiusMm: number): RegionMask {
  return growMargin(growMargin(mask, dims, spacing, Math.abs(radiusMm)), dims, spacing, -Math.abs(radiusMm));
}

/** Voxels on each side of the centre for a kernel `mm` wide: `mm / spacing` rounded to the nearest odd count. */
export function kernelRadius(mm: number, spacing: number): number {
  return Math.max(0, Math.round((mm / spacing - 1) / 2));
}

/**
 * Binary median (majority vote) over a box kernel `kernelMm` wide (one size, or one per axis), each
 * axis rounded to an odd voxel count. At the grid border the kernel is cut to the grid; a tie keeps
 * the voxel as it was. Separable running sums: linear time whatever the kernel size.
 */
export function medianSmooth(mask: RegionMask, dims: Vec3, spacing: Vec3, kernelMm: number | Vec3): RegionMask {
  const sizes: Vec3 = typeof kernelMm === 'number' ? [kernelMm, kernelMm, kernelMm] : kernelMm;
  if (!sizes.every((mm) => mm >= 0 && mm < Infinity)) throw new RangeError(`kernel size must be finite mm ≥ 0, got ${sizes.join(', ')}`);
  const radius = sizes.map((mm, a) => kernelRadius(mm, spacing[a]!)) as Vec3;
  const box = maskBox(mask, dims);
  if (!box) return new Uint8Array(mask.length);
  const crop = padBox(box, radius, dims); // beyond `radius` of the box every count is 0
  const sub = binarize(cropMask(mask, dims, crop));
  const cd = boxDims(crop);
  const volume = (2 * radius[0] + 1) * (2 * radius[1] + 1) * (2 * radius[2] + 1);
  const counts = volume <= 0xffff ? new Uint16Array(sub) : new Uint32Array(sub);
  for (const axis of [0, 1, 2] as const) windowSum(counts, cd, axis, radius[axis]);
  // kernel voxels inside the grid, per axis, from grid (not crop) coordinates
  const inGrid = [0, 1, 2].map((a) => {
    const r = radius[a]!;
    return Int32Array.from({ length: cd[a]! }, (_, c) => {
      const g = crop.min[a]! + c;
      return Math.min(g + r, dims[a]! - 1) - Math.max(g - r, 0) + 1;
    });
  }) as [Int32Array, Int32Array, Int32Array];
  for (let k = 0, at = 0; k < cd[2]; k++) {
    for (let j = 0; j < cd[1]; j++) {
      const nyz = inGrid[1][j]! * inGrid[2][k]!;
      for (let i = 0; i < cd[0]; i++, at++) {
        const twice = 2 * counts[at]!;
        const n = nyz * inGrid[0][i]!;
        if (twice !== n) sub[at] = twice > n ? 1 : 0;
      }
    }
  }
  return uncropMask(sub, dims, crop);
}

/** Replace every value by the sum over [q − r, q + r] along `axis` (cut to the grid), in place. */
function windowSum(c: Uint16Array | Uint32Array, dims: Vec3, axis: SliceAxis, r: number): void {
  if (r === 0) return;
  const n = dims[axis];
  const inner = axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1];
  const outer = c.length / (n * inner);
  const ring = new Uint32Array((r + 1) * inner); // the original values of the last r + 1 lines
  const sum = new Uint32Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    sum.fill(0);
    for (let q = 0; q < Math.min(r, n); q++) for (let e = 0; e < inner; e++) sum[e] = sum[e]! + c[base + q * inner + e]!;
    for (let q = 0; q < n; q++) {
      const add = q + r < n ? base + (q + r) * inner : -1;
      const drop = q - r - 1 >= 0;
      const slot = (q % (r + 1)) * inner; // holds line q − r − 1
      const line = base + q * inner;
      for (let e = 0; e < inner; e++) {
        let s = sum[e]!;
        if (add >= 0) s += c[add + e]!;
        if (drop) s -= ring[slot + e]!;
        ring[slot + e] = c[line + e]!;
        c[line + e] = s;
        sum[e] = s;
      }
    }
  }
}

export type HoleFillMode = '3d' | { axis: SliceAxis };

/**
 * Fill holes: background not connected to the grid border becomes foreground. '3d' floods the
 * background through the volume; `{ axis }` fills each slice across `axis` on its own (a tube open at
 * both ends is filled per slice but not in 3D). Background connects through faces only (6 / 4
 * neighbours), so a diagonal staircase of foreground is a closed wall.
 */
export function fillHoles(mask: RegionMask, dims: Vec3, mode: HoleFillMode = '3d'): RegionMask {
  if (mode === '3d') {
    const out = binarize(mask.slice());
    floodBackground(out, dims, true);
    return out;
  }
  const plane = slicePlane(dims, [1, 1, 1], mode.axis);
  const out = new Uint8Array(mask.length);
  const step = gridStrides(dims);
  const slice = new Uint8Array(plane.width * plane.height);
  for (let index = 0; index < dims[mode.axis]; index++) {
    for (let b = 0, p = 0; b < plane.height; b++) {
      let at = index * step[mode.axis] + b * step[plane.v];
      for (let a = 0; a < plane.width; a++, p++, at += step[plane.u]) slice[p] = mask[at] !== 0 ? 1 : 0;
    }
    floodBackground(slice, [plane.width, plane.height, 1], false);
    writeSlice(out, dims, mode.axis, index, slice);
  }
  return out;
}

/**
 * Scanline flood of the 0 voxels reachable from the border (the z faces only when `zBorder`), then
 * every voxel not reached becomes 1. The stack holds row spans, not voxels, so it stays small.
 */
function floodBackground(m: Uint8Array, dims: Vec3, zBorder: boolean): void {
  const [nx, ny, nz] = dims;
  const REACHED = 2;
  const fill = new ScanlineFill(dims, [0, 0, 0], [nx - 1, ny - 1, nz - 1]);
  const inside = (index: number) => m[index] === 0;
  const mark = (row: number, left: number, right: number) => void m.fill(REACHED, row + left, row + right + 1);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const borderRow = j === 0 || j === ny - 1 || (zBorder && (k === 0 || k === nz - 1));
      if (borderRow) fill.push(j, k, 0, nx - 1);
      else {
        fill.push(j, k, 0, 0);
        fill.push(j, k, nx - 1, nx - 1);
      }
      fill.run(inside, mark);
    }
  }
  for (let i = 0; i < m.length; i++) m[i] = m[i] === REACHED ? 0 : 1;
}

/** Non-zero values set to 1, in place (masks may hold any non-zero value). */
function binarize(m: Uint8Array): Uint8Array {
  for (let i = 0; i < m.length; i++) if (m[i]! > 1) m[i] = 1;
  return m;
}
