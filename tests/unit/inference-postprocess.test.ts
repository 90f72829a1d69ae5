import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { argmaxChannels, fillHoles, keepLargestComponent, uncertaintyScore } from '../../src/shared/inference/postprocess.js';
import type { Vec3 } from '../../src/shared/volume.js';

describe('argmaxChannels', () => {
  test('logits: the winning channel and its softmax probability', () => {
    // C = 3 channels × N = 3 voxels, channel-major
    const scores = Float32Array.of(
      1, 0, 1000, // channel 0
      2, 0, 999, // channel 1
      0.5, 3, -5, // channel 2
    );
    const { labels, maxProbability } = argmaxChannels(scores, 3, 'logits');
    assert.ok(labels instanceof Uint8Array);
    assert.deepEqual(Array.from(labels), [1, 2, 0]);
    const softmax = (xs: number[], c: number) => Math.exp(xs[c]!) / xs.reduce((s, x) => s + Math.exp(x), 0);
    assert.ok(Math.abs(maxProbability[0]! - softmax([1, 2, 0.5], 1)) < 1e-6);
    assert.ok(Math.abs(maxProbability[1]! - softmax([0, 0, 3], 2)) < 1e-6);
    // huge logits do not overflow: 1 / (1 + e^−1 + e^−1005)
    assert.ok(Math.abs(maxProbability[2]! - 1 / (1 + Math.exp(-1))) < 1e-6);
  });

  test('ties go to the lowest channel; NaN never wins', () => {
    const { labels, maxProbability } = argmaxChannels(Float32Array.of(2, NaN, 2, 5, 2, 5), 3, 'logits');
    assert.deepEqual(Array.from(labels), [0, 1]);
    assert.ok(Math.abs(maxProbability[0]! - 1 / 3) < 1e-6);
    assert.ok(Math.abs(maxProbability[1]! - 0.5) < 1e-6);
  });

  test('softmax input is taken as probabilities; channelToLabel maps values and widens to Uint16', () => {
    const scores = Float32Array.of(0.2, 0.6, 0.7, 0.3, 0.1, 0.1);
    const { labels, maxProbability } = argmaxChannels(scores, 3, 'softmax', [0, 300, 7]);
    assert.ok(labels instanceof Uint16Array);
    assert.deepEqual(Array.from(labels), [300, 0]);
    assert.deepEqual(Array.from(maxProbability), [Math.fround(0.7), Math.fround(0.6)]);
    assert.ok(argmaxChannels(scores, 3, 'softmax', [0, 255, 7]).labels instanceof Uint8Array);
    assert.throws(() => argmaxChannels(scores, 4, 'softmax'), RangeError);
  });

  test("'labelled' probabilities equal 'all' wherever the label is not 0, so the uncertainty score is the same", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 80;
    const C = 4;
    const scores = Float32Array.from({ length: C * 5000 }, rand);
    const all = argmaxChannels(scores, C, 'logits');
    const labelled = argmaxChannels(scores, C, 'logits', undefined, 'labelled');
    assert.deepEqual(labelled.labels, all.labels);
    let background = 0;
    for (let v = 0; v < all.labels.length; v++) {
      if (all.labels[v] === 0) {
        background++;
        assert.equal(labelled.maxProbability[v], 0);
      } else assert.ok(Math.abs(labelled.maxProbability[v]! - all.maxProbability[v]!) < 1e-7);
    }
    assert.ok(background > 0 && background < all.labels.length);
    assert.deepEqual(uncertaintyScore(labelled.maxProbability, labelled.labels), uncertaintyScore(all.maxProbability, all.labels));
  });
});

/** labels from a map of "d,h,w" → value on a zero grid */
function grid(dims: Vec3, voxels: [number, number, number, number][]): Uint8Array {
  const out = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (const [d, h, w, v] of voxels) out[(d * dims[1] + h) * dims[2] + w] = v;
  return out;
}
const at = (labels: Uint8Array | Uint16Array, dims: Vec3, d: number, h: number, w: number) => labels[(d * dims[1] + h) * dims[2] + w];

describe('keepLargestComponent', () => {
  const dims: Vec3 = [3, 5, 6];
  const shape = (): Uint8Array =>
    grid(dims, [
      // a 4-voxel bar of 1 along w, touching a 2 at its end
      [1, 1, 0, 1], [1, 1, 1, 1], [1, 1, 2, 1], [1, 1, 3, 1], [1, 1, 4, 2],
      // a 2-voxel piece of 1, 6-connected along d
      [0, 4, 5, 1], [1, 4, 5, 1],
      // a 1 touching the bar only diagonally (edge neighbour): a separate component
      [2, 2, 0, 1],
      // a lone 2 far away
      [2, 4, 0, 2],
    ]);

  test('per label: only the largest 6-connected component of each listed label survives', () => {
    const labels = keepLargestComponent(shape(), dims, [1]);
    assert.equal(at(labels, dims, 1, 1, 0), 1);
    assert.equal(at(labels, dims, 1, 1, 3), 1);
    assert.equal(at(labels, dims, 0, 4, 5), 0);
    assert.equal(at(labels, dims, 2, 2, 0), 0);
    // label 2 was not listed
    assert.equal(at(labels, dims, 2, 4, 0), 2);
    assert.equal(labels.reduce((a, b) => a + b, 0), 4 + 2 + 2);
    const both = keepLargestComponent(shape(), dims, [1, 2]);
    assert.equal(at(both, dims, 2, 4, 0), 0); // the two 2s are 1-voxel components: the first one met is kept
    assert.equal(at(both, dims, 1, 1, 4), 2);
  });

  test("'foreground' keeps the largest component of all non-zero labels, labels intact", () => {
    const labels = keepLargestComponent(shape(), dims, 'foreground');
    assert.equal(at(labels, dims, 1, 1, 4), 2);
    assert.equal(at(labels, dims, 1, 1, 0), 1);
    assert.equal(at(labels, dims, 2, 4, 0), 0);
    assert.equal(at(labels, dims, 0, 4, 5), 0);
    assert.equal(labels.filter((v) => v !== 0).length, 5);
  });

  test('is iterative: one component of a million voxels', () => {
    const big: Vec3 = [100, 100, 100];
    const labels = new Uint16Array(1e6).fill(3);
    // isolate voxel (0, 0, 1) by clearing its four neighbours (0,0,0), (0,0,2), (0,1,1), (1,0,1)
    for (const n of [0, 2, 101, 10001]) labels[n] = 0;
    keepLargestComponent(labels, big, [3]);
    assert.equal(labels[1], 0);
    assert.equal(labels.filter((v) => v === 3).length, 1e6 - 5);
  });
});

describe('fillHoles', () => {
  const dims: Vec3 = [5, 5, 5];
  /** a hollow 3×3×3 shell of 1 around (2,2,2), inside a 5³ grid */
  const shell = (): Uint8Array => {
    const labels = new Uint8Array(125);
    for (let d = 1; d <= 3; d++) for (let h = 1; h <= 3; h++) for (let w = 1; w <= 3; w++) labels[(d * 5 + h) * 5 + w] = 1;
    labels[(2 * 5 + 2) * 5 + 2] = 0;
    return labels;
  };

  test('an enclosed cavity is filled; the outside is not', () => {
    const labels = fillHoles(shell(), dims, [1]);
    assert.equal(at(labels, dims, 2, 2, 2), 1);
    assert.equal(labels.filter((v) => v === 1).length, 27);
  });

  test('a cavity opened to the border by a tunnel is not a hole', () => {
    const labels = shell();
    labels[(2 * 5 + 2) * 5 + 1] = 0; // the shell wall toward w = 0
    fillHoles(labels, dims, [1]);
    assert.equal(at(labels, dims, 2, 2, 2), 0);
    assert.equal(at(labels, dims, 2, 2, 1), 0);
  });

  test('other labels enclosed by the label are kept; unlisted labels are not filled', () => {
    const labels = shell();
    labels[(2 * 5 + 2) * 5 + 2] = 4;
    fillHoles(labels, dims, [1]);
    assert.equal(at(labels, dims, 2, 2, 2), 4);
    const other = shell();
    fillHoles(other, dims, [2]);
    assert.equal(at(other, dims, 2, 2, 2), 0);
  });

  test('a background region on the grid border is never a hole', () => {
    const flat: Vec3 = [1, 4, 4];
    // a ring of 1 with a 0 in the middle, touching the border on a 1-voxel-thick grid
    const labels = Uint8Array.from([1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    fillHoles(labels, flat, [1]);
    // in-plane the middle is enclosed, but with D = 1 every voxel lies on the border
    assert.equal(labels.filter((v) => v === 0).length, 3);
  });
});

describe('uncertaintyScore', () => {
  test('foreground-only mean of 1 − p and fraction below 0.5; zeros without foreground', () => {
    const p = Float32Array.of(0.1, 0.9, 0.4, 0.6, 1);
    const labels = Uint8Array.of(0, 1, 2, 2, 0);
    const u = uncertaintyScore(p, labels);
    assert.ok(Math.abs(u.meanEntropyProxy - (0.1 + 0.6 + 0.4) / 3) < 1e-6);
    assert.equal(u.lowConfidenceFraction, 1 / 3);
    assert.deepEqual(uncertaintyScore(p, new Uint8Array(5)), { meanEntropyProxy: 0, lowConfidenceFraction: 0 });
  });
});
