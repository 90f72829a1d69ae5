/**
 * The shipped brainchop packages end to end: a synthetic T1-like head series (axial LPS, 1.5 mm, int16)
 * goes through runPipeline with ONNX Runtime (conform to 256³ 1 mm LIA, robust uint8 + min-max, crop,
 * whole-volume run, argmax, post-processing, back to the series grid), and the result is compared voxel
 * for voxel with the original TensorFlow.js model (CPU backend) run on the same prepared tensor, with the
 * same argmax, channel mapping, post-processing and resampling written out here.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { InferenceSession } from 'onnxruntime-node';
import { loadOrt } from '../../src/main/compute/providers.js';
import { readModelPackage } from '../../src/main/inference/model-package.js';
import { prepareInput, runPipeline } from '../../src/main/inference/pipeline.js';
import { resampleNearest } from '../../src/shared/inference/conform.js';
import { fillHoles, keepLargestComponent } from '../../src/shared/inference/postprocess.js';
import { pasteBox } from '../../src/shared/inference/sliding-window.js';
import { transformPoint } from '../../src/shared/geometry.js';
import type { Vec3, Volume } from '../../src/shared/volume.js';
import { random } from '../helpers/random.js';
import { loadTfjsModel, readTfjsSource } from '../helpers/shipped-tfjs.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const T = { timeout: 600_000 };
const quiet = () => undefined;

/** the series grid, the same for every model */
const DIMS: Vec3 = [48, 56, 48];
const SPACING = 1.5;
/** axial LPS: i → L, j → P, k → S (the models' LIA needs a permutation, two flips and 1.5 → 1 mm) */
const AFFINE = [SPACING, 0, 0, -36.7, 0, SPACING, 0, -51.2, 0, 0, SPACING, 12.3, 0, 0, 0, 1];

/**
 * A small T1-like head, int16, background exactly 0: scalp (bright, fat), dark skull and CSF, a folded
 * grey-matter layer over a brighter white-matter core, dark ventricles, ±3 % noise inside the head. About
 * 56 × 68 × 60 mm (L-R, A-P, S-I) at size 1; `size` scales it about the series centre.
 */
function headSeries(seed: number, size = 1): { volume: Volume; head: Uint8Array } {
  const rand = random(seed);
  const s = (t: number): number => 1 / (1 + Math.exp(-t / 0.7)); // a soft edge of about 1 mm
  const centre = transformPoint(AFFINE, DIMS.map((n) => (n - 1) / 2) as Vec3);
  const n = DIMS[0] * DIMS[1] * DIMS[2];
  const data = new Int16Array(n);
  const head = new Uint8Array(n);
  for (let k = 0, v = 0; k < DIMS[2]; k++)
    for (let j = 0; j < DIMS[1]; j++)
      for (let i = 0; i < DIMS[0]; i++, v++) {
        const p = transformPoint(AFFINE, [i, j, k]);
        const x = (p[0] - centre[0]) / size; // towards L
        const y = (p[1] - centre[1] + 2) / size; // towards P
        const z = (p[2] - centre[2]) / size; // towards S
        const headDepth = (1 - Math.hypot(x / 28, y / 34, z / 30)) * 28; // ≈ mm inside the scalp surface
        if (headDepth < -1.5) continue;
        const brainDepth = (1 - Math.hypot(x / 21, y / 27, z / 23)) * 21;
        const fold = 0.5 + 0.5 * Math.sin(x * 0.5 + 2 * Math.sin(z * 0.2)) * Math.sin(y * 0.45 + 1.5 * Math.sin(x * 0.15)) * Math.sin(z * 0.4);
        const ventricle = s(4 - Math.hypot(x / 1.2 - 3 * Math.sign(x), (y + 2) / 2.2, (z - 2) / 1.4));
        const scalpSkullCsf = 0.9 * s(headDepth) - 0.8 * s(headDepth - 3.5) + 0.08 * s(headDepth - 6.5);
        const greyWhite = 0.45 * s(brainDepth) + 0.3 * s(brainDepth - 2.5 - 3 * fold);
        const t1 = (scalpSkullCsf + greyWhite - 0.6 * ventricle * s(brainDepth - 4)) * (1 + 0.06 * (rand() - 0.5));
        const value = Math.round(1000 * t1);
        if (value > 0) {
          data[v] = value;
          head[v] = 1;
        }
      }
  return { volume: { dims: DIMS, spacing: [SPACING, SPACING, SPACING], affineLps: AFFINE, voxelType: 'int16', components: 1, data }, head };
}

function counts(labels: ArrayLike<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (let v = 0; v < labels.length; v++) out.set(labels[v]!, (out.get(labels[v]!) ?? 0) + 1);
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

const show = (m: Map<number, number>) => [...m].map(([label, n]) => `${label}:${n}`).join(' ');

/**
 * Head size per model (1: the full phantom). tfjs's pure-JS CPU backend takes
 * a few ns per multiply-add; the subcortical network (21 filters) does about 96 000 of them per voxel of its
 * crop, eighteen times the tissue network, so it gets a smaller head (a 44 × 46 × 52 crop instead of 58 × 62 × 70).
 */
const MODELS = [
  { id: 'brainchop-tissue-gwm', size: 1 },
  { id: 'brainchop-brain-extraction', size: 1 },
  { id: 'brainchop-subcortical-gwm', size: 0.75 },
];

describe('shipped models through the whole pipeline against TensorFlow.js', () => {
  before(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  for (const { id, size } of MODELS) {
    test(`${id}: runPipeline's labels on an axial LPS 1.5 mm head series match the tfjs model's`, T, async (t) => {
      const dir = path.join(repoRoot, 'native-models', id);
      const pkg = await readModelPackage(dir, { origin: 'shipped' });
      const { manifest } = pkg;
      const model = { manifest, inputName: pkg.inputName, outputName: pkg.outputName };
      const { volume, head } = headSeries(17, size);
      const headVoxels = head.reduce((a, b) => a + b, 0);

      // ours: ONNX Runtime on the CPU, as the app opens it
      const ort = await loadOrt();
      const session: InferenceSession = await ort.InferenceSession.create(pkg.onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 4 });
      let started = performance.now();
      const ours = await runPipeline(session, model, volume, quiet);
      const pipelineMs = performance.now() - started;

      // reference: the same prepared tensor through tfjs, then argmax, mapping, post-processing, paste, resample
      const prepared = prepareInput(session, model, volume, quiet);
      await session.release();
      assert.deepEqual(prepared.workDims, ours.modelGrid.cropped);
      assert.deepEqual(prepared.full, [256, 256, 256]);
      assert.ok(prepared.crop, 'the head is cropped out of the 256³ grid');
      const [D, H, W] = prepared.workDims;
      const tfModel = await loadTfjsModel(readTfjsSource(dir));
      started = performance.now();
      const y = tf.tidy(() => tfModel.predict(tf.tensor5d(prepared.work, [1, D, H, W, 1])) as tf.Tensor);
      const scores = (await y.data()) as Float32Array;
      const tfjsMs = performance.now() - started;
      const C = y.shape[4]!;
      assert.deepEqual(y.shape, [1, D, H, W, manifest.output.channels]);
      y.dispose();
      tfModel.dispose();

      const map = manifest.output.channelToLabel;
      const crop = new Uint8Array(D * H * W);
      for (let v = 0; v < crop.length; v++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (scores[v * C + c]! > scores[v * C + best]!) best = c;
        crop[v] = map ? map[best]! : best;
      }
      const { keepLargestComponent: keep, fillHoles: holes } = manifest.postprocess;
      if (keep === 'foreground' || keep.length) keepLargestComponent(crop, prepared.workDims, keep);
      if (holes.length) fillHoles(crop, prepared.workDims, holes);
      const reference = resampleNearest(pasteBox(crop, prepared.full, prepared.crop), prepared.grid, volume);

      assert.equal(ours.labels.length, reference.length);
      // over the whole series, and over the voxels either side labels (most of the series is background to both)
      let same = 0;
      let labelled = 0;
      let labelledSame = 0;
      for (let v = 0; v < reference.length; v++) {
        const equal = ours.labels[v] === reference[v];
        if (equal) same++;
        if (ours.labels[v] === 0 && reference[v] === 0) continue;
        labelled++;
        if (equal) labelledSame++;
      }
      const agreement = same / reference.length;
      const ourCounts = counts(ours.labels);
      t.diagnostic(
        `${id}: crop ${prepared.workDims.join('x')} of 256³, pipeline ${(pipelineMs / 1000).toFixed(2)} s (session.run ${(ours.timings.sessionRunMs / 1000).toFixed(2)} s), ` +
          `tfjs ${(tfjsMs / 1000).toFixed(2)} s; labels agree on ${same} of ${reference.length} series voxels (${(agreement * 100).toFixed(3)} %), ` +
          `on ${labelledSame} of the ${labelled} that either labels; ` +
          `voxels per label: ours ${show(ourCounts)}, tfjs ${show(counts(reference))}; head ${headVoxels}`,
      );
      assert.ok(agreement >= 0.999, `${id}: labels agree on ${(agreement * 100).toFixed(3)} % of series voxels`);
      assert.ok(labelledSame >= 0.99 * labelled, `${id}: labels agree on ${labelledSame} of the ${labelled} voxels either labels`);

      // the comparison is not between two empty (or trivial) label maps
      const present = [...ourCounts].filter(([label, n]) => label !== 0 && n >= 50);
      if (id === 'brainchop-brain-extraction') {
        const brain = ourCounts.get(1) ?? 0;
        let inside = 0;
        for (let v = 0; v < head.length; v++) if (ours.labels[v] === 1 && head[v]) inside++;
        assert.ok(brain >= 0.15 * headVoxels && brain <= 0.9 * headVoxels, `brain ${brain} voxels of a ${headVoxels}-voxel head`);
        assert.ok(inside >= 0.98 * brain, `${brain - inside} brain voxels outside the head`);
      } else {
        assert.ok(present.length >= 2, `labels present: ${show(ourCounts)}`);
      }
    });
  }
});
