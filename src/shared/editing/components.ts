/**
 * Connected components of a region, in 3D (6- or 26-connected) or within slices across an axis (4- or
 * 8-connected). Two passes over runs, not voxels: pass 1 cuts each row into runs of region voxels and
 * unions every run with the runs it touches in the already-scanned neighbour rows (union-find over run
 * indices in typed arrays); pass 2 numbers the roots. Work per voxel is one read (and one write of its
 * id when ids are asked for); unions cost per run, so large blobs are cheap.
 */
import type { Vec3 } from '../volume.js';
import { clipBox, wholeBox, type Box, type LabelArray, type RegionMask, type SliceAxis } from './grid.js';
import { find, union } from './union-find.js';

/** Components within each slice across `axis`: 4 = edge neighbours, 8 = edge and corner neighbours. */
export interface SliceConnectivity {
  axis: SliceAxis;
  neighbours: 4 | 8;
}

/** 6 = face neighbours, 26 = face, edge and corner neighbours; or per-slice 2D components. */
export type Connectivity = 6 | 26 | SliceConnectivity;

export interface Components {
  /** component id per voxel: 0 outside the region (or the box), else 1…count, numbered in raster order of each component's first voxel */
  ids: Int32Array;
  /** sizes[id] = voxels of component id; sizes[0] = 0 */
  sizes: Uint32Array;
  count: number;
}

/** Components as runs: what islands operations use, with no per-voxel id array. */
export interface ComponentRuns {
  count: number;
  /** sizes[id] = voxels of component id; sizes[0] = 0 */
  sizes: Uint32Array;
  /** per run: flat index of its first voxel, one step past its last, and its component id; runs in scan order */
  starts: Int32Array;
  ends: Int32Array;
  ids: Int32Array;
  /** flat-index step along a run: 1 (along x), or nx (along y, for slices across x) */
  step: number;
}

/**
 * How a connectivity is scanned: runs along axis u, rows enumerated by axis p (inner) and k (outer),
 * and the already-scanned neighbour rows as [dp, dk, slack] (slack 1: runs touching at a corner connect).
 */
interface Plan {
  u: 0 | 1;
  p: 0 | 1;
  neighbours: number[];
}

function planOf(c: Connectivity): Plan {
  if (c === 6) return { u: 0, p: 1, neighbours: [-1, 0, 0, 0, -1, 0] };
  if (c === 26) return { u: 0, p: 1, neighbours: [-1, 0, 1, -1, -1, 1, 0, -1, 1, 1, -1, 1] };
  if (typeof c !== 'object' || (c.neighbours !== 4 && c.neighbours !== 8)) throw new RangeError(`connectivity must be 6, 26 or {axis, neighbours: 4 | 8}, got ${JSON.stringify(c)}`);
  const s = c.neighbours === 8 ? 1 : 0;
  switch (c.axis) {
    case 2: // slices in i-j: runs along x, neighbour row j-1 only
      return { u: 0, p: 1, neighbours: [-1, 0, s] };
    case 1: // slices in i-k: runs along x, neighbour row k-1 (same j)
      return { u: 0, p: 1, neighbours: [0, -1, s] };
    case 0: // slices in j-k: runs along y (x-runs would cross slices), neighbour row k-1 (same i)
      return { u: 1, p: 0, neighbours: [0, -1, s] };
    default:
      throw new RangeError(`slice axis must be 0, 1 or 2, got ${String(c.axis)}`);
  }
}

/** The box covering slice `index` across `axis`, for labelling one slice. */
export function sliceBox(dims: Vec3, axis: SliceAxis, index: number): Box {
  if (!Number.isInteger(index) || index < 0 || index >= dims[axis]) throw new RangeError(`slice ${index} is outside 0…${dims[axis] - 1}`);
  const box = wholeBox(dims);
  box.min[axis] = index;
  box.max[axis] = index;
  return box;
}

function grown(a: Int32Array, capacity: number): Int32Array {
  const b = new Int32Array(capacity);
  b.set(a);
  return b;
}

/**
 * Union the runs [a, aEnd) of the current row with the touching runs [b, bEnd) of a neighbour row;
 * `delta` moves neighbour-row indices onto the current row, `slack` widens them by one step each side.
 * Both lists are sorted and disjoint, so one merge walk finds every touching pair.
 */
function joinRows(starts: Int32Array, ends: Int32Array, parent: Int32Array, a: number, aEnd: number, b: number, bEnd: number, delta: number, slack: number): void {
  while (a < aEnd && b < bEnd) {
    const sa = starts[a]!;
    const ea = ends[a]!;
    const eb = ends[b]! + delta + slack;
    if (sa < eb && starts[b]! + delta - slack < ea) union(parent, a, b);
    if (ea < eb) a++;
    else b++;
  }
}

/** Runs along y are scanned in (k, i, j) order: renumber ids by each component's first voxel in (k, j, i) order. */
function renumberInRasterOrder(ids: Int32Array, starts: Int32Array, count: number): void {
  const first = new Float64Array(count + 1).fill(Infinity);
  for (let r = 0; r < ids.length; r++) first[ids[r]!] = Math.min(first[ids[r]!]!, starts[r]!);
  const order = Int32Array.from({ length: count }, (_, i) => i + 1).sort((a, b) => first[a]! - first[b]!);
  const renamed = new Int32Array(count + 1);
  order.forEach((id, i) => (renamed[id] = i + 1));
  for (let r = 0; r < ids.length; r++) ids[r] = renamed[ids[r]!]!;
}

/**
 * Components of the voxels of `src` equal to `value` (null: the nonzero voxels, for a RegionMask),
 * looking only inside `box` (default: the whole grid).
 */
export function componentRuns(src: LabelArray | RegionMask, value: number | null, dims: Vec3, connectivity: Connectivity = 6, box?: Box): ComponentRuns {
  const n = dims[0] * dims[1] * dims[2];
  if (src.length !== n) throw new RangeError(`array has ${src.length} voxels, dims ${dims.join('×')} need ${n}`);
  if (n > 0x7fffffff) throw new RangeError(`${n} voxels is beyond 2^31 − 1`);
  const plan = planOf(connectivity);
  const b = clipBox(box ?? wholeBox(dims), dims);
  const stride = [1, dims[0], dims[0] * dims[1]] as const;
  const su = stride[plan.u];
  const sp = stride[plan.p];
  const sk = stride[2];
  if (!b) return { count: 0, sizes: new Uint32Array(1), starts: new Int32Array(0), ends: new Int32Array(0), ids: new Int32Array(0), step: su };
  const [p0, p1, k0, k1] = [b.min[plan.p], b.max[plan.p], b.min[2], b.max[2]];
  const np = p1 - p0 + 1;
  const rowFirst = new Int32Array(np * (k1 - k0 + 1) + 1);
  const nb = plan.neighbours;

  let capacity = 4096;
  let starts: Int32Array = new Int32Array(capacity);
  let ends: Int32Array = new Int32Array(capacity);
  let parent: Int32Array = new Int32Array(capacity);
  let runs = 0;

  for (let k = k0; k <= k1; k++) {
    for (let p = p0; p <= p1; p++) {
      const row = p - p0 + np * (k - k0);
      const rowStart = runs;
      rowFirst[row] = rowStart;
      const base = p * sp + k * sk;
      const stop = base + (b.max[plan.u] + 1) * su;
      let i = base + b.min[plan.u] * su;
      for (;;) {
        if (value === null) while (i < stop && src[i]! === 0) i += su;
        else while (i < stop && src[i]! !== value) i += su;
        if (i >= stop) break;
        const first = i;
        i += su;
        if (value === null) while (i < stop && src[i]! !== 0) i += su;
        else while (i < stop && src[i]! === value) i += su;
        if (runs === capacity) {
          capacity *= 2;
          starts = grown(starts, capacity);
          ends = grown(ends, capacity);
          parent = grown(parent, capacity);
        }
        starts[runs] = first;
        ends[runs] = i;
        parent[runs] = runs;
        runs++;
      }
      rowFirst[row + 1] = runs;
      if (runs === rowStart) continue;
      for (let t = 0; t < nb.length; t += 3) {
        const dp = nb[t]!;
        const dk = nb[t + 1]!;
        if (p + dp < p0 || p + dp > p1 || k + dk < k0) continue;
        const other = row + dp + np * dk;
        joinRows(starts, ends, parent, rowStart, runs, rowFirst[other]!, rowFirst[other + 1]!, -(dp * sp + dk * sk), nb[t + 2]! * su);
      }
    }
  }

  // parent[r] ≤ r, so one ascending pass turns parents into final ids (parent[r] already holds its id).
  let count = 0;
  for (let r = 0; r < runs; r++) {
    const up = parent[r]!;
    parent[r] = up === r ? ++count : parent[up]!;
  }
  if (su !== 1) renumberInRasterOrder(parent.subarray(0, runs), starts, count);
  const sizes = new Uint32Array(count + 1);
  for (let r = 0; r < runs; r++) sizes[parent[r]!]! += (ends[r]! - starts[r]!) / su;
  return { count, sizes, starts: starts.subarray(0, runs), ends: ends.subarray(0, runs), ids: parent.subarray(0, runs), step: su };
}

/** Per-voxel component ids of `mask` (nonzero = in the region), restricted to `box` when given. */
export function labelComponents(mask: RegionMask, dims: Vec3, connectivity: Connectivity = 6, box?: Box): Components {
  const runs = componentRuns(mask, null, dims, connectivity, box);
  const ids = new Int32Array(mask.length);
  const { starts, ends, step } = runs;
  for (let r = 0; r < starts.length; r++) {
    const id = runs.ids[r]!;
    if (step === 1) ids.fill(id, starts[r]!, ends[r]!);
    else for (let i = starts[r]!; i < ends[r]!; i += step) ids[i] = id;
  }
  return { ids, sizes: runs.sizes, count: runs.count };
}
