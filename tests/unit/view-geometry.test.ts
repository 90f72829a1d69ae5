import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { directionLetters, indexToScreen, percentileWindow, screenToIndex, viewMapping } from '../../src/shared/view-geometry.js';
import type { Vec3 } from '../../src/shared/volume.js';

const AXIAL = [0.7, 0, 0, -10, 0, 0.8, 0, -20, 0, 0, 2.5, 30, 0, 0, 0, 1];
const DIMS: Vec3 = [5, 6, 7];

describe('viewMapping', () => {
  test('a standard axial acquisition needs no flips and reads R|L, A|P', () => {
    const m = viewMapping('axial', DIMS, AXIAL);
    assert.deepEqual([m.horizontal, m.vertical, m.slice, m.flipHorizontal, m.flipVertical], [0, 1, 2, false, false]);
    assert.deepEqual(m.labels, { left: 'R', right: 'L', top: 'A', bottom: 'P' });
    assert.deepEqual([m.width, m.height, m.mmPerPixelX, m.mmPerPixelY], [5, 6, 0.7, 0.8]);
  });

  test('coronal and sagittal views of an axial volume show superior up', () => {
    const cor = viewMapping('coronal', DIMS, AXIAL);
    assert.deepEqual([cor.horizontal, cor.vertical, cor.slice, cor.flipVertical], [0, 2, 1, true]);
    assert.deepEqual(cor.labels, { left: 'R', right: 'L', top: 'S', bottom: 'I' });
    const sag = viewMapping('sagittal', DIMS, AXIAL);
    assert.deepEqual([sag.horizontal, sag.vertical, sag.slice, sag.flipHorizontal, sag.flipVertical], [1, 2, 0, false, true]);
    assert.deepEqual(sag.labels, { left: 'A', right: 'P', top: 'S', bottom: 'I' });
  });

  test('a volume stored right-to-left and bottom-up (as NIfTI RAS files often are) is flipped back', () => {
    const ras = [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]; // i → patient Right, j → Anterior
    const m = viewMapping('axial', DIMS, ras);
    assert.equal(m.flipHorizontal, true);
    assert.equal(m.flipVertical, true);
    assert.deepEqual(m.labels, { left: 'R', right: 'L', top: 'A', bottom: 'P' });
    // i=4 is the patient's right-most column: it appears at the screen's left edge
    assert.equal(indexToScreen(m, [4, 0, 0]).x, 0);
  });

  test('a coronal acquisition shown axially scrolls through its rows', () => {
    const coronalAcq = [1, 0, 0, 0, 0, 0, 2, 0, 0, -1, 0, 0, 0, 0, 0, 1]; // j → Inferior, k → Posterior
    const m = viewMapping('axial', DIMS, coronalAcq);
    assert.deepEqual([m.horizontal, m.vertical, m.slice], [0, 2, 1]);
    assert.equal(m.flipVertical, false);
  });

  test('an oblique acquisition gets two-letter labels', () => {
    const c = Math.cos(Math.PI / 5);
    const s = Math.sin(Math.PI / 5);
    const m = viewMapping('axial', DIMS, [c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    assert.equal(m.labels.right, 'LP');
    assert.equal(m.labels.top, 'AL');
  });

  test('screen ↔ index round trip', () => {
    const m = viewMapping('sagittal', DIMS, AXIAL);
    const ijk: Vec3 = [3, 2, 5];
    const { x, y, slice } = indexToScreen(m, ijk);
    assert.deepEqual(screenToIndex(m, x, y, slice), ijk);
  });
});

describe('windows', () => {
  test('directionLetters ignores weak components', () => assert.equal(directionLetters([0.1, -0.2, -0.97]), 'I'));
  test('percentile window spans the 1st to 99th percentile', () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => i);
    const w = percentileWindow(data);
    assert.ok(Math.abs(w.center - 499.5) < 2 && Math.abs(w.width - 980) < 3, JSON.stringify(w));
  });
});
