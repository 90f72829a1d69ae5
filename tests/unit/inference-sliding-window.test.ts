import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cropBox,
  extractBox,
  extractTile,
  gaussianImportance,
  mirror,
  pasteBox,
  planTiles,
  TileAccumulator,
  tileStarts,
} from '../../src/shared/inference/sliding-window.js';
import type { Vec3 } from '../../src/shared/volume.js';

const ramp = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => i * scale - 17);

describe('tileStarts', () => {
  test('nnU-Net steps: evenly spaced from 0 to size − patch', () => {
    // ceil((300 − 128) / 64) + 1 = 4 steps of 172 / 3 = 57.33 → 0, 57, 115, 172
    assert.deepEqual(tileStarts(300, 128, 0.5), [0, 57, 115, 172]);
    assert.deepEqual(tileStarts(160, 128, 0.5), [0, 32]);
    assert.deepEqual(tileStarts(100, 40, 0), [0, 30, 60]);
    // np.round rounds halves to even: ceil(5 / 3) + 1 = 3 steps of 2.5 → 0, 2 (not 3), 5
    assert.deepEqual(tileStarts(11, 6, 0.5), [0, 2, 5]);
  });

  test('exact fit, smaller than the patch, overlap 0.9', () => {
    assert.deepEqual(tileStarts(128, 128, 0.5), [0]);
    assert.deepEqual(tileStarts(50, 128, 0.5), [0]);
    assert.deepEqual(tileStarts(256, 128, 0), [0, 128]);
    // step 1 (10 · 0.1, not 0.999…): 21 starts, not 22
    assert.deepEqual(tileStarts(30, 10, 0.9), Array.from({ length: 21 }, (_, i) => i));
  });

  test('planTiles covers every axis combination, W innermost', () => {
    const tiles = planTiles([10, 160, 300], [16, 128, 128], 0.5);
    assert.equal(tiles.length, 1 * 2 * 4);
    assert.deepEqual(tiles[0]!.start, [0, 0, 0]);
    assert.deepEqual(tiles[1]!.start, [0, 0, 57]);
    assert.deepEqual(tiles[7]!.start, [0, 32, 172]);
  });
});

describe('gaussianImportance', () => {
  test('maximum 1 at the centre, separable Gaussian with sigma = patch · scale (scipy values)', () => {
    const g = gaussianImportance([5, 6, 7], 0.125);
    const at = (d: number, h: number, w: number) => g[(d * 6 + h) * 7 + w]!;
    assert.equal(at(2, 3, 3), 1);
    assert.equal(Math.max(...g), 1);
    // scipy.ndimage.gaussian_filter of an impulse, divided by its max
    const rel = (a: number, b: number) => Math.abs(a - b) / b < 1e-6;
    assert.ok(rel(at(0, 0, 0), 5.616534386782571e-9), `${at(0, 0, 0)}`);
    assert.ok(rel(at(1, 2, 3), 0.11430455143574773), `${at(1, 2, 3)}`);
    assert.ok(rel(at(2, 3, 0), 0.0028016380348484873), `${at(2, 3, 0)}`);
  });

  test('beyond the truncation radius the smallest non-zero value replaces 0', () => {
    // sigma along W = 1 → radius 4: w = 0…5 and 15…19 are zero in scipy, 99 voxels in all
    const g = gaussianImportance([3, 3, 20], 0.05);
    const smallest = Math.min(...g);
    assert.ok(Math.abs(smallest - 1.6736597478001333e-23) / 1.6736597478001333e-23 < 1e-6, `${smallest}`);
    assert.equal(g.filter((v) => v === 0).length, 0);
    // 99 former zeros plus the 8 true minima (d, h at the corners, w = 6 or 14)
    assert.equal(g.filter((v) => v === smallest).length, 99 + 8);
    assert.equal(g[(1 * 3 + 1) * 20 + 10], 1);
  });
});

describe('TileAccumulator', () => {
  test('identity tiles with constant weights reproduce the input', () => {
    const dims: Vec3 = [7, 20, 23];
    const patch: Vec3 = [4, 8, 8];
    const channels = 2;
    const voxels = 7 * 20 * 23;
    const volume = ramp(voxels, 0.5);
    const acc = new TileAccumulator(channels, dims);
    const tiles = planTiles(dims, patch, 0.5);
    assert.ok(tiles.length > 8);
    for (const { start } of tiles) {
      const tile = extractTile(volume, dims, start, patch);
      const twoChannels = new Float32Array(tile.length * 2);
      twoChannels.set(tile);
      twoChannels.set(tile.map((v) => -v), tile.length);
      acc.add(twoChannels, start, patch, new Float32Array(tile.length).fill(3));
    }
    const result = acc.result();
    for (let v = 0; v < voxels; v++) {
      assert.ok(Math.abs(result[v]! - volume[v]!) < 1e-4, `voxel ${v}`);
      assert.ok(Math.abs(result[voxels + v]! + volume[v]!) < 1e-4, `voxel ${v}, channel 1`);
    }
  });

  test('Gaussian weights average overlapping disagreeing tiles by weight', () => {
    const acc = new TileAccumulator(1, [1, 1, 3]);
    acc.add(Float32Array.of(1, 1), [0, 0, 0], [1, 1, 2], Float32Array.of(1, 3));
    acc.add(Float32Array.of(5, 5), [0, 0, 1], [1, 1, 2], Float32Array.of(1, 3));
    // middle voxel: (1·3 + 5·1) / 4 = 2
    assert.deepEqual(Array.from(acc.result()), [1, 2, 5]);
  });

  test('a patch larger than the volume is padded on extraction and clipped on accumulation', () => {
    const dims: Vec3 = [2, 3, 4];
    const volume = ramp(24);
    const patch: Vec3 = [4, 4, 4];
    const tile = extractTile(volume, dims, [0, 0, 0], patch);
    assert.equal(tile.length, 64);
    assert.equal(tile[(1 * 4 + 2) * 4 + 3], volume[(1 * 3 + 2) * 4 + 3]);
    assert.equal(tile[(3 * 4 + 0) * 4 + 0], 0);
    assert.equal(tile[(0 * 4 + 3) * 4 + 0], 0);
    const acc = new TileAccumulator(1, dims);
    acc.add(tile, [0, 0, 0], patch, null);
    assert.deepEqual(acc.result(), volume);
  });
});

describe('mirror, crop', () => {
  test('mirror reverses the chosen axes per channel and is its own inverse', () => {
    const dims: Vec3 = [2, 3, 4];
    const data = ramp(48); // two channels
    const flipped = mirror(data, dims, [0, 2]);
    // channel 1, voxel (d, h, w) = (0, 1, 0) ← (1, 1, 3)
    assert.equal(flipped[24 + (0 * 3 + 1) * 4 + 0], data[24 + (1 * 3 + 1) * 4 + 3]);
    assert.deepEqual(mirror(flipped, dims, [2, 0]), data);
    assert.deepEqual(mirror(data, dims, []), data);
    assert.deepEqual(mirror(data, dims, [1], 2), mirror(data, dims, [1]));
    assert.throws(() => mirror(data, dims, [1], 3), RangeError);
  });

  test('cropBox pads by the margin and clamps; extract/paste round trip', () => {
    const dims: Vec3 = [6, 7, 8];
    const data = new Float32Array(6 * 7 * 8);
    data[(1 * 7 + 3) * 8 + 6] = 5;
    data[(4 * 7 + 2) * 8 + 2] = 2;
    data[(5 * 7 + 6) * 8 + 7] = 0.5; // not above the threshold
    const box = cropBox(data, dims, 1, 2)!;
    assert.deepEqual(box, { start: [0, 0, 0], size: [6, 6, 8] });
    assert.deepEqual(cropBox(data, dims, 1, 0), { start: [1, 2, 2], size: [4, 2, 5] });
    assert.equal(cropBox(data, dims, 10, 2), null);

    const small = cropBox(data, dims, 1, 0)!;
    const cut = extractBox(data, dims, small);
    assert.equal(cut.length, 4 * 2 * 5);
    assert.equal(cut[(0 * 2 + 1) * 5 + 4], 5);
    const labels = Uint16Array.from(cut, (v) => v * 1000);
    const back = pasteBox(labels, dims, small);
    assert.ok(back instanceof Uint16Array);
    assert.equal(back[(1 * 7 + 3) * 8 + 6], 5000);
    assert.equal(back[(4 * 7 + 2) * 8 + 2], 2000);
    assert.equal(back.reduce((a, b) => a + b, 0), 7000);
    const twoChannels = ramp(2 * 6 * 7 * 8);
    const pasted = pasteBox(extractBox(twoChannels, dims, small, 2), dims, small, 2, -1);
    assert.equal(pasted[336 + (2 * 7 + 3) * 8 + 4], twoChannels[336 + (2 * 7 + 3) * 8 + 4]);
    assert.equal(pasted[336], -1);
  });
});
