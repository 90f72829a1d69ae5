/**
 * Per-label statistics of a label map, as the review queue compares cases by: voxel count, volume and
 * islands (26-connected components of the label's voxels, so voxels touching at a corner are one island).
 *
 * All labels are labelled in one two-pass connected-component labelling over the raster, not one flood
 * fill per label. Pass 1 cuts each row into runs of one nonzero value (the provisional labels) and
 * records the equivalences with the touching runs of equal value in the already-scanned neighbour rows
 * in a union–find table; pass 2 resolves every run to its component. Work is one read per voxel and
 * union–find per run, so large structures are cheap.
 */
import { z } from 'zod';
import type { LabelArray } from '../editing/grid.js';
import type { Vec3 } from '../volume.js';
import { find, union } from '../editing/union-find.js';

export const LabelSummarySchema = z.object({
  voxels: z.number().int().nonnegative(),
  volumeMl: z.number().nonnegative(),
  /** 26-connected components */
  islands: z.number().int().nonnegative(),
  largestIslandVoxels: z.number().int().nonnegative(),
});
export type LabelSummary = z.infer<typeof LabelSummarySchema>;

/** Keys: label values as decimal strings ("1", "1000"); background 0 is left out. */
export const LabelStatsSchema = z.object({
  labels: z.record(z.string().regex(/^[1-9][0-9]*$/), LabelSummarySchema),
});
export type LabelStats = z.infer<typeof LabelStatsSchema>;

/**
 * The neighbour rows already scanned when row (j, k) is, as [dj, dk]: with a slack of one voxel along x
 * each they hold the 13 earlier of a voxel's 26 neighbours (the 14th earlier one, i − 1, is in its run).
 */
const EARLIER_ROWS: readonly (readonly [number, number])[] = [
  [-1, 0],
  [-1, -1],
  [0, -1],
  [1, -1],
];

/** Runs of one nonzero value along x and their union–find table; parent[r] ≤ r at all times. */
interface Runs {
  starts: Int32Array;
  ends: Int32Array;
  parent: Int32Array;
  count: number;
}

/**
 * Union each run [a, aEnd) of the current row with the runs [b, bEnd) of a neighbour row that hold the
 * same value and touch it, corners included; `delta` moves neighbour-row indices onto the current row.
 * Unlike a single-value mask, runs of different values can abut, so one neighbour run may touch two
 * current runs: each current run scans forward from the first neighbour run not wholly before it.
 */
function joinRow(data: LabelArray, runs: Runs, a: number, aEnd: number, b: number, bEnd: number, delta: number): void {
  const { starts, ends, parent } = runs;
  for (; a < aEnd; a++) {
    const sa = starts[a]!;
    const ea = ends[a]!;
    const value = data[sa]!;
    while (b < bEnd && ends[b]! + delta < sa) b++;
    for (let c = b; c < bEnd && starts[c]! + delta <= ea; c++) if (data[starts[c]!] === value) union(parent, a, c);
  }
}

function grown(a: Int32Array, capacity: number): Int32Array {
  const b = new Int32Array(capacity);
  b.set(a);
  return b;
}

/** Pass 1: runs in raster order, unioned with the touching earlier runs of the same value. */
function scanRuns(data: LabelArray, dims: Vec3): Runs {
  const [nx, ny, nz] = dims;
  const slice = nx * ny;
  const rowFirst = new Int32Array(ny * nz + 1);
  let capacity = 4096;
  const runs: Runs = { starts: new Int32Array(capacity), ends: new Int32Array(capacity), parent: new Int32Array(capacity), count: 0 };
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = j + ny * k;
      const rowStart = runs.count;
      rowFirst[row] = rowStart;
      const stop = nx * (row + 1);
      for (let i = nx * row; i < stop; ) {
        const value = data[i]!;
        if (value === 0) {
          i++;
          continue;
        }
        const first = i;
        while (++i < stop && data[i] === value);
        if (runs.count === capacity) {
          capacity *= 2;
          runs.starts = grown(runs.starts, capacity);
          runs.ends = grown(runs.ends, capacity);
          runs.parent = grown(runs.parent, capacity);
        }
        runs.starts[runs.count] = first;
        runs.ends[runs.count] = i;
        runs.parent[runs.count] = runs.count;
        runs.count++;
      }
      rowFirst[row + 1] = runs.count;
      if (runs.count === rowStart) continue;
      for (const [dj, dk] of EARLIER_ROWS) {
        if (j + dj < 0 || j + dj >= ny || k + dk < 0) continue;
        const other = row + dj + ny * dk;
        joinRow(data, runs, rowStart, runs.count, rowFirst[other]!, rowFirst[other + 1]!, -(dj * nx + dk * slice));
      }
    }
  }
  return runs;
}

function checkInput(data: LabelArray, dims: Vec3, spacing: Vec3): void {
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 0)) throw new RangeError(`dims must be 3 whole numbers ≥ 0, got ${dims.join('×')}`);
  if (spacing.length !== 3 || spacing.some((s) => !(s > 0) || !Number.isFinite(s))) throw new RangeError(`spacing must be 3 positive numbers (mm), got ${spacing.join('×')}`);
  const n = dims[0] * dims[1] * dims[2];
  if (data.length !== n) throw new RangeError(`label map has ${data.length} voxels, dims ${dims.join('×')} need ${n}`);
  if (n > 0x7fffffff) throw new RangeError(`${n} voxels is beyond 2^31 − 1`);
}

export function labelStats(data: LabelArray, dims: Vec3, spacing: Vec3): LabelStats {
  checkInput(data, dims, spacing);
  const runs = scanRuns(data, dims);
  const { starts, ends, parent } = runs;

  // Pass 2: parent[r] ≤ r, so ascending order turns parents into component ids (a root opens a new one).
  const componentValue: number[] = [0];
  for (let r = 0; r < runs.count; r++) {
    const up = parent[r]!;
    if (up === r) parent[r] = componentValue.push(data[starts[r]!]!) - 1;
    else parent[r] = parent[up]!;
  }
  const componentVoxels = new Float64Array(componentValue.length);
  for (let r = 0; r < runs.count; r++) componentVoxels[parent[r]!]! += ends[r]! - starts[r]!;

  const size = data instanceof Uint8Array ? 256 : 65536;
  const voxels = new Float64Array(size);
  const islands = new Float64Array(size);
  const largest = new Float64Array(size);
  for (let id = 1; id < componentValue.length; id++) {
    const v = componentValue[id]!;
    const n = componentVoxels[id]!;
    voxels[v]! += n;
    islands[v]!++;
    if (n > largest[v]!) largest[v] = n;
  }

  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const labels: Record<string, LabelSummary> = {};
  for (let v = 1; v < size; v++) {
    if (islands[v] === 0) continue;
    labels[String(v)] = { voxels: voxels[v]!, volumeMl: voxels[v]! * voxelMl, islands: islands[v]!, largestIslandVoxels: largest[v]! };
  }
  return { labels };
}
