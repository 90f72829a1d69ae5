/**
 * The export.mask job: write a saved version as DICOM SEG, RTSTRUCT (both referencing the series'
 * images, optionally de-identified) or NIfTI + labels JSON. Files are written beside the target and
 * renamed into place, so a failed or cancelled export leaves no partial file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { labelArrayOf } from '../../shared/editing/label-runs.js';
import { DelineateError } from '../../shared/errors.js';
import { maskLabelsOf } from '../../shared/interchange/mask-labels.js';
import { ExportMaskParamsSchema, type ExportMaskParams, type ExportMaskResult } from '../../shared/interchange.js';
import type { VersionInfo } from '../../shared/segmentation.js';
import type { JobType } from '../jobs/job-manager.js';
import type { SegmentationStore } from '../segmentation/segmentation-store.js';
import type { AppServices } from '../services/app-services.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import { deidentifyPart10, writeUidMapping } from './deidentify-part10.js';
import { writeFileAtomically } from './atomic-file.js';
import { EXPORT_MASK_JOB } from './job-names.js';
import { exportVersionNifti } from './nifti-export.js';
import { buildRtstruct } from './rtstruct-export.js';
import { buildSeg } from './seg-export.js';
import { storedSourceSeries } from './stored-series.js';

export interface MaskExportDeps {
  studies: StudiesRepo;
  store: SegmentationStore;
  services: () => AppServices;
}

/** The version asked for, or the head; a segmentation never saved has nothing to export. */
export function versionToExport(store: SegmentationStore, segmentationId: number, versionId?: number): VersionInfo {
  const info = store.describe(segmentationId);
  if (versionId === undefined) {
    if (!info.headVersion) throw new DelineateError('invalid_params', `Segmentation ${segmentationId} has no saved version yet: save a version to export it`);
    return info.headVersion;
  }
  const version = store.listVersions(segmentationId).find((v) => v.id === versionId);
  if (!version) throw new DelineateError('not_found', `Segmentation ${segmentationId} has no version ${versionId}`);
  return version;
}

function checkOutDir(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DelineateError('invalid_params', `No folder ${dir} to write ${path.basename(file)} into`);
}

export function maskExportJob(deps: MaskExportDeps): JobType<ExportMaskParams> {
  return {
    type: EXPORT_MASK_JOB,
    label: 'Export mask',
    description: 'Write a saved segmentation version as DICOM SEG, RTSTRUCT or NIfTI',
    params: ExportMaskParamsSchema,
    async run(params, ctx): Promise<ExportMaskResult> {
      const started = performance.now();
      const { segmentationId, format, deidentify } = params;
      const out = path.resolve(params.out);
      checkOutDir(out);
      const version = versionToExport(deps.store, segmentationId, params.versionId);
      const base = { format, segmentationId, versionId: version.id, versionNumber: version.number };

      if (format === 'nifti') {
        if (deidentify) throw new DelineateError('invalid_params', 'NIfTI exports carry no patient identifiers; de-identification applies to DICOM exports');
        const written = await exportVersionNifti(deps.services(), { segmentationId, versionId: version.id, out, ...(params.imageOut ? { imageOut: path.resolve(params.imageOut) } : {}) }, {
          signal: ctx.signal,
          onProgress: (fraction, message) => ctx.progress({ stage: 'write', fraction, message: message ?? 'Writing NIfTI' }),
        });
        const files = [written.out, written.sidecar, ...(written.imageOut ? [written.imageOut] : [])].map((f) => ({ path: f, bytes: fs.statSync(f).size }));
        return { ...base, files, labels: written.labels, deidentified: false, elapsedMs: performance.now() - started };
      }

      const seriesId = deps.store.seriesOf(segmentationId);
      ctx.progress({ stage: 'read', fraction: 0, message: 'Reading the series the mask refers to' });
      const source = storedSourceSeries(deps.studies, seriesId);
      const grid = { dims: source.geometry.dims };
      const labels = labelArrayOf(deps.store.loadVersion(segmentationId, version.id, grid).labels, deps.store.labelTypeOf(segmentationId));
      const segments = maskLabelsOf(version.segments, version.source, version.provenance);
      const common = { source, labels, segments, signal: ctx.signal, onProgress: (f: number) => ctx.progress({ stage: 'encode', fraction: 0.1 + 0.8 * f, message: `Encoding ${format.toUpperCase()}` }) };
      const built =
        format === 'seg'
          ? (({ bytes, frames, segments: n }) => ({ bytes, items: frames, labels: n }))(buildSeg({ ...common, seriesDescription: `${version.name} (version ${version.number})`.slice(0, 64) }))
          : (({ bytes, contours, rois }) => ({ bytes, items: contours, labels: rois }))(buildRtstruct({ ...common, seriesDescription: `${version.name} (version ${version.number})`.slice(0, 64) }));
      if (ctx.signal.aborted) throw new DelineateError('cancelled', 'Export cancelled');
      let bytes = built.bytes;
      if (deidentify) {
        ctx.progress({ stage: 'deidentify', fraction: 0.92, message: 'De-identifying' });
        const uidMap = new Map<string, string>();
        const { shiftDays, pseudonym, mappingFile } = deidentify;
        const result = deidentifyPart10(
          bytes,
          { ...(shiftDays === undefined ? {} : { retainLongitudinalDates: { shiftDays } }), ...(pseudonym ? { patientPseudonym: { name: pseudonym, id: pseudonym } } : {}) },
          uidMap,
        );
        bytes = result.bytes;
        // references to the series' images are replaced through the same map: the mapping file is how a
        // site that also de-identifies the images (or re-identifies results) keeps them linked
        if (mappingFile) {
          if (path.resolve(mappingFile) === out) throw new DelineateError('invalid_params', 'The mapping file cannot be the exported file');
          writeUidMapping(path.resolve(mappingFile), uidMap, new Map([[result.patient.originalId, result.patient]]));
        }
      }
      ctx.progress({ stage: 'write', fraction: 0.95, message: `Writing ${path.basename(out)}` });
      writeFileAtomically(out, bytes);
      return { ...base, files: [{ path: out, bytes: bytes.byteLength }], labels: built.labels, items: built.items, deidentified: deidentify !== undefined, elapsedMs: performance.now() - started };
    },
  };
}
