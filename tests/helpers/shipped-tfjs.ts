/**
 * A shipped package's TensorFlow.js source (native-models/<id>/tfjs): its model.json and weight bytes,
 * and the tfjs model built from them with the declared 256³ input made free (brainchop edits the input
 * shape to its crop the same way), as the reference our converted ONNX is held to.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { weightPaths } from '../../src/main/inference/tfjs-model.js';

export interface TfjsSource {
  modelJson: { modelTopology: { model_config: { config: { layers: { config: Record<string, unknown> }[] } } }; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  /** every weight file, concatenated in manifest order */
  weights: Uint8Array;
}

export function readTfjsSource(packageDir: string): TfjsSource {
  const dir = path.join(packageDir, 'tfjs');
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as TfjsSource['modelJson'];
  const weights = new Uint8Array(Buffer.concat(weightPaths(modelJson).map((p) => fs.readFileSync(path.join(dir, p)))));
  return { modelJson, weights };
}

export function loadTfjsModel({ modelJson, weights }: TfjsSource): Promise<tf.LayersModel> {
  const topology = structuredClone(modelJson.modelTopology);
  topology.model_config.config.layers[0]!.config.batch_input_shape = [null, null, null, null, 1];
  const weightData = weights.slice().buffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights), weightData }));
}
