// The editing core: brush/eraser/threshold paint, flood fill, write policy (locks, overwrite, inside),
// and undo/redo by compressed runs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyLabelling, applyRegion } from '../../src/shared/editing/apply-region.js';
import { Brush, type BrushSpec } from '../../src/shared/editing/brush.js';
import { floodRegion } from '../../src/shared/editing/flood-fill.js';
import type { LabelGrid } from '../../src/shared/editing/grid.js';
import { LabelEditor } from '../../src/shared/editing/label-editor.js';
import { DEFAULT_POLICY, writableTable, type WritePolicy } from '../../src/shared/editing/write-policy.js';
import type { Vec3 } from '../../src/shared/volume.js';

function grid(dims: Vec3, spacing: Vec3 = [1, 1, 1]): LabelGrid {
  return { dims, spacing, data: new Uint8Array(dims[0] * dims[1] * dims[2]) };
}

const count = (data: ArrayLike<number>, value: number) => Array.prototype.filter.call(data, (v: number) => v === value).length;

function paint(editor: LabelEditor, spec: Partial<BrushSpec>, ...points: Vec3[]): number {
  const brush = new Brush(editor, { radiusMm: 5, shape: 'disc', axis: 2, value: 1, policy: DEFAULT_POLICY, ...spec });
  editor.begin();
  for (const p of points) brush.strokeTo(p);
  return editor.commit('paint').voxels;
}

describe('write policy', () => {
  test('locked segments, overwrite, inside-segment and the eraser are compiled into one table', () => {
    const policy: WritePolicy = { locked: new Set([3]), overwrite: true };
    assert.deepEqual(Array.from(writableTable(policy, 1, 4)), [1, 0, 1, 0, 1]);
    assert.deepEqual(Array.from(writableTable({ ...policy, overwrite: false }, 1, 4)), [1, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(writableTable({ ...policy, insideLabel: 2 }, 1, 4)), [0, 0, 1, 0, 0]);
    assert.deepEqual(Array.from(writableTable(policy, 0, 4, 2)), [0, 0, 1, 0, 0], 'the eraser removes only the active segment');
    assert.deepEqual(Array.from(writableTable(policy, 0, 4, 3)), [0, 0, 0, 0, 0], 'not even a locked active segment');
  });
});

describe('brush', () => {
  test('a 10 mm disc on 0.5 mm pixels covers π r² within 2%, every voxel within the radius', () => {
    const g = grid([80, 80, 3], [0.5, 0.5, 2]);
    const editor = new LabelEditor(g);
    const changed = paint(editor, { radiusMm: 10 }, [40, 40, 1]);
    const expected = (Math.PI * 10 * 10) / (0.5 * 0.5);
    assert.ok(Math.abs(changed - expected) / expected < 0.02, `${changed} voxels vs ${expected.toFixed(0)}`);
    assert.equal(count(g.data, 1), changed);
    for (let index = 0; index < g.data.length; index++) {
      const [i, j, k] = [index % 80, Math.floor(index / 80) % 80, Math.floor(index / 6400)];
      const mm = Math.hypot((i - 40) * 0.5, (j - 40) * 0.5);
      if (g.data[index]) assert.ok(k === 1 && mm <= 10 + 1e-9, `voxel ${i},${j},${k} at ${mm} mm`);
      else if (k === 1) assert.ok(mm > 10 - 0.5, `voxel ${i},${j} at ${mm} mm was left out`);
    }
  });

  test('a disc across the i axis honours anisotropic spacing (round in mm, not in voxels)', () => {
    const g = grid([5, 60, 40], [1, 0.5, 2]);
    paint(new LabelEditor(g), { radiusMm: 6, axis: 0 }, [2, 30, 20]);
    const js = new Set<number>();
    const ks = new Set<number>();
    g.data.forEach((v, index) => v && (js.add(Math.floor(index / 5) % 60), ks.add(Math.floor(index / 300))));
    assert.deepEqual([Math.min(...js), Math.max(...js)], [18, 42], '±12 voxels of 0.5 mm');
    assert.deepEqual([Math.min(...ks), Math.max(...ks)], [17, 23], '±3 voxels of 2 mm');
  });

  test('a sphere covers 4/3 π r³ within 3%', () => {
    const g = grid([40, 40, 20], [0.7, 0.7, 1.5]);
    const changed = paint(new LabelEditor(g), { radiusMm: 8, shape: 'sphere' }, [20, 20, 10]);
    const expected = ((4 / 3) * Math.PI * 8 ** 3) / (0.7 * 0.7 * 1.5);
    assert.ok(Math.abs(changed - expected) / expected < 0.03, `${changed} vs ${expected.toFixed(0)}`);
  });

  test('a fast drag leaves no gaps: every voxel on the path is painted', () => {
    const g = grid([200, 20, 1]);
    paint(new LabelEditor(g), { radiusMm: 2 }, [5, 10, 0], [190, 10, 0]);
    for (let i = 5; i <= 190; i++) assert.equal(g.data[i + 200 * 10], 1, `voxel ${i} on the path`);
  });

  test('threshold paint paints only voxels in the intensity range', () => {
    const g = grid([20, 20, 1]);
    const image = Int16Array.from({ length: 400 }, (_, i) => (i % 20 < 10 ? 50 : 200));
    paint(new LabelEditor(g), { radiusMm: 30, threshold: { image, min: 0, max: 100 } }, [10, 10, 0]);
    assert.equal(count(g.data, 1), 200);
    g.data.forEach((v, i) => assert.equal(v === 1, image[i] === 50));
  });

  test('locked segments are never painted or erased; only-empty leaves other segments', () => {
    const g = grid([20, 20, 1]);
    g.data.fill(2, 0, 200); // rows 0-9: segment 2 (locked)
    g.data.fill(3, 200, 300); // rows 10-14: segment 3
    const editor = new LabelEditor(g);
    const locked = { locked: new Set([2]), overwrite: true };
    paint(editor, { radiusMm: 30, policy: locked }, [10, 10, 0]);
    assert.equal(count(g.data, 2), 200, 'locked untouched by paint');
    assert.equal(count(g.data, 1), 200, 'everything else painted (3 overwritten)');
    paint(editor, { radiusMm: 30, value: 0, eraseLabel: 2, policy: locked }, [10, 10, 0]);
    assert.equal(count(g.data, 2), 200, 'locked untouched by the eraser');
    editor.undo();
    editor.undo();
    paint(editor, { radiusMm: 30, policy: { locked: new Set(), overwrite: false } }, [10, 10, 0]);
    assert.deepEqual([count(g.data, 1), count(g.data, 2), count(g.data, 3)], [100, 200, 100]);
  });
});

describe('flood fill', () => {
  // a bright ball of radius 6 in a dim box, and a separate bright ball that must not be reached
  const dims: Vec3 = [30, 30, 30];
  const image = new Int16Array(30 * 30 * 30);
  let ball = 0;
  image.forEach((_, index) => {
    const [i, j, k] = [index % 30, Math.floor(index / 30) % 30, Math.floor(index / 900)];
    if ((i - 10) ** 2 + (j - 10) ** 2 + (k - 10) ** 2 <= 36) (image[index] = 100 + (index % 7)), ball++;
    else if ((i - 24) ** 2 + (j - 24) ** 2 + (k - 24) ** 2 <= 9) image[index] = 100;
    else image[index] = 10;
  });

  test('3D: exactly the connected voxels within the tolerance', () => {
    const region = floodRegion(image, dims, { seed: [10, 10, 10], tolerance: 10, mode: '3d' });
    assert.equal(region.voxels, ball);
    assert.equal(count(region.mask, 1), ball);
    assert.deepEqual(region.box, { min: [4, 4, 4], max: [16, 16, 16] });
    assert.equal(floodRegion(image, dims, { seed: [10, 10, 10], tolerance: 2, mode: '3d' }).voxels < ball, true, 'a tighter tolerance takes less');
  });

  test('2D: only the seed slice', () => {
    const region = floodRegion(image, dims, { seed: [10, 10, 10], tolerance: 10, mode: { axis: 2 } });
    assert.equal(region.voxels, Array.from({ length: 900 }, (_, p) => (p % 30 - 10) ** 2 + (Math.floor(p / 30) - 10) ** 2 <= 36).filter(Boolean).length);
    assert.deepEqual([region.box.min[2], region.box.max[2]], [10, 10]);
  });

  test('applied through the policy: a locked segment inside the region is untouched', () => {
    const g = grid(dims);
    g.data[10 + 30 * (10 + 30 * 10)] = 5;
    const editor = new LabelEditor(g);
    const region = floodRegion(image, dims, { seed: [10, 10, 10], tolerance: 10, mode: '3d' });
    editor.begin();
    const written = applyRegion(editor, region.mask, region.box, 1, { locked: new Set([5]), overwrite: true });
    editor.commit('fill');
    assert.equal(written, ball - 1);
    assert.equal(g.data[10 + 30 * (10 + 30 * 10)], 5);
  });
});

describe('undo and redo', () => {
  test('undo restores the mask bit for bit, redo re-applies it, across tools', () => {
    const g = grid([64, 64, 16], [0.8, 0.8, 2]);
    g.data.forEach((_, i) => (g.data[i] = (i * 7919) % 5 === 0 ? 2 : 0));
    const editor = new LabelEditor(g);
    const states = [g.data.slice()];
    paint(editor, { radiusMm: 6 }, [10, 10, 3], [50, 40, 3]);
    states.push(g.data.slice());
    paint(editor, { radiusMm: 5, shape: 'sphere', value: 3 }, [30, 30, 8]);
    states.push(g.data.slice());
    paint(editor, { radiusMm: 7, value: 0, eraseLabel: 1 }, [20, 20, 3]);
    states.push(g.data.slice());
    const labels = new Uint8Array(g.data.length).fill(4, 0, 64 * 64);
    editor.begin();
    applyLabelling(editor, labels, { min: [0, 0, 0], max: [63, 63, 0] }, DEFAULT_POLICY);
    editor.commit('grow');
    states.push(g.data.slice());
    for (let s = states.length - 2; s >= 0; s--) {
      assert.ok(editor.undo());
      assert.deepEqual(g.data, states[s], `undo to state ${s}`);
    }
    assert.equal(editor.undo(), null);
    for (let s = 1; s < states.length; s++) {
      editor.redo();
      assert.deepEqual(g.data, states[s], `redo to state ${s}`);
    }
  });

  test('a change set names the changed slices; an edit that changes nothing records nothing', () => {
    const editor = new LabelEditor(grid([20, 20, 10]));
    const brush = new Brush(editor, { radiusMm: 3, shape: 'sphere', axis: 2, value: 1, policy: DEFAULT_POLICY });
    editor.begin();
    brush.dab([10, 10, 5]);
    assert.deepEqual(editor.commit('dab').slices, [2, 3, 4, 5, 6, 7, 8]);
    editor.begin();
    new Brush(editor, { radiusMm: 3, shape: 'sphere', axis: 2, value: 1, policy: DEFAULT_POLICY }).dab([10, 10, 5]);
    assert.deepEqual(editor.commit('again'), { slices: [], voxels: 0 });
    assert.deepEqual(editor.history(), ['dab']);
  });

  test('cancel puts the touched slices back and records nothing', () => {
    const g = grid([20, 20, 4]);
    const editor = new LabelEditor(g);
    editor.begin();
    new Brush(editor, { radiusMm: 5, shape: 'disc', axis: 2, value: 1, policy: DEFAULT_POLICY }).dab([10, 10, 2]);
    assert.ok(count(g.data, 1) > 0);
    assert.deepEqual(editor.cancel().slices, [2]);
    assert.equal(count(g.data, 1), 0);
    assert.equal(editor.canUndo(), false);
  });

  test('history holds runs, not copies: 1,000 strokes on a 512×512 grid stay far below one mask', () => {
    const g = grid([512, 512, 4], [0.7, 0.7, 1]);
    const editor = new LabelEditor(g);
    for (let s = 0; s < 1000; s++) paint(editor, { radiusMm: 10, value: 1 + (s % 3) }, [100 + (s % 300), 100 + ((s * 7) % 300), s % 4], [110 + (s % 300), 105 + ((s * 7) % 300), s % 4]);
    assert.equal(editor.history().length, 1000);
    assert.ok(editor.historyBytes() < 2e6, `${editor.historyBytes()} bytes for 1,000 strokes`);
  });

  test('touching a slice outside an edit and nesting edits are refused', () => {
    const editor = new LabelEditor(grid([4, 4, 4]));
    assert.throws(() => editor.touch(0), /outside an edit/);
    editor.begin();
    assert.throws(() => editor.begin(), /already open/);
    assert.throws(() => editor.undo(), /finish the open edit/);
  });
});

describe('segment results', () => {
  test('replaceSegment adds and removes through the policy; a locked segment keeps its voxels', async () => {
    const { replaceSegment, applyWrites } = await import('../../src/shared/editing/segment-results.js');
    const { keepLargestIsland } = await import('../../src/shared/editing/islands.js');
    const g = grid([10, 10, 1]);
    g.data.fill(1, 0, 20); // rows 0-1: segment 1
    g.data.fill(2, 50, 60); // row 5: segment 2, locked
    const editor = new LabelEditor(g);
    const mask = new Uint8Array(100).fill(1, 10, 60); // rows 1-5
    editor.begin();
    const r = replaceSegment(editor, 1, mask, { locked: new Set([2]), overwrite: true });
    editor.commit('replace');
    assert.deepEqual(r, { added: 30, removed: 10 });
    assert.deepEqual([count(g.data, 1), count(g.data, 2)], [40, 10]);
    // islands through applyWrites: a second island of 1 is removed, the locked segment stays
    g.data[99] = 1;
    editor.begin();
    editor.touch(0);
    editor.commit('noop');
    editor.begin();
    applyWrites(editor, keepLargestIsland(g, 1).writes, DEFAULT_POLICY, 1);
    editor.commit('keep largest');
    assert.equal(g.data[99], 0);
    assert.deepEqual([count(g.data, 1), count(g.data, 2)], [40, 10]);
    editor.undo();
    assert.equal(g.data[99], 1, 'undoable');
  });
});

describe('segment operations', () => {
  test('split islands writes each smaller island with a new label; a margin never grows into a locked segment', async () => {
    const { applySegmentOperation, operationName } = await import('../../src/shared/editing/segment-operations.js');
    const g = grid([12, 12, 3]);
    const at = (i: number, j: number, k: number) => i + 12 * (j + 12 * k);
    for (let k = 0; k < 3; k++) for (let j = 1; j < 4; j++) for (let i = 1; i < 4; i++) g.data[at(i, j, k)] = 1; // 27 voxels
    for (let j = 8; j < 10; j++) for (let i = 8; i < 10; i++) g.data[at(i, j, 1)] = 1; // 4 voxels
    const editor = new LabelEditor(g);
    const issued: number[] = [];
    editor.begin();
    const changed = applySegmentOperation(editor, 1, { op: 'split' }, DEFAULT_POLICY, () => (issued.push(5), 5));
    editor.commit(operationName({ op: 'split' }));
    assert.deepEqual([changed, issued, count(g.data, 1), count(g.data, 5)], [4, [5], 27, 4]);
    // segment 5 grown by 1 mm: its 4 voxels gain their face neighbours, except where locked segment 1 is
    g.data[at(10, 8, 1)] = 1;
    editor.begin();
    applySegmentOperation(editor, 5, { op: 'margin', mm: 1 }, { locked: new Set([1]), overwrite: true }, () => 0);
    editor.commit('grow');
    assert.equal(g.data[at(10, 8, 1)], 1, 'locked voxel kept');
    assert.equal(count(g.data, 5), 4 + 8 + 8 - 1, 'four in-plane faces (8) and the slices above and below (8), less the locked one');
    assert.equal(operationName({ op: 'margin', mm: -2 }), 'Shrink 2 mm');
  });
});

describe('label runs', () => {
  test('a label map round-trips through runs; noise that would not shrink is refused; bad runs throw', async () => {
    const { encodeRuns, decodeRuns } = await import('../../src/shared/editing/label-runs.js');
    const data = new Uint16Array(1000);
    data.fill(3, 100, 400);
    data.fill(300, 400, 401);
    const runs = encodeRuns(data)!;
    assert.deepEqual(Array.from(runs), [100, 0, 300, 3, 1, 300, 599, 0]);
    assert.deepEqual(decodeRuns(runs, new Uint16Array(1000)), data);
    assert.equal(encodeRuns(Uint8Array.from({ length: 64 }, (_, i) => i % 2)), null);
    assert.throws(() => decodeRuns(Uint32Array.from([10, 1]), new Uint8Array(11)), /cover 10 of the 11/);
    assert.throws(() => decodeRuns(Uint32Array.from([12, 1]), new Uint8Array(11)), /more than the 11/);
  });

  test('uint8 maps (scanned a word at a time) give the same runs as a voxel-by-voxel scan', async () => {
    const { encodeRuns } = await import('../../src/shared/editing/label-runs.js');
    const naive = (d: Uint8Array) => {
      const out: number[] = [];
      for (let i = 0; i < d.length; ) {
        let end = i + 1;
        while (end < d.length && d[end] === d[i]) end++;
        out.push(end - i, d[i]!);
        i = end;
      }
      return out;
    };
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 300; trial++) {
      const buffer = new Uint8Array(1 + Math.floor(rand() * 300) + 8);
      for (let i = 0; i < buffer.length; ) {
        const length = 1 + Math.floor(rand() * (rand() < 0.3 ? 40 : 6));
        buffer.fill(rand() < 0.5 ? 0 : Math.floor(rand() * 256), i, i + length);
        i += length;
      }
      const data = trial % 2 ? buffer.subarray(4) : buffer; // aligned either way; odd lengths and run ends
      const runs = encodeRuns(data);
      if (runs) assert.deepEqual(Array.from(runs), naive(data), `trial ${trial}`);
    }
  });
});

describe('cropped labellings', () => {
  test('applyLabelling takes a box-shaped result (as a grow on a crop returns it) and a grid-sized one alike', async () => {
    const { cropGrid } = await import('../../src/shared/editing/mask-box.js');
    const g = grid([6, 5, 4]);
    const full = new Uint8Array(120);
    for (let index = 0; index < 120; index++) full[index] = index % 7 === 0 ? 2 : 0;
    const box = { min: [1, 1, 1] as Vec3, max: [4, 3, 2] as Vec3 };
    const crop = cropGrid(full, g.dims, box);
    assert.equal(crop.length, 4 * 3 * 2);
    const a = new LabelEditor(grid([6, 5, 4]));
    const b = new LabelEditor(g);
    a.begin();
    b.begin();
    assert.equal(applyLabelling(a, full, box, DEFAULT_POLICY), applyLabelling(b, crop, box, DEFAULT_POLICY));
    a.commit('full');
    b.commit('crop');
    assert.deepEqual(a.data, b.data);
    assert.ok(count(b.data, 2) > 0);
    b.begin();
    assert.throws(() => applyLabelling(b, new Uint8Array(7), box, DEFAULT_POLICY), /fits neither the grid nor the box/);
    b.cancel();
  });
});
