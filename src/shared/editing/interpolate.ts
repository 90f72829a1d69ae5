/**
 * Shape-based interpolation between annotated slices (3D Slicer's "fill between slices", ITK-SNAP's
 * interpolation): each slice strictly between two consecutive slices holding the label gets the zero
 * level set of the two slices' signed distance maps (in mm, inside negative), blended linearly by
 * position. Equal shapes give a prism, concentric discs of different radii a truncated cone.
 * The maps measure to the boundary itself (half a pixel beside it), not to the nearest pixel across
 * it: centre-to-centre maps jump by a whole pixel at the edge, and the blend then sticks to the
 * nearer shape (a 5 mm disc on 0.8 mm pixels stays 14% too small one slice away).
 */
import type { Vec3 } from '../volume.js';
import type { Box, LabelGrid, RegionMask, SliceAxis } from './grid.js';
import { boundarySignedDistance2d } from './distance-map.js';
import { gridStrides, readSlice, slicePlane, slicesContaining, type SlicePlane } from './slices.js';

export interface InterpolatedSlice {
  /** index of the slice across the axis */
  index: number;
  /** the pixels to set, laid out as `slicePlane` describes (u fastest) */
  mask: Uint8Array;
  /** how many pixels are set */
  pixels: number;
}

export interface Interpolation {
  /** voxels to set to the label, on the whole grid */
  mask: RegionMask;
  /** bounds of the set voxels; null when there are none */
  box: Box | null;
  /** the slices (ascending) that received at least one voxel */
  filledSlices: number[];
}

/**
 * The interpolated slices across `axis`, one at a time (only those with at least one pixel set).
 * The input is not changed; voxels of other labels inside the shape are included, and the caller's
 * write policy decides whether they may be overwritten.
 */
export function* interpolatedSlices(labels: LabelGrid, label: number, axis: SliceAxis): Generator<InterpolatedSlice> {
  if (label === 0) throw new RangeError('cannot interpolate the background label 0');
  const annotated = slicesContaining(labels.data, labels.dims, axis, label);
  const plane = slicePlane(labels.dims, labels.spacing, axis);
  // distance maps only for slices beside a gap, each computed once (a slice may bound two gaps)
  let upper: { index: number; sd: Float32Array } | null = null;
  for (let n = 1; n < annotated.length; n++) {
    const [a, b] = [annotated[n - 1]!, annotated[n]!];
    if (b - a < 2) continue;
    const sdA = upper?.index === a ? upper.sd : signedDistance(labels, plane, a, label);
    upper = { index: b, sd: signedDistance(labels, plane, b, label) };
    yield* between(a, sdA, b, upper.sd);
  }
}

/** All interpolated slices written into one grid-sized mask. */
export function interpolateBetweenSlices(labels: LabelGrid, label: number, axis: SliceAxis): Interpolation {
  const { dims } = labels;
  const plane = slicePlane(dims, labels.spacing, axis);
  const mask = new Uint8Array(labels.data.length);
  const filledSlices: number[] = [];
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  const step = gridStrides(dims);
  for (const slice of interpolatedSlices(labels, label, axis)) {
    filledSlices.push(slice.index);
    min[axis] = Math.min(min[axis], slice.index);
    max[axis] = Math.max(max[axis], slice.index);
    for (let b = 0, p = 0; b < plane.height; b++) {
      let at = slice.index * step[axis] + b * step[plane.v];
      for (let a = 0; a < plane.width; a++, p++, at += step[plane.u]) {
        if (!slice.mask[p]) continue;
        mask[at] = 1;
        if (a < min[plane.u]) min[plane.u] = a;
        if (a > max[plane.u]) max[plane.u] = a;
        if (b < min[plane.v]) min[plane.v] = b;
        if (b > max[plane.v]) max[plane.v] = b;
      }
    }
  }
  return { mask, box: filledSlices.length ? { min, max } : null, filledSlices };
}

function signedDistance(labels: LabelGrid, plane: SlicePlane, index: number, label: number): Float32Array {
  const slice = readSlice(labels.data, labels.dims, plane.axis, index, label);
  return boundarySignedDistance2d(slice, plane.width, plane.height, plane.spacing);
}

/** Slices strictly between annotated slices a < b: inside where the blended signed distance is negative. */
function* between(a: number, sdA: Float32Array, b: number, sdB: Float32Array): Generator<InterpolatedSlice> {
  for (let index = a + 1; index < b; index++) {
    const t = (index - a) / (b - a);
    const mask = new Uint8Array(sdA.length);
    let pixels = 0;
    for (let p = 0; p < mask.length; p++) {
      if ((1 - t) * sdA[p]! + t * sdB[p]! < 0) {
        mask[p] = 1;
        pixels++;
      }
    }
    if (pixels > 0) yield { index, mask, pixels };
  }
}
