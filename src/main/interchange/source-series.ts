/**
 * The DICOM series a mask belongs to, as exports need it: which SOP instance (and frame) holds each
 * slice k of the stored volume, the grid, and the patient/study attributes to copy. Read again from
 * the series' source files, so it is exactly what import planned (same scan, same planner).
 */
import fs from 'node:fs';
import { DelineateError } from '../../shared/errors.js';
import { personNameText } from '../../shared/interchange/deidentify.js';
import type { VolumeGeometry } from '../../shared/volume.js';
import { parseDicomHeader, type NaturalDataset } from '../studies/dicom/dcmjs-reader.js';
import type { DicomInstance } from '../studies/dicom/instance.js';
import { readDicomInstance } from '../studies/dicom/read-header.js';
import type { DicomItem } from './dicom-writer.js';
import { planVolumes, type PlannedVolume } from '../studies/dicom/series-builder.js';

/** The image a slice came from: the reference a SEG frame or RTSTRUCT contour carries. */
export interface SliceReference {
  sopClassUid: string;
  sopInstanceUid: string;
  /** 1-based frame number in a multi-frame instance; null for a single-frame image */
  frameNumber: number | null;
}

export interface SourceSeries {
  /** series key as stored ("UID" or "UID#2" for a split stack) */
  key: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  modality: string;
  geometry: VolumeGeometry;
  /** slice k → its image; null where import filled a missing slice */
  slices: (SliceReference | null)[];
  /** header of the first instance (no pixel data), for patient/study attributes */
  header: NaturalDataset;
  files: string[];
}

/** Patient and study attributes a derived object (SEG, RTSTRUCT) copies from its source (PS3.3 C.7.1.1, C.7.2.1). */
export const PATIENT_STUDY_KEYWORDS = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'PatientAge',
  'PatientWeight',
  'PatientSize',
  'PatientIdentityRemoved',
  'DeidentificationMethod',
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
  'StudyDescription',
] as const;

/** Person Names among them: dcmjs naturalizes these as [{ Alphabetic, Ideographic, Phonetic }]. */
const PERSON_NAME_KEYWORDS = new Set(['PatientName', 'ReferringPhysicianName']);

/**
 * The patient/study attributes present in a source header, as the writer takes them (Person Names as
 * "Alphabetic=Ideographic=Phonetic" strings); type 2 ones are written empty when absent.
 */
export function patientStudyAttributes(header: NaturalDataset): DicomItem {
  const out: DicomItem = {};
  for (const keyword of PATIENT_STUDY_KEYWORDS) if (header[keyword] !== undefined && header[keyword] !== null) out[keyword] = (PERSON_NAME_KEYWORDS.has(keyword) ? personNameText(header[keyword]) : header[keyword]) as DicomItem[string];
  for (const keyword of ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber'])
    out[keyword] ??= '';
  return out;
}

/** Plan the series again from its files and pick the stack stored under `key`. */
export function readSourceSeries(files: string[], key: string): SourceSeries {
  const instances: DicomInstance[] = [];
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) throw new DelineateError('not_found', `The series' source files are gone (${missing.length} of ${files.length}, e.g. ${missing[0]}); re-import the series to export DICOM objects that reference it`);
  for (const file of files) {
    try {
      instances.push(readDicomInstance(file));
    } catch (err) {
      throw new DelineateError('invalid_input', `Cannot read source file ${file}: ${(err as Error).message}`);
    }
  }
  const volume = planVolumes(instances).find((v) => v.key === key);
  if (!volume) throw new DelineateError('invalid_input', `The source files no longer form series ${key}; they may have changed since import`);
  return toSourceSeries(volume, instances);
}

export function toSourceSeries(volume: PlannedVolume, instances: DicomInstance[]): SourceSeries {
  const byFile = new Map(instances.map((i) => [i.file, i]));
  const slices = volume.plan.slices.map((s): SliceReference | null => {
    if (!s) return null;
    const instance = byFile.get(s.file)!;
    return { sopClassUid: instance.sopClassUid, sopInstanceUid: instance.sopInstanceUid, frameNumber: instance.slices.length > 1 || s.frame > 0 ? s.frame + 1 : null };
  });
  const first = volume.files[0]!;
  const header = parseDicomHeader(new Uint8Array(fs.readFileSync(first))).dataset;
  return {
    key: volume.key,
    seriesInstanceUid: volume.series.seriesInstanceUid,
    frameOfReferenceUid: volume.series.frameOfReferenceUid,
    modality: volume.series.modality,
    geometry: { dims: volume.plan.dims, spacing: volume.plan.spacing, affineLps: volume.plan.affineLps },
    slices,
    header,
    files: volume.files,
  };
}
