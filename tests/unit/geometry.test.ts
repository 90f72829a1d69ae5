import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { invertAffine, lpsToRasAffine, multiply4, rasToLpsAffine, transformPoint, voxelToWorld, worldToVoxel } from '../../src/shared/geometry.js';
import { flipAxis } from '../../src/shared/reorient.js';
import type { Vec3, Volume } from '../../src/shared/volume.js';

const OBLIQUE = [0.69, -0.14, 0.2, 10.5, 0.12, 0.79, -0.1, 16.8, -0.05, 0.1, 2.9, -15, 0, 0, 0, 1];

describe('geometry', () => {
  test('invertAffine undoes the affine', () => {
    const product = multiply4(OBLIQUE, invertAffine(OBLIQUE));
    product.forEach((v, i) => assert.ok(Math.abs(v - (i % 5 === 0 ? 1 : 0)) < 1e-12, `entry ${i} = ${v}`));
    assert.throws(() => invertAffine([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), /singular/);
  });

  test('world ↔ voxel round trip', () => {
    const g = { dims: [4, 5, 6] as Vec3, spacing: [1, 1, 1] as Vec3, affineLps: OBLIQUE };
    const ijk: Vec3 = [1.25, 3, 4.5];
    const back = worldToVoxel(g, voxelToWorld(g, ijk));
    back.forEach((v, i) => assert.ok(Math.abs(v - ijk[i]!) < 1e-9));
  });

  test('LPS ↔ RAS negates x and y only, and is its own inverse', () => {
    const ras = lpsToRasAffine(OBLIQUE);
    assert.deepEqual(transformPoint(ras, [0, 0, 0]), [-10.5, -16.8, -15]);
    assert.deepEqual(rasToLpsAffine(ras), OBLIQUE.map((v) => (Object.is(v, -0) ? 0 : v)));
  });
});

describe('flipAxis', () => {
  const volume: Volume = {
    dims: [3, 4, 2],
    spacing: [1, 1, 1],
    affineLps: OBLIQUE,
    voxelType: 'int16',
    components: 1,
    data: Int16Array.from({ length: 24 }, (_, i) => i * 3 - 7),
  };
  const at = (v: Volume, i: number, j: number, k: number) => v.data[(k * v.dims[1] + j) * v.dims[0] + i]!;

  for (const axis of [0, 1, 2] as const) {
    test(`axis ${axis}: every voxel keeps its world position`, () => {
      const flipped = flipAxis(volume, axis);
      for (let k = 0; k < 2; k++)
        for (let j = 0; j < 4; j++)
          for (let i = 0; i < 3; i++) {
            const idx: Vec3 = [i, j, k];
            const mirrored: Vec3 = [...idx];
            mirrored[axis] = volume.dims[axis] - 1 - idx[axis];
            assert.equal(at(flipped, ...mirrored), at(volume, i, j, k));
            const a = transformPoint(volume.affineLps, idx);
            const b = transformPoint(flipped.affineLps, mirrored);
            a.forEach((v, n) => assert.ok(Math.abs(v - b[n]!) < 1e-9));
          }
    });
  }
});

describe('formatPersonName', async () => {
  const { formatPersonName } = await import('../../src/shared/studies.js');
  test('family and given names', () => assert.equal(formatPersonName('Doe^John'), 'Doe, John'));
  test('all five components', () => assert.equal(formatPersonName('Doe^John^Q^Dr^Jr'), 'Doe, Dr John Q Jr'));
  test('family only', () => assert.equal(formatPersonName('PHANTOM'), 'PHANTOM'));
  test('empty', () => assert.equal(formatPersonName(''), ''));
});
