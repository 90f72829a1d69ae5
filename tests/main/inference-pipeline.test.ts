// The inference pipeline with real ONNX Runtime sessions on tiny models of known behaviour: sliding-
// window stitching and Gaussian blending against a naive reference, mirroring, exact reorientation of
// anisotropic permuted/flipped series, and correct geometry on an oblique anisotropic series.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { loadOrt } from '../../src/main/compute/providers.js';
import { predictScores, runPipeline, type PipelineModel } from '../../src/main/inference/pipeline.js';
import { ModelManifestSchema } from '../../src/shared/inference/manifest.js';
import { gaussianImportance, planTiles } from '../../src/shared/inference/sliding-window.js';
import { multiply4, transformPoint } from '../../src/shared/geometry.js';
import type { Vec3, Volume } from '../../src/shared/volume.js';
import { filterModel, testManifest, thresholdModel, type TestManifest } from '../helpers/model-packages.js';
import { random as seededRandom } from '../helpers/random.js';

const T = { timeout: 120_000 };
const quiet = () => undefined;

async function session(onnx: Uint8Array): Promise<InferenceSession> {
  const ort = await loadOrt();
  return ort.InferenceSession.create(onnx, { executionProviders: ['cpu'] });
}

const pipelineModel = (edit?: (m: TestManifest) => void): PipelineModel => ({ manifest: ModelManifestSchema.parse(testManifest('tiny', edit)), inputName: 'image', outputName: 'logits' });

function randomVolume(dims: [number, number, number], seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: dims[0] * dims[1] * dims[2] }, () => rand() * 100);
}

/** Straightforward weighted tile averaging: each tile run alone, float64 sums. */
async function naiveSliding(s: InferenceSession, data: Float32Array, dims: Vec3, patch: Vec3, overlap: number, weights: Float32Array | null, channels: number): Promise<Float64Array> {
  const ort = await loadOrt();
  const [D, H, W] = dims;
  const [pd, ph, pw] = patch;
  const n = D * H * W;
  const sums = new Float64Array(channels * n);
  const totals = new Float64Array(n);
  for (const { start } of planTiles(dims, patch, overlap)) {
    const tile = new Float32Array(pd * ph * pw);
    for (let d = 0; d < pd; d++) for (let h = 0; h < ph; h++) for (let w = 0; w < pw; w++) {
      const [z, y, x] = [start[0] + d, start[1] + h, start[2] + w];
      if (z < D && y < H && x < W) tile[(d * ph + h) * pw + w] = data[(z * H + y) * W + x]!;
    }
    const out = (await s.run({ image: new ort.Tensor('float32', tile, [1, 1, pd, ph, pw]) })).logits!.data as Float32Array;
    for (let d = 0; d < pd; d++) for (let h = 0; h < ph; h++) for (let w = 0; w < pw; w++) {
      const [z, y, x] = [start[0] + d, start[1] + h, start[2] + w];
      if (z >= D || y >= H || x >= W) continue;
      const t = (d * ph + h) * pw + w;
      const v = (z * H + y) * W + x;
      const wt = weights ? weights[t]! : 1;
      totals[v]! += wt;
      for (let c = 0; c < channels; c++) sums[c * n + v]! += wt * out[c * pd * ph * pw + t]!;
    }
  }
  for (let c = 0; c < channels; c++) for (let v = 0; v < n; v++) sums[c * n + v]! /= totals[v]!;
  return sums;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** flip a [C, D, H, W] array along tensor axis 0, 1 or 2 */
function flip(data: Float32Array, dims: Vec3, axis: number, channels: number): Float32Array {
  const [D, H, W] = dims;
  const out = new Float32Array(data.length);
  for (let c = 0; c < channels; c++) for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
    const [fd, fh, fw] = [axis === 0 ? D - 1 - d : d, axis === 1 ? H - 1 - h : h, axis === 2 ? W - 1 - w : w];
    out[((c * D + d) * H + h) * W + w] = data[((c * D + fd) * H + fh) * W + fw]!;
  }
  return out;
}

describe('sliding window inference', () => {
  test('Gaussian-blended overlapping tiles equal a naive weighted average of separately run tiles', T, async () => {
    const s = await session(filterModel());
    const dims: Vec3 = [19, 23, 29];
    const patch: Vec3 = [8, 12, 10];
    const data = randomVolume(dims, 1);
    const model = pipelineModel((m) => (m.inference = { mode: 'sliding-window', patchSize: patch, overlap: 0.5, blending: 'gaussian', sigmaScale: 0.125 }));
    const { scores, tiles } = await predictScores(s, model, data, dims, null, quiet);
    assert.equal(tiles, planTiles(dims, patch, 0.5).length);
    assert.ok(tiles > 20, `${tiles} tiles`);
    const reference = await naiveSliding(s, data, dims, patch, 0.5, gaussianImportance(patch, 0.125), 2);
    assert.ok(maxDifference(scores, reference) < 1e-4, `max difference ${maxDifference(scores, reference)}`);
    // blending matters: tile borders (zero padding inside each tile) differ from one whole-volume run
    const whole = await predictScores(s, pipelineModel(), data, dims, null, quiet);
    assert.ok(maxDifference(whole.scores, scores) > 0.1);
  });

  test('constant blending with a pointwise model stitches tiles back into the whole-volume result exactly', T, async () => {
    const s = await session(thresholdModel(40));
    const dims: Vec3 = [17, 9, 33];
    const data = randomVolume(dims, 2);
    const tiled = await predictScores(s, pipelineModel((m) => (m.inference = { mode: 'sliding-window', patchSize: [6, 8, 7], overlap: 0.3, blending: 'constant' })), data, dims, null, quiet);
    const whole = await predictScores(s, pipelineModel(), data, dims, null, quiet);
    assert.equal(whole.tiles, 1);
    assert.ok(tiled.tiles > 1);
    assert.ok(maxDifference(tiled.scores, whole.scores) < 1e-5);
  });

  test('a volume smaller than the patch is zero-padded and cropped back', T, async () => {
    const s = await session(filterModel());
    const dims: Vec3 = [5, 7, 6];
    const data = randomVolume(dims, 3);
    const model = pipelineModel((m) => (m.inference = { mode: 'sliding-window', patchSize: [8, 8, 8], overlap: 0.5 }));
    const { scores, tiles } = await predictScores(s, model, data, dims, null, quiet);
    assert.equal(tiles, 1);
    // zero padding beyond the edge equals the model's own zero padding: the whole-volume result
    const whole = await predictScores(s, pipelineModel(), data, dims, null, quiet);
    assert.ok(maxDifference(scores, whole.scores) < 1e-5);
  });

  test('a model whose output disagrees with its manifest fails naming the shapes', T, async () => {
    const s = await session(thresholdModel(50));
    const dims: Vec3 = [4, 5, 6];
    const model = pipelineModel((m) => {
      m.output.channels = 3;
      m.labels.push({ value: 2, name: 'Other', color: [0, 0, 255] });
    });
    await assert.rejects(predictScores(s, model, randomVolume(dims, 6), dims, null, quiet), /output logits has shape \[1, 2, 4, 5, 6\], expected \[1, 3, 4, 5, 6\]/);
  });

  test('test-time mirroring averages the model on flipped inputs, flipped back', T, async () => {
    const s = await session(filterModel());
    const dims: Vec3 = [9, 10, 11];
    const data = randomVolume(dims, 4);
    const model = pipelineModel((m) => (m.inference = { mode: 'sliding-window', patchSize: dims, overlap: 0, blending: 'constant', mirrorAxes: [0, 2] }));
    const { scores } = await predictScores(s, model, data, dims, null, quiet);
    const run = async (x: Float32Array) => (await predictScores(s, pipelineModel(), x, dims, null, quiet)).scores;
    const plain = await run(data);
    const a0 = flip(await run(flip(data, dims, 0, 1)), dims, 0, 2);
    const a2 = flip(await run(flip(data, dims, 2, 1)), dims, 2, 2);
    const expected = plain.map((v, i) => (v + a0[i]! + a2[i]!) / 3);
    assert.ok(maxDifference(scores, expected) < 1e-5);
    assert.ok(maxDifference(scores, plain) > 0.01, 'the asymmetric kernel makes mirroring visible');
  });
});

/** A float32 series with the given voxel → LPS affine. */
function series(dims: Vec3, affineLps: number[], data: Float32Array): Volume {
  const spacing = [0, 1, 2].map((c) => Math.hypot(affineLps[c]!, affineLps[4 + c]!, affineLps[8 + c]!)) as Vec3;
  return { dims, spacing, affineLps, voxelType: 'float32', components: 1, data };
}

describe('runPipeline geometry', () => {
  // i runs towards I (0.8 mm), j towards L (1.1 mm), k towards A (2.5 mm)
  const permuted = [0, 1.1, 0, -30, 0, 0, -2.5, 12, -0.8, 0, 0, 40, 0, 0, 0, 1];
  const dims: Vec3 = [23, 17, 11];

  for (const orientation of ['native', 'LIA', 'RAS', 'PSR', 'SLP']) {
    test(`labels come back on the series grid voxel for voxel (anisotropic, permuted and flipped axes; model space ${orientation})`, T, async () => {
      const s = await session(thresholdModel(50));
      const data = randomVolume(dims, 5);
      const model = pipelineModel((m) => (m.input.conform.orientation = orientation));
      const out = await runPipeline(s, model, series(dims, permuted, data), quiet);
      assert.equal(out.labels.length, data.length);
      let wrong = 0;
      for (let v = 0; v < data.length; v++) if (out.labels[v] !== (data[v]! > 50 ? 1 : 0)) wrong++;
      assert.equal(wrong, 0, `${wrong} voxels differ`);
      const expectedModelDims = orientation === 'native' ? [11, 17, 23] : undefined;
      if (expectedModelDims) assert.deepEqual(out.modelGrid.dims, expectedModelDims);
      else assert.equal(out.modelGrid.dims.reduce((a, b) => a * b), data.length, 'a permutation keeps the voxel count');
    });
  }

  test('an oblique anisotropic series resampled to 1 mm RAS and back: every voxel away from the boundary is labelled right', T, async () => {
    const rot = (axis: 0 | 1 | 2, deg: number) => {
      const [c, s] = [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
      const m = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
      const [a, b] = [(axis + 1) % 3, (axis + 2) % 3];
      m[a * 4 + a] = c; m[a * 4 + b] = -s; m[b * 4 + a] = s; m[b * 4 + b] = c;
      return m;
    };
    const spacing: Vec3 = [0.9, 1.3, 3];
    const affine = multiply4(multiply4(rot(0, 20), rot(2, 30)), [spacing[0], 0, 0, -20, 0, spacing[1], 0, 15, 0, 0, spacing[2], -10, 0, 0, 0, 1]);
    const obliqueDims: Vec3 = [40, 32, 14];
    // intensity = a linear function of the patient position (so trilinear resampling of it is exact)
    const normal: Vec3 = [0.48, -0.6, 0.64];
    const plane = (p: Vec3) => normal[0] * p[0] + normal[1] * p[1] + normal[2] * p[2];
    const data = new Float32Array(obliqueDims[0] * obliqueDims[1] * obliqueDims[2]);
    for (let k = 0, v = 0; k < obliqueDims[2]; k++) for (let j = 0; j < obliqueDims[1]; j++) for (let i = 0; i < obliqueDims[0]; i++, v++) {
      const p = transformPoint(affine, [i, j, k]);
      data[v] = plane(p) + 100;
    }
    const t = 100 + plane(transformPoint(affine, [20, 16, 7]));
    const s = await session(thresholdModel(t));
    const model = pipelineModel((m) => (m.input.conform = { orientation: 'RAS', spacingMm: [1, 1, 1], shape: null, interpolation: 'linear' }));
    const out = await runPipeline(s, model, series(obliqueDims, affine, data), quiet);
    // a series voxel takes the label of the nearest 1 mm model voxel, at most √3/2 mm away
    const band = Math.sqrt(3) / 2 + 1e-3;
    let checked = 0;
    let wrong = 0;
    for (let k = 1, v = 0; k < obliqueDims[2] - 1; k++) for (let j = 1; j < obliqueDims[1] - 1; j++) for (let i = 1; i < obliqueDims[0] - 1; i++) {
      v = (k * obliqueDims[1] + j) * obliqueDims[0] + i;
      const signed = data[v]! - t;
      if (Math.abs(signed) <= band) continue;
      checked++;
      if (out.labels[v] !== (signed > 0 ? 1 : 0)) wrong++;
    }
    assert.ok(checked > data.length * 0.5, `${checked} voxels checked`);
    assert.equal(wrong, 0, `${wrong} of ${checked} voxels away from the boundary are wrong`);
  });
});
