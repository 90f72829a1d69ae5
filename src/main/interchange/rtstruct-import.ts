/**
 * An RT Structure Set onto the grid of the series it was drawn on: each ROI's closed planar contours
 * are mapped to voxel coordinates, checked (same Frame of Reference, on a slice plane, inside the
 * volume, not crossing themselves) and filled even-odd per slice, so holes given as separate
 * contours (the usual "XOR" encoding), nested islands and keyhole contours all come out right.
 *
 * Label values are the ROI Numbers, so a structure set we exported comes back with the values it
 * had, and each label matches the number other systems show for the ROI. When ROI Numbers cannot be
 * label values (outside 1..65535, repeated, missing) the ROIs are numbered 1..n in file order.
 */
import { DelineateError } from '../../shared/errors.js';
import { invertAffine } from '../../shared/geometry.js';
import { ALGORITHM_TYPES, type AlgorithmType, type ImportedMask, type MaskLabel } from '../../shared/interchange.js';
import { fillSpans, findCrossing, nearestSlice, ON_CONTOUR, withoutRepeats, type Polygon } from '../../shared/interchange/contours.js';
import { CodeSchema } from '../../shared/segmentation.js';
import { parseDicomHeader, type NaturalDataset } from '../studies/dicom/dcmjs-reader.js';
import { RT_STRUCTURE_SET_STORAGE } from './rtstruct-export.js';
import type { SourceSeries } from './source-series.js';

/**
 * How far (in slice spacings) a contour may lie off a slice plane: decimal rounding of coordinates
 * is far below this; a contour drawn on another reconstruction of the scan is usually far above.
 */
export const PLANE_TOLERANCE = 0.05;

/** Colours for ROIs without a usable ROI Display Color. */
const PALETTE: [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230],
];

type Item = NaturalDataset;
const items = (value: unknown): Item[] => (Array.isArray(value) ? value.filter((v): v is Item => typeof v === 'object' && v !== null) : []);
const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : Array.isArray(value) && typeof value[0] === 'string' ? value[0].trim() : '');
const integer = (value: unknown): number | null => {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return value !== undefined && value !== null && value !== '' && Number.isInteger(n) ? n : null;
};

interface Roi {
  number: number | null;
  name: string;
  /** how messages name it: ROI 3 "Liver" */
  title: string;
  value: number;
  item: Item;
  contour: Item | undefined;
  observation: Item | undefined;
}

export function readRtstruct(bytes: Uint8Array, source: SourceSeries, fileName: string): ImportedMask {
  const fail = (message: string): never => {
    throw new DelineateError('invalid_input', `${fileName}: ${message}`);
  };
  let ds: NaturalDataset;
  try {
    ds = parseDicomHeader(bytes).dataset;
  } catch (err) {
    return fail(`not a readable DICOM file (${(err as Error).message})`);
  }
  const sopClass = text(ds.SOPClassUID);
  if (sopClass !== RT_STRUCTURE_SET_STORAGE) fail(`not an RT Structure Set (SOP Class ${sopClass || 'missing'}, Modality ${text(ds.Modality) || 'missing'})`);
  const warnings: string[] = [];
  const rois = describeRois(ds, fail, warnings);
  const seriesFor = source.frameOfReferenceUid;
  const setFors = items(ds.ReferencedFrameOfReferenceSequence).map((f) => text(f.FrameOfReferenceUID)).filter(Boolean);
  for (const roi of rois) {
    const roiFor = text(roi.item.ReferencedFrameOfReferenceUID) || (setFors.length === 1 ? setFors[0]! : '');
    if (roiFor && roiFor !== seriesFor)
      fail(`${roi.title} is in Frame of Reference ${roiFor}, not that of series ${source.key} (${seriesFor}); it was drawn on another scan`);
  }
  if (rois.every((r) => !text(r.item.ReferencedFrameOfReferenceUID)) && !setFors.length)
    warnings.push('The structure set names no Frame of Reference; its contours were placed by their coordinates alone');

  const [width, height, depth] = source.geometry.dims;
  const maxValue = Math.max(0, ...rois.map((r) => r.value));
  const labels = maxValue > 255 ? new Uint16Array(width * height * depth) : new Uint8Array(width * height * depth);
  const inverse = invertAffine(source.geometry.affineLps);
  const m = source.geometry.affineLps;
  // distance between slice planes: 1 / |∇k|, from the inverse's third row
  const sliceGap = 1 / Math.hypot(inverse[8]!, inverse[9]!, inverse[10]!);
  const seriesImages = new Set(source.slices.flatMap((s) => (s ? [s.sopInstanceUid] : [])));
  const segments: MaskLabel[] = [];
  const owner = new Map<number, string>();
  let foreignImages = 0;

  for (const roi of rois) {
    const contours = items(roi.contour?.ContourSequence);
    const types = contours.map((c) => text(c.ContourGeometricType).toUpperCase());
    const closed = types.filter((t) => t === 'CLOSED_PLANAR' || t === 'CLOSEDPLANAR_XOR').length;
    const open = types.findIndex((t) => t === 'OPEN_PLANAR' || t === 'OPEN_NONPLANAR');
    const points = types.filter((t) => t === 'POINT').length;
    types.forEach((t, c) => {
      if (!['CLOSED_PLANAR', 'CLOSEDPLANAR_XOR', 'OPEN_PLANAR', 'OPEN_NONPLANAR', 'POINT'].includes(t))
        fail(`${roi.title} contour ${c + 1} has Contour Geometric Type ${JSON.stringify(t)}, which DICOM does not define`);
    });
    if (open >= 0 && closed > 0)
      fail(`${roi.title} contour ${open + 1} is ${types[open]} (an open line, not a region boundary) among closed contours; the region is undefined`);
    if (contours.length > 0 && closed === 0) {
      const kind = points === contours.length ? `POINT contours (a marker${text(roi.observation?.RTROIInterpretedType) ? `, ${text(roi.observation?.RTROIInterpretedType)}` : ''})` : 'open contours (lines)';
      warnings.push(`${roi.title} was skipped: it has only ${kind}, no region`);
      continue;
    }
    if (points > 0) warnings.push(`${roi.title}: ${points} POINT contour(s) ignored`);
    if (contours.length === 0) warnings.push(`${roi.title} has no contours; its label is empty`);

    const bySlice = new Map<number, Polygon[]>();
    let clipped = 0;
    contours.forEach((contour, c) => {
      if (types[c] === 'POINT') return;
      const where = `${roi.title} contour ${c + 1}`;
      const data = numbers(contour.ContourData);
      if (data.length % 3 !== 0 || data.some((v) => !Number.isFinite(v))) fail(`${where} has malformed Contour Data (${data.length} values; it needs x, y, z numbers per point)`);
      const n = data.length / 3;
      const xy = new Float64Array(2 * n);
      const ks = new Float64Array(n);
      for (let p = 0; p < n; p++) {
        const [x, y, z] = [data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!];
        xy[2 * p] = inverse[0]! * x + inverse[1]! * y + inverse[2]! * z + inverse[3]!;
        xy[2 * p + 1] = inverse[4]! * x + inverse[5]! * y + inverse[6]! * z + inverse[7]!;
        ks[p] = inverse[8]! * x + inverse[9]! * y + inverse[10]! * z + inverse[11]!;
      }
      const polygon = withoutRepeats(xy);
      if (polygon.length < 6) fail(`${where} is open: it has ${polygon.length / 2} distinct point(s), and a closed contour needs at least 3`);
      const { slice, offPlane } = nearestSlice(ks);
      if (offPlane > PLANE_TOLERANCE)
        fail(`${where} is not on a slice plane of series ${source.key}: a point lies ${(offPlane * sliceGap).toFixed(3)} mm from the plane of slice ${slice} (tolerance ${(PLANE_TOLERANCE * sliceGap).toFixed(3)} mm); was it drawn on another series of this Frame of Reference?`);
      if (slice < 0 || slice >= depth)
        fail(`${where} lies outside the volume: ${((slice < 0 ? -slice : slice - depth + 1) * sliceGap).toFixed(2)} mm beyond its ${slice < 0 ? 'first' : 'last'} slice`);
      const crossing = findCrossing([polygon]);
      if (crossing) {
        const [ci, cj] = crossing.at;
        const at = [0, 1, 2].map((r) => m[4 * r]! * ci + m[4 * r + 1]! * cj + m[4 * r + 2]! * slice + m[4 * r + 3]!);
        fail(`${where} crosses itself near (${at.map((v) => v.toFixed(2)).join(', ')}) mm (its edges ${crossing.a.segment + 1} and ${crossing.b.segment + 1})`);
      }
      let [iMin, iMax, jMin, jMax] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let p = 0; p < polygon.length; p += 2) {
        iMin = Math.min(iMin, polygon[p]!);
        iMax = Math.max(iMax, polygon[p]!);
        jMin = Math.min(jMin, polygon[p + 1]!);
        jMax = Math.max(jMax, polygon[p + 1]!);
      }
      const edge = 0.5 + ON_CONTOUR;
      if (iMax < -edge || jMax < -edge || iMin > width - 1 + edge || jMin > height - 1 + edge) fail(`${where} lies outside the image of slice ${slice}`);
      if (iMin < -edge || jMin < -edge || iMax > width - 1 + edge || jMax > height - 1 + edge) clipped++;
      const image = text(items(contour.ContourImageSequence)[0]?.ReferencedSOPInstanceUID);
      if (image && !seriesImages.has(image)) foreignImages++;
      const list = bySlice.get(slice);
      if (list) list.push(polygon);
      else bySlice.set(slice, [polygon]);
    });
    if (clipped) warnings.push(`${roi.title}: ${clipped} contour(s) reach beyond the image and were clipped to it`);

    // paint; a later ROI takes voxels an earlier one had
    const overlaps = new Map<number, number>();
    const value = roi.value;
    for (const [k, polygons] of bySlice) {
      const base = k * width * height;
      fillSpans(polygons, width, height, (j, i0, i1) => {
        for (let v = base + j * width + i0, end = base + j * width + i1; v <= end; v++) {
          const was = labels[v]!;
          if (was !== 0 && was !== value) overlaps.set(was, (overlaps.get(was) ?? 0) + 1);
          labels[v] = value;
        }
      });
    }
    for (const [was, count] of overlaps) warnings.push(`${roi.title} overlaps ${owner.get(was)} on ${count} voxel(s); they now belong to ${roi.title} (later ROIs win)`);
    owner.set(value, roi.title);
    segments.push(maskLabel(roi, segments.length));
  }
  if (foreignImages) warnings.push(`${foreignImages} contour(s) reference images that are not in series ${source.key}; they were placed by their coordinates`);
  return { labels, segments, warnings };
}

/** The ROIs of the Structure Set ROI Sequence, in file order, with their contours and observations. */
function describeRois(ds: NaturalDataset, fail: (message: string) => never, warnings: string[]): Roi[] {
  const list = items(ds.StructureSetROISequence);
  if (!list.length) fail('the Structure Set ROI Sequence is missing or empty: there are no ROIs');
  const roiNumbers = list.map((item) => integer(item.ROINumber));
  const usable = roiNumbers.every((n) => n !== null && n >= 1 && n <= 65535) && new Set(roiNumbers).size === roiNumbers.length;
  if (!usable) warnings.push('ROI Numbers are missing, repeated or outside 1..65535; labels are numbered 1..n in file order instead');
  const contours = new Map<number, Item>();
  items(ds.ROIContourSequence).forEach((item, n) => {
    const ref = integer(item.ReferencedROINumber);
    if (ref === null || !roiNumbers.includes(ref))
      fail(`ROI Contour Sequence item ${n + 1} refers to ROI ${ref ?? '(none)'}, which the Structure Set ROI Sequence does not define`);
    contours.set(ref!, item);
  });
  const observations = new Map<number, Item>();
  for (const item of items(ds.RTROIObservationsSequence)) {
    const ref = integer(item.ReferencedROINumber);
    if (ref !== null && !observations.has(ref)) observations.set(ref, item);
  }
  return list.map((item, n) => {
    const number = roiNumbers[n]!;
    const name = text(item.ROIName);
    return {
      number,
      name,
      title: `ROI ${number ?? `#${n + 1}`}${name ? ` ${JSON.stringify(name)}` : ''}`,
      value: usable ? number! : n + 1,
      item,
      contour: number === null ? undefined : contours.get(number),
      observation: number === null ? undefined : observations.get(number),
    };
  });
}

/** Contour Data as numbers (dcmjs gives DS as numbers, or strings for odd values). */
function numbers(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'number' ? v : Number(String(v).trim() || NaN)));
}

function maskLabel(roi: Roi, index: number): MaskLabel {
  const color = numbers(roi.contour?.ROIDisplayColor);
  const rgb: [number, number, number] =
    color.length === 3 && color.every((c) => Number.isInteger(c) && c >= 0 && c <= 255) ? [color[0]!, color[1]!, color[2]!] : PALETTE[index % PALETTE.length]!;
  const algorithm = text(roi.item.ROIGenerationAlgorithm).toUpperCase();
  const description = text(roi.item.ROIGenerationDescription).slice(0, 64);
  const code = items(roi.observation?.RTROIIdentificationCodeSequence)[0];
  const type = code
    ? CodeSchema.safeParse({ scheme: text(code.CodingSchemeDesignator), value: text(code.CodeValue), meaning: text(code.CodeMeaning) })
    : null;
  return {
    value: roi.value,
    name: (roi.name || `ROI ${roi.number ?? index + 1}`).slice(0, 64),
    color: rgb,
    ...(type?.success ? { type: type.data } : {}),
    algorithmType: (ALGORITHM_TYPES as readonly string[]).includes(algorithm) ? (algorithm as AlgorithmType) : 'MANUAL',
    ...(description ? { algorithmName: description } : {}),
  };
}
