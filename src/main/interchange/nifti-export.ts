/**
 * A stored segmentation version as NIfTI: the label map (uint8/uint16) on its series' grid, optionally
 * the image too, and a JSON sidecar { labels: [...] } in the LABELS.json shape `export seg --labels`
 * reads. DICOM series are written on the layout `convert` writes (dcm2niix's: rows flipped, RAS
 * sform/qform), so label map and image overlay any dcm2niix conversion of the series; NIfTI-imported
 * series keep their source file's affine. Nothing written names the patient: the NIfTI description is
 * a fixed text and the sidecar holds labels only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { lpsToRasAffine } from '../../shared/geometry.js';
import { LabelsFileSchema, type MaskLabel } from '../../shared/interchange.js';
import { algorithmOf, maskLabelsOf } from '../../shared/interchange/mask-labels.js';
import { defaultLabelColor, labelsPresent } from '../../shared/labels.js';
import { flipAxis } from '../../shared/reorient.js';
import type { ReviewState, VersionInfo } from '../../shared/segmentation.js';
import type { SeriesSummary } from '../../shared/studies.js';
import { viewVoxels, voxelCount, type Vec3, type Volume } from '../../shared/volume.js';
import type { AppServices } from '../services/app-services.js';
import { StudiesRepo } from '../store/studies-repo.js';
import { writeNiftiFile } from '../studies/nifti-file.js';
import { writeFileAtomically } from './atomic-file.js';
import { readVolumeFile } from '../studies/volume-cache.js';

export interface ExportOptions {
  onProgress?: (fraction: number, message?: string) => void;
  signal?: AbortSignal;
}

export type StoredSeries = SeriesSummary & { volumeFile: string; volumeBytes: number };

export interface StoredMask {
  segmentationId: number;
  reviewState: ReviewState;
  series: StoredSeries;
  version: VersionInfo;
  /** voxel order of the series volume */
  labels: Uint8Array | Uint16Array;
}

/** A segmentation's version (default: its head) with its label map and series. */
export function loadStoredMask(services: AppServices, segmentationId: number, versionId?: number): StoredMask {
  const row = services.db.prepare('SELECT series_id, head_version_id, review_state FROM segmentations WHERE id = ?').get(segmentationId) as
    | { series_id: number; head_version_id: number | null; review_state: ReviewState }
    | undefined;
  if (!row) throw new DelineateError('not_found', `No segmentation ${segmentationId}`);
  const wanted = versionId ?? row.head_version_id;
  if (wanted === null) throw new DelineateError('invalid_input', `Segmentation ${segmentationId} has no saved version yet; save a version to export it`);
  const series = new StudiesRepo(services.db).getSeries(row.series_id);
  if (!series) throw new DelineateError('not_found', `The series of segmentation ${segmentationId} is no longer in the store`);
  const { version, labels: bytes } = services.segmentations.loadVersion(segmentationId, wanted, { dims: series.dims });
  const voxels = voxelCount(series.dims);
  if (bytes.byteLength !== voxels && bytes.byteLength !== 2 * voxels)
    throw new DelineateError('internal', `Version ${version.number} of segmentation ${segmentationId} has ${bytes.byteLength} bytes for ${voxels} voxels`);
  const labels = bytes.byteLength === voxels ? bytes : (viewVoxels('uint16', bytes) as Uint16Array);
  return { segmentationId, reviewState: row.review_state, series, version, labels };
}

/** The series voxels from the volume cache. */
export function loadSeriesVolume(dataDir: string, series: StoredSeries): Volume {
  let data;
  try {
    data = readVolumeFile(dataDir, series.volumeFile, series.voxelType, series.volumeBytes);
  } catch (err) {
    throw new DelineateError('not_found', `The stored voxels of series ${series.id} cannot be read (${(err as Error).message}); re-import the series`);
  }
  return { dims: series.dims, spacing: series.spacing, affineLps: series.affineLps, voxelType: series.voxelType, components: series.components, data };
}

/** A volume on the series' grid, laid out as NIfTI exports write it (DICOM: dcm2niix's row order). */
export function niftiLayout(series: StoredSeries, volume: Volume): Volume {
  return series.sourceKind === 'dicom' ? flipAxis(volume, 1) : volume;
}

export function labelVolume(series: StoredSeries, labels: Uint8Array | Uint16Array): Volume {
  return { dims: series.dims, spacing: series.spacing, affineLps: series.affineLps, voxelType: labels instanceof Uint16Array ? 'uint16' : 'uint8', components: 1, data: labels };
}

/**
 * The labels a mask file carries: every segment of the version, plus a generated "Segment N" for a
 * value present in the voxels that no segment declares (so every value in the file is described).
 */
export function sidecarLabels(version: VersionInfo, present: readonly number[]): MaskLabel[] {
  const labels = maskLabelsOf(version.segments, version.source, version.provenance);
  const declared = new Set(labels.map((l) => l.value));
  const algorithm = algorithmOf(version.source, version.provenance);
  for (const value of present) if (!declared.has(value)) labels.push({ value, name: `Segment ${value}`, color: defaultLabelColor(value), ...algorithm });
  return labels.sort((a, b) => a.value - b.value);
}

const NIFTI_NAME = /\.nii(\.gz)?$/i;

export interface NiftiExportParams {
  segmentationId: number;
  /** default: the head version */
  versionId?: number;
  /** label map, .nii or .nii.gz */
  out: string;
  /** the image volume too, .nii or .nii.gz */
  imageOut?: string;
}

export interface NiftiExportResult {
  out: string;
  imageOut?: string;
  sidecar: string;
  /** labels in the sidecar */
  labels: number;
  versionId: number;
  dims: Vec3;
  /** the NIfTI (RAS, mm) affine written, row-major 4×4 */
  affine: number[];
}

const cancelled = () => new DelineateError('cancelled', 'NIfTI export cancelled');

export async function exportVersionNifti(services: AppServices, params: NiftiExportParams, opts: ExportOptions = {}): Promise<NiftiExportResult> {
  const out = path.resolve(params.out);
  const imageOut = params.imageOut === undefined ? undefined : path.resolve(params.imageOut);
  if (!NIFTI_NAME.test(out)) throw new DelineateError('invalid_params', `The label map must be written as .nii or .nii.gz, not ${path.basename(out)}`);
  if (imageOut !== undefined && !NIFTI_NAME.test(imageOut)) throw new DelineateError('invalid_params', `The image must be written as .nii or .nii.gz, not ${path.basename(imageOut)}`);
  if (imageOut === out) throw new DelineateError('invalid_params', 'The label map and the image need different file names');
  const sidecar = out.replace(NIFTI_NAME, '.json');
  for (const file of [out, imageOut, sidecar]) {
    if (file !== undefined && !fs.existsSync(path.dirname(file))) throw new DelineateError('not_found', `The folder ${path.dirname(file)} does not exist`);
  }

  opts.onProgress?.(0, 'Reading the label map');
  const mask = loadStoredMask(services, params.segmentationId, params.versionId);
  if (mask.series.components !== 1 && imageOut !== undefined) throw new DelineateError('invalid_input', 'The series is RGB; only scalar images can be written as NIfTI here');
  const labels = sidecarLabels(mask.version, labelsPresent(mask.labels));
  const labelsFile = LabelsFileSchema.safeParse({ labels });
  if (!labelsFile.success) throw new DelineateError('invalid_input', `The segments cannot be described as labels: ${labelsFile.error.issues[0]?.message}`);

  const written: string[] = [];
  try {
    if (opts.signal?.aborted) throw cancelled();
    opts.onProgress?.(0.2, 'Writing the label map');
    const layout = niftiLayout(mask.series, labelVolume(mask.series, mask.labels));
    await writeNiftiFile(out, layout, { description: 'Delineate label map' });
    written.push(out);
    writeFileAtomically(sidecar, `${JSON.stringify({ labels: labelsFile.data.labels }, null, 2)}\n`);
    written.push(sidecar);
    if (imageOut !== undefined) {
      if (opts.signal?.aborted) throw cancelled();
      opts.onProgress?.(0.5, 'Writing the image');
      await writeNiftiFile(imageOut, niftiLayout(mask.series, loadSeriesVolume(services.dataDir, mask.series)), { description: 'Delineate image' });
      written.push(imageOut);
    }
    opts.onProgress?.(1, 'Done');
    return {
      out,
      ...(imageOut !== undefined ? { imageOut } : {}),
      sidecar,
      labels: labels.length,
      versionId: mask.version.id,
      dims: layout.dims,
      affine: lpsToRasAffine(layout.affineLps),
    };
  } catch (err) {
    // a cancelled or failed export leaves none of the files it wrote
    for (const file of written) fs.rmSync(file, { force: true });
    throw err;
  }
}
