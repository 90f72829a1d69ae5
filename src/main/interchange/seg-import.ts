/**
 * DICOM SEG import: a Segmentation instance on a known source series → a label map on the series' grid.
 *
 * BINARY and FRACTIONAL segmentations (FRACTIONAL: a voxel belongs to a segment when its value is at
 * least half of Maximum Fractional Value). Frames may come in any order; each is placed on slice k by
 * the source image it names (SOP Instance UID, and frame number for multi-frame sources), else by its
 * Image Position (Patient) on the series' grid. Label values are Segment Numbers; where segments
 * overlap, the higher Segment Number wins and a warning counts the voxels.
 *
 * The file is read by seg-file.ts (an element walker: dcmjs is slow on thousands of per-frame items and
 * mis-decodes non-ASCII text inside sequences).
 */
import { DelineateError } from '../../shared/errors.js';
import { axisVector, invertAffine, norm, transformPoint } from '../../shared/geometry.js';
import type { ImportedMask, MaskLabel } from '../../shared/interchange.js';
import { ALGORITHM_TYPES } from '../../shared/interchange.js';
import type { Code } from '../../shared/editing/segments.js';
import { defaultLabelColor } from '../../shared/labels.js';
import type { Vec3 } from '../../shared/volume.js';
import { dicomLabToRgb, SEGMENTATION_STORAGE } from './seg-export.js';
import { readSegFile, type SegCode, type SegFile, type SegFrame } from './seg-file.js';
import type { SourceSeries } from './source-series.js';

/** In-plane distance (mm) a frame's origin may be off the series' grid, and orientation cosine tolerance. */
const IN_PLANE_TOLERANCE_MM = 1e-3;
const ORIENTATION_TOLERANCE = 1e-4;

function invalid(fileName: string, reason: string): DelineateError {
  return new DelineateError('invalid_input', `${fileName}: ${reason}`);
}

/** A code as the shared schema takes it (longer values are cut rather than refused); none if incomplete. */
function codeOf(code: SegCode | undefined): Code | undefined {
  if (!code || !code.value || !code.scheme || !code.meaning) return undefined;
  return { scheme: code.scheme.slice(0, 16), value: code.value.slice(0, 64), meaning: code.meaning.slice(0, 128) };
}

function readSegments(file: SegFile, fileName: string, warnings: string[]): MaskLabel[] {
  if (file.segments.length === 0) throw invalid(fileName, 'the SEG has no Segment Sequence');
  const seen = new Set<number>();
  return file.segments.map((item, index) => {
    const value = item.number;
    if (value === undefined || value < 1) throw invalid(fileName, `Segment Sequence item ${index + 1} has Segment Number ${value ?? '(missing)'}; it must be 1..65535`);
    if (seen.has(value)) throw invalid(fileName, `Segment Number ${value} is declared twice in the Segment Sequence`);
    seen.add(value);
    const name = (item.label || `Segment ${value}`).slice(0, 64);
    const type = item.algorithmType.toUpperCase();
    let algorithmType: MaskLabel['algorithmType'] = 'MANUAL';
    if ((ALGORITHM_TYPES as readonly string[]).includes(type)) algorithmType = type as MaskLabel['algorithmType'];
    else warnings.push(`Segment ${value} ("${name}") has Segment Algorithm Type ${JSON.stringify(type)}; taken as MANUAL`);
    const label: MaskLabel = { value, name, color: item.lab?.length === 3 ? dicomLabToRgb(item.lab) : defaultLabelColor(value), algorithmType };
    if (item.algorithmName) label.algorithmName = item.algorithmName.slice(0, 64);
    const category = codeOf(item.category);
    const propertyType = codeOf(item.type);
    if (category) label.category = category;
    if (propertyType) label.type = propertyType;
    return label;
  });
}

/** The series the SEG says it segments must be this one (by Referenced Series, else Frame of Reference). */
function checkReferencedSeries(file: SegFile, source: SourceSeries, fileName: string): void {
  const named = file.referencedSeries;
  if (named.length && !named.includes(source.seriesInstanceUid))
    throw invalid(fileName, `the SEG references series ${named.join(', ')}, not series ${source.seriesInstanceUid} it is being imported onto`);
  const frameOfReference = file.frameOfReferenceUid;
  if (frameOfReference && source.frameOfReferenceUid && frameOfReference !== source.frameOfReferenceUid)
    throw invalid(fileName, `the SEG is in frame of reference ${frameOfReference}, not ${source.frameOfReferenceUid} of series ${source.seriesInstanceUid}`);
}

interface Grid {
  inverse: number[];
  rowCosines: Vec3;
  columnCosines: Vec3;
  spacing: [number, number];
}

function gridOf(source: SourceSeries): Grid {
  const a = source.geometry.affineLps;
  const di = axisVector(a, 0);
  const dj = axisVector(a, 1);
  return {
    inverse: invertAffine(a),
    rowCosines: di.map((v) => v / norm(di)) as Vec3,
    columnCosines: dj.map((v) => v / norm(dj)) as Vec3,
    spacing: [norm(dj), norm(di)],
  };
}

/** A frame's plane must be the series' plane: same orientation (within 1e-4) and pixel spacing (within 1e-3 mm). */
function checkPlane(frame: SegFrame, shared: SegFile['shared'], grid: Grid, fileName: string, index: number): void {
  const orientation = frame.orientation ?? shared.orientation;
  if (orientation?.length === 6) {
    const expected = [...grid.rowCosines, ...grid.columnCosines];
    if (orientation.some((v, i) => !(Math.abs(v - expected[i]!) <= ORIENTATION_TOLERANCE)))
      throw invalid(fileName, `frame ${index + 1} has orientation ${orientation.map((v) => +v.toFixed(5)).join('\\')}, the series ${expected.map((v) => +v.toFixed(5)).join('\\')}`);
  }
  const spacing = frame.pixelSpacing ?? shared.pixelSpacing;
  if (spacing?.length === 2 && spacing.some((v, i) => !(Math.abs(v - grid.spacing[i]!) <= 1e-3)))
    throw invalid(fileName, `frame ${index + 1} has pixel spacing ${spacing.join('\\')} mm, the series ${grid.spacing.map((v) => +v.toFixed(6)).join('\\')} mm`);
}

/** Slice k of a frame: by the source image it names, else by where its first pixel lies on the series' grid. */
function sliceOf(frame: SegFrame, index: number, bySource: Map<string, number>, grid: Grid, source: SourceSeries, fileName: string): number {
  for (const ref of frame.sources) {
    const k = bySource.get(`${ref.sopInstanceUid}#${ref.frameNumber ?? ''}`);
    if (k !== undefined) return k;
  }
  const p = frame.position;
  if (!p || p.length !== 3 || p.some((v) => !Number.isFinite(v)))
    throw invalid(fileName, `frame ${index + 1} names no image of series ${source.seriesInstanceUid} and has no Image Position (Patient) to place it by`);
  const [i, j, kf] = transformPoint(grid.inverse, p as Vec3);
  const depth = source.geometry.dims[2];
  const where = `(${p.map((v) => +v.toFixed(3)).join(', ')}) mm`;
  const offset = Math.hypot(i * grid.spacing[1], j * grid.spacing[0]);
  if (!(offset <= IN_PLANE_TOLERANCE_MM + 1e-7 * norm(p as Vec3)))
    throw invalid(fileName, `frame ${index + 1} starts at ${where}, ${offset.toFixed(3)} mm off the series' pixel grid in its plane`);
  const k = Math.round(kf);
  if (k < 0 || k >= depth) throw invalid(fileName, `frame ${index + 1} at ${where} lies outside the volume (slice position ${kf.toFixed(2)}; the series has slices 0..${depth - 1})`);
  return k;
}

export function readSeg(bytes: Uint8Array, source: SourceSeries, fileName: string): ImportedMask {
  const file = readSegFile(bytes, fileName);
  if (file.sopClassUid !== SEGMENTATION_STORAGE)
    throw invalid(fileName, `not a DICOM SEG (SOP Class ${file.sopClassUid || 'missing'}, modality ${file.modality || 'missing'}; a Segmentation Storage instance is ${SEGMENTATION_STORAGE})`);
  checkReferencedSeries(file, source, fileName);

  const [columns, rows, depth] = source.geometry.dims;
  const sliceLength = columns * rows;
  if (file.rows !== rows || file.columns !== columns)
    throw invalid(fileName, `the SEG's frames are ${file.columns ?? '?'}×${file.rows ?? '?'} (columns×rows) but series ${source.seriesInstanceUid} has ${columns}×${rows} images`);

  const type = file.segmentationType;
  const warnings = [...file.warnings];
  let threshold = 1;
  if (type === 'BINARY') {
    if (file.bitsAllocated !== 1) throw invalid(fileName, `a BINARY SEG must have Bits Allocated 1, this one has ${file.bitsAllocated ?? 'none'}`);
  } else if (type === 'FRACTIONAL') {
    if (file.bitsAllocated !== 8) throw invalid(fileName, `a FRACTIONAL SEG must have Bits Allocated 8, this one has ${file.bitsAllocated ?? 'none'}`);
    const maximum = file.maximumFractionalValue;
    if (maximum === undefined || maximum < 1 || maximum > 255) throw invalid(fileName, `Maximum Fractional Value is ${maximum ?? 'missing'}; it must be 1..255`);
    threshold = Math.ceil(maximum / 2);
    warnings.push(`FRACTIONAL segmentation: voxels with a value of at least ${threshold} of ${maximum} (half the Maximum Fractional Value) were taken as inside their segment`);
  } else throw invalid(fileName, `Segmentation Type ${JSON.stringify(type)} is not supported (BINARY and FRACTIONAL are)`);

  const segments = readSegments(file, fileName, warnings);
  const declared = new Set(segments.map((s) => s.value));
  const frameCount = file.frames.length;
  if (Number(file.numberOfFrames) !== frameCount)
    throw invalid(fileName, `Number of Frames is ${file.numberOfFrames || 'missing'} but the Per-frame Functional Groups Sequence has ${frameCount} items`);
  const frameBits = type === 'BINARY' ? sliceLength : sliceLength * 8;
  const needed = Math.ceil((frameCount * frameBits) / 8);
  if (file.pixels.byteLength < needed) throw invalid(fileName, `Pixel Data holds ${file.pixels.byteLength} bytes; ${frameCount} frames of ${columns}×${rows} need ${needed}`);

  const grid = gridOf(source);
  const shared = file.shared;
  const bySource = new Map<string, number>();
  source.slices.forEach((s, k) => s && bySource.set(`${s.sopInstanceUid}#${s.frameNumber ?? ''}`, k));
  const maxSegment = Math.max(...segments.map((s) => s.value));
  const labels = maxSegment > 255 ? new Uint16Array(sliceLength * depth) : new Uint8Array(sliceLength * depth);
  const overlaps = new Overlaps(labels.length);
  // 32 bits at a time where frames start on word boundaries (any image with a multiple of 32 pixels);
  // Uint32Array reads the packed bytes little endian, as every platform Node runs on is
  const words = type === 'BINARY' && sliceLength % 32 === 0 ? wordsOf(file.pixels) : null;

  file.frames.forEach((frame, f) => {
    const segment = frame.segmentNumber ?? (segments.length === 1 ? segments[0]!.value : undefined);
    if (segment === undefined) throw invalid(fileName, `frame ${f + 1} has no Referenced Segment Number`);
    if (!declared.has(segment)) throw invalid(fileName, `frame ${f + 1} belongs to segment ${segment}, which the Segment Sequence does not declare`);
    checkPlane(frame, shared, grid, fileName, f);
    const k = sliceOf(frame, f, bySource, grid, source, fileName);
    if (words) placeBinaryWords(words, (f * sliceLength) / 32, sliceLength / 32, labels, k * sliceLength, segment, overlaps);
    else if (type === 'BINARY') placeBinaryFrame(file.pixels, f * sliceLength, sliceLength, labels, k * sliceLength, segment, overlaps);
    else placeFractionalFrame(file.pixels.subarray(f * sliceLength, (f + 1) * sliceLength), labels, k * sliceLength, segment, threshold, overlaps);
  });
  if (overlaps.count > 0)
    warnings.push(`${overlaps.count} ${overlaps.count === 1 ? 'voxel belongs' : 'voxels belong'} to more than one segment; each was given the highest Segment Number among them`);
  return { labels, segments, warnings };
}

/** Voxels claimed by two or more segments, counted once each (a bitset, allocated on the first overlap). */
class Overlaps {
  count = 0;
  private seen: Uint8Array | null = null;
  constructor(private readonly voxels: number) {}
  add(voxel: number): void {
    this.seen ??= new Uint8Array(Math.ceil(this.voxels / 8));
    const bit = 1 << (voxel & 7);
    const at = voxel >>> 3;
    if (this.seen[at]! & bit) return;
    this.seen[at]! |= bit;
    this.count++;
  }
}

function place(labels: Uint8Array | Uint16Array, voxel: number, segment: number, overlaps: Overlaps): void {
  const current = labels[voxel]!;
  if (current === 0) labels[voxel] = segment;
  else if (current !== segment) {
    overlaps.add(voxel);
    if (segment > current) labels[voxel] = segment;
  }
}

/**
 * One 1-bit frame (LSB first, starting `firstBit` bits into Pixel Data) onto the slice at `base`. Whole
 * zero bytes are skipped, so the cost follows the segmented area, not the frame size.
 */
function placeBinaryFrame(pixels: Uint8Array, firstBit: number, length: number, labels: Uint8Array | Uint16Array, base: number, segment: number, overlaps: Overlaps): void {
  const firstByte = Math.floor(firstBit / 8);
  const shift = firstBit % 8; // bits of the previous frame in the first byte
  const lastByte = Math.floor((firstBit + length - 1) / 8);
  for (let b = firstByte; b <= lastByte; b++) {
    let byte = pixels[b]!;
    if (byte === 0) continue;
    const p0 = (b - firstByte) * 8 - shift;
    while (byte !== 0) {
      const bit = 31 - Math.clz32(byte & -byte); // lowest set bit
      byte &= byte - 1;
      const p = p0 + bit;
      if (p >= 0 && p < length) place(labels, base + p, segment, overlaps);
    }
  }
}

/** A 32-bit view of Pixel Data (copied once when the value does not start on a 4-byte boundary). */
function wordsOf(pixels: Uint8Array): Uint32Array {
  const aligned = pixels.byteOffset % 4 === 0 ? pixels : pixels.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
}

/** placeBinaryFrame for a frame of `count` whole 32-bit words starting at word `first`. */
function placeBinaryWords(words: Uint32Array, first: number, count: number, labels: Uint8Array | Uint16Array, base: number, segment: number, overlaps: Overlaps): void {
  for (let w = 0; w < count; w++) {
    let word = words[first + w]!;
    if (word === 0) continue;
    const p0 = base + w * 32;
    while (word !== 0) {
      place(labels, p0 + 31 - Math.clz32(word & -word), segment, overlaps); // lowest set bit first
      word &= word - 1;
    }
  }
}

/** One 8-bit fractional frame onto the slice at `base`: pixels at or above `threshold` are inside. */
function placeFractionalFrame(frame: Uint8Array, labels: Uint8Array | Uint16Array, base: number, segment: number, threshold: number, overlaps: Overlaps): void {
  for (let p = 0; p < frame.length; p++) if (frame[p]! >= threshold) place(labels, base + p, segment, overlaps);
}
