/**
 * Putting a label map read from a file onto a series' grid. A mask is accepted as it is when its grid
 * is the series' grid up to an axis permutation/flip (a NIfTI written by dcm2niix stores DICOM rows
 * bottom-up, for one) with every voxel centre within 1e-3 mm of a series voxel centre; then it is
 * copied voxel for voxel. Any other grid is rejected with the reason, or resampled (nearest neighbour)
 * only when the user asks for it.
 */
import { invertAffine, multiply4, transformPoint } from '../geometry.js';
import { resampleNearest } from '../inference/conform.js';
import type { Vec3, VolumeGeometry } from '../volume.js';

export const GRID_TOLERANCE_MM = 1e-3;

export interface MaskGrid extends VolumeGeometry {
  data: Uint8Array | Uint16Array;
}

export type GridMatch = { matches: true } | { matches: false; reason: string };

const fmt = (v: number) => (Math.round(v * 1000) / 1000).toString();
const describe = (g: VolumeGeometry) => `${g.dims.join('×')} voxels of ${g.spacing.map(fmt).join('×')} mm`;

/** Whether the mask's voxel centres are the series' voxel centres (in some axis order), and if not, why. */
export function compareGrids(mask: VolumeGeometry, series: VolumeGeometry, toleranceMm = GRID_TOLERANCE_MM): GridMatch {
  // series index → mask index; must be a signed permutation that maps the series box onto the mask box
  const m = multiply4(invertAffine(mask.affineLps), series.affineLps);
  const sortedMask = [...mask.dims].sort((a, b) => a - b).join();
  const sortedSeries = [...series.dims].sort((a, b) => a - b).join();
  if (sortedMask !== sortedSeries) return { matches: false, reason: `the mask has ${describe(mask)}, the series ${describe(series)}` };
  const corners: Vec3[] = [];
  for (const i of [0, series.dims[0] - 1]) for (const j of [0, series.dims[1] - 1]) for (const k of [0, series.dims[2] - 1]) corners.push([i, j, k]);
  let worst = 0;
  let worstCorner: Vec3 = [0, 0, 0];
  for (const corner of corners) {
    const inMask = transformPoint(m, corner);
    const nearest = inMask.map((x, a) => Math.min(Math.max(Math.round(x), 0), mask.dims[a]! - 1)) as Vec3;
    const a = transformPoint(series.affineLps, corner);
    const b = transformPoint(mask.affineLps, nearest);
    const distance = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    if (distance > worst) (worst = distance), (worstCorner = corner);
  }
  if (worst > toleranceMm) {
    return {
      matches: false,
      reason: `its voxels are not the series' voxels: the series voxel (${worstCorner.join(', ')}) is ${fmt(worst)} mm from the nearest mask voxel (tolerance ${toleranceMm} mm)`,
    };
  }
  return { matches: true };
}

/**
 * The mask's labels on the series grid: an exact copy when the grids match, a nearest-neighbour
 * resampling when they do not and `resample` is set; otherwise an Error whose message says why.
 */
export function maskOnSeriesGrid<T extends Uint8Array | Uint16Array>(mask: MaskGrid & { data: T }, series: VolumeGeometry, resample: boolean): { labels: T; resampled: boolean } {
  const match = compareGrids(mask, series);
  if (!match.matches && !resample) throw new GridMismatchError(match.reason);
  // matching grids make resampleNearest take its exact path: a voxel-for-voxel copy
  return { labels: resampleNearest(mask.data, mask, series) as T, resampled: !match.matches };
}

export class GridMismatchError extends Error {
  override name = 'GridMismatchError';
}
