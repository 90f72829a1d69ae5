/**
 * NIfTI reading (NIfTI-1 and NIfTI-2 single files, either byte order) and writing (NIfTI-1), in pure
 * TypeScript: bytes in, Volume out. Decompression and files are the caller's (src/main/studies/nifti-file.ts).
 * NIfTI coordinates are RAS; a Volume's affine is LPS.
 */
import { DelineateError } from './errors.js';
import {
  det3, linearPart, lpsToRasAffine, nearestOrthogonal3, quaternionToRotation, rasToLpsAffine, rotationToQuaternion, spacingOf, type Mat4,
} from './geometry.js';
import { allocateVoxels, bytesPerVoxel, viewVoxels, voxelCount, voxelTypeOf, type Vec3, type Volume, type VoxelArray, type VoxelType } from './volume.js';

/** A file that is not a readable NIfTI image; the message starts with the source (file name). */
export class NiftiFormatError extends DelineateError {
  constructor(source: string, problem: string) {
    super('invalid_input', `${source}: ${problem}`, { source });
    this.name = 'NiftiFormatError';
  }
}

export type SpatialUnit = 'unknown' | 'meter' | 'mm' | 'micron';
export type AffineSource = 'sform' | 'qform' | 'fallback';

export interface NiftiHeaderInfo {
  version: 1 | 2;
  littleEndian: boolean;
  datatype: number;
  datatypeName: string;
  /** dim[1..ndim] as stored (the image is dims 1–3; the rest are volumes) */
  shape: number[];
  /** 3D volumes stored: dim[4] × … × dim[ndim], 1 for a 3D file. Only the first is returned. */
  dim4: number;
  voxOffset: number;
  sformCode: number;
  qformCode: number;
  /** which transform the affine came from */
  affineSource: AffineSource;
  sclSlope: number;
  sclInter: number;
  /** whether scl_slope/scl_inter were applied to the returned data */
  scaled: boolean;
  calMin: number;
  calMax: number;
  description: string;
  xyztUnits: { code: number; spatial: SpatialUnit; temporal: number };
  intent: { code: number; name: string; params: [number, number, number] };
}

export interface NiftiImage extends Volume {
  header: NiftiHeaderInfo;
}

export interface NiftiEncodeOptions {
  description?: string;
  intentName?: string;
  sclSlope?: number;
  sclInter?: number;
}

type SourceType = VoxelType | 'int64' | 'uint64' | 'rgb24';
const DATATYPES: Record<number, { name: SourceType; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 }, 4: { name: 'int16', bytes: 2 }, 8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 }, 64: { name: 'float64', bytes: 8 }, 128: { name: 'rgb24', bytes: 3 },
  256: { name: 'int8', bytes: 1 }, 512: { name: 'uint16', bytes: 2 }, 768: { name: 'uint32', bytes: 4 },
  1024: { name: 'int64', bytes: 8 }, 1280: { name: 'uint64', bytes: 8 },
};
const UNSUPPORTED: Record<number, string> = {
  1: 'binary', 32: 'complex64', 1536: 'float128', 1792: 'complex128', 2048: 'complex256', 2304: 'RGBA32',
};
const DATATYPE_CODE: Record<VoxelType, number> = {
  uint8: 2, int16: 4, int32: 8, float32: 16, float64: 64, int8: 256, uint16: 512, uint32: 768,
};
const INT_RANGE: Partial<Record<VoxelType, [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767], uint32: [0, 4294967295], int32: [-2147483648, 2147483647],
};
const SPATIAL_UNITS: SpatialUnit[] = ['unknown', 'meter', 'mm', 'micron'];
const TO_MM: Record<SpatialUnit, number> = { unknown: 1, meter: 1000, mm: 1, micron: 0.001 };
const PLATFORM_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HEADER_SIZE = { 1: 348, 2: 540 } as const;
const INT64_LIMIT = 2n ** 53n;

type Field = 'u8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64';
/** Byte offset and type of every field we use, per version (NIfTI-2 widens most fields and moves them). */
const LAYOUT = {
  1: {
    dim: [40, 'i16'], intentP: [56, 'f32'], intentCode: [68, 'i16'], datatype: [70, 'i16'], pixdim: [76, 'f32'], voxOffset: [108, 'f32'],
    sclSlope: [112, 'f32'], sclInter: [116, 'f32'], xyztUnits: [123, 'u8'], calMax: [124, 'f32'], calMin: [128, 'f32'], descrip: [148, 'u8'],
    qformCode: [252, 'i16'], sformCode: [254, 'i16'], quatern: [256, 'f32'], qoffset: [268, 'f32'], srow: [280, 'f32'], intentName: [328, 'u8'], magic: [344, 'u8'],
  },
  2: {
    magic: [4, 'u8'], datatype: [12, 'i16'], dim: [16, 'i64'], intentP: [80, 'f64'], pixdim: [104, 'f64'], voxOffset: [168, 'i64'],
    sclSlope: [176, 'f64'], sclInter: [184, 'f64'], calMax: [192, 'f64'], calMin: [200, 'f64'], descrip: [240, 'u8'], qformCode: [344, 'i32'],
    sformCode: [348, 'i32'], quatern: [352, 'f64'], qoffset: [376, 'f64'], srow: [400, 'f64'], xyztUnits: [500, 'i32'], intentCode: [504, 'i32'], intentName: [508, 'u8'],
  },
} as const satisfies Record<1 | 2, Record<string, readonly [number, Field]>>;
type FieldName = keyof (typeof LAYOUT)[1];

const runtime = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string) => { decode(b: Uint8Array): string };
};

class HeaderReader {
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    readonly version: 1 | 2,
    readonly littleEndian: boolean,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  numbers(name: FieldName, count: number): number[] {
    const [offset, type] = LAYOUT[this.version][name];
    return Array.from({ length: count }, (_, i) => this.read(type, offset, i));
  }

  number(name: FieldName): number {
    return this.numbers(name, 1)[0]!;
  }

  text(name: FieldName, length: number): string {
    const offset = LAYOUT[this.version][name][0];
    const raw = this.bytes.subarray(offset, offset + length);
    const end = raw.indexOf(0);
    return new runtime.TextDecoder('utf-8').decode(end < 0 ? raw : raw.subarray(0, end));
  }

  private read(type: Field, offset: number, index: number): number {
    const [view, le] = [this.view, this.littleEndian];
    switch (type) {
      case 'u8': return view.getUint8(offset + index);
      case 'i16': return view.getInt16(offset + index * 2, le);
      case 'i32': return view.getInt32(offset + index * 4, le);
      case 'f32': return view.getFloat32(offset + index * 4, le);
      case 'f64': return view.getFloat64(offset + index * 8, le);
      case 'i64': {
        const value = view.getBigInt64(offset + index * 8, le);
        if (value > INT64_LIMIT || value < -INT64_LIMIT) throw new NiftiFormatError(this.source, `header field at byte ${offset + index * 8} is too large (${value})`);
        return Number(value);
      }
    }
  }
}

/** Byte order, version and magic: a reader over a header that is at least structurally a NIfTI header. */
function openHeader(bytes: Uint8Array, source: string): HeaderReader {
  if (bytes.length === 0) throw new NiftiFormatError(source, 'the file is empty');
  if (bytes.length < 4) throw new NiftiFormatError(source, `not a NIfTI file: only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [le, be] = [view.getInt32(0, true), view.getInt32(0, false)];
  const littleEndian = le === 348 || le === 540;
  if (!littleEndian && be !== 348 && be !== 540)
    throw new NiftiFormatError(source, `not a NIfTI file: sizeof_hdr is ${le} (expected 348 for NIfTI-1 or 540 for NIfTI-2, in either byte order)`);
  const size = littleEndian ? le : be;
  const version = size === 348 ? 1 : 2;
  if (bytes.length < size) throw new NiftiFormatError(source, `the file is too short for a NIfTI-${version} header: ${bytes.length} bytes, the header needs ${size}`);
  const header = new HeaderReader(bytes, version, littleEndian, source);
  const magic = header.numbers('magic', 4);
  const text = String.fromCharCode(...magic.slice(0, 3)); // "ni1"/"n+1" (NIfTI-2: "ni2"/"n+2"), then NUL
  if (text === `ni${version}`)
    throw new NiftiFormatError(source, `is the header of a NIfTI-${version} .hdr/.img pair, which is not supported; convert it to a single .nii file`);
  if (text !== `n+${version}` || magic[3] !== 0)
    throw new NiftiFormatError(source, `not a NIfTI file: bad magic ${JSON.stringify(String.fromCharCode(...magic))} (expected "n+${version}")`);
  return header;
}

function checkShape(header: HeaderReader, source: string): number[] {
  const dim = header.numbers('dim', 8);
  const ndim = dim[0]!;
  if (!(ndim >= 1 && ndim <= 7)) throw new NiftiFormatError(source, `header says the image has ${ndim} dimensions (dim[0] must be 1 to 7)`);
  const shape = dim.slice(1, ndim + 1);
  shape.forEach((size, k) => {
    if (!(size >= 1)) throw new NiftiFormatError(source, `header says dim[${k + 1}] = ${size}; every dimension must be at least 1`);
  });
  return shape;
}

function datatypeOf(code: number, source: string): { name: SourceType; bytes: number } {
  const type = DATATYPES[code];
  if (type) return type;
  const name = UNSUPPORTED[code];
  throw new NiftiFormatError(source, `unsupported datatype ${code}${name ? ` (${name})` : ' (unknown code)'}`);
}

/** A voxel size as the transforms use it: a negative one counts by magnitude, zero or non-finite becomes 1 (as in niftilib). */
const zoom = (value: number | undefined): number => (value !== undefined && Number.isFinite(value) && value !== 0 ? Math.abs(value) : 1);

function affineFrom(linear: number[], translation: number[]): Mat4 {
  const [t0, t1, t2] = translation as [number, number, number];
  return [...linear.slice(0, 3), t0, ...linear.slice(3, 6), t1, ...linear.slice(6, 9), t2, 0, 0, 0, 1];
}

/** Finite and clearly invertible (|det| not tiny next to the product of the axis lengths, so any unit works). */
function usable(m: Mat4): boolean {
  const [a, b, c] = spacingOf(m);
  return m.every(Number.isFinite) && a * b * c > 0 && Math.abs(det3(linearPart(m))) > 1e-9 * a * b * c;
}

/**
 * The RAS affine, as nibabel's get_best_affine chooses it: sform when sform_code > 0, else qform when
 * qform_code > 0, else nibabel's Analyze fallback (x flipped, origin at the centre). A singular or
 * non-finite transform falls through to the next choice rather than producing an unusable volume.
 */
function bestAffine(header: HeaderReader, shape: number[]): { affine: Mat4; source: AffineSource } {
  const pixdim = header.numbers('pixdim', 8);
  if (header.number('sformCode') > 0) {
    const sform = [...header.numbers('srow', 12), 0, 0, 0, 1];
    if (usable(sform)) return { affine: sform, source: 'sform' };
  }
  if (header.number('qformCode') > 0) {
    const [b, c, d] = header.numbers('quatern', 3) as Vec3;
    const qfac = pixdim[0]! < 0 ? -1 : 1; // the standard: anything but a negative qfac means 1
    const zooms = [zoom(pixdim[1]), zoom(pixdim[2]), zoom(pixdim[3]) * qfac];
    const rotation = quaternionToRotation(b, c, d);
    const qform = affineFrom(rotation.map((v, k) => v * zooms[k % 3]!), header.numbers('qoffset', 3));
    if (usable(qform)) return { affine: qform, source: 'qform' };
  }
  const size = [0, 1, 2].map((k) => shape[k] ?? 1);
  const zooms = [0, 1, 2].map((k) => (k < shape.length ? zoom(pixdim[k + 1]) : 1));
  zooms[0] = -zooms[0]!;
  const linear = [zooms[0], 0, 0, 0, zooms[1]!, 0, 0, 0, zooms[2]!];
  return { affine: affineFrom(linear, zooms.map((z, k) => (-(size[k]! - 1) / 2) * z)), source: 'fallback' };
}

/** Reverses each `size`-byte group in place (byte order conversion). */
function swapBytes(bytes: Uint8Array, size: number): void {
  const half = size >> 1;
  for (let i = 0; i < bytes.length; i += size)
    for (let k = 0; k < half; k++) {
      const t = bytes[i + k]!;
      bytes[i + k] = bytes[i + size - 1 - k]!;
      bytes[i + size - 1 - k] = t;
    }
}

function int64ToFloat64(bytes: Uint8Array, signed: boolean, source: string): Float64Array {
  const values = signed ? new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8) : new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value > INT64_LIMIT || value < -INT64_LIMIT)
      throw new NiftiFormatError(source, `${signed ? 'int64' : 'uint64'} voxel ${i} is ${value}, beyond ±2^53, which cannot be converted to float64 exactly`);
    out[i] = Number(value);
  }
  return out;
}

function extremes(data: VoxelArray): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Applies scl_slope/scl_inter. Whether to scale follows nibabel: a zero or non-finite slope means "no
 * scaling", and (1, 0) changes nothing. The output type:
 * - integer data, integer slope and inter: stays integer when the scaled values fit — in the source type,
 *   else int16, else int32 (label maps and CT in HU stay exact and compact);
 * - otherwise float64 for float64 data and for 32/64-bit integers (float32 would round their values),
 *   float32 for the rest.
 */
function applyScaling(data: VoxelArray, from: SourceType, slope: number, inter: number): VoxelArray {
  const isInteger = from !== 'float32' && from !== 'float64';
  if (isInteger && Number.isInteger(slope) && Number.isInteger(inter)) {
    const [lo, hi] = extremes(data).map((v) => v * slope + inter).sort((a, b) => a - b) as [number, number];
    const candidates = [from, 'int16', 'int32'].filter((t): t is VoxelType => t in INT_RANGE);
    const fits = candidates.find((t) => data.length === 0 || (INT_RANGE[t]![0] <= lo && hi <= INT_RANGE[t]![1]));
    if (fits) return scaleInto(allocateVoxels(fits, data.length), data, slope, inter);
  }
  const wide = ['float64', 'int32', 'uint32', 'int64', 'uint64'].includes(from);
  return scaleInto(allocateVoxels(wide ? 'float64' : 'float32', data.length), data, slope, inter);
}

function scaleInto<T extends VoxelArray>(out: T, data: VoxelArray, slope: number, inter: number): T {
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * slope + inter;
  return out;
}

function decodeVoxels(
  bytes: Uint8Array, offset: number, voxels: number, type: { name: SourceType; bytes: number }, header: HeaderReader, source: string,
): { data: VoxelArray; voxelType: VoxelType; components: 1 | 3; scaled: boolean } {
  const copy = new Uint8Array(voxels * type.bytes); // own, tight buffer: the file's bytes can be released
  copy.set(bytes.subarray(offset, offset + copy.length));
  if (type.name === 'rgb24') return { data: copy, voxelType: 'uint8', components: 3, scaled: false };
  if (header.littleEndian !== PLATFORM_LITTLE_ENDIAN) swapBytes(copy, type.bytes);
  const data = type.name === 'int64' || type.name === 'uint64' ? int64ToFloat64(copy, type.name === 'int64', source) : viewVoxels(type.name, copy);
  const [slope, inter] = [header.number('sclSlope'), header.number('sclInter')];
  if (slope === 0 || !Number.isFinite(slope) || (slope === 1 && inter === 0)) return { data, voxelType: voxelTypeOf(data), components: 1, scaled: false };
  if (!Number.isFinite(inter)) throw new NiftiFormatError(source, `scl_slope is ${slope} but scl_inter is ${inter}`);
  const scaled = applyScaling(data, type.name, slope, inter);
  return { data: scaled, voxelType: voxelTypeOf(scaled), components: 1, scaled: true };
}

/** Parses a whole (already decompressed) .nii file. 4D+ files give their first volume; header.dim4 says how many there are. */
export function parseNifti(bytes: Uint8Array, source = 'input'): NiftiImage {
  const header = openHeader(bytes, source);
  const shape = checkShape(header, source);
  const datatype = header.number('datatype');
  const type = datatypeOf(datatype, source);
  const voxOffset = Math.floor(header.number('voxOffset'));
  const minimumOffset = HEADER_SIZE[header.version] + 4;
  if (!(voxOffset >= minimumOffset))
    throw new NiftiFormatError(source, `vox_offset ${voxOffset} is inside the header (the data must start at byte ${minimumOffset} or later)`);
  const total = shape.reduce((a, b) => a * b, 1) * type.bytes;
  const available = Math.max(0, bytes.length - voxOffset);
  if (total > available)
    throw new NiftiFormatError(source, `header says ${shape.join('×')} ${type.name} (${total} bytes from offset ${voxOffset}) but the file has only ${available} bytes after it`);

  const dims: Vec3 = [shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1];
  const unitsCode = header.number('xyztUnits');
  const spatial = SPATIAL_UNITS[unitsCode & 0x07] ?? 'unknown';
  const best = bestAffine(header, shape);
  // The transforms are in xyz_units; a Volume is in mm (unknown units are taken as mm, as everyone does).
  const toMm = TO_MM[spatial];
  const affineRas = best.affine.map((v, k) => (k < 12 ? v * toMm : v));
  const affineLps = rasToLpsAffine(affineRas);
  const voxels = decodeVoxels(bytes, voxOffset, voxelCount(dims), type, header, source);
  return {
    dims,
    spacing: spacingOf(affineLps),
    affineLps,
    voxelType: voxels.voxelType,
    components: voxels.components,
    data: voxels.data,
    header: {
      version: header.version,
      littleEndian: header.littleEndian,
      datatype,
      datatypeName: type.name,
      shape,
      dim4: shape.slice(3).reduce((a, b) => a * b, 1),
      voxOffset,
      sformCode: header.number('sformCode'),
      qformCode: header.number('qformCode'),
      affineSource: best.source,
      sclSlope: header.number('sclSlope'),
      sclInter: header.number('sclInter'),
      scaled: voxels.scaled,
      calMin: header.number('calMin'),
      calMax: header.number('calMax'),
      description: header.text('descrip', 80),
      xyztUnits: { code: unitsCode, spatial, temporal: unitsCode & 0x38 },
      intent: { code: header.number('intentCode'), name: header.text('intentName', 16), params: header.numbers('intentP', 3) as [number, number, number] },
    },
  };
}

/** qform parameters of a RAS affine, as nibabel's set_qform: a negative determinant becomes qfac = -1, shears are dropped. */
export function qformOf(affineRas: Mat4): { quatern: Vec3; qfac: 1 | -1; zooms: Vec3; offset: Vec3 } {
  const zooms = spacingOf(affineRas);
  const linear = linearPart(affineRas).map((v, k) => v / zooms[k % 3]!);
  const qfac = det3(linear) < 0 ? -1 : 1;
  if (qfac < 0) for (const k of [2, 5, 8]) linear[k] = -linear[k]!;
  const [, b, c, d] = rotationToQuaternion(nearestOrthogonal3(linear));
  return { quatern: [b, c, d], qfac, zooms, offset: [affineRas[3]!, affineRas[7]!, affineRas[11]!] };
}

function checkEncodable(volume: Volume): void {
  const { dims, components, voxelType, data, affineLps } = volume;
  if (!dims.every((d) => Number.isInteger(d) && d >= 1 && d <= 32767)) throw new RangeError(`NIfTI-1 cannot store dims ${dims.join('×')} (each must be 1 to 32767)`);
  if (components === 3 && voxelType !== 'uint8') throw new TypeError(`RGB volumes must be uint8 to be written as RGB24, not ${voxelType}`);
  if (voxelTypeOf(data) !== voxelType) throw new TypeError(`volume says ${voxelType} but its data is ${voxelTypeOf(data)}`);
  if (data.length !== voxelCount(dims) * components) throw new RangeError(`${dims.join('×')}×${components} volume has ${data.length} values`);
  if (affineLps.length !== 16 || !usable(affineLps)) throw new RangeError('the volume affine is not finite and invertible');
}

function writeText(out: Uint8Array, offset: number, size: number, value: string): void {
  const encoded = new runtime.TextEncoder().encode(value);
  let length = Math.min(encoded.length, size - 1); // keep a terminating NUL
  while (length > 0 && length < encoded.length && (encoded[length]! & 0xc0) === 0x80) length--; // whole UTF-8 characters only
  out.set(encoded.subarray(0, length), offset);
}

/** A single-file little-endian NIfTI-1 (.nii) of the volume with sform and qform both set (code 1, scanner). */
export function encodeNifti(volume: Volume, options: NiftiEncodeOptions = {}): Uint8Array {
  checkEncodable(volume);
  const rgb = volume.components === 3;
  const voxelBytes = bytesPerVoxel(volume.voxelType) * volume.components;
  const out = new Uint8Array(352 + voxelCount(volume.dims) * voxelBytes);
  const view = new DataView(out.buffer);
  const i16 = (offset: number, values: number[]) => values.forEach((v, k) => view.setInt16(offset + 2 * k, v, true));
  const f32 = (offset: number, values: number[]) => values.forEach((v, k) => view.setFloat32(offset + 4 * k, v, true));

  const ras = lpsToRasAffine(volume.affineLps);
  const q = qformOf(ras);
  view.setInt32(0, 348, true);
  i16(40, [3, ...volume.dims, 1, 1, 1, 1]);
  i16(70, [rgb ? 128 : DATATYPE_CODE[volume.voxelType], voxelBytes * 8]);
  f32(76, [q.qfac, ...q.zooms, 1, 1, 1, 1]);
  f32(108, [352, options.sclSlope ?? 1, options.sclInter ?? 0]);
  view.setUint8(123, 2 | 8); // NIFTI_UNITS_MM | NIFTI_UNITS_SEC
  writeText(out, 148, 80, options.description ?? '');
  i16(252, [1, 1]); // qform_code, sform_code: scanner
  f32(256, [...q.quatern, ...q.offset]);
  f32(280, ras.slice(0, 12));
  writeText(out, 328, 16, options.intentName ?? '');
  out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"; bytes 348–351 (no extensions) stay 0

  const data = volume.data;
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 352);
  if (!PLATFORM_LITTLE_ENDIAN && !rgb) swapBytes(out.subarray(352), bytesPerVoxel(volume.voxelType));
  return out;
}
