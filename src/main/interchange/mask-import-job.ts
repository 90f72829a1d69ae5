/**
 * The masks.import job: read a DICOM SEG, RTSTRUCT or NIfTI label map, put it on the series grid
 * (refusing another grid unless resampling was asked for) and keep it as a new version with source
 * "import". A file that fails any check stores nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Segment } from '../../shared/editing/segments.js';
import { DelineateError } from '../../shared/errors.js';
import { segmentOfLabel } from '../../shared/interchange/mask-labels.js';
import { voxelCountsByLabel } from '../../shared/labels.js';
import { ImportMaskParamsSchema, type ImportedMask, type ImportMaskParams, type ImportMaskResult, type MaskLabel } from '../../shared/interchange.js';
import type { JobType } from '../jobs/job-manager.js';
import type { EventBus } from '../services/event-bus.js';
import type { SegmentationStore } from '../segmentation/segmentation-store.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import { IMPORT_MASK_JOB } from './job-names.js';
import { maskFileFormat } from './mask-format.js';
import { readNiftiMask } from './nifti-mask.js';
import { readRtstruct } from './rtstruct-import.js';
import { readSeg } from './seg-import.js';
import { storedSourceSeries } from './stored-series.js';

export interface MaskImportDeps {
  studies: StudiesRepo;
  store: SegmentationStore;
  bus: EventBus;
}

/**
 * Label values for the imported segments that agree with the segmentation's: a segment named like an
 * existing one takes its value (DICOM SEG numbers segments 1..n, so a SEG of labels 1 and 3 arrives as
 * 1 and 2); any other keeps its value unless a matched one took it, then the lowest free one. The
 * version holds only the imported segments, so other existing segments reserve nothing. Returns old → new.
 */
export function matchExistingValues(imported: readonly MaskLabel[], existing: readonly Segment[], maxValue: number): Map<number, number> {
  const key = (name: string) => name.trim().toLowerCase();
  const byName = new Map(existing.map((s) => [key(s.name), s.value]));
  const mapping = new Map<number, number>();
  const taken = new Set<number>();
  for (const label of imported) {
    const value = byName.get(key(label.name));
    if (value !== undefined && !taken.has(value)) (mapping.set(label.value, value), taken.add(value));
  }
  for (const label of imported) {
    if (mapping.has(label.value)) continue;
    let value = label.value;
    if (taken.has(value)) {
      value = 1;
      while (value <= maxValue && taken.has(value)) value++;
      if (value > maxValue) throw new DelineateError('invalid_input', `No free label value for segment "${label.name}"`);
    }
    mapping.set(label.value, value);
    taken.add(value);
  }
  return mapping;
}

function relabel<T extends Uint8Array | Uint16Array>(labels: T, mapping: Map<number, number>): T {
  if ([...mapping].every(([from, to]) => from === to)) return labels;
  const lut = new Uint16Array(65536);
  for (let v = 0; v < lut.length; v++) lut[v] = v;
  for (const [from, to] of mapping) lut[from] = to;
  const out = new (labels.constructor as new (n: number) => T)(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = lut[labels[i]!]!;
  return out;
}

export function maskImportJob(deps: MaskImportDeps): JobType<ImportMaskParams> {
  return {
    type: IMPORT_MASK_JOB,
    label: 'Import mask',
    description: 'Import a DICOM SEG, RTSTRUCT or NIfTI label map onto a series as a new version',
    params: ImportMaskParamsSchema,
    async run({ seriesId, path: file, labelsPath, resample }, ctx): Promise<ImportMaskResult> {
      const series = deps.studies.getSeries(seriesId);
      if (!series) throw new DelineateError('not_found', `No series ${seriesId}`);
      if (!fs.existsSync(file)) throw new DelineateError('not_found', `No file ${file}`);
      const name = path.basename(file);
      ctx.progress({ stage: 'read', message: `Reading ${name}` });
      const format = maskFileFormat(file);
      let mask: ImportedMask & { resampled?: boolean };
      if (format === 'nifti') mask = await readNiftiMask(file, series, { resample, ...(labelsPath ? { labelsPath } : {}) });
      else {
        const source = storedSourceSeries(deps.studies, seriesId);
        const bytes = new Uint8Array(fs.readFileSync(file));
        if (ctx.signal.aborted) throw new DelineateError('cancelled', 'Import cancelled');
        ctx.progress({ stage: 'read', fraction: 0.3, message: `Placing ${name} on the series grid` });
        mask = format === 'seg' ? readSeg(bytes, source, name) : readRtstruct(bytes, source, name);
      }
      if (ctx.signal.aborted) throw new DelineateError('cancelled', 'Import cancelled');

      ctx.progress({ stage: 'store', fraction: 0.8, message: 'Saving the mask as a new version' });
      const grid = { dims: series.dims };
      const { info } = deps.store.openForSeries(seriesId, grid);
      const widest = mask.segments.reduce((m, s) => Math.max(m, s.value), 0);
      let labels = mask.labels;
      if (info.labelType === 'uint8') {
        if (widest > 255 || labels instanceof Uint16Array) {
          let max = 0;
          for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
          if (max > 255 || widest > 255) throw new DelineateError('invalid_input', `${name} has label values above 255; this segmentation stores 8-bit labels`);
          labels = Uint8Array.from(labels);
        }
      } else if (labels instanceof Uint8Array) labels = Uint16Array.from(labels);
      // values that agree with the segments this segmentation already has (same name → same value)
      const mapping = matchExistingValues(mask.segments, info.segments, info.labelType === 'uint8' ? 255 : 65535);
      labels = relabel(labels, mapping);
      const segments = mask.segments.map((s) => segmentOfLabel({ ...s, value: mapping.get(s.value)! })).sort((a, b) => a.value - b.value);
      const algorithms = [...new Set(mask.segments.filter((s) => s.algorithmType !== 'MANUAL').map((s) => `${s.algorithmType}: ${s.algorithmName ?? '?'}`))];
      const { version } = deps.store.addVersion(
        info.id,
        new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength),
        {
          name: `Imported ${format.toUpperCase()} ${name}`.slice(0, 200),
          source: 'import',
          segments,
          provenance: {
            sourceFile: file,
            parameters: { format, resampled: mask.resampled ?? false, ...(algorithms.length ? { algorithms } : {}) },
            ...(mask.warnings.length ? { note: mask.warnings.join('; ').slice(0, 500) } : {}),
          },
        },
        grid,
      );
      deps.bus.emit('store.changed', { entity: 'segmentation', ids: [String(info.id)] });
      return {
        format,
        segmentationId: info.id,
        versionId: version.id,
        versionNumber: version.number,
        labels: mask.segments.length,
        voxelCounts: voxelCountsByLabel(labels),
        resampled: mask.resampled ?? false,
        warnings: mask.warnings,
      };
    },
  };
}
