import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { modelGrid, resampleLinear, resampleNearest } from '../../src/shared/inference/conform.js';
import type { ConformSpec } from '../../src/shared/inference/manifest.js';
import { axisVector, invertAffine, multiply4, transformPoint, type Mat4 } from '../../src/shared/geometry.js';
import type { Vec3, Volume, VolumeGeometry } from '../../src/shared/volume.js';
import { random } from '../helpers/random.js';


const spec = (orientation: string, spacingMm: Vec3 | null = null, shape: Vec3 | null = null): ConformSpec => ({ orientation, spacingMm, shape, interpolation: 'linear' });

/** affine from three patient-space column vectors and an origin */
const affineOf = (ci: Vec3, cj: Vec3, ck: Vec3, origin: Vec3): Mat4 => [
  ci[0], cj[0], ck[0], origin[0],
  ci[1], cj[1], ck[1], origin[1],
  ci[2], cj[2], ck[2], origin[2],
  0, 0, 0, 1,
];

const SPACING: Vec3 = [0.7, 0.9, 3.0];
const DIMS: Vec3 = [13, 11, 7];
/** axis-aligned, anisotropic sources in a few storage orders (LPS-like, flipped rows, sagittal slices) */
const SOURCES: Record<string, VolumeGeometry> = {
  axial: { dims: DIMS, spacing: SPACING, affineLps: affineOf([0.7, 0, 0], [0, 0.9, 0], [0, 0, 3], [-40.2, 17.5, 3.3]) },
  flipped: { dims: DIMS, spacing: SPACING, affineLps: affineOf([-0.7, 0, 0], [0, -0.9, 0], [0, 0, 3], [10, 20, -30]) },
  sagittal: { dims: DIMS, spacing: SPACING, affineLps: affineOf([0, -0.7, 0], [0, 0, -0.9], [3, 0, 0], [1.25, -8, 60]) },
};

const worldCentre = (g: VolumeGeometry): Vec3 => transformPoint(g.affineLps, g.dims.map((n) => (n - 1) / 2) as Vec3);
const close = (a: readonly number[], b: readonly number[], tol: number, what: string) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`));

describe('modelGrid', () => {
  test('orientation codes give axes along the named patient directions (W, H, D = last, middle, first letter)', () => {
    const grid = modelGrid(SOURCES.axial!, spec('LIA'));
    // W → A = −y, H → I = −z, D → L = +x, with the source spacing of the matching axes
    close(axisVector(grid.affineLps, 0), [0, -0.9, 0], 1e-12, 'W');
    close(axisVector(grid.affineLps, 1), [0, 0, -3], 1e-12, 'H');
    close(axisVector(grid.affineLps, 2), [0.7, 0, 0], 1e-12, 'D');
    assert.deepEqual(grid.dims, [11, 7, 13]);
    assert.deepEqual(grid.spacing, [0.9, 3, 0.7]);
    close(worldCentre(grid), worldCentre(SOURCES.axial!), 1e-9, 'centre');

    // 'RAS': D → R = −x, H → A = −y, W → S = +z
    const ras = modelGrid(SOURCES.sagittal!, spec('RAS'));
    close(axisVector(ras.affineLps, 0), [0, 0, 0.9], 1e-12, 'W');
    close(axisVector(ras.affineLps, 1), [0, -0.7, 0], 1e-12, 'H');
    close(axisVector(ras.affineLps, 2), [-3, 0, 0], 1e-12, 'D');
    assert.deepEqual(ras.dims, [11, 13, 7]);
  });

  test('a source already in the requested orientation keeps its grid exactly', () => {
    const grid = modelGrid(SOURCES.sagittal!, spec('LIA'));
    assert.deepEqual(grid.dims, DIMS);
    close(grid.affineLps, SOURCES.sagittal!.affineLps, 1e-12, 'affine');
  });

  test('native: source axes, requested spacing, size = round(extent / spacing), same centre', () => {
    const rotated = rotatedSource([40, 30, 12]);
    const grid = modelGrid(rotated, spec('native', [2, 0.5, 0.5]));
    assert.deepEqual(grid.spacing, [0.5, 0.5, 2]);
    assert.deepEqual(grid.dims, [Math.round((40 * 0.7) / 0.5), Math.round((30 * 0.9) / 0.5), Math.round((12 * 3) / 2)]);
    for (const a of [0, 1, 2] as const) {
      const src = axisVector(rotated.affineLps, a);
      const dst = axisVector(grid.affineLps, a);
      close(dst, src.map((v) => (v / SPACING[a]) * grid.spacing[a]), 1e-12, `axis ${a}`);
    }
    close(worldCentre(grid), worldCentre(rotated), 1e-9, 'centre');
    // null spacing and shape: the source grid itself
    const same = modelGrid(rotated, spec('native'));
    assert.deepEqual(same.dims, rotated.dims);
    assert.deepEqual(same.affineLps, rotated.affineLps);
  });

  test('fixed shape and spacing are centred on the volume (FreeSurfer conform)', () => {
    const grid = modelGrid(rotatedSource([40, 30, 12]), spec('LIA', [1, 1, 1], [64, 48, 32]));
    assert.deepEqual(grid.dims, [32, 48, 64]);
    assert.deepEqual(grid.spacing, [1, 1, 1]);
    close(worldCentre(grid), worldCentre(rotatedSource([40, 30, 12])), 1e-9, 'centre');
    // an oblique source still gets an axis-aligned grid
    close(axisVector(grid.affineLps, 0), [0, -1, 0], 1e-12, 'W');
  });

  test('a reorientation with a parity change is snapped to whole voxels (within half a voxel of the centre)', () => {
    const source: VolumeGeometry = { dims: [255, 256, 200], spacing: [1, 1, 1], affineLps: affineOf([-1, 0, 0], [0, -1, 0], [0, 0, 1], [127, 100, -50]) };
    const grid = modelGrid(source, spec('LIA', [1, 1, 1], [256, 256, 256]));
    const v2v = multiply4(invertAffine(source.affineLps), grid.affineLps);
    for (const r of [0, 1, 2]) assert.equal(v2v[r * 4 + 3], Math.round(v2v[r * 4 + 3]!), `offset ${r} is integral`);
    close(worldCentre(grid), worldCentre(source), 0.5 + 1e-9, 'centre');
  });

  test('a null-shape code grid covers the bounding box of an oblique source', () => {
    const source = rotatedSource([40, 30, 12]);
    const grid = modelGrid(source, spec('RAS', [1, 1, 1]));
    const toGrid = invertAffine(grid.affineLps);
    for (const corner of [[-0.5, -0.5, -0.5], [39.5, -0.5, 11.5], [-0.5, 29.5, 11.5], [39.5, 29.5, -0.5]] as Vec3[]) {
      const g = transformPoint(toGrid, transformPoint(source.affineLps, corner));
      g.forEach((v, a) => assert.ok(v >= -0.5 - 1e-9 && v <= grid.dims[a]! - 0.5 + 1e-9, `corner inside along ${a}: ${v}`));
    }
  });
});

/** anisotropic source rotated 20° about x and then 20° about z */
function rotatedSource(dims: Vec3): VolumeGeometry {
  const t = (20 * Math.PI) / 180;
  const [c, s] = [Math.cos(t), Math.sin(t)];
  const rx = [1, 0, 0, 0, c, -s, 0, s, c];
  const rz = [c, -s, 0, s, c, 0, 0, 0, 1];
  const r = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => rz[i * 3]! * rx[j]! + rz[i * 3 + 1]! * rx[3 + j]! + rz[i * 3 + 2]! * rx[6 + j]!));
  const col = (j: number): Vec3 => [r[j]! * SPACING[j]!, r[3 + j]! * SPACING[j]!, r[6 + j]! * SPACING[j]!];
  return { dims, spacing: SPACING, affineLps: affineOf(col(0), col(1), col(2), [-12.5, 30.25, -7]) };
}

describe('resampling', () => {
  const voxels = DIMS[0] * DIMS[1] * DIMS[2];
  const rnd = random(42);
  const labels8 = Uint8Array.from({ length: voxels }, () => Math.floor(rnd() * 256));
  const labels16 = Uint16Array.from({ length: voxels }, () => Math.floor(rnd() * 65536));

  for (const [name, source] of Object.entries(SOURCES))
    for (const orientation of ['LIA', 'RAS', 'PSR', 'native']) {
      test(`${name} → ${orientation} → back with nearest is the identity`, () => {
        const grid = modelGrid(source, spec(orientation));
        assert.equal(grid.dims[0] * grid.dims[1] * grid.dims[2], voxels);
        for (const labels of [labels8, labels16]) {
          const there = resampleNearest(labels, source, grid);
          assert.equal(there.constructor, labels.constructor);
          const back = resampleNearest(there, grid, source);
          assert.deepEqual(back, labels);
        }
      });
    }

  test('reorienting with resampleLinear is a bit-exact copy (no interpolation arithmetic)', () => {
    const data = Float32Array.from(labels16, (v) => v / 7 - 3000.123);
    data[5] = NaN;
    data[77] = Infinity;
    data[78] = -Infinity;
    const volume: Volume = { ...SOURCES.flipped!, voxelType: 'float32', components: 1, data };
    for (const orientation of ['LIA', 'RAS', 'PSR', 'native']) {
      const grid = modelGrid(volume, spec(orientation));
      const out = resampleLinear(volume, grid);
      // the same permutation applied to voxel indices, through the label path
      const index = resampleNearest(Uint16Array.from({ length: voxels }, (_, n) => n), volume, grid);
      // Uint16 indices: voxels < 65536
      out.forEach((v, n) => assert.ok(Object.is(v, data[index[n]!]), `${orientation} voxel ${n}: ${v} vs ${data[index[n]!]}`));
    }
  });

  test('trilinear resampling of a linear ramp on an oblique anisotropic source is exact', () => {
    const source = rotatedSource([20, 18, 9]);
    const ramp = (p: Vec3) => 0.3 * p[0] - 0.2 * p[1] + 0.1 * p[2] + 5;
    const data = new Float32Array(20 * 18 * 9);
    let n = 0;
    for (let k = 0; k < 9; k++) for (let j = 0; j < 18; j++) for (let i = 0; i < 20; i++) data[n++] = ramp(transformPoint(source.affineLps, [i, j, k]));
    const volume: Volume = { ...source, voxelType: 'float32', components: 1, data };
    const grid = modelGrid(volume, spec('RAS', [1.1, 0.8, 0.6]));
    const out = resampleLinear(volume, grid, -7);
    const toSource = multiply4(invertAffine(source.affineLps), grid.affineLps);
    let inside = 0;
    let outside = 0;
    n = 0;
    for (let k = 0; k < grid.dims[2]; k++)
      for (let j = 0; j < grid.dims[1]; j++)
        for (let i = 0; i < grid.dims[0]; i++, n++) {
          const s = transformPoint(toSource, [i, j, k]);
          if (s.every((v, a) => v >= 0 && v <= source.dims[a]! - 1)) {
            inside++;
            const expected = ramp(transformPoint(grid.affineLps, [i, j, k]));
            assert.ok(Math.abs(out[n]! - expected) < 1e-4, `voxel ${[i, j, k]}: ${out[n]} vs ${expected}`);
          } else if (s.some((v, a) => v < -0.5 - 1e-6 || v > source.dims[a]! - 0.5 + 1e-6)) {
            outside++;
            assert.equal(out[n], -7);
          }
        }
    assert.ok(inside > 1000 && outside > 1000, `checked ${inside} inside, ${outside} outside`);
  });

  test('linear resampling interpolates between neighbours and extends the edge by half a voxel', () => {
    // 1-D along i: values 0, 10, 20, 30 with spacing 1; target spacing 0.5 along i, same extent
    const source: Volume = { dims: [4, 1, 1], spacing: [1, 1, 1], affineLps: affineOf([1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]), voxelType: 'int16', components: 1, data: Int16Array.of(0, 10, 20, 30) };
    const grid = modelGrid(source, spec('native', [1, 1, 0.5]));
    assert.deepEqual(grid.dims, [8, 1, 1]);
    // target centres at source i = −0.25, 0.25, …, 3.25
    assert.deepEqual(Array.from(resampleLinear(source, grid)), [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30]);
  });

  test('handles a large volume quickly', () => {
    const dims: Vec3 = [256, 256, 160];
    const data = new Int16Array(dims[0] * dims[1] * dims[2]).map((_, n) => n % 1000);
    const volume: Volume = { ...rotatedSource(dims), voxelType: 'int16', components: 1, data };
    const started = performance.now();
    const out = resampleLinear(volume, modelGrid(volume, spec('LIA', [1, 1, 1], [256, 256, 256])));
    const ms = performance.now() - started;
    assert.equal(out.length, 256 ** 3);
    assert.ok(ms < 15000, `${ms.toFixed(0)} ms`);
  });
});
