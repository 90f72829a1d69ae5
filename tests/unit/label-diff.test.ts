import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIFF_ADDED, DIFF_RELABELLED, DIFF_REMOVED, labelDiff } from '../../src/shared/metrics/label-diff.js';

test('labelDiff marks added, removed and relabelled voxels and counts them', () => {
  const reference = new Uint8Array([0, 1, 1, 2, 0, 3]);
  const test_ = new Uint16Array([0, 1, 0, 5, 4, 3]);
  const diff = labelDiff(reference, test_);
  assert.deepEqual([...diff.map], [0, 0, DIFF_REMOVED, DIFF_RELABELLED, DIFF_ADDED, 0]);
  assert.deepEqual({ added: diff.added, removed: diff.removed, relabelled: diff.relabelled }, { added: 1, removed: 1, relabelled: 1 });
});

test('labelDiff refuses maps of different sizes', () => {
  assert.throws(() => labelDiff(new Uint8Array(3), new Uint8Array(4)), /differ in size: 3 and 4/);
});
