/**
 * 3D Slicer's Islands effect on one segment (label value L) of a label map: keep the largest island,
 * remove small islands, split islands into segments. An island is a connected component of L's voxels
 * (face-connected by default, as in Slicer). Nothing is mutated: each operation returns LabelWrites
 * (see label-writes.ts) that touch only voxels now holding L, for the caller to apply through its
 * write policy.
 */
import type { Vec3 } from '../volume.js';
import { componentRuns, type ComponentRuns } from './components.js';
import type { LabelArray, LabelGrid } from './grid.js';
import { RunList, type LabelWrite } from './label-writes.js';

export interface IslandOptions {
  /** 6 (default): islands touching only at an edge or corner are separate; 26: they are one */
  connectivity?: 6 | 26;
}

/** A size threshold: a voxel count, or a volume in millilitres (1 ml = 1000 mm³). */
export type IslandSize = { voxels: number } | { ml: number };

export interface IslandsResult {
  writes: LabelWrite[];
  /** islands the segment has before the operation */
  islands: number;
  /** voxels the writes change (leaving L) */
  changedVoxels: number;
}

export interface SplitResult extends IslandsResult {
  /** the islands that keep a label, largest first: L, then the new labels in the order handed out */
  segments: { label: number; voxels: number }[];
}

/** Volume of one voxel in ml. */
export const voxelVolumeMl = (spacing: Vec3): number => (spacing[0] * spacing[1] * spacing[2]) / 1000;

const maxLabelOf = (data: LabelArray): number => (data instanceof Uint8Array ? 0xff : 0xffff);

function checkLabel(data: LabelArray, label: number, what: string): void {
  if (!Number.isInteger(label) || label < 1 || label > maxLabelOf(data)) throw new RangeError(`${what} must be a label value 1…${maxLabelOf(data)}, got ${label}`);
}

function islandsOf(grid: LabelGrid, label: number, options: IslandOptions): ComponentRuns {
  checkLabel(grid.data, label, 'segment');
  const connectivity = options.connectivity ?? 6;
  if (connectivity !== 6 && connectivity !== 26) throw new RangeError(`islands connectivity must be 6 or 26, got ${String(connectivity)}`);
  return componentRuns(grid.data, label, grid.dims, connectivity);
}

/** Whether an island of `voxels` voxels is smaller than `min`. */
function smallerThan(min: IslandSize, spacing: Vec3): (voxels: number) => boolean {
  if ('voxels' in min) return (v) => v < min.voxels;
  const perVoxel = voxelVolumeMl(spacing);
  return (v) => v * perVoxel < min.ml;
}

/** Island ids largest first; equal sizes in raster order of their first voxel. */
function bySizeDescending(c: ComponentRuns): Int32Array {
  const order = new Int32Array(c.count);
  for (let i = 0; i < c.count; i++) order[i] = i + 1;
  return order.sort((a, b) => c.sizes[b]! - c.sizes[a]! || a - b);
}

/** Writes setting every run of an island to target[id] (−1: unchanged). */
function writesFor(c: ComponentRuns, target: Int32Array, order: readonly number[]): LabelWrite[] {
  const lists = new Map<number, RunList>();
  for (const value of order) lists.set(value, new RunList());
  const { starts, ends, ids } = c;
  for (let r = 0; r < starts.length; r++) {
    const value = target[ids[r]!]!;
    if (value >= 0) lists.get(value)!.push(starts[r]!, ends[r]! - starts[r]!);
  }
  return [...lists].filter(([, list]) => list.runCount > 0).map(([value, list]) => list.toWrite(value));
}

function eraseResult(c: ComponentRuns, erase: (id: number) => boolean): IslandsResult {
  const target = new Int32Array(c.count + 1).fill(-1);
  for (let id = 1; id <= c.count; id++) if (erase(id)) target[id] = 0;
  const writes = writesFor(c, target, [0]);
  return { writes, islands: c.count, changedVoxels: writes.reduce((sum, w) => sum + w.voxels, 0) };
}

/** Erase (to 0) every island of `label` but the largest (ties: the first in raster order). */
export function keepLargestIsland(grid: LabelGrid, label: number, options: IslandOptions = {}): IslandsResult {
  const c = islandsOf(grid, label, options);
  let largest = 0;
  for (let id = 1; id <= c.count; id++) if (c.sizes[id]! > c.sizes[largest]!) largest = id;
  return eraseResult(c, (id) => id !== largest);
}

/** Erase (to 0) the islands of `label` smaller than `min`; an island exactly `min` stays. */
export function removeSmallIslands(grid: LabelGrid, label: number, min: IslandSize, options: IslandOptions = {}): IslandsResult {
  const c = islandsOf(grid, label, options);
  const small = smallerThan(min, grid.spacing);
  return eraseResult(c, (id) => small(c.sizes[id]!));
}

export interface SplitOptions extends IslandOptions {
  /** islands smaller than this are erased (to 0), as Slicer's minimum size does; default: none are */
  min?: IslandSize;
}

/**
 * Give each island of `label` its own label: the largest keeps `label`, the others, largest first, get
 * `newLabel(rank, voxels)` (rank 1, 2, … in that order). The caller hands out values no segment uses
 * yet (and creates the segments from `segments`); a repeated value, 0, `label` or one beyond the
 * array's range is refused with a RangeError before anything is returned.
 */
export function splitIslands(grid: LabelGrid, label: number, newLabel: (rank: number, voxels: number) => number, options: SplitOptions = {}): SplitResult {
  const c = islandsOf(grid, label, options);
  const small = options.min ? smallerThan(options.min, grid.spacing) : () => false;
  const target = new Int32Array(c.count + 1).fill(-1);
  const segments: { label: number; voxels: number }[] = [];
  const used = new Set([label]);
  let erased = false;
  for (const id of bySizeDescending(c)) {
    const voxels = c.sizes[id]!;
    if (small(voxels)) {
      target[id] = 0;
      erased = true;
    } else if (segments.length === 0) {
      segments.push({ label, voxels });
    } else {
      const value = newLabel(segments.length, voxels);
      checkLabel(grid.data, value, `new label for island ${segments.length}`);
      if (used.has(value)) throw new RangeError(`new label ${value} for island ${segments.length} is already in use by this split`);
      used.add(value);
      target[id] = value;
      segments.push({ label: value, voxels });
    }
  }
  const order = segments.slice(1).map((s) => s.label);
  if (erased) order.push(0);
  const writes = writesFor(c, target, order);
  return { writes, islands: c.count, changedVoxels: writes.reduce((sum, w) => sum + w.voxels, 0), segments };
}
