/**
 * A training dataset from stored segmentations: an nnU-Net v2 raw dataset (imagesTr/, labelsTr/,
 * dataset.json) plus a MONAI datalist (datalist.json) with cross-validation folds.
 *
 * - Cases: the head version of every accepted segmentation (or the ones named), numbered in id order
 *   as <Name>_001, <Name>_002, … Nothing in the output names a patient, study or series: NIfTI headers
 *   carry a fixed description, JSON files case ids only. The link back (case ↔ patient/study/series)
 *   is written only when asked, to a mapping file outside the dataset.
 * - Images and label maps are written on the NIfTI layout of nifti-export.ts (dcm2niix's for DICOM),
 *   one grid per case, so each label file has its image's shape and affine.
 * - Labels: a segment name must have one value in every case, and a value one name; a disagreement
 *   is an error naming both cases. nnU-Net also needs the values 1..K without gaps. With remapLabels
 *   the values are instead numbered 1..K by name, in order of first appearance (case order, then
 *   value), and every label map is rewritten with them. Only labels present in a case's voxels count.
 * - Folds: a shuffle seeded by the dataset name (deterministic), then dealt round-robin, so fold sizes
 *   differ by at most one.
 * - All is written to a hidden folder beside outDir and renamed at the end: a cancelled or failed
 *   export leaves nothing behind.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { maskLabelsOf } from '../../shared/interchange/mask-labels.js';
import { labelsPresent } from '../../shared/labels.js';
import type { AppServices } from '../services/app-services.js';
import { writeNiftiFile } from '../studies/nifti-file.js';
import { isInside } from './deidentify-part10.js';
import { labelVolume, loadSeriesVolume, loadStoredMask, niftiLayout, type ExportOptions, type StoredMask } from './nifti-export.js';
import { mulberry32 } from '../../shared/random.js';

export interface DatasetExportParams {
  /** the dataset folder to create (nnU-Net expects it named like `name`, under nnUNet_raw) */
  outDir: string;
  /** nnU-Net's DatasetXXX_Name, e.g. "Dataset501_Liver" */
  name: string;
  /** default: every accepted segmentation, in id order */
  segmentationIds?: number[];
  /** cross-validation folds in datalist.json (default 5) */
  folds?: number;
  /** write case id ↔ patient/study/series identifiers here (must be outside outDir) */
  mappingFile?: string;
  /** number labels 1..K by segment name instead of requiring the same values in every case */
  remapLabels?: boolean;
  /** channel name in dataset.json; default "CT" for CT, else the modality (needed when it is unknown, e.g. NIfTI imports) */
  channelName?: string;
}

export interface DatasetExportResult {
  outDir: string;
  name: string;
  numTraining: number;
  channelNames: Record<string, string>;
  labels: Record<string, number>;
  cases: { caseId: string; segmentationId: number; versionId: number; fold: number }[];
  mappingFile?: string;
  warnings: string[];
}

const DATASET_NAME = /^Dataset(\d{3})_([A-Za-z0-9][A-Za-z0-9_-]*)$/;
const FILE_ENDING = '.nii.gz';

/** A PRNG seeded from a string (FNV-1a): the same name gives the same folds. */
function seededRandom(text: string): () => number {
  let seed = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return mulberry32(seed);
}

/** Fold of each case: a seeded shuffle dealt round-robin. */
export function assignFolds(count: number, folds: number, seed: string): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const fold = new Array<number>(count);
  order.forEach((caseIndex, position) => (fold[caseIndex] = position % folds));
  return fold;
}

function checkParams(params: DatasetExportParams): { outDir: string; prefix: string; mappingFile?: string } {
  const m = DATASET_NAME.exec(params.name);
  if (!m || m[1] === '000')
    throw new DelineateError('invalid_params', `Dataset name ${JSON.stringify(params.name)} is not nnU-Net's DatasetXXX_Name (three digits 001–999, then letters, digits, _ or -), e.g. Dataset501_Liver`);
  const outDir = path.resolve(params.outDir);
  if (!fs.existsSync(path.dirname(outDir))) throw new DelineateError('not_found', `The folder ${path.dirname(outDir)} does not exist`);
  if (fs.existsSync(outDir)) {
    if (!fs.statSync(outDir).isDirectory()) throw new DelineateError('invalid_params', `${outDir} exists and is not a folder`);
    if (fs.readdirSync(outDir).length > 0) throw new DelineateError('invalid_params', `${outDir} is not empty; export a dataset into a new or empty folder`);
  }
  if (params.mappingFile === undefined) return { outDir, prefix: m[2]! };
  const mappingFile = path.resolve(params.mappingFile);
  if (isInside(mappingFile, outDir))
    throw new DelineateError('invalid_params', `The mapping file links cases to patients, so it cannot go inside the dataset (${outDir}); choose a path outside it`);
  if (!fs.existsSync(path.dirname(mappingFile))) throw new DelineateError('not_found', `The folder ${path.dirname(mappingFile)} does not exist`);
  return { outDir, prefix: m[2]!, mappingFile };
}

function chooseSegmentations(services: AppServices, ids: number[] | undefined): number[] {
  if (ids === undefined) {
    const accepted = (services.db.prepare("SELECT id FROM segmentations WHERE review_state = 'accepted' ORDER BY id").all() as { id: number }[]).map((r) => r.id);
    if (accepted.length === 0) throw new DelineateError('invalid_input', 'No accepted segmentations to export: accept some in review, or name the segmentations to export');
    return accepted;
  }
  if (ids.length === 0) throw new DelineateError('invalid_params', 'segmentationIds is empty');
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new DelineateError('invalid_params', `Segmentation ${twice} is listed twice`);
  return ids;
}

interface Seen {
  caseId: string;
  value: number;
}

/** The dataset-wide label table, built case by case; a disagreement is an error naming both cases. */
class LabelTable {
  readonly byName = new Map<string, Seen>();
  readonly byValue = new Map<number, { caseId: string; name: string }>();

  constructor(private readonly remap: boolean) {}

  /** Value in the dataset of each value present in this case (identity unless remapping). */
  add(caseId: string, mask: StoredMask, present: number[]): Map<number, number> {
    const names = new Map(maskLabelsOf(mask.version.segments, mask.version.source, mask.version.provenance).map((l) => [l.value, l.name]));
    const lut = new Map<number, number>();
    for (const value of present) {
      const name = names.get(value);
      if (name === undefined)
        throw new DelineateError('invalid_input', `Case ${caseId} (segmentation ${mask.segmentationId}) has voxels of label value ${value}, which no segment names; name it or clear it`);
      if (name.toLowerCase() === 'background') throw new DelineateError('invalid_input', `Case ${caseId}: a segment is named "${name}", which nnU-Net reserves for value 0; rename it`);
      const seen = this.byName.get(name);
      if (this.remap) {
        const assigned = seen?.value ?? this.byName.size + 1;
        if (!seen) this.byName.set(name, { caseId, value: assigned });
        lut.set(value, assigned);
        continue;
      }
      if (seen && seen.value !== value)
        throw new DelineateError(
          'invalid_input',
          `Label "${name}" is value ${seen.value} in case ${seen.caseId} but value ${value} in case ${caseId}; give it one value in every case, or export with remapLabels to number labels by name`,
          { name, cases: [seen.caseId, caseId], values: [seen.value, value] },
        );
      const other = this.byValue.get(value);
      if (other && other.name !== name)
        throw new DelineateError(
          'invalid_input',
          `Label value ${value} is "${other.name}" in case ${other.caseId} but "${name}" in case ${caseId}; use one name per value, or export with remapLabels to number labels by name`,
          { value, cases: [other.caseId, caseId], names: [other.name, name] },
        );
      this.byName.set(name, seen ?? { caseId, value });
      this.byValue.set(value, { caseId, name });
      lut.set(value, value);
    }
    return lut;
  }

  /** dataset.json's labels: background 0, then by value; nnU-Net needs 1..K without gaps. */
  toJson(): Record<string, number> {
    const entries = [...this.byName].map(([name, s]) => [name, s.value] as const).sort((a, b) => a[1] - b[1]);
    entries.forEach(([name, value], i) => {
      if (value !== i + 1)
        throw new DelineateError(
          'invalid_input',
          `nnU-Net needs label values 1..${entries.length} without gaps, but the cases use ${entries.map(([, v]) => v).join(', ')} (first gap before "${name}" = ${value}); export with remapLabels to renumber them by name`,
        );
    });
    return Object.fromEntries([['background', 0], ...entries]);
  }
}

function relabel(labels: Uint8Array | Uint16Array, lut: Map<number, number>): Uint8Array | Uint16Array {
  if ([...lut].every(([from, to]) => from === to)) return labels;
  const max = Math.max(...lut.values());
  const out = max > 255 ? new Uint16Array(labels.length) : new Uint8Array(labels.length);
  const table = new Uint16Array(65536);
  for (const [from, to] of lut) table[from] = to;
  for (let i = 0; i < labels.length; i++) out[i] = table[labels[i]!]!;
  return out;
}

interface MappingRow {
  caseId: string;
  segmentationId: number;
  versionId: number;
  seriesId: number;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientId: string;
  patientName: string;
}

function mappingRow(services: AppServices, caseId: string, mask: StoredMask): MappingRow {
  const study = services.db
    .prepare('SELECT st.study_instance_uid, st.patient_id, st.patient_name FROM series s JOIN studies st ON st.id = s.study_id WHERE s.id = ?')
    .get(mask.series.id) as { study_instance_uid: string; patient_id: string; patient_name: string } | undefined;
  return {
    caseId,
    segmentationId: mask.segmentationId,
    versionId: mask.version.id,
    seriesId: mask.series.id,
    seriesInstanceUid: mask.series.seriesInstanceUid,
    studyInstanceUid: study?.study_instance_uid ?? '',
    patientId: study?.patient_id ?? '',
    patientName: study?.patient_name ?? '',
  };
}

export async function exportDataset(services: AppServices, params: DatasetExportParams, opts: ExportOptions = {}): Promise<DatasetExportResult> {
  const { outDir, prefix, mappingFile } = checkParams(params);
  const ids = chooseSegmentations(services, params.segmentationIds);
  const folds = params.folds ?? 5;
  if (ids.length < 2) throw new DelineateError('invalid_input', `A training dataset needs at least 2 cases for its cross-validation folds; there is ${ids.length}`);
  if (!Number.isInteger(folds) || folds < 2 || folds > ids.length)
    throw new DelineateError('invalid_params', `${ids.length} cases cannot be split into ${folds} folds: choose 2 to ${ids.length} folds`);
  const channelName = params.channelName?.trim();
  if (params.channelName !== undefined && !channelName) throw new DelineateError('invalid_params', 'channelName is empty');

  const warnings: string[] = [];
  if (path.basename(outDir) !== params.name) warnings.push(`nnU-Net finds datasets by folder name: rename ${path.basename(outDir)} to ${params.name} under nnUNet_raw to train on it`);
  const temp = path.join(path.dirname(outDir), `.${path.basename(outDir)}.partial-${crypto.randomBytes(6).toString('hex')}`);
  const mappingTemp = mappingFile && `${mappingFile}.${process.pid}.tmp`;
  const table = new LabelTable(params.remapLabels === true);
  const cases: { caseId: string; segmentationId: number; versionId: number; image: string; label: string }[] = [];
  const mapping: MappingRow[] = [];
  let modality: { value: string; caseId: string } | null = null;
  const check = () => {
    if (opts.signal?.aborted) throw new DelineateError('cancelled', 'Dataset export cancelled');
  };

  try {
    fs.mkdirSync(path.join(temp, 'imagesTr'), { recursive: true });
    fs.mkdirSync(path.join(temp, 'labelsTr'));
    for (const [index, segmentationId] of ids.entries()) {
      check();
      const caseId = `${prefix}_${String(index + 1).padStart(3, '0')}`;
      opts.onProgress?.(index / ids.length, `Case ${index + 1} of ${ids.length}`);
      const mask = loadStoredMask(services, segmentationId);
      if (params.segmentationIds && mask.reviewState !== 'accepted') warnings.push(`Case ${caseId} (segmentation ${segmentationId}) is ${mask.reviewState}, not accepted`);
      if (mask.series.components !== 1) throw new DelineateError('invalid_input', `Case ${caseId} (segmentation ${segmentationId}) is an RGB series; nnU-Net datasets here take scalar images`);
      const seriesModality = mask.series.modality.trim();
      if (seriesModality) {
        if (modality && modality.value !== seriesModality)
          throw new DelineateError('invalid_input', `Case ${modality.caseId} is ${modality.value} but case ${caseId} (segmentation ${segmentationId}) is ${seriesModality}; a dataset's cases must share one modality`);
        modality ??= { value: seriesModality, caseId };
      } else if (!channelName) {
        throw new DelineateError('invalid_input', `The modality of case ${caseId} (segmentation ${segmentationId}) is unknown (imported from NIfTI); pass channelName, e.g. "CT"`);
      }
      const present = labelsPresent(mask.labels);
      if (present.length === 0) throw new DelineateError('invalid_input', `Case ${caseId} (segmentation ${segmentationId}, version ${mask.version.number}) has an empty label map`);
      const labels = relabel(mask.labels, table.add(caseId, mask, present));

      const image = `imagesTr/${caseId}_0000${FILE_ENDING}`;
      const label = `labelsTr/${caseId}${FILE_ENDING}`;
      await writeNiftiFile(path.join(temp, label), niftiLayout(mask.series, labelVolume(mask.series, labels)), { description: 'Delineate dataset label map' });
      check();
      await writeNiftiFile(path.join(temp, image), niftiLayout(mask.series, loadSeriesVolume(services.dataDir, mask.series)), { description: 'Delineate dataset image' });
      cases.push({ caseId, segmentationId, versionId: mask.version.id, image, label });
      if (mappingFile) mapping.push(mappingRow(services, caseId, mask));
    }
    check();
    const channelNames = { '0': channelName || (modality!.value === 'CT' ? 'CT' : modality!.value) };
    const labels = table.toJson();
    const dataset = { channel_names: channelNames, labels, numTraining: cases.length, file_ending: FILE_ENDING };
    fs.writeFileSync(path.join(temp, 'dataset.json'), `${JSON.stringify(dataset, null, 2)}\n`);
    const fold = assignFolds(cases.length, folds, params.name);
    const datalist = { training: cases.map((c, i) => ({ image: c.image, label: c.label, fold: fold[i]! })) };
    fs.writeFileSync(path.join(temp, 'datalist.json'), `${JSON.stringify(datalist, null, 2)}\n`);
    if (mappingFile && mappingTemp) {
      const manifest = {
        kind: 'delineate-dataset-mapping',
        warning: 'This file links the cases of a de-identified dataset to patients; keep it apart from the dataset.',
        dataset: params.name,
        createdAt: new Date().toISOString(),
        cases: mapping,
      };
      fs.writeFileSync(mappingTemp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    }
    check();
    if (fs.existsSync(outDir)) fs.rmdirSync(outDir); // empty (checked above); rename cannot replace a folder everywhere
    fs.renameSync(temp, outDir);
    if (mappingFile && mappingTemp) fs.renameSync(mappingTemp, mappingFile);
    opts.onProgress?.(1, `${cases.length} cases written`);
    return {
      outDir,
      name: params.name,
      numTraining: cases.length,
      channelNames,
      labels,
      cases: cases.map((c, i) => ({ caseId: c.caseId, segmentationId: c.segmentationId, versionId: c.versionId, fold: fold[i]! })),
      ...(mappingFile ? { mappingFile } : {}),
      warnings,
    };
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    if (mappingTemp) fs.rmSync(mappingTemp, { force: true });
    throw err;
  }
}
