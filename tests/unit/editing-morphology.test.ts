import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closing, fillHoles, growMargin, kernelRadius, medianSmooth, opening } from '../../src/shared/editing/morphology.js';
import type { Vec3 } from '../../src/shared/volume.js';
import { random } from '../helpers/random.js';

const count = (m: Uint8Array) => m.reduce((n, v) => n + (v ? 1 : 0), 0);
const at = (dims: Vec3, i: number, j: number, k: number) => i + dims[0] * (j + dims[1] * k);

/** 1 where `inside(i, j, k)`. */
function shape(dims: Vec3, inside: (i: number, j: number, k: number) => boolean): Uint8Array {
  const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) m[at(dims, i, j, k)] = inside(i, j, k) ? 1 : 0;
  return m;
}

/** Distance (mm) of voxel (i, j, k) from the grid centre. */
const fromCentre = (dims: Vec3, spacing: Vec3, i: number, j: number, k: number) =>
  Math.hypot((i - (dims[0] - 1) / 2) * spacing[0], (j - (dims[1] - 1) / 2) * spacing[1], (k - (dims[2] - 1) / 2) * spacing[2]);

const ball = (dims: Vec3, spacing: Vec3, r: number) => shape(dims, (i, j, k) => fromCentre(dims, spacing, i, j, k) <= r);

function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  for (let v = 0; v < a.length; v++) if (a[v] && b[v]) both++;
  return (2 * both) / (count(a) + count(b));
}

/** Dilation (mm > 0) or erosion (mm < 0) by a ball, straight from the definition. */
function bruteGrow(mask: Uint8Array, dims: Vec3, spacing: Vec3, mm: number): Uint8Array {
  const r = Math.abs(mm) + 1e-9;
  const grow = mm > 0;
  return shape(dims, (i, j, k) => {
    if (!grow && !mask[at(dims, i, j, k)]) return false;
    for (let c = 0; c < dims[2]; c++) for (let b = 0; b < dims[1]; b++) for (let a = 0; a < dims[0]; a++) {
      if (Boolean(mask[at(dims, a, b, c)]) !== grow) continue;
      if (Math.hypot((a - i) * spacing[0], (b - j) * spacing[1], (c - k) * spacing[2]) <= r) return grow;
    }
    return !grow;
  });
}

/** Majority in the box kernel of `radius` voxels cut to the grid; a tie keeps the voxel. */
function bruteMedian(mask: Uint8Array, dims: Vec3, radius: Vec3): Uint8Array {
  return shape(dims, (i, j, k) => {
    let ones = 0;
    let n = 0;
    for (let c = Math.max(0, k - radius[2]); c <= Math.min(dims[2] - 1, k + radius[2]); c++)
      for (let b = Math.max(0, j - radius[1]); b <= Math.min(dims[1] - 1, j + radius[1]); b++)
        for (let a = Math.max(0, i - radius[0]); a <= Math.min(dims[0] - 1, i + radius[0]); a++) {
          n++;
          ones += mask[at(dims, a, b, c)]!;
        }
    return 2 * ones === n ? mask[at(dims, i, j, k)] === 1 : 2 * ones > n;
  });
}

const ANISO: Vec3 = [0.7, 0.7, 2.5];

describe('margin grow and shrink', () => {
  test('equal the definition on random masks, ties at exactly the margin included', () => {
    const dims: Vec3 = [12, 10, 6];
    const next = random(3);
    const sparse = Uint8Array.from({ length: 720 }, () => (next() < 0.03 ? 1 : 0));
    const dense = Uint8Array.from({ length: 720 }, () => (next() < 0.85 ? 1 : 0));
    for (const mm of [1.4, 2.5, 3.1]) {
      assert.deepEqual(growMargin(sparse, dims, ANISO, mm), bruteGrow(sparse, dims, ANISO, mm), `grow ${mm}`);
      assert.deepEqual(growMargin(dense, dims, ANISO, -mm), bruteGrow(dense, dims, ANISO, -mm), `shrink ${mm}`);
    }
  });

  test('one voxel grows into the ellipsoid of lattice points within the margin', () => {
    const dims: Vec3 = [21, 21, 9];
    const seed = new Uint8Array(21 * 21 * 9);
    seed[at(dims, 10, 10, 4)] = 1;
    assert.equal(count(growMargin(seed, dims, ANISO, 2)), 25); // a 5×5 square: the z neighbours are 2.5 mm away
    assert.equal(count(growMargin(seed, dims, ANISO, 3)), 103); // 61 in the plane, 21 in each neighbour plane
  });

  test('a sphere of r grown by m is the sphere of r + m, shrunk is r − m (0.7×0.7×2.5 mm)', () => {
    const dims: Vec3 = [131, 131, 37];
    const sphere = ball(dims, ANISO, 40);
    const cases: [number, number][] = [
      [3, 43],
      [-3, 37],
    ];
    for (const [mm, r] of cases) {
      const result = growMargin(sphere, dims, ANISO, mm);
      const d = dice(result, ball(dims, ANISO, r));
      assert.ok(d >= 0.99, `margin ${mm} mm: Dice ${d} against the sphere of ${r} mm`);
      // and the Dice test discriminates: a margin 1 mm off is clearly worse
      const off = dice(growMargin(sphere, dims, ANISO, mm - Math.sign(mm)), ball(dims, ANISO, r));
      assert.ok(off < 0.96, `margin ${mm - Math.sign(mm)} mm: Dice ${off}`);
    }
  });

  test('empty stays empty, 0 mm copies, the input is not changed', () => {
    const dims: Vec3 = [9, 9, 5];
    assert.equal(count(growMargin(new Uint8Array(405), dims, ANISO, 5)), 0);
    const sphere = ball(dims, [1, 1, 1], 3);
    const before = sphere.slice();
    const copy = growMargin(sphere, dims, ANISO, 0);
    assert.deepEqual(copy, sphere);
    assert.notEqual(copy, sphere);
    growMargin(sphere, dims, ANISO, 2);
    growMargin(sphere, dims, ANISO, -1);
    assert.deepEqual(sphere, before);
    assert.throws(() => growMargin(sphere, dims, ANISO, Number.NaN), RangeError);
  });
});

describe('opening and closing', () => {
  const dims: Vec3 = [30, 20, 8];
  const box = (i0: number, i1: number) => (i: number, j: number, k: number) => i >= i0 && i <= i1 && j >= 3 && j <= 16 && k >= 1 && k <= 6;

  test('closing fills a crack narrower than the ball and adds nothing outside the shape', () => {
    const [a, b] = [box(3, 13), box(15, 25)]; // a one-voxel (0.7 mm) crack at i = 14
    const mask = shape(dims, (i, j, k) => a(i, j, k) || b(i, j, k));
    const closed = closing(mask, dims, ANISO, 1.5);
    mask.forEach((v, x) => v && assert.equal(closed[x], 1, 'closing keeps every voxel'));
    for (let k = 1; k <= 6; k++) for (let j = 5; j <= 14; j++) assert.equal(closed[at(dims, 14, j, k)], 1, `crack voxel 14,${j},${k}`);
    const hull = box(3, 25);
    closed.forEach((v, x) => v && assert.ok(hull(x % 30, Math.floor(x / 30) % 20, Math.floor(x / 600)), 'inside the two blocks’ hull'));
  });

  test('closing does not bridge a gap wider than the ball', () => {
    const [a, b] = [box(3, 10), box(16, 25)]; // 3.5 mm gap, ball 3 mm across
    const closed = closing(shape(dims, (i, j, k) => a(i, j, k) || b(i, j, k)), dims, ANISO, 1.5);
    for (let k = 0; k < 8; k++) for (let j = 0; j < 20; j++) assert.equal(closed[at(dims, 13, j, k)], 0);
  });

  test('opening removes a thin protrusion and a speck, and keeps the block', () => {
    const block = box(5, 16);
    const spike = (i: number, j: number, k: number) => i >= 17 && i <= 24 && j === 10 && k === 4;
    const mask = shape(dims, (i, j, k) => block(i, j, k) || spike(i, j, k) || (i === 27 && j === 1 && k === 7));
    const opened = opening(mask, dims, ANISO, 1.5);
    opened.forEach((v, x) => v && assert.equal(mask[x], 1, 'opening adds nothing'));
    // the spike's root voxel, beside the block, may stay: a ball inside the block reaches it
    for (let i = 18; i <= 24; i++) assert.equal(opened[at(dims, i, 10, 4)], 0, `spike voxel ${i}`);
    assert.equal(opened[at(dims, 27, 1, 7)], 0);
    // the 12×14×6 block loses only its vertical edges: the 1.5 mm disc (offsets (±2, 0), (0, ±2), (±1, ±1)
    // at 0.7 mm) leaves 3 voxels uncovered at each corner of each slice; 2.5 mm slices are not eroded
    const kept = count(shape(dims, (i, j, k) => block(i, j, k) && opened[at(dims, i, j, k)] === 1));
    assert.equal(kept, 12 * 14 * 6 - 3 * 4 * 6);
  });
});

describe('median smoothing', () => {
  test('kernel sizes in mm round to odd voxel counts per axis', () => {
    assert.deepEqual([kernelRadius(3, 0.7), kernelRadius(3, 2.5), kernelRadius(3, 1), kernelRadius(5, 1), kernelRadius(0, 1)], [2, 0, 1, 2, 0]);
  });

  test('equals the majority vote, cut at the border, on a random mask', () => {
    const dims: Vec3 = [11, 9, 7];
    const next = random(9);
    const mask = Uint8Array.from({ length: 693 }, () => (next() < 0.45 ? 1 : 0));
    // 2.8 mm: 4 voxels of 0.7 → 5 (radius 2), 2.1 voxels of 1.3 → 3 (radius 1), 1.1 voxels of 2.5 → 1
    assert.deepEqual(medianSmooth(mask, dims, [0.7, 1.3, 2.5], 2.8), bruteMedian(mask, dims, [2, 1, 0]));
    assert.deepEqual(medianSmooth(mask, dims, [1, 1, 1], [3, 3, 5]), bruteMedian(mask, dims, [1, 1, 2]));
    assert.throws(() => medianSmooth(mask, dims, [1, 1, 1], Number.NaN), RangeError);
  });

  test('removes isolated voxels and keeps a sphere', () => {
    const dims: Vec3 = [41, 41, 41];
    const sphere = ball(dims, [1, 1, 1], 12);
    const noisy = sphere.slice();
    const specks = [at(dims, 2, 3, 4), at(dims, 38, 20, 20), at(dims, 20, 20, 36), at(dims, 5, 35, 30)];
    for (const s of specks) noisy[s] = 1;
    noisy[at(dims, 20, 20, 20)] = 0; // a pinhole in the middle
    const smooth = medianSmooth(noisy, dims, [1, 1, 1], 3);
    for (const s of specks) assert.equal(smooth[s], 0);
    assert.equal(smooth[at(dims, 20, 20, 20)], 1);
    assert.ok(dice(smooth, sphere) >= 0.99, `Dice ${dice(smooth, sphere)}`);
  });
});

describe('fill holes', () => {
  const dims: Vec3 = [31, 31, 15];
  const spacing: Vec3 = [0.7, 0.7, 1.5];

  test('a hollow sphere becomes solid in 3D', () => {
    const shell = shape(dims, (i, j, k) => {
      const r = fromCentre(dims, spacing, i, j, k);
      return r <= 9 && r > 5;
    });
    const solid = ball(dims, spacing, 9);
    assert.notDeepEqual(shell, solid);
    assert.deepEqual(fillHoles(shell, dims, '3d'), solid);
    assert.deepEqual(fillHoles(shell, dims, { axis: 2 }), solid, 'every slice through the cavity is a ring');
  });

  test('a tube open at both ends: filled per slice across its axis, not in 3D nor along the other axes', () => {
    const radial = (i: number, j: number) => Math.hypot((i - 15) * spacing[0], (j - 15) * spacing[1]);
    const tube = shape(dims, (i, j) => radial(i, j) <= 8 && radial(i, j) > 4);
    const disc = shape(dims, (i, j) => radial(i, j) <= 8);
    assert.deepEqual(fillHoles(tube, dims, { axis: 2 }), disc, 'each ring becomes a disc');
    assert.deepEqual(fillHoles(tube, dims, '3d'), tube);
    assert.deepEqual(fillHoles(tube, dims, { axis: 0 }), tube);
    assert.deepEqual(fillHoles(tube, dims, { axis: 1 }), tube);
  });

  test('a cavity open to the grid border is not filled; with a lid it is', () => {
    const cupDims: Vec3 = [20, 20, 10];
    const wall = (i: number, j: number) => i >= 4 && i <= 15 && j >= 4 && j <= 15;
    const cavity = (i: number, j: number) => i >= 6 && i <= 13 && j >= 6 && j <= 13;
    const cup = shape(cupDims, (i, j, k) => wall(i, j) && k >= 3 && !(cavity(i, j) && k >= 5));
    assert.deepEqual(fillHoles(cup, cupDims, '3d'), cup);
    const upsideDown = shape(cupDims, (i, j, k) => cup[at(cupDims, i, j, 9 - k)] === 1);
    assert.deepEqual(fillHoles(upsideDown, cupDims, '3d'), upsideDown);
    const lidded = shape(cupDims, (i, j, k) => wall(i, j) && k >= 3 && !(cavity(i, j) && k >= 5 && k <= 8));
    assert.equal(count(fillHoles(lidded, cupDims, '3d')) - count(lidded), 8 * 8 * 4);
  });

  test('a bay open to any edge of the slice stays open; closed, it is filled', () => {
    const flat: Vec3 = [12, 12, 1];
    // a U of 10×10 with 1-voxel walls whose mouth (y = 0) lies on the slice edge; closed adds the y = 0 wall
    const u = (x: number, y: number, closed: boolean) => x >= 1 && x <= 10 && y <= 9 && (x === 1 || x === 10 || y === 9 || (closed && y === 0));
    const placements: ((i: number, j: number) => [number, number])[] = [(i, j) => [i, j], (i, j) => [i, 11 - j], (i, j) => [j, i], (i, j) => [j, 11 - i]];
    for (const place of placements) {
      const open = shape(flat, (i, j) => u(...place(i, j), false));
      assert.deepEqual(fillHoles(open, flat, { axis: 2 }), open);
      const closed = shape(flat, (i, j) => u(...place(i, j), true));
      assert.equal(count(fillHoles(closed, flat, { axis: 2 })) - count(closed), 8 * 8);
    }
  });

  test('background connects through faces only: a diagonal staircase ring is closed', () => {
    const flat: Vec3 = [15, 15, 1];
    const diamond = shape(flat, (i, j) => Math.abs(i - 7) + Math.abs(j - 7) === 5);
    assert.equal(count(fillHoles(diamond, flat, { axis: 2 })), 61);
    assert.deepEqual(fillHoles(diamond, flat, '3d'), diamond, 'in 3D a single slice is all border');
  });
});
