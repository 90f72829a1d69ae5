/**
 * The inference.segment job: run a model on a stored series and keep the result as a new AI version
 * of the series' segmentation, with provenance (model, sha256, provider and why, timings, uncertainty).
 * A cancelled or failed run stores nothing.
 */
import { DelineateError } from '../../shared/errors.js';
import { segmentOfLabel } from '../../shared/interchange/mask-labels.js';
import { voxelCountsByLabel } from '../../shared/labels.js';
import { SegmentParamsSchema, type SegmentResult } from '../../shared/inference/segment-result.js';
import type { JobContext, JobType } from '../jobs/job-manager.js';
import type { LabelArray } from '../../shared/editing/grid.js';
import type { SeriesSummary } from '../../shared/studies.js';
import { labelStats } from '../../shared/curation/label-stats.js';
import type { VersionStatsRepo } from '../curation/version-stats.js';
import type { EventBus } from '../services/event-bus.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import type { SegmentationStore } from '../segmentation/segmentation-store.js';
import type { InferenceEngine } from './inference-engine.js';
import type { ModelRegistry } from './model-registry.js';

export const SEGMENT_JOB = 'inference.segment';

export interface SegmentJobDeps {
  registry: ModelRegistry;
  engine: InferenceEngine;
  studies: StudiesRepo;
  store: SegmentationStore;
  bus: EventBus;
  dataDir: string;
  allowGpu: boolean;
  /** ONNX Runtime CPU threads, 0 = one per core (read at each run: Settings may change it) */
  cpuThreads?: number;
  /** where each AI version's label statistics go (the review queue's outlier checks) */
  stats?: VersionStatsRepo;
}

export function segmentJob(deps: SegmentJobDeps): JobType<{ seriesId: number; modelId: string; provider: 'auto' | 'cpu' | 'cuda' }> {
  return {
    type: SEGMENT_JOB,
    label: 'Segment',
    description: 'Run a segmentation model on a series; the result becomes a new AI version',
    params: SegmentParamsSchema,
    async run(params, ctx): Promise<SegmentResult> {
      return (await segmentSeries(deps, params, ctx)).result;
    },
  };
}

export interface SegmentRequest {
  seriesId: number;
  modelId: string;
  provider: 'auto' | 'cpu' | 'cuda';
  /** set by batch runs: recorded in the version's provenance */
  batchId?: number;
}

/** Run a model on a stored series and save the result as a new AI version; returns it with the label map. */
export async function segmentSeries(deps: SegmentJobDeps, { seriesId, modelId, provider, batchId }: SegmentRequest, ctx: JobContext): Promise<{ result: SegmentResult; labels: LabelArray; series: SeriesSummary }> {
  const series = deps.studies.getSeries(seriesId);
  if (!series) throw new DelineateError('not_found', `No series ${seriesId}`);
  if (series.components !== 1) throw new DelineateError('invalid_params', `${series.description || `Series ${seriesId}`} is RGB: segment a scalar series`);
  const pkg = await deps.registry.get(modelId);
  const { manifest } = pkg;
  ctx.progress({ stage: 'load', message: `Reading ${series.description || `series ${seriesId}`}` });
  // the inference process reads the voxels from the volume cache itself
  const stored = { dataDir: deps.dataDir, volumeFile: series.volumeFile, bytes: series.volumeBytes };
  const volume = { dims: series.dims, spacing: series.spacing, affineLps: series.affineLps, voxelType: series.voxelType, stored };
  const result = await deps.engine.run(pkg, volume, {
    provider,
    allowGpu: deps.allowGpu,
    cpuThreads: deps.cpuThreads ?? 0,
    signal: ctx.signal,
    onProgress: (stage, fraction, message) => ctx.progress({ stage, fraction, message }),
  });
  if (ctx.signal.aborted) throw new DelineateError('cancelled', 'Segmentation cancelled');

  ctx.progress({ stage: 'store', message: 'Saving the result as a new version' });
  const grid = { dims: series.dims };
  const { info } = deps.store.openForSeries(seriesId, grid);
  if (info.labelType === 'uint8' && manifest.labels.some((l) => l.value > 255)) {
    throw new DelineateError('invalid_params', `${manifest.name} has label values above 255; this segmentation stores 8-bit labels`);
  }
  const labels = info.labelType === 'uint8' && result.labels instanceof Uint16Array ? Uint8Array.from(result.labels) : result.labels;
  const bytes = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  const timings = Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, Math.round(v)]));
  const { version } = deps.store.addVersion(
    info.id,
    bytes,
    {
      name: `${manifest.name} ${manifest.version}`,
      source: 'ai',
      segments: manifest.labels.map(segmentOfLabel),
      provenance: {
        modelId: manifest.id,
        modelVersion: manifest.version,
        modelSha256: pkg.sha256,
        executionProvider: result.choice.provider,
        providerReason: result.choice.reason,
        runTimeMs: timings.totalMs,
        uncertainty: result.uncertainty,
        ...(batchId === undefined ? {} : { batchId }),
        parameters: { timingsMs: timings, modelGrid: result.modelGrid, inference: manifest.inference.mode },
      },
    },
    grid,
  );
  deps.stats?.put(version.id, labelStats(labels, series.dims, series.spacing));
  deps.bus.emit('store.changed', { entity: 'segmentation', ids: [String(info.id)] });
  const summary: SegmentResult = {
    segmentationId: info.id,
    versionId: version.id,
    versionNumber: version.number,
    modelId: manifest.id,
    modelVersion: manifest.version,
    provider: result.choice.provider,
    providerReason: result.choice.reason,
    timings,
    uncertainty: result.uncertainty,
    voxelCounts: voxelCountsByLabel(labels),
  };
  return { result: summary, labels, series };
}
