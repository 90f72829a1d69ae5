/**
 * A NIfTI label map as a mask for a series: integer labels 0..65535, named by a labels JSON
 * ({ labels: [...] }, given, or found beside the file as NAME.json), on the series grid (see
 * shared/interchange/mask-grid.ts: refused with the reason unless resampling is asked for).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { GridMismatchError, maskOnSeriesGrid } from '../../shared/interchange/mask-grid.js';
import { LabelsFileSchema, type ImportedMask, type MaskLabel } from '../../shared/interchange.js';
import { defaultLabelColor, labelsPresent } from '../../shared/labels.js';
import type { VolumeGeometry } from '../../shared/volume.js';
import { readNiftiFile } from '../studies/nifti-file.js';

/** NAME.nii.gz → NAME.json beside it (what our NIfTI export writes). */
export const sidecarPathOf = (file: string): string => file.replace(/\.nii(\.gz)?$/i, '.json');

/** Read and validate a labels JSON; errors name the file and the problem. */
export function readLabelsFile(file: string): MaskLabel[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DelineateError('invalid_input', `${path.basename(file)}: not a readable JSON file (${(err as Error).message})`);
  }
  const parsed = LabelsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DelineateError('invalid_input', `${path.basename(file)}: ${issue.path.join('.') || 'labels file'}: ${issue.message}`);
  }
  return parsed.data.labels;
}

/** Integer label values of any NIfTI voxel type, refusing fractions, negatives and values over 65535. */
function toLabels(data: ArrayLike<number>, name: string): Uint8Array | Uint16Array {
  let max = 0;
  for (let v = 0; v < data.length; v++) {
    const x = data[v]!;
    if (!(x >= 0 && x <= 65535 && Number.isInteger(x))) {
      throw new DelineateError('invalid_input', `${name}: voxel ${v} holds ${x}; a label map holds whole numbers 0–65535`);
    }
    if (x > max) max = x;
  }
  return max > 255 ? Uint16Array.from(data) : Uint8Array.from(data);
}

export async function readNiftiMask(file: string, series: VolumeGeometry, options: { resample: boolean; labelsPath?: string }): Promise<ImportedMask & { resampled: boolean }> {
  const name = path.basename(file);
  const image = await readNiftiFile(file);
  if (image.components !== 1) throw new DelineateError('invalid_input', `${name}: an RGB image is not a label map`);
  const data = toLabels(image.data, name);
  let placed: { labels: Uint8Array | Uint16Array; resampled: boolean };
  try {
    placed = maskOnSeriesGrid({ dims: image.dims, spacing: image.spacing, affineLps: image.affineLps, data }, series, options.resample);
  } catch (err) {
    if (!(err instanceof GridMismatchError)) throw err;
    throw new DelineateError('invalid_input', `${name} is not on the series grid: ${err.message}. Ask for resampling to import it anyway (nearest neighbour)`);
  }
  const labelsFile = options.labelsPath ?? (fs.existsSync(sidecarPathOf(file)) ? sidecarPathOf(file) : null);
  const declared = labelsFile ? readLabelsFile(labelsFile) : [];
  const warnings: string[] = [];
  if (placed.resampled) warnings.push(`${name} was resampled onto the series grid (nearest neighbour)`);
  const present = labelsPresent(placed.labels);
  const undeclared = present.filter((v) => !declared.some((l) => l.value === v));
  if (labelsFile && undeclared.length) warnings.push(`${path.basename(labelsFile)} does not name label value(s) ${undeclared.join(', ')}`);
  const segments: MaskLabel[] = [
    ...declared,
    ...undeclared.map((value): MaskLabel => ({ value, name: `Label ${value}`, color: defaultLabelColor(value), algorithmType: 'MANUAL' })),
  ].sort((a, b) => a.value - b.value);
  return { labels: placed.labels, segments, warnings, resampled: placed.resampled };
}
