import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labelStats, LabelStatsSchema, type LabelSummary } from '../../src/shared/curation/label-stats.js';
import type { LabelArray } from '../../src/shared/editing/grid.js';
import type { Vec3 } from '../../src/shared/volume.js';
import { random } from '../helpers/random.js';

function grid(dims: Vec3, label: (i: number, j: number, k: number) => number, Type: typeof Uint8Array | typeof Uint16Array = Uint8Array): LabelArray {
  const data = new Type(dims[0] * dims[1] * dims[2]);
  for (let k = 0, p = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, p++) data[p] = label(i, j, k);
  return data;
}

/** Islands by definition: a breadth-first search over the 26 neighbours from every unvisited voxel. */
function bruteIslands(data: LabelArray, dims: Vec3): Map<number, number[]> {
  const [nx, ny, nz] = dims;
  const seen = new Uint8Array(data.length);
  const sizes = new Map<number, number[]>();
  for (let start = 0; start < data.length; start++) {
    const value = data[start]!;
    if (value === 0 || seen[start]) continue;
    seen[start] = 1;
    const queue = [start];
    for (let q = 0; q < queue.length; q++) {
      const p = queue[q]!;
      const [i, j, k] = [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))];
      for (let dk = -1; dk <= 1; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
        const [a, b, c] = [i + di, j + dj, k + dk];
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        const n = a + nx * (b + ny * c);
        if (!seen[n] && data[n] === value) {
          seen[n] = 1;
          queue.push(n);
        }
      }
    }
    sizes.set(value, [...(sizes.get(value) ?? []), queue.length]);
  }
  return sizes;
}

const summary = (voxels: number, voxelMl: number, islands: number, largestIslandVoxels: number): LabelSummary => ({ voxels, volumeMl: voxels * voxelMl, islands, largestIslandVoxels });

describe('labelStats: hand-made grids', () => {
  test('two cubes touching only at a corner are one island (26-connectivity)', () => {
    const cube = (i0: number, j0: number, k0: number) => (i: number, j: number, k: number) => i >= i0 && i < i0 + 2 && j >= j0 && j < j0 + 2 && k >= k0 && k < k0 + 2;
    const [a, b] = [cube(0, 0, 0), cube(2, 2, 2)]; // (1,1,1) and (2,2,2) share only a corner
    const stats = labelStats(grid([5, 5, 5], (i, j, k) => (a(i, j, k) || b(i, j, k) ? 1 : 0)), [5, 5, 5], [2, 1, 0.5]);
    assert.deepEqual(stats, { labels: { 1: summary(16, 1 / 1000, 1, 16) } });
  });

  test('corner-touching voxels in one row pair: diagonal in i–j, and across slices', () => {
    // (0,0,0)–(1,1,0): edge neighbours in-plane; (3,0,0)–(4,1,1): corner neighbours across slices
    const cells = new Set(['0,0,0', '1,1,0', '3,0,0', '4,1,1']);
    const stats = labelStats(grid([5, 2, 2], (i, j, k) => (cells.has(`${i},${j},${k}`) ? 7 : 0)), [5, 2, 2], [1, 1, 1]);
    assert.deepEqual(stats.labels['7'], summary(4, 1 / 1000, 2, 2));
  });

  test('blocks one voxel apart are two islands', () => {
    const stats = labelStats(grid([7, 3, 3], (i) => (i <= 2 ? 1 : i >= 4 && i <= 5 ? 1 : 0)), [7, 3, 3], [1, 1, 1]);
    assert.deepEqual(stats.labels['1'], summary(45, 1 / 1000, 2, 27));
  });

  test('two labels interleaved: touching voxels of another label do not join islands', () => {
    // rows alternate label 1 and label 2 along j; each row is its own island (rows of one label are 2 apart)
    const dims: Vec3 = [4, 6, 1];
    const stats = labelStats(grid(dims, (_, j) => (j % 2 === 0 ? 1 : 2)), dims, [0.5, 0.5, 2]);
    assert.deepEqual(stats, { labels: { 1: summary(12, 0.5 / 1000, 3, 4), 2: summary(12, 0.5 / 1000, 3, 4) } });
    // a checkerboard in one slice: every label-1 voxel touches the next diagonally → one island each
    const board = labelStats(grid([5, 5, 1], (i, j) => ((i + j) % 2 === 0 ? 1 : 2)), [5, 5, 1], [1, 1, 1]);
    assert.deepEqual(board.labels, { 1: summary(13, 1 / 1000, 1, 13), 2: summary(12, 1 / 1000, 1, 12) });
  });

  test('abutting runs of different values in a row: each joins only its own value, corners included', () => {
    const dims: Vec3 = [4, 2, 1];
    const stats = (rows: number[][]) => labelStats(grid(dims, (i, j) => rows[j]![i]!), dims, [1, 1, 1]).labels;
    // the 2-run below touches the 1-run above along its length and the 2-run above at one corner only
    assert.deepEqual(stats([[1, 1, 2, 2], [2, 2, 0, 0]]), { 1: summary(2, 1 / 1000, 1, 2), 2: summary(4, 1 / 1000, 1, 4) });
    // (3,1) is two voxels from the 1-run: separate; the 2-run is one island
    assert.deepEqual(stats([[1, 1, 2, 2], [0, 0, 0, 1]]), { 1: summary(3, 1 / 1000, 2, 2), 2: summary(2, 1 / 1000, 1, 2) });
    // (0,1) reaches (1,0) diagonally past the 2 at (0,0)
    assert.deepEqual(stats([[2, 1, 2, 2], [1, 0, 0, 0]]), { 1: summary(2, 1 / 1000, 1, 2), 2: summary(3, 1 / 1000, 2, 2) });
  });

  test('background only, empty grid, and uint16 values', () => {
    assert.deepEqual(labelStats(new Uint8Array(8), [2, 2, 2], [1, 1, 1]), { labels: {} });
    assert.deepEqual(labelStats(new Uint8Array(0), [0, 3, 3], [1, 1, 1]), { labels: {} });
    const wide = labelStats(grid([6, 1, 1], (i) => [1000, 1000, 0, 2, 0, 1000][i]!, Uint16Array), [6, 1, 1], [10, 10, 10]);
    assert.deepEqual(Object.keys(wide.labels), ['2', '1000']);
    assert.deepEqual(wide.labels['1000'], summary(3, 1, 2, 2));
  });

  test('bad input throws', () => {
    assert.throws(() => labelStats(new Uint8Array(7), [2, 2, 2], [1, 1, 1]), /7 voxels, dims 2×2×2 need 8/);
    assert.throws(() => labelStats(new Uint8Array(8), [2, 2, 2], [1, 0, 1]), /spacing must be 3 positive numbers/);
  });
});

describe('labelStats: against brute force', () => {
  for (let seed = 1; seed <= 12; seed++) {
    test(`random 6×5×4 grid, seed ${seed}`, () => {
      const next = random(seed);
      const dims: Vec3 = [6, 5, 4];
      const labelCount = 2 + (seed % 4);
      const density = 0.3 + 0.05 * (seed % 7);
      const data = grid(dims, () => (next() < density ? 1 + Math.floor(next() * labelCount) : 0), seed % 3 === 0 ? Uint16Array : Uint8Array);
      const spacing: Vec3 = [0.8, 1.2, 2.5];
      const stats = labelStats(data, dims, spacing);
      const expected = bruteIslands(data, dims);
      assert.deepEqual(Object.keys(stats.labels).map(Number), [...expected.keys()].sort((a, b) => a - b));
      for (const [label, sizes] of expected) {
        const voxels = sizes.reduce((a, b) => a + b, 0);
        const s = stats.labels[String(label)]!;
        assert.deepEqual([s.voxels, s.islands, s.largestIslandVoxels], [voxels, sizes.length, Math.max(...sizes)], `label ${label}`);
        assert.ok(Math.abs(s.volumeMl - (voxels * 0.8 * 1.2 * 2.5) / 1000) < 1e-12);
      }
      assert.ok([...expected.values()].some((sizes) => sizes.length > 1), 'the case has labels with several islands');
    });
  }
});

describe('LabelStatsSchema', () => {
  test('accepts what labelStats returns, through JSON, and rejects malformed stats', () => {
    const stats = labelStats(grid([4, 4, 1], (i, j) => (i + j) % 3), [4, 4, 1], [1, 1, 3]);
    assert.deepEqual(LabelStatsSchema.parse(JSON.parse(JSON.stringify(stats))), stats);
    assert.throws(() => LabelStatsSchema.parse({ labels: { 0: { voxels: 1, volumeMl: 1, islands: 1, largestIslandVoxels: 1 } } }));
    assert.throws(() => LabelStatsSchema.parse({ labels: { 1: { voxels: 1.5, volumeMl: 1, islands: 1, largestIslandVoxels: 1 } } }));
    assert.throws(() => LabelStatsSchema.parse({ labels: { 1: { voxels: 1, volumeMl: 1, islands: 1 } } }));
  });
});
