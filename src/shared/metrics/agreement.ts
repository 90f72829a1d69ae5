/**
 * Agreement between two label maps on one grid, per label value, as segmentation challenges and
 * 3D Slicer's Segment Comparison report it. A is the reference, B the test.
 *
 * Definitions (all on voxels of the label, the rest of the grid, other labels included, is "outside"):
 * - Overlap counts over the whole grid: TP = in both, FN = A only, FP = B only, TN = neither.
 *   Dice 2TP/(|A|+|B|), IoU TP/(|A|+|B|−TP), sensitivity TP/|A|, specificity TN/(TN+FP).
 * - Surface: the voxels of a mask with at least one 6-neighbour outside it or beyond the grid edge
 *   (so on a single-slice grid every voxel is surface: the slab's top and bottom faces).
 * - Surface distances run centre to centre in mm from each surface voxel of A to the nearest surface
 *   voxel of B, and from each of B's to A's. Both directions are pooled into one list:
 *   HD95 is its 95th percentile (linear interpolation between order statistics, numpy's default;
 *   MedPy's hd95 pools the same way, MONAI's instead takes the larger of the two directed
 *   percentiles), and the average symmetric surface distance is its mean (Heimann et al. 2009;
 *   MedPy's assd averages the two directed means, the same when both surfaces have as many voxels).
 *
 * Undefined values, chosen so that a comparison never passes by accident and JSON export works:
 * - A label in one map only: Dice/IoU 0, and both distances Infinity (the distance to an empty set
 *   is the infimum over nothing). Infinity orders as "worse than any" and fails every `<=` test,
 *   and JSON.stringify writes it as null, so the export needs no special case and the type stays
 *   `number` (a `null` in the type would burden every caller for a case that has no value anyway).
 * - A ratio with nothing to divide by is NaN (also null in JSON): sensitivity when A lacks the label,
 *   specificity when A's label fills the whole grid.
 * - A label in neither map is not listed, even when asked for.
 */
import { squaredDistanceMap } from '../editing/distance-map.js';
import type { Box, LabelArray, LabelGrid } from '../editing/grid.js';
import { boxDims, padBox } from '../editing/mask-box.js';
import type { Vec3 } from '../volume.js';

export interface LabelAgreement {
  label: number;
  dice: number;
  iou: number;
  /** TP / (TP + FN), A as reference; NaN when A lacks the label. */
  sensitivity: number;
  /** TN / (TN + FP) over the whole grid; NaN when A's label fills the grid. */
  specificity: number;
  /** 95th percentile of both directed surface distance lists pooled (mm); Infinity when one map lacks the label. */
  hausdorff95Mm: number;
  /** Mean of both directed surface distance lists pooled (mm); Infinity when one map lacks the label. */
  averageSurfaceDistanceMm: number;
  volumeAMl: number;
  volumeBMl: number;
  voxelsA: number;
  voxelsB: number;
  truePositives: number;
}

export interface CompareOptions {
  /** Label values to report (whole numbers ≥ 1); reported ascending, those in neither map left out. Default: all in either map. */
  labels?: number[];
}

/** Spacings may differ by this much (mm) per axis, as float32 NIfTI headers round; A's is used. */
const SPACING_TOLERANCE_MM = 1e-3;

export function compareLabelMaps(a: LabelGrid, b: LabelGrid, options: CompareOptions = {}): LabelAgreement[] {
  checkGrids(a, b);
  const boxesA = labelBoxes(a.data, a.dims);
  const boxesB = labelBoxes(b.data, b.dims);
  let labels: number[];
  if (options.labels) {
    const bad = options.labels.find((l) => !Number.isInteger(l) || l < 1);
    if (bad !== undefined) throw new RangeError(`label values to compare are whole numbers ≥ 1, got ${bad}`);
    labels = [...new Set(options.labels)];
  } else {
    labels = [...new Set([...boxesA.keys(), ...boxesB.keys()])];
  }
  return labels
    .filter((l) => boxesA.has(l) || boxesB.has(l))
    .sort((x, y) => x - y)
    .map((l) => compareLabel(a, b, l, boxesA.get(l) ?? null, boxesB.get(l) ?? null));
}

function checkGrids(a: LabelGrid, b: LabelGrid): void {
  const x = (v: readonly number[]) => v.join('×');
  if (a.dims.some((d, i) => d !== b.dims[i])) throw new RangeError(`label maps are on different grids: dims ${x(a.dims)} (A) vs ${x(b.dims)} (B)`);
  if (a.spacing.some((s, i) => !(Math.abs(s - b.spacing[i]!) <= SPACING_TOLERANCE_MM))) {
    throw new RangeError(`label maps are on different grids: spacing ${x(a.spacing)} mm (A) vs ${x(b.spacing)} mm (B)`);
  }
  const n = a.dims[0] * a.dims[1] * a.dims[2];
  for (const [name, g] of [['A', a], ['B', b]] as const) {
    if (g.data.length !== n) throw new RangeError(`label map ${name} has ${g.data.length} voxels, grid ${x(a.dims)} has ${n}`);
  }
}

/**
 * Bounding box of every label value present, in one pass over runs of equal values along x (the
 * whole grid has to be read once; a large structure costs one update per run, not per voxel).
 */
function labelBoxes(data: LabelArray, dims: Vec3): Map<number, Box> {
  const [nx, ny, nz] = dims;
  const size = data instanceof Uint8Array ? 256 : 65536;
  const bounds = new Int32Array(6 * size); // per label: min i, j, k, max i, j, k
  for (let o = 0; o < bounds.length; o += 6) bounds.fill(0x7fffffff, o, o + 3).fill(-1, o + 3, o + 6);
  for (let k = 0, at = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++, at += nx) {
      for (let i = 0; i < nx; ) {
        const v = data[at + i]!;
        if (v === 0) {
          i++;
          continue;
        }
        let end = i + 1;
        while (end < nx && data[at + end] === v) end++;
        const o = 6 * v;
        if (i < bounds[o]!) bounds[o] = i;
        if (j < bounds[o + 1]!) bounds[o + 1] = j;
        if (k < bounds[o + 2]!) bounds[o + 2] = k;
        if (end - 1 > bounds[o + 3]!) bounds[o + 3] = end - 1;
        if (j > bounds[o + 4]!) bounds[o + 4] = j;
        bounds[o + 5] = k; // k only grows
        i = end;
      }
    }
  }
  const boxes = new Map<number, Box>();
  for (let v = 1; v < size; v++) {
    const o = 6 * v;
    if (bounds[o + 3]! >= 0) boxes.set(v, { min: [bounds[o]!, bounds[o + 1]!, bounds[o + 2]!], max: [bounds[o + 3]!, bounds[o + 4]!, bounds[o + 5]!] });
  }
  return boxes;
}

function compareLabel(a: LabelGrid, b: LabelGrid, label: number, boxA: Box | null, boxB: Box | null): LabelAgreement {
  const { dims, spacing } = a;
  const union: Box = boxA && boxB ? { min: boxA.min.map((v, i) => Math.min(v, boxB.min[i]!)) as Vec3, max: boxA.max.map((v, i) => Math.max(v, boxB.max[i]!)) as Vec3 } : (boxA ?? boxB)!;
  // one voxel of margin: every mask voxel keeps its 6 neighbours inside the crop unless the grid ends there,
  // so the surface test can take "on the crop's edge" for "on the grid's edge"
  const box = padBox(union, [1, 1, 1], dims);
  const cdims = boxDims(box);
  const ma = cropLabel(a.data, dims, box, label);
  const mb = cropLabel(b.data, dims, box, label);
  let voxelsA = 0;
  let voxelsB = 0;
  let tp = 0;
  for (let p = 0; p < ma.length; p++) {
    voxelsA += ma[p]!;
    voxelsB += mb[p]!;
    tp += ma[p]! & mb[p]!;
  }
  const fn = voxelsA - tp;
  const fp = voxelsB - tp;
  const tn = dims[0] * dims[1] * dims[2] - tp - fn - fp;
  let hausdorff95Mm = Infinity;
  let averageSurfaceDistanceMm = Infinity;
  if (voxelsA > 0 && voxelsB > 0) {
    const sa = surface(ma, cdims);
    const sb = surface(mb, cdims);
    const distances = new Float64Array(sa.count + sb.count);
    gather(sa.mask, squaredDistanceMap(sb.mask, cdims, spacing, 1), distances, 0);
    gather(sb.mask, squaredDistanceMap(sa.mask, cdims, spacing, 1), distances, sa.count);
    let sum = 0;
    for (let q = 0; q < distances.length; q++) sum += distances[q]!;
    averageSurfaceDistanceMm = sum / distances.length;
    hausdorff95Mm = percentile(distances.sort(), 95);
  }
  const voxelMl = (n: number) => (n * spacing[0] * spacing[1] * spacing[2]) / 1000;
  return {
    label,
    dice: (2 * tp) / (voxelsA + voxelsB),
    iou: tp / (voxelsA + voxelsB - tp),
    sensitivity: voxelsA > 0 ? tp / voxelsA : NaN,
    specificity: tn + fp > 0 ? tn / (tn + fp) : NaN,
    hausdorff95Mm,
    averageSurfaceDistanceMm,
    volumeAMl: voxelMl(voxelsA),
    volumeBMl: voxelMl(voxelsB),
    voxelsA,
    voxelsB,
    truePositives: tp,
  };
}

/** 1 where `data` holds `label`, over `box`, as a grid of `boxDims(box)`. */
function cropLabel(data: LabelArray, dims: Vec3, box: Box, label: number): Uint8Array {
  const [cx, cy, cz] = boxDims(box);
  const out = new Uint8Array(cx * cy * cz);
  for (let k = 0, o = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      const from = box.min[0] + dims[0] * (box.min[1] + j + dims[1] * (box.min[2] + k));
      for (let i = 0; i < cx; i++, o++) if (data[from + i] === label) out[o] = 1;
    }
  }
  return out;
}

/** Voxels of `mask` with a 6-neighbour outside it or beyond the grid's edge. */
function surface(mask: Uint8Array, dims: Vec3): { mask: Uint8Array; count: number } {
  const [nx, ny, nz] = dims;
  const slice = nx * ny;
  const out = new Uint8Array(mask.length);
  let count = 0;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        if (mask[p] === 0) continue;
        const edge = i === 0 || i === nx - 1 || j === 0 || j === ny - 1 || k === 0 || k === nz - 1;
        if (edge || mask[p - 1] === 0 || mask[p + 1] === 0 || mask[p - nx] === 0 || mask[p + nx] === 0 || mask[p - slice] === 0 || mask[p + slice] === 0) {
          out[p] = 1;
          count++;
        }
      }
    }
  }
  return { mask: out, count };
}

/** Append the distance (mm) at every voxel of `from` in the squared distance map `to` to `out`, from `offset` on. */
function gather(from: Uint8Array, to: Float32Array, out: Float64Array, offset: number): void {
  for (let p = 0, q = offset; p < from.length; p++) if (from[p] !== 0) out[q++] = Math.sqrt(to[p]!);
}

/** `p`-th percentile of ascending `sorted` (non-empty), interpolating linearly between order statistics. */
function percentile(sorted: Float64Array, p: number): number {
  const at = (p * (sorted.length - 1)) / 100; // integer product first: exact ranks stay exact
  const lo = Math.floor(at);
  const below = sorted[lo]!;
  return lo + 1 < sorted.length ? below + (at - lo) * (sorted[lo + 1]! - below) : below;
}
