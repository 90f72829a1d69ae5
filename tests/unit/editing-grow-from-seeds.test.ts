// Grow from seeds: competitive region growing from labelled seeds along the cheapest intensity paths.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Box, ImageGrid, LabelGrid } from '../../src/shared/editing/grid.js';
import { growFromSeeds } from '../../src/shared/editing/grow-from-seeds.js';
import type { Vec3 } from '../../src/shared/volume.js';

const BG = 3;

/** Deterministic uniform noise in [-1, 1) (mulberry32). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}

function dice(result: ArrayLike<number>, value: number, truth: Uint8Array): number {
  let both = 0;
  let a = 0;
  let b = 0;
  for (let n = 0; n < truth.length; n++) {
    const r = result[n] === value ? 1 : 0;
    a += r;
    b += truth[n]!;
    both += r & truth[n]!;
  }
  return (2 * both) / (a + b);
}

interface Scene {
  image: ImageGrid;
  seeds: LabelGrid;
  /** analytic masks of ball 1, ball 2 and the background */
  truth: [Uint8Array, Uint8Array, Uint8Array];
}

/**
 * Two balls pressed together (radii in mm, so ellipsoids in voxels when spacing is anisotropic; ball 1
 * wins where they overlap, so they share a disc-shaped face) of intensity 100 and 200 on 0, with ±`amp`
 * noise; one seed voxel at each centre and background seeds on the faces of the volume.
 */
function twoBalls(dims: Vec3, spacing: Vec3, amp = 20): Scene {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const extent = dims.map((d, a) => d * spacing[a]!) as Vec3;
  const r1 = 0.2 * extent[0];
  const r2 = 0.16 * extent[0];
  const c1: Vec3 = [0.5 * extent[0] - 0.55 * (r1 + r2), extent[1] / 2, extent[2] / 2];
  const c2: Vec3 = [c1[0] + 0.8 * (r1 + r2), c1[1], c1[2]];
  const image = new Int16Array(n);
  const seeds = new Uint8Array(n);
  const truth: Scene['truth'] = [new Uint8Array(n), new Uint8Array(n), new Uint8Array(n)];
  const rand = noise(7);
  const centreVoxel = (c: Vec3) => c.map((v, a) => Math.round(v / spacing[a]! - 0.5)) as Vec3;
  for (let k = 0, idx = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, idx++) {
        const p = [(i + 0.5) * spacing[0], (j + 0.5) * spacing[1], (k + 0.5) * spacing[2]];
        const d1 = Math.hypot(p[0]! - c1[0], p[1]! - c1[1], p[2]! - c1[2]);
        const d2 = Math.hypot(p[0]! - c2[0], p[1]! - c2[1], p[2]! - c2[2]);
        const blob = d1 <= r1 ? 1 : d2 <= r2 ? 2 : 0;
        truth[blob === 0 ? 2 : blob - 1]![idx] = 1;
        image[idx] = [0, 100, 200][blob]! + Math.round(amp * rand());
        if (i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1) seeds[idx] = BG;
      }
  const at = ([i, j, k]: Vec3) => i + nx * (j + ny * k);
  seeds[at(centreVoxel(c1))] = 1;
  seeds[at(centreVoxel(c2))] = 2;
  return { image: { dims, spacing, data: image }, seeds: { dims, spacing, data: seeds }, truth };
}

const count = (data: ArrayLike<number>, value: number) => Array.prototype.filter.call(data, (v: number) => v === value).length;

describe('growFromSeeds', () => {
  test('two touching balls seeded once each get their own label (Dice ≥ 0.99), the rest goes to the background', () => {
    const { image, seeds, truth } = twoBalls([64, 48, 48], [1, 1, 1]);
    const { labels, box } = growFromSeeds(image, seeds);
    assert.deepEqual(box, { min: [0, 0, 0], max: [63, 47, 47] });
    assert.equal(labels.length, seeds.data.length);
    const d1 = dice(labels, 1, truth[0]);
    const d2 = dice(labels, 2, truth[1]);
    assert.ok(d1 >= 0.99, `blob 1 Dice ${d1}`);
    assert.ok(d2 >= 0.99, `blob 2 Dice ${d2}`);
    assert.ok(dice(labels, BG, truth[2]) >= 0.99);
    assert.equal(count(labels, 0), 0); // every voxel is reached
  });

  test('anisotropic spacing: balls in mm, ellipsoids in voxels, still Dice ≥ 0.99', () => {
    const { image, seeds, truth } = twoBalls([80, 64, 24], [0.75, 0.75, 2.5]);
    const { labels } = growFromSeeds(image, seeds);
    const d1 = dice(labels, 1, truth[0]);
    const d2 = dice(labels, 2, truth[1]);
    assert.ok(d1 >= 0.99, `blob 1 Dice ${d1}`);
    assert.ok(d2 >= 0.99, `blob 2 Dice ${d2}`);
  });

  test('anisotropic spacing: in a flat image two seeds split the volume at equal path length in mm', () => {
    const dims: Vec3 = [16, 3, 5];
    const spacing: Vec3 = [1, 1, 4];
    const n = dims[0] * dims[1] * dims[2];
    const seeds = new Uint8Array(n);
    const at = (i: number, j: number, k: number) => i + dims[0] * (j + dims[1] * k);
    seeds[at(0, 0, 0)] = 1; // (0, 0, 0) mm
    seeds[at(12, 0, 3)] = 2; // (12, 0, 12) mm
    const { labels } = growFromSeeds({ dims, spacing, data: new Float32Array(n).fill(42) }, { dims, spacing, data: seeds });
    let checked = 0;
    let voxelWise = 0; // voxels where counting steps instead of millimetres would give the other label
    for (let k = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++) {
          const mm = i + j + 4 * k - (Math.abs(12 - i) + j + 4 * Math.abs(3 - k));
          const steps = i + j + k - (Math.abs(12 - i) + j + Math.abs(3 - k));
          if (mm === 0) continue; // equidistant: either label is right
          const expected = mm < 0 ? 1 : 2;
          assert.equal(labels[at(i, j, k)], expected, `voxel ${i},${j},${k}`);
          checked++;
          if (steps !== 0 && (steps < 0 ? 1 : 2) !== expected) voxelWise++;
        }
    assert.ok(checked > 200 && voxelWise > 10, `${checked} checked, ${voxelWise} discriminating`);
  });

  test('a box restricts the work: zero outside, the same as growing the cropped volume inside', () => {
    const { image, seeds } = twoBalls([40, 32, 32], [1, 1, 1]);
    const [nx, ny] = image.dims;
    seeds.data[5 + nx * (5 + ny * 5)] = 7; // a seed outside the box must not compete
    const box: Box = { min: [10, 4, 6], max: [33, 27, 25] };
    const { labels, box: used } = growFromSeeds(image, seeds, { box });
    assert.deepEqual(used, box);
    assert.equal(count(labels, 7), 0);

    const cropDims: Vec3 = [24, 24, 20];
    const crop = <T extends Int16Array | Uint8Array>(data: T): T => {
      const out = new (data.constructor as new (n: number) => T)(cropDims[0] * cropDims[1] * cropDims[2]);
      for (let k = 0, c = 0; k < cropDims[2]; k++)
        for (let j = 0; j < cropDims[1]; j++)
          for (let i = 0; i < cropDims[0]; i++, c++) out[c] = data[box.min[0] + i + nx * (box.min[1] + j + ny * (box.min[2] + k))]!;
      return out;
    };
    const cropped = growFromSeeds(
      { dims: cropDims, spacing: image.spacing, data: crop(image.data as Int16Array) },
      { dims: cropDims, spacing: seeds.spacing, data: crop(seeds.data as Uint8Array) },
    );
    let inside = 0;
    for (let k = 0, idx = 0; k < image.dims[2]; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++, idx++) {
          const inBox = [i, j, k].every((v, a) => v >= box.min[a]! && v <= box.max[a]!);
          if (!inBox) {
            assert.equal(labels[idx], 0, `outside the box at ${i},${j},${k}`);
            continue;
          }
          const c = i - box.min[0] + cropDims[0] * (j - box.min[1] + cropDims[1] * (k - box.min[2]));
          assert.equal(labels[idx], cropped.labels[c], `inside the box at ${i},${j},${k}`);
          if (labels[idx] !== 0) inside++;
        }
    assert.equal(inside, 24 * 24 * 20); // the box holds seeds of every label, so all of it is reached
    assert.ok(count(labels, 1) > 500 && count(labels, 2) > 500);
  });

  test('seeds keep their labels, even on the "wrong" side of an edge', () => {
    const { image, seeds, truth } = twoBalls([40, 32, 32], [1, 1, 1]);
    const [nx, ny] = image.dims;
    const stray = 7 + nx * (16 + ny * 16); // inside ball 1, whose own seed is at (12, 16, 16)
    seeds.data[stray] = 2;
    seeds.data[20 + nx * (16 + ny * 16)] = BG; // and a background seed inside ball 2, next to ball 1
    const { labels } = growFromSeeds(image, seeds);
    let n = 0;
    seeds.data.forEach((s, idx) => {
      if (s === 0) return;
      assert.equal(labels[idx], s, `seed at ${idx}`);
      n++;
    });
    assert.ok(n > 3000, `${n} seeds`);
    // the stray seed takes the near end of ball 1 and ball 1's own seed the rest; the background stays out
    assert.equal(labels[5 + nx * (16 + ny * 16)], 2);
    assert.equal(labels[16 + nx * (16 + ny * 16)], 1);
    let ball = 0;
    let taken = 0;
    truth[0].forEach((t, idx) => {
      ball += t;
      if (t && (labels[idx] === 1 || labels[idx] === 2)) taken++;
    });
    assert.ok(taken >= 0.99 * ball, `${taken} of ${ball}`);
  });

  test('locality pulls the split in a noise-only image towards the nearer seed', () => {
    const dims: Vec3 = [32, 32, 32];
    const n = 32 ** 3;
    const rand = noise(11);
    const image: ImageGrid = { dims, spacing: [1, 1, 1], data: Int16Array.from({ length: n }, () => Math.round(50 * rand())) };
    const seeds = new Uint8Array(n);
    seeds[4 + 32 * (16 + 32 * 16)] = 1;
    seeds[27 + 32 * (16 + 32 * 16)] = 2;
    const nearer = (locality: number) => {
      const { labels } = growFromSeeds(image, { dims, spacing: [1, 1, 1], data: seeds }, { locality });
      let agree = 0;
      labels.forEach((v, idx) => {
        const i = idx % 32;
        if (v === (Math.abs(i - 4) < Math.abs(i - 27) ? 1 : 2)) agree++;
      });
      return agree / n;
    };
    const free = nearer(0);
    const local = nearer(10);
    assert.ok(local >= 0.98 && local > free + 0.02, `agreement ${free} without locality, ${local} with`);
  });

  test('no seeds: nothing is labelled', () => {
    const { image } = twoBalls([20, 16, 16], [1, 1, 1]);
    const empty = new Uint8Array(image.data.length);
    const { labels } = growFromSeeds(image, { dims: image.dims, spacing: image.spacing, data: empty });
    assert.equal(count(labels, 0), labels.length);
  });

  test('only the chosen labels compete; other labels are walls, and what no seed reaches stays 0', () => {
    const dims: Vec3 = [12, 10, 10];
    const n = 12 * 10 * 10;
    const seeds = new Uint16Array(n);
    for (let idx = 0; idx < n; idx++) if (idx % 12 === 6) seeds[idx] = 9; // the plane i = 6
    seeds[1] = 300; // uint16 labels come through
    seeds[3] = 4; // not chosen: a wall like label 9, so 0 in the result
    const image: ImageGrid = { dims, spacing: [1, 1, 1], data: new Uint8Array(n) };
    const { labels } = growFromSeeds(image, { dims, spacing: [1, 1, 1], data: seeds }, { labels: [300] });
    assert.ok(labels instanceof Uint16Array);
    for (let idx = 0; idx < n; idx++) assert.equal(labels[idx], idx % 12 < 6 && idx !== 3 ? 300 : 0, `voxel ${idx}`);
  });

  test('grids that disagree, or a box off the grid, are refused', () => {
    const image: ImageGrid = { dims: [4, 4, 4], spacing: [1, 1, 1], data: new Int16Array(64) };
    assert.throws(() => growFromSeeds(image, { dims: [4, 4, 3], spacing: [1, 1, 1], data: new Uint8Array(48) }), /not on one grid/);
    const seeds: LabelGrid = { dims: [4, 4, 4], spacing: [1, 1, 1], data: new Uint8Array(64) };
    assert.throws(() => growFromSeeds(image, seeds, { box: { min: [5, 0, 0], max: [9, 3, 3] } }), /outside the grid/);
  });
});
