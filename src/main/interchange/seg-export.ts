/**
 * DICOM SEG export: a label map on a source series' grid → one BINARY Segmentation Storage instance
 * (PS3.3 A.51), Explicit VR Little Endian.
 *
 * One segment per label value that occurs in the map (described labels with no voxel are left out),
 * numbered 1, 2, … in ascending label value as the standard asks (Segment Number starts at 1 and
 * increases by 1). One frame per segment per slice that holds any of its voxels, frames ordered by
 * segment then slice; the 1-bit frames are packed LSB first and concatenated with no padding.
 */
import { DelineateError } from '../../shared/errors.js';
import { axisVector, cross, dot, norm, scale, voxelToWorld } from '../../shared/geometry.js';
import type { MaskLabel } from '../../shared/interchange.js';
import type { Code } from '../../shared/editing/segments.js';
import { findTerm } from '../../shared/terminology.js';
import type { Vec3 } from '../../shared/volume.js';
import { loadDcmjs } from '../studies/dicom/dcmjs-reader.js';
import { APP_VERSION } from '../version.js';
import { dicomNow, encodePart10, newUid, type DicomItem } from './dicom-writer.js';
import { patientStudyAttributes, type SourceSeries } from './source-series.js';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';

/** Codes a segment gets when its label has none: generic, but valid CID 7150 / 7151 entries. */
export const DEFAULT_CATEGORY: Code = { scheme: 'SCT', value: '91723000', meaning: 'Anatomical Structure' };
export const DEFAULT_TYPE: Code = { scheme: 'SCT', value: '85756007', meaning: 'Tissue' };

const SOURCE_IMAGE_PURPOSE = { CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' };
const SEGMENTATION_DERIVATION = { CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' };

export interface SegExportInput {
  source: SourceSeries;
  /** label map on the source grid (i fastest, then j, then k) */
  labels: Uint8Array | Uint16Array;
  segments: MaskLabel[];
  seriesDescription?: string;
  seriesNumber?: number;
  contentCreatorName?: string;
  /** 0..1, called a few dozen times */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface SegExportResult {
  bytes: Uint8Array;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  frames: number;
  segments: number;
  /** label value → Segment Number in the file (they differ when label values have gaps) */
  segmentNumbers: Map<number, number>;
}

interface Dcmjs {
  data: { Colors: { rgb82DICOMLAB(rgb: readonly number[]): number[]; dicomlab2RGB8(lab: readonly number[]): number[] } };
}
const colors = () => (loadDcmjs() as Dcmjs).data.Colors;

/** sRGB 0..255 → DICOM-scaled CIELab 0..65535 (D50, as DCMTK, highdicom and dcmjs convert). */
export const rgbToDicomLab = (rgb: readonly [number, number, number]): [number, number, number] => colors().rgb82DICOMLAB(rgb) as [number, number, number];
/** DICOM-scaled CIELab → sRGB 0..255. */
export const dicomLabToRgb = (lab: readonly number[]): [number, number, number] => colors().dicomlab2RGB8(lab) as [number, number, number];

const codeItem = (c: Code) => ({ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning });

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DelineateError('cancelled', 'SEG export cancelled');
}

/** A Code String (CS) from free text: upper case, A–Z 0–9 space and underscore, at most 16 characters. */
function codeString(text: string, fallback: string): string {
  const cs = text.toUpperCase().replace(/[^A-Z0-9 _]/g, '_').trim().slice(0, 16).trim();
  return cs || fallback;
}

interface SegmentPlan {
  label: MaskLabel;
  number: number;
  /** slice k → whether this segment has voxels there */
  present: Uint8Array;
}

/**
 * Which label values occur on which slices, in one pass reading the map 4 bytes at a time (a zero word
 * is 4 uint8 or 2 uint16 background voxels). `sliceValues[v]` marks the slice last seen with v.
 */
function scanPresence(labels: Uint8Array | Uint16Array, sliceLength: number, depth: number, input: SegExportInput): Map<number, Uint8Array> {
  const present = new Map<number, Uint8Array>();
  const lastSlice = new Int32Array(labels instanceof Uint8Array ? 256 : 65536).fill(-1);
  const words = wordView(labels);
  const perWord = labels instanceof Uint8Array ? 4 : 2;
  const mark = (v: number, k: number) => {
    lastSlice[v] = k;
    let slices = present.get(v);
    if (!slices) present.set(v, (slices = new Uint8Array(depth)));
    slices[k] = 1;
  };
  for (let k = 0; k < depth; k++) {
    if (k % 16 === 0) {
      checkCancelled(input.signal);
      input.onProgress?.((0.3 * k) / depth);
    }
    const start = k * sliceLength;
    const end = start + sliceLength;
    if (words && start % perWord === 0 && end % perWord === 0) {
      for (let w = start / perWord, wEnd = end / perWord; w < wEnd; w++) {
        if (words[w] === 0) continue;
        for (let p = w * perWord, pEnd = p + perWord; p < pEnd; p++) {
          const v = labels[p]!;
          if (v !== 0 && lastSlice[v] !== k) mark(v, k);
        }
      }
    } else {
      for (let p = start; p < end; p++) {
        const v = labels[p]!;
        if (v !== 0 && lastSlice[v] !== k) mark(v, k);
      }
    }
  }
  return present;
}

/** A 32-bit view of the label map when its buffer allows one, else null (then voxels are read one by one). */
function wordView(labels: Uint8Array | Uint16Array): Uint32Array | null {
  if (labels.byteOffset % 4 !== 0 || labels.byteLength % 4 !== 0) return null;
  return new Uint32Array(labels.buffer, labels.byteOffset, labels.byteLength / 4);
}

/**
 * Pack every segment's frames into one buffer. `frameOf[s * depth + k]` is the frame index of segment s
 * (0-based plan index) on slice k, or -1. Only non-zero voxels are touched: for each, its bit in the
 * frame of its segment on its slice is set (LSB first, frames back to back at rows×columns bits each).
 */
function packFrames(labels: Uint8Array | Uint16Array, sliceLength: number, depth: number, planIndexOf: Int32Array, frameOf: Int32Array, frames: number, input: SegExportInput): Uint8Array {
  const pixels = new Uint8Array(Math.ceil((frames * sliceLength) / 8));
  const words = wordView(labels);
  const perWord = labels instanceof Uint8Array ? 4 : 2;
  // per label value, where its frame on the current slice starts: byte index and bit within that byte
  const startByte = new Float64Array(planIndexOf.length);
  const startBit = new Uint8Array(planIndexOf.length);
  const setBit = (v: number, p: number) => {
    const bit = startBit[v]! + p;
    pixels[startByte[v]! + (bit >>> 3)]! |= 1 << (bit & 7);
  };
  for (let k = 0; k < depth; k++) {
    if (k % 16 === 0) {
      checkCancelled(input.signal);
      input.onProgress?.(0.3 + (0.5 * k) / depth);
    }
    for (let v = 1; v < planIndexOf.length; v++) {
      const s = planIndexOf[v]!;
      if (s < 0) continue;
      const frame = frameOf[s * depth + k]!;
      if (frame < 0) continue;
      const firstBit = frame * sliceLength;
      startByte[v] = Math.floor(firstBit / 8);
      startBit[v] = firstBit % 8;
    }
    const start = k * sliceLength;
    const end = start + sliceLength;
    if (words && start % perWord === 0 && end % perWord === 0) {
      for (let w = start / perWord, wEnd = end / perWord; w < wEnd; w++) {
        if (words[w] === 0) continue;
        for (let p = w * perWord, pEnd = p + perWord; p < pEnd; p++) {
          const v = labels[p]!;
          if (v !== 0) setBit(v, p - start);
        }
      }
    } else {
      for (let p = start; p < end; p++) {
        const v = labels[p]!;
        if (v !== 0) setBit(v, p - start);
      }
    }
  }
  return pixels;
}

function segmentItem(plan: SegmentPlan): DicomItem {
  const { label } = plan;
  const category = label.category ?? findTerm(label.type)?.category ?? DEFAULT_CATEGORY;
  const type = label.type ?? DEFAULT_TYPE;
  return {
    SegmentNumber: plan.number,
    SegmentLabel: label.name,
    SegmentAlgorithmType: label.algorithmType,
    // required unless MANUAL (PS3.3 C.8.20.2.3)
    SegmentAlgorithmName: label.algorithmType === 'MANUAL' ? undefined : label.algorithmName?.trim() || 'Unknown algorithm',
    SegmentedPropertyCategoryCodeSequence: [codeItem(category)],
    SegmentedPropertyTypeCodeSequence: [codeItem(type)],
    RecommendedDisplayCIELabValue: rgbToDicomLab(label.color),
  };
}

/** Row/column cosines, spacing and slice spacing of the source grid, as the functional groups state them. */
function planeGeometry(source: SourceSeries) {
  const a = source.geometry.affineLps;
  const [di, dj, dk] = [axisVector(a, 0), axisVector(a, 1), axisVector(a, 2)];
  const rowCosines = scale(di, 1 / norm(di));
  const columnCosines = scale(dj, 1 / norm(dj));
  const normal = cross(rowCosines, columnCosines);
  const sliceSpacing = Math.abs(dot(dk, normal));
  const thickness = Number(source.header.SliceThickness);
  return {
    orientation: [...rowCosines, ...columnCosines],
    pixelSpacing: [norm(dj), norm(di)],
    sliceSpacing,
    sliceThickness: Number.isFinite(thickness) && thickness > 0 ? thickness : sliceSpacing,
  };
}

export function buildSeg(input: SegExportInput): SegExportResult {
  const { source, labels } = input;
  const [columns, rows, depth] = source.geometry.dims;
  const sliceLength = columns * rows;
  if (labels.length !== sliceLength * depth)
    throw new DelineateError('invalid_input', `The mask has ${labels.length} voxels but series ${source.seriesInstanceUid} has ${columns}×${rows}×${depth} = ${sliceLength * depth}`);
  if (source.slices.length !== depth) throw new DelineateError('invalid_input', `Series ${source.key} lists ${source.slices.length} slices for a volume of ${depth}`);
  input.onProgress?.(0);

  const present = scanPresence(labels, sliceLength, depth, input);
  const byValue = new Map(input.segments.map((s) => [s.value, s]));
  const undescribed = [...present.keys()].filter((v) => !byValue.has(v)).sort((a, b) => a - b);
  if (undescribed.length)
    throw new DelineateError('invalid_input', `Label value${undescribed.length > 1 ? 's' : ''} ${undescribed.join(', ')} occur${undescribed.length > 1 ? '' : 's'} in the mask but no segment describes ${undescribed.length > 1 ? 'them' : 'it'}`);
  if (present.size === 0) throw new DelineateError('invalid_input', 'The mask is empty: a DICOM SEG needs at least one segmented voxel');

  const plans: SegmentPlan[] = [...present.keys()]
    .sort((a, b) => a - b)
    .map((v, i) => ({ label: byValue.get(v)!, number: i + 1, present: present.get(v)! }));
  const planIndexOf = new Int32Array(labels instanceof Uint8Array ? 256 : 65536).fill(-1);
  plans.forEach((p, i) => (planIndexOf[p.label.value] = i));
  const frameOf = new Int32Array(plans.length * depth).fill(-1);
  const frameList: { plan: SegmentPlan; k: number }[] = [];
  plans.forEach((plan, s) => {
    for (let k = 0; k < depth; k++) if (plan.present[k]) {
      frameOf[s * depth + k] = frameList.length;
      frameList.push({ plan, k });
    }
  });

  const pixels = packFrames(labels, sliceLength, depth, planIndexOf, frameOf, frameList.length, input);
  checkCancelled(input.signal);

  const geometry = planeGeometry(source);
  const positions = Array.from({ length: depth }, (_, k) => voxelToWorld(source.geometry, [0, 0, k] as Vec3));
  const perFrame: DicomItem[] = frameList.map(({ plan, k }) => {
    const ref = source.slices[k];
    return {
      // Type 2 wherever the functional group is used: a filled-in missing slice gets it empty
      DerivationImageSequence: ref
        ? [
            {
              SourceImageSequence: [
                {
                  ReferencedSOPClassUID: ref.sopClassUid,
                  ReferencedSOPInstanceUID: ref.sopInstanceUid,
                  ReferencedFrameNumber: ref.frameNumber ?? undefined,
                  PurposeOfReferenceCodeSequence: [SOURCE_IMAGE_PURPOSE],
                },
              ],
              DerivationCodeSequence: [SEGMENTATION_DERIVATION],
            },
          ]
        : [],
      FrameContentSequence: [{ DimensionIndexValues: [plan.number, k + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: positions[k]! }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: plan.number }],
    };
  });

  const referenced = new Map<string, string>();
  for (const s of source.slices) if (s) referenced.set(s.sopInstanceUid, s.sopClassUid);
  const dimensionOrganizationUid = newUid();
  const seriesInstanceUid = newUid();
  const sopInstanceUid = newUid();
  const now = dicomNow();
  const description = (input.seriesDescription ?? 'Segmentation').slice(0, 64);

  const dataset: DicomItem = {
    ...patientStudyAttributes(source.header),
    ImageType: ['DERIVED', 'PRIMARY'],
    InstanceCreationDate: now.date,
    InstanceCreationTime: now.time,
    SeriesDate: now.date,
    SeriesTime: now.time,
    ContentDate: now.date,
    ContentTime: now.time,
    Modality: 'SEG',
    Manufacturer: 'Delineate',
    ManufacturerModelName: 'Delineate',
    DeviceSerialNumber: '0',
    SoftwareVersions: APP_VERSION,
    SeriesDescription: description,
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: input.seriesNumber ?? 1000,
    InstanceNumber: 1,
    FrameOfReferenceUID: source.frameOfReferenceUid,
    PositionReferenceIndicator: typeof source.header.PositionReferenceIndicator === 'string' ? source.header.PositionReferenceIndicator : '',
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: source.seriesInstanceUid,
        ReferencedInstanceSequence: [...referenced].map(([uid, cls]) => ({ ReferencedSOPClassUID: cls, ReferencedSOPInstanceUID: uid })),
      },
    ],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionOrganizationType: '3D',
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: 0x0062000b, // ReferencedSegmentNumber
        FunctionalGroupPointer: 0x0062000a, // SegmentIdentificationSequence
        DimensionDescriptionLabel: 'Segment Number',
      },
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: 0x00200032, // ImagePositionPatient
        FunctionalGroupPointer: 0x00209113, // PlanePositionSequence
        DimensionDescriptionLabel: 'Image Position Patient',
      },
    ],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: frameList.length,
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    ContentLabel: codeString(description, 'SEGMENTATION'),
    ContentDescription: description,
    ContentCreatorName: input.contentCreatorName ?? '',
    SegmentationType: 'BINARY',
    SegmentsOverlap: 'NO',
    SegmentSequence: plans.map(segmentItem),
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [{ PixelSpacing: geometry.pixelSpacing, SliceThickness: geometry.sliceThickness, SpacingBetweenSlices: geometry.sliceSpacing }],
        PlaneOrientationSequence: [{ ImageOrientationPatient: geometry.orientation }],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    PixelData: { vr: 'OB', value: pixels },
  };
  input.onProgress?.(0.85);
  checkCancelled(input.signal);
  const bytes = encodePart10(dataset, { sopClassUid: SEGMENTATION_STORAGE, sopInstanceUid });
  input.onProgress?.(1);
  return {
    bytes,
    sopInstanceUid,
    seriesInstanceUid,
    frames: frameList.length,
    segments: plans.length,
    segmentNumbers: new Map(plans.map((p) => [p.label.value, p.number])),
  };
}
