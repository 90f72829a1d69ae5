/**
 * One model run on one series: conform to the model's space, normalise, crop, run (whole or sliding
 * window, optionally mirrored), argmax, post-process, and resample the labels back to the series grid.
 * Runs in the inference process (inference-child.ts); every step but session.run is pure code from
 * src/shared/inference.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { loadOrt } from '../compute/providers.js';
import type { ModelManifest } from '../../shared/inference/manifest.js';
import { modelGrid, resampleLinear, resampleNearest } from '../../shared/inference/conform.js';
import { normalise } from '../../shared/inference/normalise.js';
import { cropBox, extractBox, extractTile, gaussianImportance, mirror, pasteBox, planTiles, TileAccumulator, type Box } from '../../shared/inference/sliding-window.js';
import { argmaxChannels, fillHoles, keepLargestComponent, uncertaintyScore } from '../../shared/inference/postprocess.js';
import type { Volume, VolumeGeometry } from '../../shared/volume.js';
import type { PipelineTimings, UncertaintyScore } from './inference-protocol.js';

type Dims3 = [number, number, number];

export interface PipelineModel {
  manifest: ModelManifest;
  inputName: string;
  outputName: string;
}

export interface PipelineProgress {
  (stage: string, fraction: number | null, message: string): void;
}

export interface PipelineOutput {
  labels: Uint8Array | Uint16Array;
  uncertainty: UncertaintyScore;
  timings: Omit<PipelineTimings, 'sessionMs' | 'totalMs'>;
  modelGrid: { dims: Dims3; cropped: Dims3; tiles: number };
}

/** The fixed D, H, W of the model input, or null where they are free (fully convolutional models). */
function fixedSpatialDims(session: InferenceSession, inputName: string): Dims3 | null {
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  const shape = meta && 'shape' in meta ? (meta.shape as (number | string)[]) : [];
  const spatial = shape.slice(2);
  return spatial.length === 3 && spatial.every((d) => typeof d === 'number' && d > 0) ? (spatial as Dims3) : null;
}

/** The model input: the series conformed to the model's space, normalised, and cropped to what matters. */
export interface PreparedInput {
  /** the model grid (tensor-ordered: i = W, j = H, k = D) */
  grid: VolumeGeometry;
  /** its D, H, W */
  full: Dims3;
  crop: Box | null;
  /** the tensor the model runs on (the crop of the normalised volume, or all of it) */
  work: Float32Array;
  workDims: Dims3;
  fixed: Dims3 | null;
  conformMs: number;
  normaliseMs: number;
}

export function prepareInput(session: InferenceSession, model: PipelineModel, volume: Volume, progress: PipelineProgress): PreparedInput {
  const { manifest } = model;
  let t = performance.now();
  progress('conform', null, 'Resampling to the model space');
  const grid = modelGrid(volume, manifest.input.conform);
  const conformed = resampleLinear(volume, grid);
  const full: Dims3 = [grid.dims[2], grid.dims[1], grid.dims[0]];
  const conformMs = performance.now() - t;

  t = performance.now();
  progress('normalise', null, 'Normalising intensities');
  normalise(conformed, manifest.input.normalisation);
  const fixed = fixedSpatialDims(session, model.inputName);
  const crop = manifest.input.crop && !fixed ? cropBox(conformed, full, manifest.input.crop.threshold, manifest.input.crop.marginVoxels) : null;
  const work = crop ? extractBox(conformed, full, crop) : conformed;
  return { grid, full, crop, work, workDims: crop ? crop.size : full, fixed, conformMs, normaliseMs: performance.now() - t };
}

export async function runPipeline(session: InferenceSession, model: PipelineModel, volume: Volume, progress: PipelineProgress): Promise<PipelineOutput> {
  const { manifest } = model;
  const { grid, full, crop, work, workDims, fixed, conformMs, normaliseMs } = prepareInput(session, model, volume, progress);
  let t = performance.now();
  const { scores, sessionRunMs, tiles } = await predictScores(session, model, work, workDims, fixed, progress);
  const inferenceMs = performance.now() - t;

  t = performance.now();
  progress('postprocess', null, 'Labelling voxels');
  const { labels: workLabels, maxProbability } = manifest.output.kind === 'labels' ? labelsFromScores(scores) : argmaxChannels(scores, manifest.output.channels, manifest.output.kind, manifest.output.channelToLabel, 'labelled');
  const uncertainty = maxProbability ? uncertaintyScore(maxProbability, workLabels) : { meanEntropyProxy: 0, lowConfidenceFraction: 0 };
  // Post-processing on the crop is exact: everything outside it is background, connected to the
  // grid border, so components and holes are the same as on the whole grid.
  const { keepLargestComponent: keep, fillHoles: holes } = manifest.postprocess;
  if (keep === 'foreground' || keep.length) keepLargestComponent(workLabels, workDims, keep);
  if (holes.length) fillHoles(workLabels, workDims, holes);
  const modelLabels = crop ? pasteBox(workLabels, full, crop) : workLabels;
  const postprocessMs = performance.now() - t;

  t = performance.now();
  progress('resample', null, 'Resampling labels to the series grid');
  const labels = resampleNearest(modelLabels, grid, volume);
  return {
    labels,
    uncertainty,
    timings: { conformMs, normaliseMs, inferenceMs, sessionRunMs, postprocessMs, resampleBackMs: performance.now() - t },
    modelGrid: { dims: full, cropped: workDims, tiles },
  };
}

/**
 * The model's output scores [C, D, H, W] over a whole (possibly cropped) normalised volume: one run
 * when the model takes any size, else Gaussian- or constant-weighted tiles, each optionally averaged
 * with its mirrored runs.
 */
export async function predictScores(
  session: InferenceSession,
  model: PipelineModel,
  work: Float32Array,
  workDims: Dims3,
  fixed: Dims3 | null,
  progress: PipelineProgress,
): Promise<{ scores: Float32Array; sessionRunMs: number; tiles: number }> {
  const { manifest } = model;
  const ort = await loadOrt();
  const spec = manifest.inference;
  const patch: Dims3 = fixed ?? (spec.mode === 'sliding-window' ? spec.patchSize : workDims);
  const overlap = spec.mode === 'sliding-window' ? spec.overlap : 0;
  const mirrorAxes = spec.mode === 'sliding-window' ? spec.mirrorAxes : [];
  const tiles = planTiles(workDims, patch, overlap);
  const channels = manifest.output.kind === 'labels' ? 1 : manifest.output.channels;
  const runs = tiles.length * (1 + mirrorAxes.length);
  let sessionRunMs = 0;
  let done = 0;

  const infer = async (input: Float32Array): Promise<Float32Array> => {
    const started = performance.now();
    const feeds = { [model.inputName]: new ort.Tensor('float32', input, [1, 1, ...patch]) };
    const out = (await session.run(feeds))[model.outputName];
    sessionRunMs += performance.now() - started;
    if (!out || out.dims.length !== 5 || out.dims[1] !== channels || out.dims.slice(2).some((d, i) => d !== patch[i])) {
      throw new Error(`${manifest.id}: output ${model.outputName} has shape [${out?.dims.join(', ')}], expected [1, ${channels}, ${patch.join(', ')}]`);
    }
    done++;
    progress('inference', done / runs, runs > 1 ? `Tile ${done} of ${runs}` : 'Running the model');
    return out.data as Float32Array;
  };

  /** one tile's scores, averaged over the mirrored runs (test-time augmentation) */
  const tileScores = async (tile: Float32Array): Promise<Float32Array> => {
    const scores = await infer(tile);
    if (mirrorAxes.length === 0) return scores;
    const sum = Float32Array.from(scores);
    for (const axis of mirrorAxes) {
      const flipped = await infer(mirror(tile, patch, [axis], 1));
      const back = mirror(flipped, patch, [axis], channels);
      for (let i = 0; i < sum.length; i++) sum[i]! += back[i]!;
    }
    for (let i = 0; i < sum.length; i++) sum[i]! /= 1 + mirrorAxes.length;
    return sum;
  };

  if (tiles.length === 1 && patch.every((p, i) => p === workDims[i])) return { scores: await tileScores(work), sessionRunMs, tiles: 1 };
  const weights = spec.mode === 'sliding-window' && spec.blending === 'gaussian' ? gaussianImportance(patch, spec.sigmaScale) : new Float32Array(patch[0] * patch[1] * patch[2]).fill(1);
  const acc = new TileAccumulator(channels, workDims);
  for (const { start } of tiles) acc.add(await tileScores(extractTile(work, workDims, start, patch)), start, patch, weights);
  return { scores: acc.result(), sessionRunMs, tiles: tiles.length };
}

/** A model that outputs label values directly: round them. */
function labelsFromScores(scores: Float32Array): { labels: Uint8Array | Uint16Array; maxProbability: null } {
  let max = 0;
  for (const v of scores) if (v > max) max = v;
  const labels = max > 255 ? new Uint16Array(scores.length) : new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) labels[i] = Math.max(0, Math.round(scores[i]!));
  return { labels, maxProbability: null };
}
