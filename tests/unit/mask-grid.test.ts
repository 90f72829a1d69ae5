import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareGrids, GridMismatchError, maskOnSeriesGrid } from '../../src/shared/interchange/mask-grid.js';
import { flipAxis } from '../../src/shared/reorient.js';
import type { Volume, VolumeGeometry } from '../../src/shared/volume.js';

// an oblique, anisotropic series grid: 7×5×4 voxels of 0.8×1.1×2.5 mm
const c = Math.cos(0.3);
const s = Math.sin(0.3);
const series: VolumeGeometry = {
  dims: [7, 5, 4],
  spacing: [0.8, 1.1, 2.5],
  affineLps: [0.8 * c, -1.1 * s, 0, 10, 0.8 * s, 1.1 * c, 0, -20, 0, 0, 2.5, 30, 0, 0, 0, 1],
};
const labels = Uint8Array.from({ length: 7 * 5 * 4 }, (_, v) => (v * 7) % 5);
const asVolume = (g: VolumeGeometry, data: Uint8Array): Volume => ({ ...g, data, voxelType: 'uint8', components: 1 });

describe('maskOnSeriesGrid', () => {
  test('a mask on the series grid with rows flipped (as dcm2niix writes it) is copied back exactly', () => {
    const flipped = flipAxis(asVolume(series, labels), 1);
    assert.deepEqual(compareGrids(flipped, series), { matches: true });
    const { labels: back, resampled } = maskOnSeriesGrid({ ...flipped, data: flipped.data as Uint8Array }, series, false);
    assert.equal(resampled, false);
    assert.deepEqual(back, labels);
  });

  test('a permuted and flipped grid is copied exactly too', () => {
    // mask axes: (series k reversed, series i, series j)
    const [nx, ny, nz] = series.dims;
    const a = series.affineLps;
    const col = (x: number) => [a[x]!, a[4 + x]!, a[8 + x]!];
    const [ci, cj, ck] = [col(0), col(1), col(2)];
    const origin = [0, 1, 2].map((r) => a[r * 4 + 3]! + ck[r]! * (nz - 1));
    const affineLps = [0, 1, 2].flatMap((r) => [-ck[r]!, ci[r]!, cj[r]!, origin[r]!]).concat([0, 0, 0, 1]);
    const data = new Uint8Array(labels.length);
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[(nz - 1 - k) + nz * (i + nx * j)] = labels[i + nx * (j + ny * k)]!;
    const mask = { dims: [nz, nx, ny] as [number, number, number], spacing: [2.5, 0.8, 1.1] as [number, number, number], affineLps, data };
    const { labels: back, resampled } = maskOnSeriesGrid(mask, series, false);
    assert.equal(resampled, false);
    assert.deepEqual(back, labels);
  });

  test('a grid half a voxel off, or of other dims, is refused with the reason unless resampling is asked for', () => {
    const shifted = { ...series, affineLps: series.affineLps.map((v, i) => (i === 3 ? v + 0.4 : v)), data: labels };
    const match = compareGrids(shifted, series);
    assert.equal(match.matches, false);
    assert.match((match as { reason: string }).reason, /0\.4 mm from the nearest mask voxel/);
    assert.throws(() => maskOnSeriesGrid(shifted, series, false), GridMismatchError);
    assert.equal(maskOnSeriesGrid(shifted, series, true).resampled, true);

    const small = { dims: [7, 5, 3] as [number, number, number], spacing: series.spacing, affineLps: series.affineLps, data: labels.subarray(0, 105) };
    assert.throws(() => maskOnSeriesGrid(small, series, false), /the mask has 7×5×3 voxels of 0\.8×1\.1×2\.5 mm, the series 7×5×4/);
  });

  test('within 1e-3 mm is the same grid', () => {
    const near = { ...series, affineLps: series.affineLps.map((v, i) => (i === 7 ? v + 0.0008 : v)) };
    assert.deepEqual(compareGrids(near, series), { matches: true });
  });
});
