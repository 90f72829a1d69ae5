import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { placeSlices, planVolume, splitIntoStacks, type SliceInfo } from '../../src/shared/series-plan.js';
import { transformPoint } from '../../src/shared/geometry.js';
import type { Vec3 } from '../../src/shared/volume.js';

const AXIAL: SliceInfo['orientation'] = [1, 0, 0, 0, 1, 0];

function slice(k: number, overrides: Partial<SliceInfo> = {}): SliceInfo {
  return {
    ref: `s${k}`,
    rows: 4,
    columns: 3,
    pixelSpacing: [0.8, 0.7],
    orientation: AXIAL,
    position: [-10, -20, 30 + 2.5 * k],
    splitKeys: {},
    instanceNumber: k + 1,
    ...overrides,
  };
}

const close = (a: number[], b: number[], tol = 1e-9) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

describe('planVolume', () => {
  test('sorts shuffled slices along the normal and takes the step from positions, not thickness', () => {
    const slices = [3, 0, 4, 1, 2].map((k) => slice(k));
    const plan = planVolume(slices, null);
    assert.deepEqual(plan.slices.map((s) => s?.ref), ['s0', 's1', 's2', 's3', 's4']);
    assert.deepEqual(plan.dims, [3, 4, 5]);
    assert.ok(close(plan.spacing, [0.7, 0.8, 2.5]));
    assert.ok(close(plan.affineLps, [0.7, 0, 0, -10, 0, 0.8, 0, -20, 0, 0, 2.5, 30, 0, 0, 0, 1]));
    assert.deepEqual(plan.warnings, []);
  });

  test('an oblique stack maps every slice corner to its DICOM position', () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const orientation: SliceInfo['orientation'] = [c, s, 0, 0, 0, -1]; // row dir in the x-y plane, columns downwards
    const n: Vec3 = [orientation[1] * orientation[5] - orientation[2] * orientation[4], orientation[2] * orientation[3] - orientation[0] * orientation[5], orientation[0] * orientation[4] - orientation[1] * orientation[3]]; // x × y
    const slices = [0, 1, 2, 3].map((k) => slice(k, { orientation, position: [5 + 3 * k * n[0], 6 + 3 * k * n[1], 7 + 3 * k * n[2]] }));
    const plan = planVolume(slices.reverse(), null);
    plan.slices.forEach((sl, k) => assert.ok(close(transformPoint(plan.affineLps, [0, 0, k]), sl!.position, 1e-9)));
    // one column step moves 0.7 mm along the row direction cosines
    const p = transformPoint(plan.affineLps, [1, 0, 0]);
    assert.ok(close(p, [5 + 0.7 * c, 6 + 0.7 * s, 7], 1e-9));
    assert.ok(Math.abs(plan.spacing[2] - 3) < 1e-9);
  });

  test('a missing slice becomes an empty slot so the others keep their true positions', () => {
    const plan = planVolume([0, 1, 2, 4, 5].map((k) => slice(k)), null);
    assert.deepEqual(plan.slices.map((s) => s?.ref ?? null), ['s0', 's1', 's2', null, 's4', 's5']);
    assert.equal(plan.dims[2], 6);
    assert.ok(Math.abs(plan.spacing[2] - 2.5) < 1e-9);
    assert.deepEqual(plan.warnings.map((w) => w.code), ['missing_slices']);
    assert.match(plan.warnings[0]!.message, /1 slice\(s\) missing at k=3/);
  });

  test('uneven spacing that is no whole multiple is reported', () => {
    const plan = planVolume([0, 1, 2, 3].map((k) => slice(k, { position: [-10, -20, [0, 2.5, 5.0, 8.2][k]!] })), null);
    assert.deepEqual(plan.warnings.map((w) => w.code), ['nonuniform_spacing']);
  });

  test('gantry tilt is reported and the affine keeps the shear', () => {
    const tilt = Math.tan((15 * Math.PI) / 180);
    const plan = planVolume([0, 1, 2].map((k) => slice(k, { position: [-10, -20 + 2.5 * k * tilt, 30 + 2.5 * k] })), null);
    assert.deepEqual(plan.warnings.map((w) => w.code), ['gantry_tilt']);
    assert.match(plan.warnings[0]!.message, /15\.00°/);
    assert.ok(close(transformPoint(plan.affineLps, [0, 0, 2]), [-10, -20 + 5 * tilt, 35], 1e-9));
  });

  test('duplicate positions keep the lowest instance number and are reported', () => {
    const plan = planVolume([slice(0), slice(1), slice(1, { ref: 'dup', instanceNumber: 99 }), slice(2)], null);
    assert.deepEqual(plan.slices.map((s) => s?.ref), ['s0', 's1', 's2']);
    assert.deepEqual(plan.warnings.map((w) => w.code), ['duplicate_positions']);
  });

  test('a single slice is planned with a warning', () => {
    const plan = planVolume([slice(0)], null);
    assert.deepEqual(plan.dims, [3, 4, 1]);
    assert.deepEqual(plan.warnings.map((w) => w.code), ['single_slice']);
  });
});

describe('splitIntoStacks', () => {
  test('a localizer with another orientation becomes its own stack with a reason', () => {
    const main = [0, 1, 2, 3].map((k) => slice(k));
    const loc = [0, 1].map((k) => slice(k, { ref: `loc${k}`, orientation: [0, 1, 0, 0, 0, -1] }));
    const stacks = splitIntoStacks([...main, ...loc]);
    assert.equal(stacks.length, 2);
    assert.equal(stacks[0]!.reason, null);
    assert.equal(stacks[0]!.slices.length, 4);
    assert.match(stacks[1]!.reason!, /2 slices: orientation differs/);
  });

  test('a slice with different dimensions and a second echo are split off, each with its reason', () => {
    const stacks = splitIntoStacks([
      ...[0, 1, 2].map((k) => slice(k, { splitKeys: { echo: '1' } })),
      ...[0, 1, 2].map((k) => slice(k, { ref: `e2-${k}`, splitKeys: { echo: '2' } })),
      slice(5, { ref: 'odd', rows: 5, splitKeys: { echo: '1' } }),
    ]);
    assert.equal(stacks.length, 3);
    const reasons = stacks.map((s) => s.reason);
    assert.ok(reasons.some((r) => r !== null && /echo 2/.test(r)));
    assert.ok(reasons.some((r) => r !== null && /dimensions 3×5 differ from 3×4/.test(r)));
  });
});

describe('placeSlices', () => {
  test('regular positions map one to one', () => assert.deepEqual(placeSlices([0, 1, 2, 3]), [0, 1, 2, 3]));
  test('two missing slices in a row give two empty slots', () => assert.deepEqual(placeSlices([0, 1, 2, 5, 6]), [0, 1, 2, null, null, 3, 4]));
  test('irregular gaps are not filled', () => assert.deepEqual(placeSlices([0, 1, 2, 3.5, 4.5]), [0, 1, 2, 3, 4]));
});
