/**
 * A DICOM instance as import needs it: identity, display metadata, pixel format, and the image slices it
 * contributes (one for a classic image, one per frame for enhanced multi-frame, one per tile for a
 * Siemens mosaic). Built from a naturalized dcmjs dataset.
 */
import type { SliceInfo } from '../../../shared/series-plan.js';
import type { Vec3 } from '../../../shared/volume.js';
import type { StudyRecord } from '../../store/studies-repo.js';
import type { NaturalDataset } from './dcmjs-reader.js';
import type { NativePixelData } from './pixel-data-locator.js';

/** The study attributes of an instance are exactly what the store records of a study. */
export type StudyMeta = StudyRecord;

export interface SeriesMeta {
  seriesInstanceUid: string;
  modality: string;
  seriesDescription: string;
  seriesNumber: number | null;
  frameOfReferenceUid: string;
  manufacturer: string;
}

export interface PixelMeta {
  samplesPerPixel: number;
  photometricInterpretation: string;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  floatPixelData: boolean;
}

/** One slice of an instance: which frame (and mosaic tile) holds it, and how to rescale it. */
export interface SliceSource extends SliceInfo {
  file: string;
  frame: number;
  /** index of the tile inside a mosaic frame, -1 when not a mosaic */
  tile: number;
  mosaicColumns: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** set by the header pass on a classic single-frame slice of native 16-bit grey data */
  native?: NativePixelData;
}

export interface DicomInstance {
  file: string;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  study: StudyMeta;
  series: SeriesMeta;
  pixel: PixelMeta;
  slices: SliceSource[];
}

export class UnsupportedInstanceError extends Error {
  override name = 'UnsupportedInstanceError';
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : Array.isArray(v) ? v.map(str).join('\\') : typeof v === 'object' ? personName(v) : String(v).trim());
const num = (v: unknown, fallback: number): number => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) ? n : fallback;
};
const nums = (v: unknown): number[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(Number);
const first = (v: unknown): NaturalDataset | undefined => (Array.isArray(v) ? (v[0] as NaturalDataset | undefined) : (v as NaturalDataset | undefined));

function personName(v: unknown): string {
  const o = v as { Alphabetic?: string };
  return o.Alphabetic ?? '';
}

/** Non-image SOP classes a user may have in the same folder; named so the skip reason is clear. */
const NON_IMAGE_CLASSES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.481.3': 'RT Structure Set',
  '1.2.840.10008.5.1.4.1.1.66.4': 'Segmentation (import it as a mask)',
  '1.2.840.10008.5.1.4.1.1.88.11': 'Basic Text SR',
  '1.2.840.10008.5.1.4.1.1.88.22': 'Enhanced SR',
  '1.2.840.10008.5.1.4.1.1.88.33': 'Comprehensive SR',
  '1.2.840.10008.5.1.4.1.1.11.1': 'Grayscale Softcopy Presentation State',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF',
  '1.2.840.10008.1.3.10': 'Media Storage Directory (DICOMDIR)',
};

export function toInstance(file: string, transferSyntaxUid: string, ds: NaturalDataset, hasPixelData: boolean): DicomInstance {
  const sopClassUid = str(ds.SOPClassUID);
  const nonImage = NON_IMAGE_CLASSES[sopClassUid];
  if (nonImage) throw new UnsupportedInstanceError(`not an image: ${nonImage}`);
  if (!hasPixelData) throw new UnsupportedInstanceError('no Pixel Data element');
  const studyInstanceUid = str(ds.StudyInstanceUID);
  const seriesInstanceUid = str(ds.SeriesInstanceUID);
  if (!studyInstanceUid || !seriesInstanceUid) throw new UnsupportedInstanceError('missing Study or Series Instance UID');
  const rows = num(ds.Rows, 0);
  const columns = num(ds.Columns, 0);
  if (rows <= 0 || columns <= 0) throw new UnsupportedInstanceError(`invalid image size ${columns}×${rows}`);

  const pixel: PixelMeta = {
    samplesPerPixel: num(ds.SamplesPerPixel, 1),
    photometricInterpretation: str(ds.PhotometricInterpretation) || 'MONOCHROME2',
    bitsAllocated: num(ds.BitsAllocated, 16),
    bitsStored: num(ds.BitsStored, num(ds.BitsAllocated, 16)),
    pixelRepresentation: num(ds.PixelRepresentation, 0),
    floatPixelData: ds.FloatPixelData !== undefined || ds.DoubleFloatPixelData !== undefined,
  };
  const instance: DicomInstance = {
    file,
    transferSyntaxUid,
    sopClassUid,
    sopInstanceUid: str(ds.SOPInstanceUID),
    study: {
      studyInstanceUid,
      patientName: str(ds.PatientName),
      patientId: str(ds.PatientID),
      patientBirthDate: str(ds.PatientBirthDate),
      patientSex: str(ds.PatientSex),
      studyDate: str(ds.StudyDate),
      studyTime: str(ds.StudyTime),
      studyDescription: str(ds.StudyDescription),
      accessionNumber: str(ds.AccessionNumber),
    },
    series: {
      seriesInstanceUid,
      modality: str(ds.Modality),
      seriesDescription: str(ds.SeriesDescription),
      seriesNumber: ds.SeriesNumber === undefined ? null : num(ds.SeriesNumber, 0),
      frameOfReferenceUid: str(ds.FrameOfReferenceUID),
      manufacturer: str(ds.Manufacturer),
    },
    pixel,
    slices: [],
  };
  instance.slices = ds.PerFrameFunctionalGroupsSequence !== undefined ? enhancedSlices(instance, ds, rows, columns) : classicSlices(instance, ds, rows, columns);
  return instance;
}

function splitKeysOf(ds: NaturalDataset, extra: Record<string, string> = {}): Record<string, string> {
  const keys: Record<string, string> = { ...extra };
  const imageType = str(ds.ImageType).toUpperCase();
  if (imageType.includes('LOCALIZER')) keys['image type'] = 'LOCALIZER';
  if (ds.EchoNumbers !== undefined) keys.echo = str(ds.EchoNumbers);
  if (ds.TemporalPositionIdentifier !== undefined) keys['temporal position'] = str(ds.TemporalPositionIdentifier);
  if (ds.DiffusionBValue !== undefined) keys['b-value'] = str(ds.DiffusionBValue);
  if (str(ds.SamplesPerPixel) === '3') keys.colour = 'RGB';
  return keys;
}

function geometryOf(ds: NaturalDataset, rows: number, columns: number, file: string): Pick<SliceInfo, 'orientation' | 'position' | 'pixelSpacing'> {
  const orientation = nums(ds.ImageOrientationPatient);
  const position = nums(ds.ImagePositionPatient);
  const spacing = nums(ds.PixelSpacing ?? ds.ImagerPixelSpacing);
  if (orientation.length !== 6 || orientation.some((v) => !Number.isFinite(v))) {
    throw new UnsupportedInstanceError(`no usable Image Orientation (Patient) in ${file}; a ${columns}×${rows} image without patient geometry cannot form a volume`);
  }
  if (position.length !== 3 || position.some((v) => !Number.isFinite(v))) throw new UnsupportedInstanceError('no usable Image Position (Patient)');
  return {
    orientation: orientation as SliceInfo['orientation'],
    position: position as Vec3,
    pixelSpacing: spacing.length === 2 && spacing.every((v) => v > 0) ? (spacing as [number, number]) : [1, 1],
  };
}

function classicSlices(instance: DicomInstance, ds: NaturalDataset, rows: number, columns: number): SliceSource[] {
  const geometry = geometryOf(ds, rows, columns, instance.file);
  const base = {
    ref: `${instance.file}#0`,
    file: instance.file,
    frame: 0,
    rows,
    columns,
    ...geometry,
    splitKeys: splitKeysOf(ds),
    instanceNumber: num(ds.InstanceNumber, 0),
    rescaleSlope: num(ds.RescaleSlope, 1) || 1,
    rescaleIntercept: num(ds.RescaleIntercept, 0),
    tile: -1,
    mosaicColumns: columns,
  };
  const mosaicTiles = mosaicTileCount(ds);
  if (mosaicTiles > 1) return mosaicSlices(base, ds, mosaicTiles);
  const frames = num(ds.NumberOfFrames, 1);
  if (frames > 1) throw new UnsupportedInstanceError(`multi-frame image with ${frames} frames but no per-frame geometry (Per-frame Functional Groups)`);
  return [base];
}

function mosaicTileCount(ds: NaturalDataset): number {
  if (!str(ds.ImageType).toUpperCase().includes('MOSAIC')) return 0;
  // Siemens private (0019,100A) NumberOfImagesInMosaic; dcmjs names unknown private tags by number.
  return num(ds['0019100A'] ?? ds.NumberOfImagesInMosaic, 0);
}

/**
 * A Siemens mosaic packs N tiles of (R/m)×(C/m) into one frame, m = ceil(sqrt(N)). Its Image Position
 * is the corner of the whole mosaic: the first tile's corner is shifted by half the unused width and
 * height (the rule dcm2niix and Siemens use); tiles step along the slice normal by the slice spacing.
 */
function mosaicSlices(base: SliceSource, ds: NaturalDataset, tiles: number): SliceSource[] {
  const m = Math.ceil(Math.sqrt(tiles));
  const rows = base.rows / m;
  const columns = base.columns / m;
  if (!Number.isInteger(rows) || !Number.isInteger(columns)) throw new UnsupportedInstanceError(`mosaic of ${tiles} tiles does not divide ${base.columns}×${base.rows}`);
  const o = base.orientation;
  const [dr, dc] = base.pixelSpacing;
  const shiftCols = ((base.columns - columns) / 2) * dc;
  const shiftRows = ((base.rows - rows) / 2) * dr;
  const corner: Vec3 = [0, 1, 2].map((a) => base.position[a]! + o[a]! * shiftCols + o[a + 3]! * shiftRows) as Vec3;
  const normal: Vec3 = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
  const step = num(ds.SpacingBetweenSlices, num(ds.SliceThickness, 1));
  return Array.from({ length: tiles }, (_, t) => ({
    ...base,
    ref: `${base.file}#0.${t}`,
    rows,
    columns,
    mosaicColumns: base.columns,
    tile: t,
    position: [0, 1, 2].map((a) => corner[a]! + normal[a]! * step * t) as Vec3,
    instanceNumber: base.instanceNumber * 10_000 + t,
  }));
}

/** Enhanced multi-frame: geometry and rescale per frame, from per-frame or shared functional groups. */
function enhancedSlices(instance: DicomInstance, ds: NaturalDataset, rows: number, columns: number): SliceSource[] {
  const shared = first(ds.SharedFunctionalGroupsSequence) ?? {};
  const perFrame = (Array.isArray(ds.PerFrameFunctionalGroupsSequence) ? ds.PerFrameFunctionalGroupsSequence : []) as NaturalDataset[];
  const pick = (frame: NaturalDataset, macro: string): NaturalDataset => first(frame[macro]) ?? first(shared[macro]) ?? {};
  return perFrame.map((frame, index) => {
    const measures = pick(frame, 'PixelMeasuresSequence');
    const orientation = nums(pick(frame, 'PlaneOrientationSequence').ImageOrientationPatient);
    const position = nums(pick(frame, 'PlanePositionSequence').ImagePositionPatient);
    const spacing = nums(measures.PixelSpacing);
    if (orientation.length !== 6 || position.length !== 3) throw new UnsupportedInstanceError(`frame ${index + 1} has no plane position/orientation`);
    const transform = pick(frame, 'PixelValueTransformationSequence');
    const content = pick(frame, 'FrameContentSequence');
    const mr = pick(frame, 'MREchoSequence');
    const extra: Record<string, string> = {};
    if (content.StackID !== undefined) extra.stack = str(content.StackID);
    if (content.TemporalPositionIndex !== undefined) extra['temporal position'] = str(content.TemporalPositionIndex);
    if (mr.EffectiveEchoTime !== undefined) extra['echo time'] = str(mr.EffectiveEchoTime);
    return {
      ref: `${instance.file}#${index}`,
      file: instance.file,
      frame: index,
      tile: -1,
      mosaicColumns: columns,
      rows,
      columns,
      orientation: orientation as SliceInfo['orientation'],
      position: position as Vec3,
      pixelSpacing: spacing.length === 2 ? (spacing as [number, number]) : [1, 1],
      splitKeys: splitKeysOf(ds, extra),
      instanceNumber: num(content.InStackPositionNumber, index + 1),
      rescaleSlope: num(transform.RescaleSlope, num(ds.RescaleSlope, 1)) || 1,
      rescaleIntercept: num(transform.RescaleIntercept, num(ds.RescaleIntercept, 0)),
    };
  });
}
