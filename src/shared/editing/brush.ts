/**
 * Paint and erase: a round brush in the slice under the cursor (disc) or a sphere, sized in mm so it
 * stays round on anisotropic grids, optionally limited to an intensity range (threshold paint).
 * Strokes place dabs at most a quarter radius apart along the drag, so a fast drag leaves no gaps.
 * Every write goes through the write policy (locks, overwrite, inside-segment) and the LabelEditor's
 * slice snapshots, so it can be undone.
 */
import type { Vec3, VoxelArray } from '../volume.js';
import type { SliceAxis } from './grid.js';
import type { LabelEditor } from './label-editor.js';
import { maxLabelOf, writableTable, type WritePolicy } from './write-policy.js';

export interface BrushSpec {
  radiusMm: number;
  /** disc: in the slice across `axis` through the centre; sphere: 3D */
  shape: 'disc' | 'sphere';
  /** the grid axis the painted slice is perpendicular to (2 for the k slices of an axial stack) */
  axis: SliceAxis;
  /** label to paint; 0 erases */
  value: number;
  /** what erasing may remove: the active segment (null: any unlocked segment) */
  eraseLabel?: number | null;
  policy: WritePolicy;
  /** threshold paint: only voxels whose image value lies in [min, max] */
  threshold?: { image: VoxelArray; min: number; max: number } | null;
}

export class Brush {
  private readonly table: Uint8Array;
  private last: Vec3 | null = null;

  constructor(
    private readonly editor: LabelEditor,
    private readonly spec: BrushSpec,
  ) {
    if (!(spec.radiusMm > 0)) throw new RangeError(`brush radius must be positive, got ${spec.radiusMm} mm`);
    if (spec.threshold && spec.threshold.image.length !== editor.data.length) throw new RangeError('threshold image and label map differ in size');
    this.table = writableTable(spec.policy, spec.value, maxLabelOf(editor.data), spec.eraseLabel ?? null);
  }

  /** One dab at `centre` (continuous voxel coordinates); returns the voxels it changed. */
  dab(centre: Vec3): number {
    this.last = [...centre];
    return this.spec.shape === 'sphere' ? this.sphere(centre) : this.disc(centre, this.spec.axis, this.spec.radiusMm);
  }

  /** Dabs from the previous dab to `to` (the first call is a single dab). */
  strokeTo(to: Vec3): number {
    const from = this.last;
    if (!from) return this.dab(to);
    const spacing = this.editor.grid.spacing;
    const mm = Math.hypot(...[0, 1, 2].map((a) => (to[a]! - from[a]!) * spacing[a]!));
    const step = Math.max(this.spec.radiusMm / 4, Math.min(...spacing) / 2);
    const n = Math.max(1, Math.ceil(mm / step));
    let changed = 0;
    for (let s = 1; s <= n; s++) changed += this.dab([0, 1, 2].map((a) => from[a]! + ((to[a]! - from[a]!) * s) / n) as Vec3);
    return changed;
  }

  private sphere(centre: Vec3): number {
    const { spacing, dims } = this.editor.grid;
    const r = this.spec.radiusMm;
    const rk = r / spacing[2];
    let changed = 0;
    for (let k = Math.max(0, Math.ceil(centre[2] - rk)); k <= Math.min(dims[2] - 1, Math.floor(centre[2] + rk)); k++) {
      const dz = (k - centre[2]) * spacing[2];
      changed += this.disc([centre[0], centre[1], k], 2, Math.sqrt(Math.max(0, r * r - dz * dz)));
    }
    return changed;
  }

  /** The voxels of the slice across `axis` through `centre` within `radiusMm` of it. */
  private disc(centre: Vec3, axis: SliceAxis, radiusMm: number): number {
    const editor = this.editor;
    const { dims, spacing } = editor.grid;
    const slice = Math.round(centre[axis]);
    if (slice < 0 || slice >= dims[axis]) return 0;
    // the two in-plane axes: u runs along rows, v across them
    const [u, v] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
    const stride: Vec3 = [1, dims[0], dims[0] * dims[1]];
    const ru = radiusMm / spacing[u]!;
    const rv = radiusMm / spacing[v]!;
    const data = editor.data;
    const table = this.table;
    const value = this.spec.value;
    const threshold = this.spec.threshold;
    let changed = 0;
    for (let b = Math.max(0, Math.ceil(centre[v]! - rv)); b <= Math.min(dims[v]! - 1, Math.floor(centre[v]! + rv)); b++) {
      const fv = rv > 0 ? (b - centre[v]!) / rv : 0; // a zero radius (a sphere's pole) is its centre voxel
      const half = ru * Math.sqrt(Math.max(0, 1 - fv * fv));
      const a0 = Math.max(0, Math.ceil(centre[u]! - half));
      const a1 = Math.min(dims[u]! - 1, Math.floor(centre[u]! + half));
      if (a0 > a1) continue;
      const k = axis === 2 ? slice : b; // across k the slice is fixed; otherwise v is the k axis
      editor.touch(k);
      const rowBase = slice * stride[axis] + b * stride[v]!;
      const step = stride[u]!;
      for (let a = a0, index = rowBase + a0 * step; a <= a1; a++, index += step) {
        if (!table[data[index]!]) continue;
        if (threshold) {
          const s = threshold.image[index]!;
          if (s < threshold.min || s > threshold.max) continue;
        }
        data[index] = value;
        changed++;
      }
    }
    return changed;
  }
}
