/**
 * Tiny real ONNX models with known behaviour, and model packages around them, for the inference
 * tests. Every model takes [1, 1, D, H, W] with free spatial dims.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildOnnxModel, type OnnxNode, type OnnxTensor } from '../../src/main/inference/onnx-builder.js';

const io = (channels: number | string) => ({
  inputs: [{ name: 'image', dims: [1, 1, 'D', 'H', 'W'] }],
  outputs: [{ name: 'logits', dims: [1, channels, 'D', 'H', 'W'] }],
});

/** Two logits, t − x and x − t: argmax labels voxels above `t` as 1. */
export function thresholdModel(t: number, declaredChannels: number | string = 2): Uint8Array {
  return buildOnnxModel({
    name: 'threshold',
    ...io(declaredChannels),
    nodes: [{ op: 'Conv', inputs: ['image', 'w', 'b'], outputs: ['logits'], attributes: { kernel_shape: [1, 1, 1] } }],
    initializers: [
      { name: 'w', dims: [2, 1, 1, 1, 1], data: Float32Array.of(-1, 1) },
      { name: 'b', dims: [2], data: Float32Array.of(t, -t) },
    ],
  });
}

/** The 3×3×3 kernel of `filterModel`: every tap a different weight, so flips and shifts show. */
export const FILTER_KERNEL = Float32Array.from({ length: 27 }, (_, i) => (i + 1) / 378);

/** Two channels: a zero-padded 3×3×3 correlation with FILTER_KERNEL, and its negative. */
export function filterModel(): Uint8Array {
  const w = new Float32Array(54);
  w.set(FILTER_KERNEL, 0);
  w.set(FILTER_KERNEL.map((v) => -v), 27);
  return buildOnnxModel({
    name: 'filter',
    ...io(2),
    nodes: [{ op: 'Conv', inputs: ['image', 'w', 'b'], outputs: ['logits'], attributes: { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] } }],
    initializers: [
      { name: 'w', dims: [2, 1, 3, 3, 3], data: w },
      { name: 'b', dims: [2], data: new Float32Array(2) },
    ],
  });
}

/** A deliberately slow model (`layers` 3×3×3 convolutions of `width` channels), for cancel tests. */
export function slowModel(layers = 6, width = 16): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let previous = 'image';
  let cin = 1;
  for (let l = 0; l <= layers; l++) {
    const cout = l === layers ? 2 : width;
    initializers.push({ name: `w${l}`, dims: [cout, cin, 3, 3, 3], data: Float32Array.from({ length: cout * cin * 27 }, (_, i) => ((i % 7) - 3) / 100) });
    const out = l === layers ? 'logits' : `h${l}`;
    nodes.push({ op: 'Conv', inputs: [previous, `w${l}`], outputs: [out], attributes: { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] } });
    previous = out;
    cin = cout;
  }
  return buildOnnxModel({ name: 'slow', ...io(2), nodes, initializers });
}

export type TestManifest = Record<string, any>;

/** A valid manifest for a two-channel model on native axes with no normalisation. */
export function testManifest(id: string, edit?: (m: TestManifest) => void): TestManifest {
  const manifest: TestManifest = {
    id,
    name: `Test model ${id}`,
    version: '1.0.0',
    license: 'MIT',
    task: 'segmentation',
    modality: ['MR'],
    bodyPart: 'BRAIN',
    file: 'model.onnx',
    input: { channels: 1, conform: { orientation: 'native', spacingMm: null, shape: null }, normalisation: [] },
    inference: { mode: 'whole' },
    output: { kind: 'logits', channels: 2 },
    labels: [{ value: 1, name: 'Above', color: [250, 80, 80] }],
  };
  edit?.(manifest);
  return manifest;
}

/** Write a model package folder (manifest.json, model.onnx, LICENSE) and return it. */
export function writeModelPackage(dir: string, manifest: TestManifest, onnx: Uint8Array): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(dir, manifest.file ?? 'model.onnx'), onnx);
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'MIT License (test weights)\n');
  return dir;
}
