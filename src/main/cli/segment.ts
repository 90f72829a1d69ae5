/** `delineate segment INPUT --model ID`: import INPUT, run a model on it, keep the result as an AI version (and write it as NIfTI). */
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { PROVIDER_PREFERENCES, type SegmentResult } from '../../shared/inference/segment-result.js';
import { labelArrayOf } from '../../shared/editing/label-runs.js';
import { flipAxis } from '../../shared/reorient.js';
import { voxelTypeOf } from '../../shared/volume.js';
import type { ImportReport } from '../../shared/studies.js';
import { resolveDataDir } from '../data-dir.js';
import { SEGMENT_JOB } from '../inference/segment-job.js';
import { createServices } from '../services/app-services.js';
import { writeNiftiFile } from '../studies/nifti-file.js';
import { DATA_DIR_OPTION, type Command } from './command.js';
import { runJobToEnd } from './run-job.js';
import { chooseSeries } from './choose-series.js';

export const segmentCommand: Command = {
  name: 'segment',
  summary: 'Run a segmentation model on a DICOM folder or NIfTI file; the result is stored as an AI version.',
  usage: 'delineate segment INPUT --model ID [--provider auto|cpu|cuda] [--series N|UID] [--out FILE.nii.gz] [--data-dir DIR] [--json]',
  allowPositionals: true,
  options: {
    model: { type: 'string', valueName: 'ID', description: 'model id (see: delineate models list)' },
    provider: { type: 'string', valueName: 'NAME', description: 'auto (default: CUDA when it loads, else CPU), cpu or cuda (falls back to CPU, saying why)' },
    series: { type: 'string', valueName: 'N|UID', description: 'which series when INPUT holds several: its number in the import report, or its UID' },
    out: { type: 'string', valueName: 'FILE', description: 'also write the label map as .nii or .nii.gz (same layout as `delineate convert`)' },
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io) {
    const [input, ...extra] = args.positionals;
    const modelId = args.values.model as string | undefined;
    const provider = (args.values.provider as string | undefined) ?? 'auto';
    const out = args.values.out as string | undefined;
    if (!input || extra.length) throw new DelineateError('invalid_params', 'segment needs exactly one INPUT (see: delineate segment --help)');
    if (!modelId) throw new DelineateError('invalid_params', '--model ID is required (see: delineate models list)');
    if (!(PROVIDER_PREFERENCES as readonly string[]).includes(provider)) throw new DelineateError('invalid_params', `--provider must be one of ${PROVIDER_PREFERENCES.join(', ')}`);
    if (out !== undefined && !/\.nii(\.gz)?$/i.test(out)) throw new DelineateError('invalid_params', '--out must name a .nii or .nii.gz file');

    const services = createServices({ dataDir: resolveDataDir(args.values['data-dir'] as string | undefined, io.env), host: 'cli' });
    try {
      const report = (await runJobToEnd(services, 'studies.import', { paths: [path.resolve(input)] }, io, args.json)) as ImportReport;
      const series = pickSeries(report, args.values.series as string | undefined, input);
      const result = (await runJobToEnd(services, SEGMENT_JOB, { seriesId: series.id, modelId, provider }, io, args.json)) as SegmentResult;
      let written: string | null = null;
      if (out) {
        const store = services.segmentations;
        const bytes = store.loadVersion(result.segmentationId, result.versionId, { dims: series.dims }).labels;
        const labels = labelArrayOf(bytes, store.labelTypeOf(result.segmentationId));
        const volume = { dims: series.dims, spacing: series.spacing, affineLps: series.affineLps, voxelType: voxelTypeOf(labels), components: 1 as const, data: labels };
        // the same voxel layout `delineate convert` (and dcm2niix) writes for this series
        await writeNiftiFile(path.resolve(out), series.sourceKind === 'dicom' ? flipAxis(volume, 1) : volume, { description: `Delineate ${result.modelId} ${result.modelVersion}` });
        written = path.resolve(out);
      }
      return { ...result, seriesId: series.id, series: series.description || series.key, out: written };
    } finally {
      await services.close();
    }
  },
  human(r) {
    const res = r as SegmentResult & { series: string; out: string | null };
    const counts = Object.entries(res.voxelCounts).map(([v, n]) => `${v}: ${n}`).join(', ');
    return [
      `${res.series}: version ${res.versionNumber} of segmentation ${res.segmentationId} by ${res.modelId} ${res.modelVersion}`,
      `provider: ${res.providerReason}`,
      `time: ${res.timings.totalMs} ms (model ${res.timings.sessionRunMs} ms)`,
      `voxels per label: ${counts || 'none'}`,
      ...(res.out ? [`wrote ${res.out}`] : []),
    ].join('\n');
  },
};

function pickSeries(report: ImportReport, wanted: string | undefined, input: string): ImportReport['series'][number] {
  const candidates = report.series;
  if (candidates.length === 0) throw new DelineateError('invalid_input', `No image series found in ${input}${report.failed.length ? ` (${report.failed[0]!.reason})` : ''}`);
  return chooseSeries(candidates, wanted, (c, uid) => c.seriesInstanceUid === uid);
}
