import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelGrid, SliceAxis } from '../../src/shared/editing/grid.js';
import { interpolateBetweenSlices, interpolatedSlices } from '../../src/shared/editing/interpolate.js';
import type { Vec3 } from '../../src/shared/volume.js';

const AXES: SliceAxis[] = [0, 1, 2];

/** A grid whose slice axis `axis` has 30 slices 2 mm apart; in-plane `w`×`h` pixels of `su`×`sv` mm. */
function grid(axis: SliceAxis, [w, h, su, sv] = [40, 44, 0.8, 0.9]): LabelGrid {
  const [u, v] = [0, 1, 2].filter((a) => a !== axis) as [number, number];
  const dims: Vec3 = [0, 0, 0];
  const spacing: Vec3 = [0, 0, 0];
  [dims[axis], dims[u], dims[v]] = [30, w, h];
  [spacing[axis], spacing[u], spacing[v]] = [2, su, sv];
  return { dims, spacing, data: new Uint8Array(dims[0] * dims[1] * dims[2]) };
}

/** Visit every voxel with its grid coordinates. */
function forEachVoxel(g: LabelGrid, visit: (index: number, c: Vec3) => void): void {
  const [nx, ny, nz] = g.dims;
  for (let k = 0, v = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, v++) visit(v, [i, j, k]);
}

/** In-plane distance (mm) from the line along `axis` through the grid centre. */
function radial(g: LabelGrid, axis: SliceAxis, c: Vec3): number {
  let sum = 0;
  for (let a = 0; a < 3; a++) if (a !== axis) sum += ((c[a]! - (g.dims[a]! - 1) / 2) * g.spacing[a]!) ** 2;
  return Math.sqrt(sum);
}

function paintDisc(g: LabelGrid, axis: SliceAxis, index: number, radiusMm: number, label: number): void {
  forEachVoxel(g, (v, c) => {
    if (c[axis] === index && radial(g, axis, c) <= radiusMm) g.data[v] = label;
  });
}

function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let sum = 0;
  for (let v = 0; v < a.length; v++) {
    if (a[v] && b[v]) both++;
    sum += (a[v] ? 1 : 0) + (b[v] ? 1 : 0);
  }
  return (2 * both) / sum;
}

describe('interpolation between slices', () => {
  for (const axis of AXES) {
    test(`two equal discs give a cylinder, nothing outside the span (slices across axis ${axis})`, () => {
      const g = grid(axis);
      paintDisc(g, axis, 4, 11, 1);
      paintDisc(g, axis, 24, 11, 1);
      paintDisc(g, axis, 12, 6, 2); // another label between them: ignored, and not a stop
      const before = g.data.slice();
      const { mask, filledSlices, box } = interpolateBetweenSlices(g, 1, axis);
      assert.deepEqual(g.data, before, 'the label map is not changed');
      assert.deepEqual(filledSlices, Array.from({ length: 19 }, (_, s) => s + 5));

      const cylinder = new Uint8Array(mask.length);
      const result = new Uint8Array(mask.length);
      let min = Infinity;
      let max = -Infinity;
      forEachVoxel(g, (v, c) => {
        const s = c[axis]!;
        if (mask[v]) {
          min = Math.min(min, s);
          max = Math.max(max, s);
          // every filled voxel lies strictly between the annotated slices and inside the cylinder
          assert.ok(s > 4 && s < 24, `voxel ${c.join(',')} is outside the span`);
        }
        cylinder[v] = s >= 4 && s <= 24 && radial(g, axis, c) <= 11 ? 1 : 0;
        result[v] = mask[v] || g.data[v] === 1 ? 1 : 0;
      });
      assert.equal(min, 5);
      assert.equal(max, 23);
      assert.equal(box!.min[axis], 5);
      assert.equal(box!.max[axis], 23);
      assert.ok(dice(result, cylinder) >= 0.99, `Dice ${dice(result, cylinder)}`);
      // equal shapes blend to the same shape: every filled slice is the disc, voxel for voxel
      assert.deepEqual(result, cylinder);
    });

    test(`discs of different radii give a truncated cone (slices across axis ${axis})`, () => {
      const g = grid(axis, [64, 70, 0.5, 0.55]);
      const [a, b, ra, rb] = [3, 23, 5, 14];
      paintDisc(g, axis, a, ra, 1);
      paintDisc(g, axis, b, rb, 1);
      const pixelArea = 0.5 * 0.55;
      let previous = 0;
      const errors: number[] = [];
      for (const slice of interpolatedSlices(g, 1, axis)) {
        const r = ra + ((rb - ra) * (slice.index - a)) / (b - a);
        const error = (slice.pixels * pixelArea) / (Math.PI * r * r) - 1;
        assert.ok(Math.abs(error) <= 0.04, `slice ${slice.index}: area off by ${(100 * error).toFixed(1)}% from the cone's`);
        assert.ok(slice.pixels >= previous, 'areas grow from the small disc to the large one');
        previous = slice.pixels;
        errors.push(error);
      }
      assert.equal(errors.length, b - a - 1);
      const meanAbs = errors.reduce((sum, e) => sum + Math.abs(e), 0) / errors.length;
      assert.ok(meanAbs <= 0.015, `mean area error ${(100 * meanAbs).toFixed(2)}%`);
    });
  }

  test('fills between each pair of consecutive annotated slices and nowhere else', () => {
    const g = grid(2);
    paintDisc(g, 2, 2, 8, 3);
    paintDisc(g, 2, 10, 8, 3);
    paintDisc(g, 2, 11, 4, 3);
    paintDisc(g, 2, 20, 4, 3);
    const { filledSlices, mask } = interpolateBetweenSlices(g, 3, 2);
    assert.deepEqual(filledSlices, [3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19]);
    const sliceSize = g.dims[0] * g.dims[1];
    const slice = (s: number) => mask.subarray(s * sliceSize, (s + 1) * sliceSize);
    const disc = (s: number) => Uint8Array.from(g.data.subarray(s * sliceSize, (s + 1) * sliceSize), (v) => (v === 3 ? 1 : 0));
    for (const s of [0, 1, 2, 10, 11, 20, 21, 29]) assert.ok(slice(s).every((v) => v === 0), `slice ${s}`);
    // each gap blends its own two neighbours: equal discs on either side give that disc exactly
    for (let s = 3; s <= 9; s++) assert.deepEqual(slice(s), disc(2), `slice ${s}`);
    for (let s = 12; s <= 19; s++) assert.deepEqual(slice(s), disc(20), `slice ${s}`);
  });

  test('a slice full of the label (no boundary inside it) blends gradually into a small disc', () => {
    const g = grid(2);
    const sliceSize = g.dims[0] * g.dims[1];
    g.data.fill(1, 0, sliceSize); // slice 0 entirely label 1: it measures to the slice edge
    paintDisc(g, 2, 4, 3, 1);
    const { mask } = interpolateBetweenSlices(g, 1, 2);
    const filled = [1, 2, 3].map((s) => mask.subarray(s * sliceSize, (s + 1) * sliceSize).reduce((n, v) => n + v, 0));
    assert.ok(filled.every((n) => n > 0 && n < sliceSize), `filled ${filled}`);
    assert.ok(filled[0]! > filled[1]! && filled[1]! > filled[2]!, 'shrinks towards the small disc');
  });

  test('nothing to fill with one annotated slice, or adjacent ones; label 0 is refused', () => {
    const g = grid(1);
    paintDisc(g, 1, 7, 9, 1);
    let r = interpolateBetweenSlices(g, 1, 1);
    assert.deepEqual(r.filledSlices, []);
    assert.equal(r.box, null);
    assert.ok(r.mask.every((v) => v === 0));
    paintDisc(g, 1, 8, 9, 1);
    r = interpolateBetweenSlices(g, 1, 1);
    assert.deepEqual(r.filledSlices, []);
    assert.equal(interpolateBetweenSlices(g, 5, 1).box, null);
    assert.throws(() => interpolateBetweenSlices(g, 0, 1), RangeError);
  });

  test('works on uint16 label maps', () => {
    const g8 = grid(0);
    paintDisc(g8, 0, 5, 10, 1);
    paintDisc(g8, 0, 15, 10, 1);
    const g16: LabelGrid = { ...g8, data: Uint16Array.from(g8.data, (v) => v * 300) };
    const r = interpolateBetweenSlices(g16, 300, 0);
    assert.deepEqual(r.mask, interpolateBetweenSlices(g8, 1, 0).mask);
    assert.equal(r.filledSlices.length, 9);
  });
});
