/**
 * A mask as a DICOM RT Structure Set (PS3.3 A.19): per label one ROI, per slice the label's outlines
 * as CLOSED_PLANAR contours in patient coordinates, holes as their own contours (the even-odd / "XOR"
 * reading that radiotherapy systems use). Contours follow voxel edges (see shared/interchange/contours),
 * so filling them at voxel centres gives back exactly the mask.
 */
import { DelineateError } from '../../shared/errors.js';
import type { MaskLabel } from '../../shared/interchange.js';
import { traceContours, type Box, type Polygon } from '../../shared/interchange/contours.js';
import { APP_VERSION } from '../version.js';
import { dicomNow, encodePart10, newUid, type DicomItem } from './dicom-writer.js';
import { patientStudyAttributes, type SliceReference, type SourceSeries } from './source-series.js';

export const RT_STRUCTURE_SET_STORAGE = '1.2.840.10008.5.1.4.1.1.481.3';
/** What RT Referenced Study Sequence items name as the study's SOP class (Study Component Management, PS3.3 C.8.8.5). */
export const STUDY_COMPONENT_MANAGEMENT = '1.2.840.10008.3.1.2.3.2';

export interface RtstructExportInput {
  source: SourceSeries;
  /** voxel order of the series volume (i fastest, then j, then k) */
  labels: Uint8Array | Uint16Array;
  /** the labels to export, one ROI each (ROI Number = label value); voxels of other values are left out */
  segments: MaskLabel[];
  seriesDescription?: string;
  /** Structure Set Label, at most 16 characters (SH) */
  structureSetLabel?: string;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface RtstructExportResult {
  bytes: Uint8Array;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  rois: number;
  contours: number;
}

/** Contour Data is DS, whose length field in Explicit VR is 16 bits: a value may hold 65534 bytes. */
const MAX_CONTOUR_DATA_BYTES = 0xfffe;
/** Patient coordinates are written to 0.1 µm: short strings, and far below the 0.25-voxel margin of our contours. */
const round = (mm: number): number => Math.round(mm * 1e4) / 1e4;

export function buildRtstruct(input: RtstructExportInput): RtstructExportResult {
  const { source, labels, segments } = input;
  const [width, height, depth] = source.geometry.dims;
  const sliceLength = width * height;
  if (labels.length !== sliceLength * depth)
    throw new DelineateError('invalid_input', `The mask has ${labels.length} voxels but series ${source.key} is ${width}×${height}×${depth} (${sliceLength * depth})`);
  const structureSetLabel = input.structureSetLabel ?? 'Delineate';
  if (!structureSetLabel.trim() || structureSetLabel.length > 16)
    throw new DelineateError('invalid_params', `Structure Set Label must be 1 to 16 characters (DICOM SH), got ${JSON.stringify(structureSetLabel)}`);
  const values = new Set<number>();
  for (const s of segments) {
    if (values.has(s.value)) throw new DelineateError('invalid_params', `Two segments have label value ${s.value}`);
    values.add(s.value);
  }
  const studyUid = source.header.StudyInstanceUID;
  if (typeof studyUid !== 'string' || !studyUid) throw new DelineateError('invalid_input', `Series ${source.key} has no Study Instance UID to reference`);

  const boxes = sliceBoxes(labels, width, height, depth, segments, input.signal);
  const seriesUid = newUid();
  const sopInstanceUid = newUid();
  const now = dicomNow();
  const roiContours: DicomItem[] = [];
  let contourCount = 0;
  const work = Math.max(1, boxes.reduce((n, perSlice) => n + perSlice.filter(Boolean).length, 0));
  let done = 0;
  segments.forEach((segment, s) => {
    const items: DicomItem[] = [];
    for (let k = 0; k < depth; k++) {
      const box = boxes[s]![k];
      if (!box) continue;
      if (done % 8 === 0) {
        checkCancelled(input.signal);
        input.onProgress?.(0.1 + (0.8 * done) / work);
      }
      done++;
      for (const data of sliceContourData(labels, source, k, segment.value, box)) {
        const reference = source.slices[k];
        items.push({
          // a slice import filled in has no image to reference; the contour still lies on its plane
          ContourImageSequence: reference ? [imageItem(reference)] : undefined,
          ContourGeometricType: 'CLOSED_PLANAR',
          NumberOfContourPoints: data.length / 3,
          ContourNumber: items.length + 1,
          ContourData: data,
        });
      }
    }
    contourCount += items.length;
    roiContours.push({
      ROIDisplayColor: [...segment.color],
      ContourSequence: items.length ? items : undefined,
      ReferencedROINumber: segment.value,
    });
  });
  checkCancelled(input.signal);
  input.onProgress?.(0.9);

  const dataset: DicomItem = {
    ...patientStudyAttributes(source.header),
    InstanceCreationDate: now.date,
    InstanceCreationTime: now.time,
    Modality: 'RTSTRUCT',
    SeriesInstanceUID: seriesUid,
    SeriesNumber: 1001, // after the source series (and our SEGs, 1000) in viewers that sort by number
    SeriesDate: now.date,
    SeriesTime: now.time,
    SeriesDescription: input.seriesDescription ?? 'Delineate structures',
    OperatorsName: '',
    // the Frame of Reference module (current editions of the IOD include it): the series' own
    FrameOfReferenceUID: source.frameOfReferenceUid,
    PositionReferenceIndicator: typeof source.header.PositionReferenceIndicator === 'string' ? source.header.PositionReferenceIndicator : '',
    Manufacturer: 'Delineate',
    ManufacturerModelName: 'Delineate',
    SoftwareVersions: APP_VERSION,
    InstanceNumber: 1,
    StructureSetLabel: structureSetLabel,
    StructureSetDate: now.date,
    StructureSetTime: now.time,
    ReferencedFrameOfReferenceSequence: [
      {
        FrameOfReferenceUID: source.frameOfReferenceUid,
        RTReferencedStudySequence: [
          {
            ReferencedSOPClassUID: STUDY_COMPONENT_MANAGEMENT,
            ReferencedSOPInstanceUID: studyUid,
            RTReferencedSeriesSequence: [{ SeriesInstanceUID: source.seriesInstanceUid, ContourImageSequence: seriesImages(source) }],
          },
        ],
      },
    ],
    StructureSetROISequence: segments.map((segment) => ({
      ROINumber: segment.value,
      ReferencedFrameOfReferenceUID: source.frameOfReferenceUid,
      ROIName: segment.name,
      ROIGenerationAlgorithm: segment.algorithmType,
      ROIGenerationDescription: segment.algorithmName,
    })),
    ROIContourSequence: roiContours,
    RTROIObservationsSequence: segments.map((segment, s) => ({
      ObservationNumber: s + 1,
      ReferencedROINumber: segment.value,
      RTROIIdentificationCodeSequence: segment.type
        ? [{ CodeValue: segment.type.value, CodingSchemeDesignator: segment.type.scheme, CodeMeaning: segment.type.meaning }]
        : undefined,
      RTROIInterpretedType: 'ORGAN',
      ROIInterpreter: '',
    })),
  };
  const bytes = encodePart10(dataset, { sopClassUid: RT_STRUCTURE_SET_STORAGE, sopInstanceUid });
  input.onProgress?.(1);
  return { bytes, sopInstanceUid, seriesInstanceUid: seriesUid, rois: segments.length, contours: contourCount };
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DelineateError('cancelled', 'RTSTRUCT export cancelled');
}

/**
 * Per segment and slice, the box holding that label's voxels (null where it has none), in one pass
 * over the map that skips empty runs a 32-bit word at a time.
 */
function sliceBoxes(labels: Uint8Array | Uint16Array, width: number, height: number, depth: number, segments: MaskLabel[], signal?: AbortSignal): (Box | null)[][] {
  const index = new Int32Array(65536).fill(-1);
  segments.forEach((s, n) => (index[s.value] = n));
  const n = segments.length;
  // per (segment, slice): i0, j0, i1, j1 (exclusive); i0 > i1 means empty
  const bounds = new Int32Array(n * depth * 4);
  for (let b = 0; b < n * depth; b++) bounds.set([width, height, 0, 0], b * 4);
  const perWord = labels instanceof Uint8Array ? 4 : 2;
  const words = labels.byteOffset % 4 === 0 ? new Uint32Array(labels.buffer, labels.byteOffset, Math.floor(labels.byteLength / 4)) : null;
  const wordsEnd = words ? words.length * perWord : 0;
  for (let k = 0; k < depth; k++) {
    if (k % 32 === 0) checkCancelled(signal);
    for (let j = 0; j < height; j++) {
      const row = (k * height + j) * width;
      let i = 0;
      while (i < width) {
        const p = row + i;
        if (words && p % perWord === 0 && p + perWord <= wordsEnd && i + perWord <= width && words[p / perWord] === 0) {
          i += perWord;
          continue;
        }
        const v = labels[p]!;
        const s = v ? index[v]! : -1;
        if (s >= 0) {
          const b = (s * depth + k) * 4;
          if (i < bounds[b]!) bounds[b] = i;
          if (j < bounds[b + 1]!) bounds[b + 1] = j;
          if (i + 1 > bounds[b + 2]!) bounds[b + 2] = i + 1;
          if (j + 1 > bounds[b + 3]!) bounds[b + 3] = j + 1;
        }
        i++;
      }
    }
  }
  return segments.map((_, s) =>
    Array.from({ length: depth }, (_, k) => {
      const b = (s * depth + k) * 4;
      return bounds[b]! < bounds[b + 2]! ? { i0: bounds[b]!, j0: bounds[b + 1]!, i1: bounds[b + 2]!, j1: bounds[b + 3]! } : null;
    }),
  );
}

/**
 * The Contour Data (x, y, z, … in mm) of one label's outlines on slice k. A contour too long for one
 * DS value (over ~2000 points) is avoided by tracing the box in halves: the pieces meet along a line
 * between voxel centres, so they fill back the same voxels whether read even-odd or as a union.
 */
function sliceContourData(labels: Uint8Array | Uint16Array, source: SourceSeries, k: number, value: number, box: Box): number[][] {
  const [width, height] = source.geometry.dims;
  const polygons = traceContours(labels, width, height, value, { offset: k * width * height, box });
  const data = polygons.map((p) => toPatient(p, source.geometry.affineLps, k));
  if (data.every((d) => encodedLength(d) <= MAX_CONTOUR_DATA_BYTES)) return data;
  const wide = box.i1 - box.i0 >= box.j1 - box.j0;
  const mid = wide ? (box.i0 + box.i1) >> 1 : (box.j0 + box.j1) >> 1;
  const halves: Box[] = wide ? [{ ...box, i1: mid }, { ...box, i0: mid }] : [{ ...box, j1: mid }, { ...box, j0: mid }];
  return halves.flatMap((half) => sliceContourData(labels, source, k, value, half));
}

/** Voxel (i, j) on slice k → patient LPS mm through the series affine, rounded for writing. */
function toPatient(polygon: Polygon, m: number[], k: number): number[] {
  const out = new Array<number>((polygon.length / 2) * 3);
  const base = [m[2]! * k + m[3]!, m[6]! * k + m[7]!, m[10]! * k + m[11]!];
  for (let p = 0, q = 0; p < polygon.length; p += 2) {
    const i = polygon[p]!;
    const j = polygon[p + 1]!;
    out[q++] = round(m[0]! * i + m[1]! * j + base[0]!);
    out[q++] = round(m[4]! * i + m[5]! * j + base[1]!);
    out[q++] = round(m[8]! * i + m[9]! * j + base[2]!);
  }
  return out;
}

/** Bytes of the values as the writer formats them (rounded numbers print short), with separators. */
function encodedLength(values: number[]): number {
  let length = values.length - 1;
  for (const v of values) length += String(v === 0 ? 0 : v).length;
  return length + (length % 2);
}

function imageItem(reference: SliceReference): DicomItem {
  return {
    ReferencedSOPClassUID: reference.sopClassUid,
    ReferencedSOPInstanceUID: reference.sopInstanceUid,
    ReferencedFrameNumber: reference.frameNumber ?? undefined,
  };
}

/** Every image of the series once (a multi-frame image once per frame used). */
function seriesImages(source: SourceSeries): DicomItem[] {
  const seen = new Set<string>();
  const items: DicomItem[] = [];
  for (const reference of source.slices) {
    if (!reference) continue;
    const key = `${reference.sopInstanceUid}#${reference.frameNumber ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(imageItem(reference));
  }
  return items;
}
