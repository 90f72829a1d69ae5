/** The Image Pixel attributes that say how to read Pixel Data, checked once at the boundary. */
import type { ParsedDataset, PixelDataTag } from './dicom-dataset.js';
import { PixelDataError } from './errors.js';

export interface PixelFormat {
  transferSyntaxUid: string;
  rows: number;
  columns: number;
  samplesPerPixel: 1 | 3;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  photometricInterpretation: string;
  planarConfiguration: 0 | 1;
  numberOfFrames: number;
  /** Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) */
  floatPixelData?: boolean;
}

/** One frame of stored values (no rescale, no MONOCHROME1 inversion); colour is interleaved RGB. */
export type StoredFrame = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface DecodedFile {
  format: PixelFormat;
  frames: StoredFrame[];
}

const TAG = {
  samplesPerPixel: '00280002',
  photometric: '00280004',
  planar: '00280006',
  frames: '00280008',
  rows: '00280010',
  columns: '00280011',
  bitsAllocated: '00280100',
  bitsStored: '00280101',
  highBit: '00280102',
  pixelRepresentation: '00280103',
} as const;

function required(ds: ParsedDataset, tag: string, name: string, source: string): number {
  const value = ds.number(tag);
  if (value === undefined) throw new PixelDataError(source, `missing ${name} (${tag.slice(0, 4)},${tag.slice(4)})`);
  return value;
}

function check(condition: boolean, source: string, problem: string): void {
  if (!condition) throw new PixelDataError(source, problem);
}

/** Build and validate the format; `pixelTag` says whether this is (double) float pixel data. */
export function readPixelFormat(ds: ParsedDataset, pixelTag: PixelDataTag, source: string): PixelFormat {
  const rows = required(ds, TAG.rows, 'Rows', source);
  const columns = required(ds, TAG.columns, 'Columns', source);
  const floatPixelData = pixelTag !== '7FE00010';
  const bitsAllocated = floatPixelData ? (pixelTag === '7FE00008' ? 32 : 64) : required(ds, TAG.bitsAllocated, 'Bits Allocated', source);
  const samples = ds.number(TAG.samplesPerPixel) ?? 1;
  // Float pixel data has no Bits Stored / High Bit / Pixel Representation.
  const bitsStored = floatPixelData ? bitsAllocated : (ds.number(TAG.bitsStored) ?? bitsAllocated);
  const highBit = floatPixelData ? bitsAllocated - 1 : (ds.number(TAG.highBit) ?? bitsStored - 1);
  const representation = floatPixelData ? 0 : (ds.number(TAG.pixelRepresentation) ?? 0);
  const frames = ds.number(TAG.frames) ?? 1;

  check(Number.isInteger(rows) && rows > 0 && Number.isInteger(columns) && columns > 0, source, `invalid image size ${rows}×${columns}`);
  check(samples === 1 || samples === 3, source, `unsupported Samples per Pixel ${samples} (only 1 or 3)`);
  check([1, 8, 16, 32, 64].includes(bitsAllocated) && (bitsAllocated !== 64 || floatPixelData), source, `unsupported Bits Allocated ${bitsAllocated}`);
  check(bitsStored >= 1 && bitsStored <= bitsAllocated, source, `Bits Stored ${bitsStored} does not fit Bits Allocated ${bitsAllocated}`);
  check(highBit >= bitsStored - 1 && highBit < bitsAllocated, source, `High Bit ${highBit} is inconsistent with Bits Stored ${bitsStored}`);
  check(representation === 0 || representation === 1, source, `invalid Pixel Representation ${representation}`);
  check(Number.isInteger(frames) && frames >= 1, source, `invalid Number of Frames ${frames}`);

  const format: PixelFormat = {
    transferSyntaxUid: ds.transferSyntaxUid,
    rows,
    columns,
    samplesPerPixel: samples as 1 | 3,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: representation as 0 | 1,
    photometricInterpretation: ds.string(TAG.photometric) || (samples === 3 ? 'RGB' : 'MONOCHROME2'),
    planarConfiguration: samples === 3 && ds.number(TAG.planar) === 1 ? 1 : 0,
    numberOfFrames: frames,
  };
  if (floatPixelData) format.floatPixelData = true;
  return format;
}

export function pixelCount(format: PixelFormat): number {
  return format.rows * format.columns;
}

/** Samples in one frame (rows × columns × samples per pixel). */
export function frameSamples(format: PixelFormat): number {
  return format.rows * format.columns * format.samplesPerPixel;
}

export function describeSize(format: PixelFormat): string {
  return `${format.rows}×${format.columns}×${format.samplesPerPixel} ${format.bitsAllocated}-bit`;
}

/** The format of what we hand back: colour is always converted to interleaved RGB. */
export function outputFormat(format: PixelFormat): PixelFormat {
  if (format.samplesPerPixel !== 3) return format;
  return { ...format, photometricInterpretation: 'RGB', planarConfiguration: 0 };
}
