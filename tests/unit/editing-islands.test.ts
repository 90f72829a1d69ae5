import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { componentRuns, labelComponents, sliceBox, type Connectivity } from '../../src/shared/editing/components.js';
import type { LabelArray, LabelGrid } from '../../src/shared/editing/grid.js';
import { keepLargestIsland, removeSmallIslands, splitIslands, voxelVolumeMl } from '../../src/shared/editing/islands.js';
import { applyLabelWrites, writtenSlices, type LabelWrite } from '../../src/shared/editing/label-writes.js';
import type { Vec3 } from '../../src/shared/volume.js';

const L = 3;
const OTHER = 7;
const DIMS: Vec3 = [24, 20, 14];
const at = (i: number, j: number, k: number): number => i + DIMS[0] * (j + DIMS[1] * k);

function fill(data: LabelArray | Uint8Array, dims: Vec3, min: Vec3, max: Vec3, value: number): void {
  for (let k = min[2]; k <= max[2]; k++) for (let j = min[1]; j <= max[1]; j++) for (let i = min[0]; i <= max[0]; i++) data[i + dims[0] * (j + dims[1] * k)] = value;
}

/**
 * Segment L: a 10³ cube (1000), a 6³ cube (216), a 3³ cube (27) and two 2³ cubes (8 + 8) that touch
 * only at a corner. Segment OTHER: a 4³ cube (64) and a 2-voxel bridge between the big and middle
 * cubes, which must not join them nor ever be written.
 */
function fixture(spacing: Vec3 = [1, 1, 1]): LabelGrid {
  const data = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
  fill(data, DIMS, [1, 1, 1], [10, 10, 10], L);
  fill(data, DIMS, [13, 1, 1], [18, 6, 6], L);
  fill(data, DIMS, [13, 10, 10], [15, 12, 12], L);
  fill(data, DIMS, [19, 14, 1], [20, 15, 2], L);
  fill(data, DIMS, [21, 16, 3], [22, 17, 4], L);
  fill(data, DIMS, [1, 13, 8], [4, 16, 11], OTHER);
  fill(data, DIMS, [11, 5, 5], [12, 5, 5], OTHER);
  return { dims: DIMS, spacing, data };
}

const count = (data: ArrayLike<number>, value: number): number => {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === value) n++;
  return n;
};

/** Apply to a copy, after checking every written voxel now holds `from` (other labels are never touched). */
function applied(grid: LabelGrid, writes: LabelWrite[], from = L, writable?: (value: number) => Uint8Array): LabelArray {
  for (const w of writes) {
    let voxels = 0;
    for (let r = 0; r < w.runs.length; r += 2) {
      for (let i = w.runs[r]!; i < w.runs[r]! + w.runs[r + 1]!; i++) assert.equal(grid.data[i], from, `write to ${w.value} lists voxel ${i} holding ${grid.data[i]}`);
      voxels += w.runs[r + 1]!;
      if (r > 0) assert.ok(w.runs[r]! > w.runs[r - 2]! + w.runs[r - 1]!, 'runs ascending and not adjacent');
    }
    assert.equal(voxels, w.voxels);
  }
  const out = grid.data.slice();
  applyLabelWrites(out, writes, writable);
  return out;
}

/** Reference labelling: breadth-first flood from each unvisited voxel in raster order. */
function referenceIds(mask: Uint8Array, dims: Vec3, connectivity: Connectivity, box: { min: Vec3; max: Vec3 }): Int32Array {
  const offsets: Vec3[] = [];
  for (let dk = -1; dk <= 1; dk++)
    for (let dj = -1; dj <= 1; dj++)
      for (let di = -1; di <= 1; di++) {
        const d: Vec3 = [di, dj, dk];
        const nonzero = d.filter((v) => v !== 0).length;
        if (nonzero === 0) continue;
        if (connectivity === 6 ? nonzero === 1 : connectivity === 26 || (d[connectivity.axis] === 0 && (connectivity.neighbours === 8 || nonzero === 1))) offsets.push(d);
      }
  const inside = (i: number, j: number, k: number) => [i, j, k].every((v, a) => v >= box.min[a]! && v <= box.max[a]!);
  const ids = new Int32Array(mask.length);
  let next = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) {
        const start = i + dims[0] * (j + dims[1] * k);
        if (!mask[start] || ids[start] || !inside(i, j, k)) continue;
        ids[start] = ++next;
        const queue: Vec3[] = [[i, j, k]];
        while (queue.length) {
          const [x, y, z] = queue.pop()!;
          for (const [di, dj, dk] of offsets) {
            const [u, v, w] = [x + di, y + dj, z + dk];
            if (!inside(u, v, w) || u < 0 || v < 0 || w < 0 || u >= dims[0] || v >= dims[1] || w >= dims[2]) continue;
            const n = u + dims[0] * (v + dims[1] * w);
            if (mask[n] && !ids[n]) {
              ids[n] = next;
              queue.push([u, v, w]);
            }
          }
        }
      }
  return ids;
}

function randomMask(n: number, density: number, seed: number): Uint8Array {
  let s = seed;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    mask[i] = s / 2 ** 32 < density ? 1 : 0;
  }
  return mask;
}

describe('connected components', () => {
  const mask = Uint8Array.from(fixture().data, (v) => (v === L ? 1 : 0));

  test('6-connectivity: five islands, the corner-touching pair apart; ids in raster order', () => {
    const c = labelComponents(mask, DIMS, 6);
    assert.equal(c.count, 5);
    assert.deepEqual([...c.sizes], [0, 1000, 216, 8, 8, 27]);
    assert.equal(c.ids[at(1, 1, 1)], 1);
    assert.equal(c.ids[at(10, 10, 10)], 1);
    assert.equal(c.ids[at(18, 6, 6)], 2);
    assert.equal(c.ids[at(20, 15, 2)], 3);
    assert.equal(c.ids[at(21, 16, 3)], 4);
    assert.equal(c.ids[at(14, 11, 11)], 5);
    assert.equal(c.ids[at(11, 5, 5)], 0, 'the other segment is not in the region');
    assert.equal(count(c.ids, 0), mask.length - 1259);
  });

  test('26-connectivity joins the corner-touching pair', () => {
    const c = labelComponents(mask, DIMS, 26);
    assert.equal(c.count, 4);
    assert.deepEqual([...c.sizes], [0, 1000, 216, 16, 27]);
    assert.equal(c.ids[at(20, 15, 2)], c.ids[at(21, 16, 3)]);
  });

  test('per-slice components: each cube splits into one square per slice', () => {
    for (const neighbours of [4, 8] as const) {
      assert.equal(labelComponents(mask, DIMS, { axis: 2, neighbours }).count, 10 + 6 + 3 + 2 + 2);
      assert.equal(labelComponents(mask, DIMS, { axis: 1, neighbours }).count, 10 + 6 + 3 + 2 + 2);
      assert.equal(labelComponents(mask, DIMS, { axis: 0, neighbours }).count, 10 + 6 + 3 + 2 + 2);
    }
  });

  test('in a slice, squares touching at a corner are 2 components with 4 neighbours and 1 with 8', () => {
    const dims: Vec3 = [7, 8, 9];
    for (const axis of [0, 1, 2] as const) {
      const m = new Uint8Array(7 * 8 * 9);
      const [a, b] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
      const put = (u: number, v: number) => {
        const p: Vec3 = [4, 4, 4];
        p[a] = u;
        p[b] = v;
        m[p[0] + 7 * (p[1] + 8 * p[2])] = 1;
      };
      for (const [u, v] of [[1, 1], [2, 1], [1, 2], [2, 2], [3, 3], [4, 3], [3, 4]]) put(u!, v!);
      const box = sliceBox(dims, axis, 4);
      const four = labelComponents(m, dims, { axis, neighbours: 4 }, box);
      const eight = labelComponents(m, dims, { axis, neighbours: 8 }, box);
      assert.deepEqual([four.count, ...four.sizes], [2, 0, 4, 3], `axis ${axis}`);
      assert.deepEqual([eight.count, ...eight.sizes], [1, 0, 7], `axis ${axis}`);
      assert.equal(labelComponents(m, dims, { axis, neighbours: 8 }, sliceBox(dims, axis, 3)).count, 0);
    }
  });

  test('a box limits labelling to the voxels inside it', () => {
    const c = labelComponents(mask, DIMS, 6, sliceBox(DIMS, 2, 5));
    assert.equal(c.count, 2);
    assert.deepEqual([...c.sizes], [0, 100, 36]);
    assert.equal(count(c.ids, 0), mask.length - 136);
    assert.equal(c.ids[at(1, 1, 4)], 0);
    assert.throws(() => sliceBox(DIMS, 2, 14), RangeError);
  });

  test('matches a reference flood fill on random masks, every connectivity', () => {
    const dims: Vec3 = [13, 11, 9];
    const conns: Connectivity[] = [6, 26, ...([0, 1, 2] as const).flatMap((axis) => [4, 8].map((neighbours) => ({ axis, neighbours: neighbours as 4 | 8 })))];
    const boxes = [
      { min: [0, 0, 0] as Vec3, max: [12, 10, 8] as Vec3 },
      { min: [2, 1, 3] as Vec3, max: [9, 10, 6] as Vec3 },
    ];
    for (const density of [0.3, 0.55, 0.8]) {
      const m = randomMask(13 * 11 * 9, density, Math.round(density * 1000));
      for (const connectivity of conns)
        for (const box of boxes) {
          const got = labelComponents(m, dims, connectivity, box);
          const want = referenceIds(m, dims, connectivity, box);
          assert.deepEqual(got.ids, want, `${JSON.stringify(connectivity)} density ${density}`);
          assert.equal(got.count, Math.max(0, ...want));
          for (let id = 1; id <= got.count; id++) assert.equal(got.sizes[id], count(want, id));
        }
    }
  });

  test('runs of a label value; empty region and size mismatch', () => {
    const runs = componentRuns(fixture().data, OTHER, DIMS, 6);
    assert.equal(runs.count, 2);
    assert.deepEqual([...runs.sizes], [0, 2, 64]);
    assert.equal(labelComponents(new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]), DIMS).count, 0);
    assert.throws(() => labelComponents(new Uint8Array(10), DIMS), RangeError);
  });
});

describe('islands', () => {
  test('keep largest island keeps exactly the big cube, nothing else changes', () => {
    const grid = fixture();
    const before = grid.data.slice();
    const result = keepLargestIsland(grid, L);
    assert.deepEqual(grid.data, before, 'input not mutated');
    assert.equal(result.islands, 5);
    assert.equal(result.changedVoxels, 259);
    assert.deepEqual(result.writes.map((w) => w.value), [0]);
    const out = applied(grid, result.writes);
    assert.equal(count(out, L), 1000);
    assert.equal(out[at(5, 5, 5)], L);
    assert.equal(count(out, OTHER), 66);
    assert.equal(count(out, 0), count(before, 0) + 259);
    assert.deepEqual(writtenSlices(result.writes, DIMS), [1, 2, 3, 4, 5, 6, 10, 11, 12]);
  });

  test('keep largest: a tie keeps the island first in raster order; an empty segment changes nothing', () => {
    const grid = fixture();
    fill(grid.data, DIMS, [1, 1, 1], [10, 10, 10], 0);
    fill(grid.data, DIMS, [13, 10, 10], [15, 12, 12], 0);
    fill(grid.data, DIMS, [13, 1, 1], [18, 6, 6], 0);
    const out = applied(grid, keepLargestIsland(grid, L).writes);
    assert.equal(count(out, L), 8);
    assert.equal(out[at(19, 14, 1)], L);
    assert.equal(out[at(22, 17, 4)], 0);
    const none = keepLargestIsland(grid, 9);
    assert.deepEqual([none.islands, none.writes.length, none.changedVoxels], [0, 0, 0]);
  });

  test('remove islands smaller than N voxels (an island of exactly N stays)', () => {
    const grid = fixture();
    assert.equal(count(applied(grid, removeSmallIslands(grid, L, { voxels: 10 }).writes), L), 1243);
    const joined = removeSmallIslands(grid, L, { voxels: 10 }, { connectivity: 26 });
    assert.equal(joined.writes.length, 0, 'with 26-connectivity the pair is one island of 16');
    assert.equal(count(applied(grid, removeSmallIslands(grid, L, { voxels: 27 }).writes), L), 1243);
    const out = applied(grid, removeSmallIslands(grid, L, { voxels: 28 }).writes);
    assert.equal(count(out, L), 1216);
    assert.equal(count(out, OTHER), 66);
  });

  test('remove islands smaller than V ml uses the anisotropic voxel volume', () => {
    const grid = fixture([0.5, 0.5, 2]);
    assert.equal(voxelVolumeMl(grid.spacing), 0.0005);
    // 0.1 ml = 200 voxels of 0.5 mm³: the 3³ cube and the pair go, the 6³ cube (0.108 ml) stays
    assert.equal(count(applied(grid, removeSmallIslands(grid, L, { ml: 0.1 }).writes), L), 1216);
    // 0.15 ml = 300 voxels: the 6³ cube goes too
    const r = removeSmallIslands(grid, L, { ml: 0.15 });
    assert.equal(r.changedVoxels, 259);
    assert.equal(count(applied(grid, r.writes), L), 1000);
    // at 1 mm isotropic, 0.15 ml is 150 voxels and the 6³ cube stays
    const iso = fixture();
    assert.equal(count(applied(iso, removeSmallIslands(iso, L, { ml: 0.15 }).writes), L), 1216);
  });

  test('split islands: each island its own label, largest first, the largest keeps L', () => {
    const grid = fixture();
    const before = grid.data.slice();
    const asked: [number, number][] = [];
    const result = splitIslands(grid, L, (rank, voxels) => {
      asked.push([rank, voxels]);
      return [10, 11, 12, 13][rank - 1]!;
    });
    assert.deepEqual(grid.data, before);
    assert.deepEqual(asked, [[1, 216], [2, 27], [3, 8], [4, 8]]);
    assert.deepEqual(result.segments, [
      { label: L, voxels: 1000 },
      { label: 10, voxels: 216 },
      { label: 11, voxels: 27 },
      { label: 12, voxels: 8 },
      { label: 13, voxels: 8 },
    ]);
    assert.deepEqual(result.writes.map((w) => [w.value, w.voxels]), [[10, 216], [11, 27], [12, 8], [13, 8]]);
    assert.equal(result.changedVoxels, 259);
    const out = applied(grid, result.writes);
    assert.deepEqual([L, 10, 11, 12, 13, OTHER].map((v) => count(out, v)), [1000, 216, 27, 8, 8, 66]);
    assert.equal(out[at(20, 15, 2)], 12, 'equal sizes: raster order');
    assert.equal(out[at(21, 16, 3)], 13);
  });

  test('split with 26-connectivity and a minimum size erases the small islands', () => {
    const grid = fixture();
    let next = 20;
    const result = splitIslands(grid, L, () => next++, { connectivity: 26, min: { voxels: 20 } });
    assert.deepEqual(result.segments.map((s) => [s.label, s.voxels]), [[L, 1000], [20, 216], [21, 27]]);
    const out = applied(grid, result.writes);
    assert.deepEqual([L, 20, 21, 0].map((v) => count(out, v)), [1000, 216, 27, count(grid.data, 0) + 16]);
  });

  test('split refuses labels that are 0, L, repeated or out of range, and works on uint16 maps', () => {
    const grid = fixture();
    for (const bad of [[0], [L], [10, 10], [256], [1.5]]) {
      let i = 0;
      assert.throws(() => splitIslands(grid, L, () => bad[i++] ?? 99), RangeError, JSON.stringify(bad));
    }
    assert.throws(() => keepLargestIsland(grid, 0), RangeError);
    const wide: LabelGrid = { ...grid, data: Uint16Array.from(grid.data, (v) => (v === L ? 300 : v)) };
    const result = splitIslands(wide, 300, (rank) => 1000 + rank);
    const out = applied(wide, result.writes, 300);
    assert.deepEqual([300, 1001, 1002, 1003, 1004].map((v) => count(out, v)), [1000, 216, 27, 8, 8]);
  });

  test('applying through a write table leaves refused voxels as they were', () => {
    const grid = fixture();
    const result = splitIslands(grid, L, (rank) => 10 + rank);
    const lockedTarget = (value: number) => {
      const table = new Uint8Array(256).fill(1);
      if (value === 12) table.fill(0);
      return table;
    };
    const out = applied(grid, result.writes, L, lockedTarget);
    assert.deepEqual([L, 11, 12, 13, 14].map((v) => count(out, v)), [1000 + 27, 216, 0, 8, 8]);
  });
});
