/**
 * Our tfjs layers-model → ONNX converter against @tensorflow/tfjs itself: the shipped brainchop
 * packages and one small synthetic model per supported layer kind are run by tfjs (CPU backend,
 * channels-last) and by onnxruntime on the converted graph (channels-first), on the same input.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadOrt } from '../../src/main/compute/providers.js';
import { convertTfjsLayersModel } from '../../src/main/inference/tfjs-converter.js';
import { ModelManifestSchema } from '../../src/shared/inference/manifest.js';
import { random } from '../helpers/random.js';
import { loadTfjsModel, readTfjsSource } from '../helpers/shipped-tfjs.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const T = { timeout: 180_000 };
type Dims = [number, number, number];
type Json = Record<string, unknown>;


/**
 * A smooth synthetic head with noise, min-max scaled to [0, 1] as brainchop does: scalp, skull, CSF, a
 * folded cortex over white matter, ventricles. The whole head is sampled at `mmPerVoxel` so that a 40³
 * input holds all of it: these networks need that much context (a 40³ window of a 1 mm head is
 * background to them, which would make the label comparison empty).
 */
function headPhantom(n: number, mmPerVoxel: number, seed: number): Float32Array {
  const rand = random(seed);
  const s = (t: number): number => 1 / (1 + Math.exp(-t / 0.7)); // a soft edge of about 1 mm
  const out = new Float32Array(n ** 3);
  for (let d = 0, i = 0; d < n; d++)
    for (let h = 0; h < n; h++)
      for (let w = 0; w < n; w++, i++) {
        // mm from the centre of the head towards L, I and A (the models' D, H, W)
        const x = (d - n / 2 + 0.5) * mmPerVoxel;
        const y = (h - n / 2 + 0.5) * mmPerVoxel;
        const z = (w - n / 2 + 0.5) * mmPerVoxel;
        const headDepth = (1 - Math.hypot(x / 80, y / 72, z / 95)) * 80;
        const brainDepth = (1 - Math.hypot(x / 68, y / 58, z / 82)) * 65;
        const fold = 0.5 + 0.5 * Math.sin(x * 0.42 + 2 * Math.sin(z * 0.15)) * Math.sin(y * 0.37 + 1.5 * Math.sin(x * 0.13)) * Math.sin(z * 0.33);
        const ventricle = s(8 - Math.hypot(x / 1.6, (y + 10) / 0.9, (z + 5) / 2.2));
        const scalpSkullCsf = 0.75 * s(headDepth) - 0.67 * s(headDepth - 5) + 0.07 * s(headDepth - 10);
        const greyWhite = 0.35 * s(brainDepth) + 0.3 * s(brainDepth - 2.5 - 6 * fold);
        out[i] = scalpSkullCsf + greyWhite - 0.65 * ventricle + 0.04 * (rand() - 0.5);
      }
  let min = Infinity;
  let max = -Infinity;
  for (const v of out) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return out.map((v) => (v - min) / (max - min));
}

function uniform(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = random(seed);
  return Float32Array.from({ length }, () => lo + (hi - lo) * rand());
}

interface Agreement {
  maxDiff: number;
  agreement: number;
  /** voxels per tfjs label */
  labelCounts: number[];
}

/** Run the tfjs model and the ONNX graph on `input` [C, D, H, W] and compare logits and argmax labels. */
async function compare(model: tf.LayersModel, onnx: Uint8Array, input: Float32Array, [D, H, W]: Dims, channels = 1): Promise<Agreement> {
  const V = D * H * W;
  const last = new Float32Array(V * channels);
  for (let c = 0; c < channels; c++) for (let v = 0; v < V; v++) last[v * channels + c] = input[c * V + v]!;
  const yt = tf.tidy(() => model.predict(tf.tensor5d(last, [1, D, H, W, channels])) as tf.Tensor);
  const [, oD, oH, oW, C] = yt.shape as number[];
  const expected = (await yt.data()) as Float32Array;
  yt.dispose();

  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(onnx);
  const result = await session.run({ input: new ort.Tensor('float32', input, [1, channels, D, H, W]) });
  await session.release();
  const logits = result.logits!;
  assert.deepEqual(logits.dims, [1, C, oD, oH, oW], 'output shape');
  const actual = logits.data as Float32Array;
  const OV = oD! * oH! * oW!;
  let maxDiff = 0;
  let same = 0;
  const labelCounts = new Array<number>(C!).fill(0);
  for (let v = 0; v < OV; v++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < C!; c++) {
      const e = expected[v * C! + c]!;
      const o = actual[c * OV + v]!;
      const diff = Math.abs(e - o);
      if (!(diff <= maxDiff)) maxDiff = diff; // NaN propagates
      if (e > expected[v * C! + a]!) a = c;
      if (o > actual[b * OV + v]!) b = c;
    }
    if (a === b) same++;
    labelCounts[a]!++;
  }
  return { maxDiff, agreement: same / OV, labelCounts };
}

function assertAgrees(result: Agreement, what: string, tolerance = 1e-3): void {
  assert.ok(result.maxDiff <= tolerance, `${what}: max |logit difference| ${result.maxDiff} > ${tolerance}`);
  assert.ok(result.agreement >= 0.999, `${what}: labels agree on ${(result.agreement * 100).toFixed(3)} % of voxels`);
}

function concat(parts: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const list = Array.isArray(parts) ? parts : [parts];
  const out = new Uint8Array(list.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of list) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}

/** Serialise a tfjs model the way tfjs writes model.json: topology, weights manifest and the weight bytes. */
async function saved(model: tf.LayersModel): Promise<{ modelJson: Json; weights: Uint8Array }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts!;
  return {
    modelJson: { format: 'layers-model', generatedBy: 'test', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] },
    weights: concat(a.weightData as ArrayBuffer | ArrayBuffer[]),
  };
}

/** Seeded weights for every variable (variances positive), so that nothing is left at zero or one. */
function randomise(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.weights.map((w, i) => {
      const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      const values = w.name.includes('variance') ? uniform(n, seed + i, 0.2, 2) : uniform(n, seed + i, -0.6, 0.6);
      return tf.tensor(values, w.shape as number[]);
    }),
  );
}

/** Convert a tfjs model and compare both on each input size. */
async function roundTrip(model: tf.LayersModel, sizes: Dims[], channels: number, seed: number, what: string): Promise<void> {
  const { modelJson, weights } = await saved(model);
  const { onnx } = convertTfjsLayersModel(modelJson, weights);
  for (const [i, dims] of sizes.entries()) {
    const input = uniform(channels * dims[0] * dims[1] * dims[2], seed + 100 * i, -2, 2);
    assertAgrees(await compare(model, onnx, input, dims, channels), `${what} at ${dims.join('x')}`);
  }
}

const PACKAGES = [
  { id: 'brainchop-tissue-gwm', channels: 3 },
  { id: 'brainchop-brain-extraction', channels: 3 },
  { id: 'brainchop-subcortical-gwm', channels: 18 },
];

describe('tfjs layers-model to ONNX', () => {
  before(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  for (const { id, channels } of PACKAGES) {
    test(`${id}: the converted network gives tfjs's logits on a 40³ head phantom`, T, async (t) => {
      const dir = path.join(repoRoot, 'native-models', id);
      const manifest = ModelManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
      assert.equal(manifest.output.channels, channels);
      assert.ok(fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8').startsWith('MIT License'));
      const source = readTfjsSource(dir);
      const { modelJson, weights } = source;
      const converted = convertTfjsLayersModel(modelJson, weights, { sourceName: id });
      assert.equal(converted.outputChannels, channels);
      assert.deepEqual(converted.inputShape, [256, 256, 256, 1]);

      // tfjs checks inputs against the declared 256³: the reference takes any size, as brainchop's crop does
      const model = await loadTfjsModel(source);
      const dims: Dims = [40, 40, 40];
      const result = await compare(model, converted.onnx, headPhantom(40, 3.5, 7), dims);
      model.dispose();
      t.diagnostic(`${id}: max |logit difference| ${result.maxDiff.toExponential(2)}, labels agree on ${(result.agreement * 100).toFixed(3)} % of voxels, voxels per label ${result.labelCounts.join(' ')}`);
      assertAgrees(result, id);
      // the phantom gives the network something to segment: the label comparison is not all background
      assert.ok(result.labelCounts.filter((n) => n >= 100).length >= 2, `labels ${result.labelCounts.join(' ')}`);
    });
  }

  test('Conv3D "valid" and "same" with dilation, two input channels, even and anisotropic kernels (odd total padding), no bias', T, async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv3d({ name: 'a', inputShape: [null, null, null, 2], filters: 4, kernelSize: 3, dilationRate: 2, padding: 'valid', activation: 'relu' }),
        tf.layers.conv3d({ name: 'b', filters: 3, kernelSize: [3, 1, 2], dilationRate: [2, 1, 1], padding: 'same', useBias: false }),
        tf.layers.conv3d({ name: 'c', filters: 5, kernelSize: [2, 3, 3], dilationRate: [3, 2, 1], padding: 'same' }),
      ],
    });
    randomise(model, 11);
    await roundTrip(model, [[11, 12, 13], [9, 9, 10]], 2, 1, 'dilated convolutions');
  });

  test('Conv3D with strides, "same" (input-size dependent padding) and "valid"', T, async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv3d({ name: 's1', inputShape: [null, null, null, 1], filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
        tf.layers.conv3d({ name: 's2', filters: 4, kernelSize: [2, 3, 3], strides: [1, 2, 3], padding: 'same' }),
        tf.layers.conv3d({ name: 's3', filters: 2, kernelSize: [1, 2, 3], strides: [2, 1, 2], padding: 'valid' }),
      ],
    });
    randomise(model, 21);
    await roundTrip(model, [[9, 10, 27], [12, 12, 24], [13, 14, 20]], 1, 2, 'strided convolutions');
  });

  for (const activation of ['linear', 'relu', 'elu', 'sigmoid', 'tanh', 'softmax', 'gelu']) {
    test(`activation ${activation}, fused into Conv3D and as an Activation layer`, T, async () => {
      const act = activation as 'relu';
      const model = tf.sequential({
        layers: [
          tf.layers.conv3d({ name: 'in', inputShape: [null, null, null, 1], filters: 4, kernelSize: 3, padding: 'same', activation: act }),
          tf.layers.conv3d({ name: 'mid', filters: 4, kernelSize: 1, padding: 'same' }),
          tf.layers.activation({ name: 'act', activation: act }),
          tf.layers.conv3d({ name: 'out', filters: 3, kernelSize: 1, padding: 'same' }),
        ],
      });
      randomise(model, 31);
      await roundTrip(model, [[8, 9, 10]], 1, 3, activation);
    });
  }

  test('BatchNormalization with and without centre and scale, its epsilon and moving statistics', T, async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv3d({ name: 'conv', inputShape: [null, null, null, 1], filters: 4, kernelSize: 3, padding: 'same' }),
        tf.layers.batchNormalization({ name: 'bn1', epsilon: 0.01 }),
        tf.layers.batchNormalization({ name: 'bn2', center: false, scale: false, epsilon: 0.5 }),
        tf.layers.batchNormalization({ name: 'bn3', center: true, scale: false }),
        tf.layers.batchNormalization({ name: 'bn4', center: false, scale: true, axis: 4 }),
      ],
    });
    randomise(model, 41);
    const { modelJson, weights } = await saved(model);
    const converted = convertTfjsLayersModel(modelJson, weights);
    // tfjs-layers' BatchNormalization stops at rank 4 ("not implemented for array of rank 5"): the
    // reference runs tfjs's batchNorm kernel, which the layer calls for rank 4, on the volume as [D, H, W, C]
    const reference = {
      predict: (x: tf.Tensor) => {
        let y = model.layers[0]!.apply(x) as tf.Tensor;
        for (const layer of model.layers.slice(1)) {
          const w = new Map(layer.weights.map((v, i) => [v.name.split('/').pop(), layer.getWeights()[i] as tf.Tensor1D]));
          const { epsilon } = layer.getConfig() as { epsilon: number };
          const volume = y.reshape(y.shape.slice(1)) as tf.Tensor4D;
          y = tf.batchNorm(volume, w.get('moving_mean')!, w.get('moving_variance')!, w.get('beta'), w.get('gamma'), epsilon).reshape(y.shape);
        }
        return y;
      },
    } as unknown as tf.LayersModel;
    assert.deepEqual(converted.summary.map((l) => l.ops.join('+')), ['Conv', 'BatchNormalization', 'BatchNormalization', 'BatchNormalization', 'BatchNormalization']);
    const dims: Dims = [7, 8, 9];
    assertAgrees(await compare(reference, converted.onnx, uniform(7 * 8 * 9, 4, -2, 2), dims), 'batch normalisation');
  });

  test('ZeroPadding3D and dropout layers in a Functional topology with two weight shards', T, async () => {
    // tfjs-layers has no ZeroPadding3D (nor SpatialDropout3D): the reference is conv a, tf.pad, conv b
    const a = tf.sequential({ layers: [tf.layers.conv3d({ name: 'a', inputShape: [null, null, null, 1], filters: 3, kernelSize: 3, padding: 'same', activation: 'elu' })] });
    const b = tf.sequential({ layers: [tf.layers.conv3d({ name: 'b', inputShape: [null, null, null, 3], filters: 2, kernelSize: 3, padding: 'valid' })] });
    randomise(a, 51);
    randomise(b, 52);
    const sa = await saved(a);
    const sb = await saved(b);
    const layerOf = (s: { modelJson: Json }) => ((s.modelJson.modelTopology as Json).config as { layers: { class_name: string; config: Json }[] }).layers[0]!;
    const call = (from: string) => [[[from, 0, 0, {}]]];
    const layers = [
      // listed out of order: the converter follows inbound_nodes, not the list
      { class_name: 'Conv3D', name: 'b', config: layerOf(sb).config, inbound_nodes: call('dropout') },
      { class_name: 'InputLayer', name: 'volume', config: { name: 'volume', batch_input_shape: [null, null, null, null, 1], dtype: 'float32' }, inbound_nodes: [] },
      { class_name: 'Conv3D', name: 'a', config: layerOf(sa).config, inbound_nodes: call('volume') },
      { class_name: 'ZeroPadding3D', name: 'pad', config: { name: 'pad', padding: [[1, 2], [0, 3], [2, 1]], data_format: 'channels_last' }, inbound_nodes: call('a') },
      { class_name: 'ZeroPadding3D', name: 'pad1', config: { name: 'pad1', padding: 1 }, inbound_nodes: call('pad') },
      { class_name: 'SpatialDropout3D', name: 'sdrop', config: { name: 'sdrop', rate: 0.5 }, inbound_nodes: call('pad1') },
      { class_name: 'Dropout', name: 'dropout', config: { name: 'dropout', rate: 0.3 }, inbound_nodes: call('sdrop') },
    ];
    const modelJson = {
      format: 'layers-model',
      modelTopology: { keras_version: '2.7.0', backend: 'tensorflow', model_config: { class_name: 'Functional', config: { name: 'padded', layers, input_layers: [['volume', 0, 0]], output_layers: [['b', 0, 0]] } } },
      weightsManifest: [
        { paths: ['a.bin'], weights: (sa.modelJson.weightsManifest as { weights: unknown[] }[])[0]!.weights },
        { paths: ['b.bin'], weights: (sb.modelJson.weightsManifest as { weights: unknown[] }[])[0]!.weights },
      ],
    };
    const converted = convertTfjsLayersModel(modelJson, concat([sa.weights.slice().buffer, sb.weights.slice().buffer]));
    assert.deepEqual(
      converted.summary.map((l) => [l.name, l.ops.join('+')]),
      [['a', 'Conv+Elu'], ['pad', 'Pad'], ['pad1', 'Pad'], ['sdrop', ''], ['dropout', ''], ['b', 'Conv']],
    );
    const dims: Dims = [6, 7, 8];
    const input = uniform(6 * 7 * 8, 5, -2, 2);
    const reference = {
      predict: (x: tf.Tensor) => b.predict(tf.pad(a.predict(x) as tf.Tensor, [[0, 0], [2, 3], [1, 4], [3, 2], [0, 0]])),
    } as unknown as tf.LayersModel;
    assertAgrees(await compare(reference, converted.onnx, input, dims), 'zero padding');
  });

  test('a wrong weight is caught: the comparison has teeth', T, async () => {
    const model = tf.sequential({ layers: [tf.layers.conv3d({ name: 'k', inputShape: [null, null, null, 1], filters: 2, kernelSize: 3, padding: 'same' })] });
    randomise(model, 61);
    const { modelJson, weights } = await saved(model);
    const broken = weights.slice();
    new DataView(broken.buffer).setFloat32(4 * 13, 0.25 + new DataView(broken.buffer).getFloat32(4 * 13, true), true); // one kernel tap
    const dims: Dims = [6, 6, 6];
    const result = await compare(model, convertTfjsLayersModel(modelJson, broken).onnx, uniform(216, 9), dims);
    assert.ok(result.maxDiff > 1e-2, `max difference ${result.maxDiff}`);
  });

  test('an unsupported layer, activation or weight type is refused with the layer named', T, async () => {
    const pooled = tf.sequential({
      layers: [
        tf.layers.conv3d({ name: 'first', inputShape: [null, null, null, 1], filters: 2, kernelSize: 3, padding: 'same' }),
        tf.layers.maxPooling3d({ name: 'pool', poolSize: 2 }),
      ],
    });
    const p = await saved(pooled);
    assert.throws(() => convertTfjsLayersModel(p.modelJson, p.weights), /layer "pool" \(MaxPooling3D\): unsupported layer class/);

    const selu = tf.sequential({ layers: [tf.layers.conv3d({ name: 'odd', inputShape: [null, null, null, 1], filters: 2, kernelSize: 1, activation: 'selu' })] });
    const s = await saved(selu);
    assert.throws(() => convertTfjsLayersModel(s.modelJson, s.weights), /layer "odd" \(Conv3D\): unsupported activation "selu"/);

    const q = await saved(tf.sequential({ layers: [tf.layers.conv3d({ name: 'q', inputShape: [null, null, null, 1], filters: 1, kernelSize: 1 })] }));
    const manifest = structuredClone(q.modelJson.weightsManifest) as { weights: Json[] }[];
    manifest[0]!.weights[0]!.quantization = { dtype: 'uint8', scale: 1, min: 0 };
    assert.throws(() => convertTfjsLayersModel({ ...q.modelJson, weightsManifest: manifest }, q.weights), /weight "q\/kernel": only unquantised float32/);
    assert.throws(() => convertTfjsLayersModel(q.modelJson, q.weights.slice(0, 4)), /weight data ends before/);
  });
});
