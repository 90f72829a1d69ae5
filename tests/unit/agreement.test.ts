import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelGrid } from '../../src/shared/editing/grid.js';
import { compareLabelMaps, type LabelAgreement } from '../../src/shared/metrics/agreement.js';
import type { Vec3 } from '../../src/shared/volume.js';
import { random } from '../helpers/random.js';

/** A uint8 label map whose voxel (i, j, k) holds `label(i, j, k)`. */
function labelMap(dims: Vec3, spacing: Vec3, label: (i: number, j: number, k: number) => number): LabelGrid {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, p = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, p++) data[p] = label(i, j, k);
  return { dims, spacing, data };
}

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

function only(results: LabelAgreement[], label: number): LabelAgreement {
  const found = results.filter((r) => r.label === label);
  assert.equal(found.length, 1, `label ${label} reported ${found.length} times`);
  return found[0]!;
}

/**
 * Surface distances of `label` by definition: surface voxels found from their 6 neighbours in the
 * full grid, every pair measured. Returns both directed lists pooled, sorted.
 */
function bruteSurfaceDistances(a: LabelGrid, b: LabelGrid, label: number): number[] {
  const [nx, ny, nz] = a.dims;
  const surfacePoints = (g: LabelGrid): Vec3[] => {
    const inside = (i: number, j: number, k: number) => i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && g.data[i + nx * (j + ny * k)] === label;
    const points: Vec3[] = [];
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      if (!inside(i, j, k)) continue;
      const neighbours: Vec3[] = [[i - 1, j, k], [i + 1, j, k], [i, j - 1, k], [i, j + 1, k], [i, j, k - 1], [i, j, k + 1]];
      if (neighbours.some((n) => !inside(...n))) points.push([i * a.spacing[0], j * a.spacing[1], k * a.spacing[2]]);
    }
    return points;
  };
  const sa = surfacePoints(a);
  const sb = surfacePoints(b);
  const directed = (from: Vec3[], to: Vec3[]) => from.map((p) => Math.min(...to.map((q) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]))));
  return [...directed(sa, sb), ...directed(sb, sa)].sort((x, y) => x - y);
}

/** numpy's default percentile (linear between order statistics) of an ascending list. */
function percentile95(sorted: number[]): number {
  const at = 0.95 * (sorted.length - 1);
  const lo = Math.floor(at);
  return lo + 1 < sorted.length ? sorted[lo]! + (at - lo) * (sorted[lo + 1]! - sorted[lo]!) : sorted[lo]!;
}

describe('compareLabelMaps: hand-computed cases', () => {
  test('two rows of voxels on a 10×1×1 grid: exact counts, ratios and surface distances', () => {
    // A = i in 1..4, B = i in 3..7, 2 mm per voxel along x. Every voxel of a one-voxel-thick grid is surface.
    const spacing: Vec3 = [2, 1, 1];
    const a = labelMap([10, 1, 1], spacing, (i) => (i >= 1 && i <= 4 ? 1 : 0));
    const b = labelMap([10, 1, 1], spacing, (i) => (i >= 3 && i <= 7 ? 1 : 0));
    const [r, ...rest] = compareLabelMaps(a, b);
    assert.equal(rest.length, 0);
    // TP = {3,4}, FN = {1,2}, FP = {5,6,7}, TN = {0,8,9}
    assert.deepEqual(
      { label: r!.label, voxelsA: r!.voxelsA, voxelsB: r!.voxelsB, tp: r!.truePositives, dice: r!.dice, iou: r!.iou, sens: r!.sensitivity, spec: r!.specificity },
      { label: 1, voxelsA: 4, voxelsB: 5, tp: 2, dice: 4 / 9, iou: 2 / 7, sens: 2 / 4, spec: 3 / 6 },
    );
    // A → B: 4, 2, 0, 0 mm; B → A: 0, 0, 2, 4, 6 mm. Pooled, sorted: 0 0 0 0 2 2 4 4 6.
    close(r!.averageSurfaceDistanceMm, 18 / 9, 1e-12, 'ASD');
    close(r!.hausdorff95Mm, 4 + 0.6 * 2, 1e-12, 'HD95 (rank 7.6 of 0..8)');
    close(r!.volumeAMl, (4 * 2) / 1000, 1e-15, 'volume A');
    close(r!.volumeBMl, (5 * 2) / 1000, 1e-15, 'volume B');
  });

  test('two 4³ cubes offset by one voxel along the 2 mm axis: anisotropic surface distances', () => {
    const spacing: Vec3 = [0.5, 0.5, 2];
    const cube = (dk: number) => (i: number, j: number, k: number) => (i >= 1 && i <= 4 && j >= 1 && j <= 4 && k >= 1 + dk && k <= 4 + dk ? 1 : 0);
    const a = labelMap([8, 8, 8], spacing, cube(0));
    const b = labelMap([8, 8, 8], spacing, cube(1));
    const r = only(compareLabelMaps(a, b), 1);
    // TP = 4·4·3 = 48 of 64 each; FN = FP = 16; TN = 512 − 80 = 432
    assert.equal(r.truePositives, 48);
    assert.equal(r.dice, 96 / 128);
    assert.equal(r.iou, 48 / 80);
    assert.equal(r.sensitivity, 48 / 64);
    assert.equal(r.specificity, 432 / 448);
    // Each cube has 56 surface voxels. A's bottom face (16) is 2 mm from B's bottom face; the 4 centre
    // voxels of A's top face are inside B's volume, but only 0.5 mm (one x or y step) from B's side
    // faces, not 2 mm from B's top face; the other 36 lie on B's surface. B mirrors this: pooled over
    // 112 voxels, 72 at 0, 8 at 0.5 mm and 32 at 2 mm, so HD95 (rank 105.45) is 2.
    assert.equal(r.averageSurfaceDistanceMm, (8 * 0.5 + 32 * 2) / 112);
    assert.equal(r.hausdorff95Mm, 2);
    assert.equal(r.volumeAMl, (64 * 0.5 * 0.5 * 2) / 1000);
  });

  test('identical masks: dice 1, HD95 0, ASD 0', () => {
    const next = random(7);
    const a = labelMap([12, 9, 6], [0.7, 0.7, 2.5], (i, j, k) => (Math.hypot(i - 6, j - 4, 2 * (k - 3)) < 4 + next() ? 1 : 0));
    const r = only(compareLabelMaps(a, { ...a, data: a.data.slice() }), 1);
    assert.ok(r.voxelsA > 50);
    assert.deepEqual(
      [r.dice, r.iou, r.sensitivity, r.specificity, r.hausdorff95Mm, r.averageSurfaceDistanceMm, r.voxelsB, r.truePositives],
      [1, 1, 1, 1, 0, 0, r.voxelsA, r.voxelsA],
    );
  });
});

describe('compareLabelMaps: edge cases', () => {
  test('a label in one map only: dice 0, distances Infinity (null in JSON), undefined ratios NaN', () => {
    const dims: Vec3 = [6, 5, 4];
    const a = labelMap(dims, [1, 1, 1], (i, j) => (i < 2 ? 1 : j === 4 ? 2 : 0));
    const b = labelMap(dims, [1, 1, 1], (i, j) => (i < 3 ? 1 : j === 0 ? 3 : 0));
    const results = compareLabelMaps(a, b);
    assert.deepEqual(results.map((r) => r.label), [1, 2, 3]);
    const onlyA = only(results, 2);
    assert.deepEqual(
      [onlyA.dice, onlyA.iou, onlyA.sensitivity, onlyA.specificity, onlyA.voxelsA, onlyA.voxelsB, onlyA.hausdorff95Mm, onlyA.averageSurfaceDistanceMm],
      [0, 0, 0, 1, 4 * 4, 0, Infinity, Infinity],
    );
    const onlyB = only(results, 3);
    assert.ok(Number.isNaN(onlyB.sensitivity), 'sensitivity without reference voxels');
    assert.equal(onlyB.specificity, (120 - 12) / 120); // B's 12 voxels of label 3 are all false positives
    assert.deepEqual([onlyB.dice, onlyB.hausdorff95Mm, onlyB.averageSurfaceDistanceMm, onlyB.voxelsA, onlyB.voxelsB], [0, Infinity, Infinity, 0, 12]);
    const json = JSON.parse(JSON.stringify(onlyB)) as Record<string, unknown>;
    assert.deepEqual([json.hausdorff95Mm, json.averageSurfaceDistanceMm, json.sensitivity, json.dice], [null, null, null, 0]);
  });

  test('specificity is NaN when the reference label fills the whole grid', () => {
    const a = labelMap([3, 3, 3], [1, 1, 1], () => 1);
    const b = labelMap([3, 3, 3], [1, 1, 1], (i) => (i < 2 ? 1 : 0));
    const r = only(compareLabelMaps(a, b), 1);
    assert.ok(Number.isNaN(r.specificity));
    assert.equal(r.sensitivity, 18 / 27);
    // both grids' x = 2 face vs B's x = 1 face: 1 mm; everything else is on both surfaces or 1 mm off
    assert.ok(r.hausdorff95Mm === 1 && r.averageSurfaceDistanceMm > 0 && r.averageSurfaceDistanceMm < 1);
  });

  test('labels: missing from both are not listed, even when asked for; asked-for labels come back ascending, once', () => {
    const dims: Vec3 = [5, 5, 5];
    const a = labelMap(dims, [1, 1, 1], (i) => (i === 0 ? 4 : i === 2 ? 1 : 0));
    const b = labelMap(dims, [1, 1, 1], (i) => (i === 0 ? 4 : i === 3 ? 1 : 0));
    assert.deepEqual(compareLabelMaps(a, b).map((r) => r.label), [1, 4]);
    assert.deepEqual(compareLabelMaps(a, b, { labels: [9, 4, 2, 1, 4] }).map((r) => r.label), [1, 4]);
    assert.deepEqual(compareLabelMaps(a, b, { labels: [4] }).map((r) => r.label), [4]);
    assert.deepEqual(compareLabelMaps(a, b, { labels: [] }), []);
    assert.deepEqual(compareLabelMaps(labelMap(dims, [1, 1, 1], () => 0), labelMap(dims, [1, 1, 1], () => 0)), []);
    assert.throws(() => compareLabelMaps(a, b, { labels: [0] }), RangeError);
    assert.throws(() => compareLabelMaps(a, b, { labels: [1.5] }), /whole numbers ≥ 1, got 1\.5/);
  });

  test('grids that differ in dims, spacing or data length throw a RangeError that says what differs', () => {
    const a = labelMap([4, 4, 4], [0.5, 0.5, 1], (i) => (i === 1 ? 1 : 0));
    assert.throws(() => compareLabelMaps(a, labelMap([4, 4, 5], [0.5, 0.5, 1], () => 1)), (e: unknown) => e instanceof RangeError && /dims 4×4×4 \(A\) vs 4×4×5 \(B\)/.test(e.message));
    assert.throws(() => compareLabelMaps(a, labelMap([4, 4, 4], [0.5, 0.5, 1.25], () => 1)), (e: unknown) => e instanceof RangeError && /spacing 0\.5×0\.5×1 mm \(A\) vs 0\.5×0\.5×1\.25 mm \(B\)/.test(e.message));
    assert.throws(() => compareLabelMaps(a, { ...a, data: new Uint8Array(63) }), (e: unknown) => e instanceof RangeError && /label map B has 63 voxels, grid 4×4×4 has 64/.test(e.message));
    // float32 header rounding is not a different grid
    assert.equal(compareLabelMaps(a, { ...a, spacing: [0.5, 0.5, 1.0000001] })[0]!.dice, 1);
  });

  test('uint16 label maps with large label values', () => {
    const a = labelMap([6, 6, 6], [1, 1, 1], (i) => (i < 3 ? 1 : 0));
    const wide = (g: LabelGrid): LabelGrid => ({ ...g, data: Uint16Array.from(g.data, (v) => v * 40000) });
    const r = compareLabelMaps(wide(a), wide(a));
    assert.deepEqual(r.map((x) => [x.label, x.dice, x.voxelsA]), [[40000, 1, 108]]);
  });
});

describe('compareLabelMaps: several labels', () => {
  test('each label is reported on its own, and other labels do not change its figures', () => {
    const dims: Vec3 = [20, 16, 10];
    const spacing: Vec3 = [0.8, 0.8, 1.5];
    const next = random(11);
    const noise = Array.from({ length: dims[0] * dims[1] * dims[2] }, () => next());
    const labels = (shift: number) => (i: number, j: number, k: number) => {
      const n = noise[i + dims[0] * (j + dims[1] * k)]!;
      if (Math.hypot(i - 6 - shift, j - 7, k - 5) < 4) return 1;
      if (i >= 12 && i <= 17 && j >= 3 + shift && j <= 12 && k >= 2 && k <= 7) return 2;
      return n < 0.01 ? 3 : 0;
    };
    const a = labelMap(dims, spacing, labels(0));
    const b = labelMap(dims, spacing, labels(1));
    const results = compareLabelMaps(a, b);
    assert.deepEqual(results.map((r) => r.label), [1, 2, 3]);
    const alone = (g: LabelGrid, label: number): LabelGrid => ({ ...g, data: g.data.map((v) => (v === label ? 1 : 0)) });
    for (const label of [1, 2, 3]) {
      const [single] = compareLabelMaps(alone(a, label), alone(b, label));
      assert.deepEqual(only(results, label), { ...single!, label }, `label ${label}`);
    }
    // and they are not all alike
    assert.notEqual(only(results, 1).dice, only(results, 2).dice);
  });
});

describe('compareLabelMaps: surface distances against brute force', () => {
  for (const [seed, dims, spacing, inner] of [
    [1, [9, 7, 5], [0.7, 1.1, 2.3], false], // masks touching the grid's edges
    [2, [16, 14, 9], [0.5, 0.5, 1.25], true], // masks inside a larger grid: the crop matters
    [3, [11, 10, 1], [0.6, 0.9, 3], false], // one slice
  ] as [number, Vec3, Vec3, boolean][]) {
    test(`random masks, seed ${seed}, ${dims.join('×')}`, () => {
      const next = random(seed);
      const blob = (i: number, j: number, k: number) => {
        const within = !inner || (i >= 3 && i <= 11 && j >= 2 && j <= 10 && k >= 2 && k <= 6);
        return within && next() < 0.55 ? 1 : 0;
      };
      const a = labelMap(dims, spacing, blob);
      const b = labelMap(dims, spacing, blob);
      const r = only(compareLabelMaps(a, b), 1);
      const expected = bruteSurfaceDistances(a, b, 1);
      assert.ok(expected.some((d) => d > 0) && expected.length > 20);
      close(r.hausdorff95Mm, percentile95(expected), 1e-5, 'HD95');
      close(r.averageSurfaceDistanceMm, expected.reduce((s, d) => s + d, 0) / expected.length, 1e-5, 'ASD');
      let tp = 0;
      let na = 0;
      let nb = 0;
      a.data.forEach((v, p) => {
        na += v;
        nb += b.data[p]!;
        tp += v & b.data[p]!;
      });
      assert.deepEqual([r.voxelsA, r.voxelsB, r.truePositives], [na, nb, tp]);
      const n = a.data.length;
      assert.equal(r.specificity, (n - na - nb + tp) / (n - na));
    });
  }
});

describe('compareLabelMaps: two offset spheres on an anisotropic grid', () => {
  const r = 10;
  const d = 4;
  const spacing: Vec3 = [0.5, 0.5, 1];
  const dims: Vec3 = [56, 56, 34];
  const sphereVolume = (4 / 3) * Math.PI * r ** 3;
  const lens = (Math.PI * (4 * r + d) * (2 * r - d) ** 2) / 12;
  // Continuous surface distance from a point of one sphere at cos θ = c (uniform over the surface)
  // to the other sphere: |√(r² + d² − 2rdc) − r|. Sampled finely for the expected ASD and HD95.
  const samples = Array.from({ length: 200001 }, (_, n) => Math.abs(Math.sqrt(r * r + d * d - 2 * r * d * (-1 + n / 100000)) - r)).sort((x, y) => x - y);
  const continuousAsd = samples.reduce((s, v) => s + v, 0) / samples.length;
  const continuousHd95 = percentile95(samples);

  for (const axis of [0, 2]) {
    test(`offset ${d} mm along axis ${axis}`, () => {
      const centre: Vec3 = [15.1, 14.1, 16.6]; // off the voxel lattice
      const other = centre.map((c, a) => (a === axis ? c - d : c)) as Vec3;
      const sphere = (c: Vec3) => (i: number, j: number, k: number) => (Math.hypot(i * spacing[0] - c[0], j * spacing[1] - c[1], k * spacing[2] - c[2]) <= r ? 1 : 0);
      const result = only(compareLabelMaps(labelMap(dims, spacing, sphere(centre)), labelMap(dims, spacing, sphere(other))), 1);
      const ml = sphereVolume / 1000;
      assert.ok(Math.abs(result.volumeAMl - ml) / ml < 0.02, `volume A ${result.volumeAMl} ml, sphere ${ml} ml`);
      assert.ok(Math.abs(result.volumeBMl - ml) / ml < 0.02, `volume B ${result.volumeBMl} ml, sphere ${ml} ml`);
      const dice = lens / sphereVolume;
      assert.ok(Math.abs(result.dice - dice) / dice < 0.02, `dice ${result.dice}, analytic ${dice}`);
      const diagonal = Math.hypot(...spacing);
      assert.ok(result.hausdorff95Mm > 0 && result.hausdorff95Mm <= d + diagonal, `HD95 ${result.hausdorff95Mm}`);
      // within half the coarsest voxel of the continuous figures
      close(result.hausdorff95Mm, continuousHd95, spacing[2] / 2, 'HD95 vs continuous');
      close(result.averageSurfaceDistanceMm, continuousAsd, spacing[2] / 2, 'ASD vs continuous');
    });
  }
});
