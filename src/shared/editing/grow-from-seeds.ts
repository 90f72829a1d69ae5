/**
 * Grow from seeds: competitive region growing in the spirit of Fast GrowCut (Zhu et al. 2014) and
 * 3D Slicer's "Grow from seeds". Every free voxel takes the label of the seed that reaches it along the
 * cheapest 6-connected path. A step costs the intensity change it crosses plus a small length term, so
 * fronts flow freely through homogeneous tissue, stall at edges, and ties break by distance.
 *
 * Costs are quantised to integers so the priority queue is Dial's bucket queue (a ring of buckets longer
 * than the dearest step): O(1) push and pop, typed arrays only, no heap and no per-voxel objects. The
 * work happens on a copy of the box padded by one settled cell on every side, so the hot loop needs no
 * bounds checks. Roughly 150–200 ns per voxel in Node: about 3 s for a 256³ box on a small 2-core VM.
 */
import type { Vec3, VoxelArray } from '../volume.js';
import { clipBox, wholeBox, type Box, type ImageGrid, type LabelArray, type LabelGrid } from './grid.js';

export interface GrowOptions {
  /** Grow only inside this box (voxel indices, inclusive; clipped to the grid). Default: the whole grid. */
  box?: Box;
  /** The seed labels that compete. Default: every non-zero label. Voxels holding any other non-zero label
   * are walls: never grown into, never grown through, 0 in the result. */
  labels?: Iterable<number>;
  /** ≥ 0, like Slicer's "seed locality": weight of path length against intensity change. Larger values keep
   * each seed's reach local (fewer leaks) but need seeds spread more evenly. Default 0. */
  locality?: number;
}

export interface GrowResult {
  /** Grid-sized, same type as the seeds: the winning label per voxel inside `box`; 0 outside it, at walls
   * and where no seed reaches. Seeds keep their own labels. */
  labels: LabelArray;
  /** The box that was worked on (the requested one clipped to the grid). */
  box: Box;
}

/** The robust intensity range (0.5th–99.5th percentile in the box) spans this many cost units. */
const RANGE_UNITS = 1024;
/** Length-term units per finest-axis step added by each unit of `locality`. */
const LOCALITY_UNITS = 32;
const MAX_LENGTH_UNITS = 4096;
const INF = 0x7fffffff;
/** The distance field of a final cell, and of walls and padding: 0, so a fresh array starts all settled. */
const SETTLED = 0;
/** Seeds start at distance 1 (0 means settled). Distances are Int32: past REBASE_AT the live ones are
 * shifted down, which keeps even a pathological maze exact. */
const START = 1;
const REBASE_AT = 0x40000000;

export function growFromSeeds(image: ImageGrid, seeds: LabelGrid, options: GrowOptions = {}): GrowResult {
  const dims = image.dims;
  if (!dims.every((d, a) => d === seeds.dims[a]) || image.data.length !== seeds.data.length || seeds.data.length !== dims[0] * dims[1] * dims[2]) {
    throw new RangeError(`image ${image.dims.join('×')} and seeds ${seeds.dims.join('×')} are not on one grid`);
  }
  const box = clipBox(options.box ?? wholeBox(dims), dims);
  if (!box) throw new RangeError('the grow box lies outside the grid');
  const bw = box.max[0] - box.min[0] + 1;
  const bh = box.max[1] - box.min[1] + 1;
  const bd = box.max[2] - box.min[2] + 1;
  // the local grid is the box padded by one settled cell on every side
  const px = bw + 2;
  const pxy = px * (bh + 2);
  const total = pxy * (bd + 2);
  if (2 * total > 0x7fffffff) throw new RangeError(`a ${bw}×${bh}×${bd} box is too large to grow in one go`);

  const competes = new Uint8Array(65536);
  if (options.labels) {
    for (const v of options.labels) if (v > 0 && v < 65536) competes[v] = 1;
  } else competes.fill(1, 1);

  // Step cost = length term (per axis, in units of the finest spacing) + |quantised intensity change|.
  // The intensity term is not scaled by spacing: a difference across a step is already a line integral.
  const [lo, hi] = robustRange(image.data, dims, box);
  const hMin = Math.min(...image.spacing);
  const perStep = 1 + Math.max(0, options.locality ?? 0) * LOCALITY_UNITS;
  const [cx, cy, cz] = image.spacing.map((h) => Math.min(MAX_LENGTH_UNITS, Math.max(1, Math.round((perStep * h) / hMin)))) as Vec3;
  // quantised intensities lie in [-R, 2R], so no step costs more than 3R + the dearest length term
  const queue = bucketQueue(3 * RANGE_UNITS + Math.max(cx, cy, cz));

  // the first voxel of each row of the box, in the grid and (doubled) in the local grid
  const rows = rowStarts(dims, box);
  const cellRows = rows.map((_, r) => 2 * (1 + px * ((r % bh) + 1) + pxy * (Math.floor(r / bh) + 1)));
  const cell = new Int32Array(2 * total);
  loadCells(cell, queue, image.data, seeds.data, rows, cellRows, bw, competes, lo, hi > lo ? RANGE_UNITS / (hi - lo) : 1);
  spread(cell, queue, 2 * px, 2 * pxy, cx, cy, cz);

  const out = new (seeds.data.constructor as new (n: number) => LabelArray)(seeds.data.length);
  for (let r = 0; r < rows.length; r++) {
    const g0 = rows[r]!;
    const c0 = cellRows[r]! + 1;
    for (let i = 0; i < bw; i++) out[g0 + i] = cell[c0 + 2 * i]! & 0xffff;
  }
  return { labels: out, box };
}

/**
 * Fill the cells of the box: one interleaved Int32 pair per cell, so a neighbour costs one cache line,
 * not four. [2c] = distance (INF unreached; SETTLED once final, and for walls and padding, which a fresh
 * array already is), [2c+1] = quantised level << 16 | label. Competing seeds go in the queue at START.
 */
function loadCells(
  cell: Int32Array, queue: BucketQueue, img: VoxelArray, seed: LabelArray, rows: Int32Array, cellRows: Int32Array,
  width: number, competes: Uint8Array, lo: number, scale: number,
): void {
  for (let r = 0; r < rows.length; r++) {
    const g0 = rows[r]!;
    const c0 = cellRows[r]!;
    for (let i = 0; i < width; i++) {
      const c2 = c0 + 2 * i;
      const q = Math.round((img[g0 + i]! - lo) * scale);
      const level = q < -RANGE_UNITS ? -RANGE_UNITS : q > 2 * RANGE_UNITS ? 2 * RANGE_UNITS : q;
      const s = seed[g0 + i]!;
      if (s === 0) {
        cell[c2] = INF;
        cell[c2 + 1] = level << 16;
      } else if (competes[s] === 1) {
        cell[c2] = START;
        cell[c2 + 1] = (level << 16) | s;
        push(queue.stacks, queue.sizes, START, c2);
      }
    }
  }
}

/**
 * Dial's algorithm: bucket b = cur mod ring holds the cells at distance `cur`. A step costs ≥ 1 and less
 * than the ring, so relaxing never lands in bucket b itself nor wraps onto a live bucket. A cell popped
 * unsettled is at distance `cur`: any older entry for it was dearer, so that one is popped later and skipped.
 * Every live entry is within one ring of `cur`, so a whole ring of empty buckets means the queue is empty.
 */
function spread(cell: Int32Array, queue: BucketQueue, dy: number, dz: number, cx: number, cy: number, cz: number): void {
  const { stacks, sizes, mask } = queue;
  let cur = START;
  for (let empty = 0; empty <= mask; ) {
    const b = cur & mask;
    let n = sizes[b]!;
    if (n === 0) empty++;
    else {
      empty = 0;
      const stack = stacks[b]!;
      while (n > 0) {
        const p2 = stack[--n]!;
        if (cell[p2] === SETTLED) continue;
        cell[p2] = SETTLED;
        const wp = cell[p2 + 1]!;
        const lp = wp >> 16;
        const label = wp & 0xffff;
        // unrolled on purpose (relax is inlined): each site gets its own branch history, ~20% faster than a loop
        relax(cell, stacks, sizes, mask, p2 - 2, lp, label, cur + cx);
        relax(cell, stacks, sizes, mask, p2 + 2, lp, label, cur + cx);
        relax(cell, stacks, sizes, mask, p2 - dy, lp, label, cur + cy);
        relax(cell, stacks, sizes, mask, p2 + dy, lp, label, cur + cy);
        relax(cell, stacks, sizes, mask, p2 - dz, lp, label, cur + cz);
        relax(cell, stacks, sizes, mask, p2 + dz, lp, label, cur + cz);
      }
      sizes[b] = 0;
    }
    if (++cur >= REBASE_AT) {
      // shift by whole turns of the ring so every live entry stays in its bucket (and above SETTLED)
      const shift = cur - (cur & mask) - mask - 1;
      for (let c2 = 0; c2 < cell.length; c2 += 2) if (cell[c2]! !== SETTLED && cell[c2]! !== INF) cell[c2] = cell[c2]! - shift;
      cur -= shift;
    }
  }
}

/** Offer cell q2 the path from a neighbour of level `lp` and label `label`, which costs `base` + the level change. */
function relax(cell: Int32Array, stacks: Int32Array[], sizes: Int32Array, mask: number, q2: number, lp: number, label: number, base: number): void {
  const dq = cell[q2]!; // SETTLED (0) always fails the test below
  const wq = cell[q2 + 1]!;
  const nd = base + Math.abs((wq >> 16) - lp);
  if (nd < dq) {
    cell[q2] = nd;
    cell[q2 + 1] = (wq & ~0xffff) | label;
    // push(), written out: nested, it would not fit V8's inlining budget six times over
    const bucket = nd & mask;
    const n = sizes[bucket]!;
    const stack = n < stacks[bucket]!.length ? stacks[bucket]! : grow(stacks, bucket);
    stack[n] = q2;
    sizes[bucket] = n + 1;
  }
}

/** Dial's ring of buckets (a power of two, longer than the dearest step), each a growable stack of cell
 * indices. Plain arrays rather than a class: the hot loop then keeps them in locals, ~6% faster. */
interface BucketQueue {
  stacks: Int32Array[];
  sizes: Int32Array;
  mask: number;
}

function bucketQueue(maxStep: number): BucketQueue {
  const ring = 2 ** Math.ceil(Math.log2(maxStep + 1));
  return { stacks: Array.from({ length: ring }, () => new Int32Array(64)), sizes: new Int32Array(ring), mask: ring - 1 };
}

function push(stacks: Int32Array[], sizes: Int32Array, bucket: number, item: number): void {
  const n = sizes[bucket]!;
  const stack = n < stacks[bucket]!.length ? stacks[bucket]! : grow(stacks, bucket);
  stack[n] = item;
  sizes[bucket] = n + 1;
}

function grow(stacks: Int32Array[], bucket: number): Int32Array {
  const bigger = new Int32Array(2 * stacks[bucket]!.length);
  bigger.set(stacks[bucket]!);
  return (stacks[bucket] = bigger);
}

/** The 0.5th and 99.5th intensity percentiles inside `box`, from a 4096-bin histogram. */
function robustRange(data: VoxelArray, dims: Vec3, box: Box): [number, number] {
  const rows = rowStarts(dims, box);
  const width = box.max[0] - box.min[0] + 1;
  let min = Infinity;
  let max = -Infinity;
  for (const g0 of rows) {
    for (let g = g0; g < g0 + width; g++) {
      const v = data[g]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (!(max > min)) return [min, max];
  const bins = 4096;
  const hist = new Float64Array(bins);
  const f = (bins - 1) / (max - min);
  for (const g0 of rows) for (let g = g0; g < g0 + width; g++) hist[Math.floor((data[g]! - min) * f)]! += 1;
  // the bin where the running count passes `fraction`, as its lower (or upper) edge
  const count = rows.length * width;
  const at = (fraction: number, upper: number): number => {
    let seen = 0;
    for (let i = 0; i < bins; i++) if ((seen += hist[i]!) > fraction * count) return min + (i + upper) / f;
    return max;
  };
  const lo = at(0.005, 0);
  const hi = Math.min(max, at(0.995, 1));
  return hi > lo ? [lo, hi] : [min, max];
}

/** The grid index of the first voxel of every row of `box`. */
function rowStarts(dims: Vec3, box: Box): Int32Array {
  const rows = new Int32Array((box.max[1] - box.min[1] + 1) * (box.max[2] - box.min[2] + 1));
  let n = 0;
  for (let k = box.min[2]; k <= box.max[2]; k++) for (let j = box.min[1]; j <= box.max[1]; j++) rows[n++] = box.min[0] + dims[0] * (j + dims[1] * k);
  return rows;
}
