/**
 * A lean header reader for the commonest file: classic single-frame images in implicit or explicit VR
 * little endian. It decodes only the attributes toInstance reads, into the same naturalized values
 * dcmjs gives them, in a fraction of dcmjs's time. It accepts only what it is sure to read exactly as
 * dcmjs does: printable ASCII values of the expected VR, numbers in plain notation, person names with
 * one alphabetic group. Anything else (sequences that matter, other character sets, mosaics, enhanced
 * multi-frame, float pixels, odd values) returns null and the caller parses with dcmjs.
 */
import type { NaturalDataset } from './dcmjs-reader.js';
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE, locatePixelData, type Element, type PixelDataLocation } from './pixel-data-locator.js';

type Kind = 'string' | 'name' | 'decimal' | 'integer' | 'us';

// tag → keyword, VR and how dcmjs turns the value into a naturalized one
const ATTRIBUTES = new Map<number, [string, string, Kind]>(
  (
    [
      [0x00080008, 'ImageType', 'CS'],
      [0x00080016, 'SOPClassUID', 'UI'],
      [0x00080018, 'SOPInstanceUID', 'UI'],
      [0x00080020, 'StudyDate', 'DA'],
      [0x00080030, 'StudyTime', 'TM'],
      [0x00080050, 'AccessionNumber', 'SH'],
      [0x00080060, 'Modality', 'CS'],
      [0x00080070, 'Manufacturer', 'LO'],
      [0x00081030, 'StudyDescription', 'LO'],
      [0x0008103e, 'SeriesDescription', 'LO'],
      [0x00100010, 'PatientName', 'PN'],
      [0x00100020, 'PatientID', 'LO'],
      [0x00100030, 'PatientBirthDate', 'DA'],
      [0x00100040, 'PatientSex', 'CS'],
      [0x00180050, 'SliceThickness', 'DS'],
      [0x00180086, 'EchoNumbers', 'IS'],
      [0x00180088, 'SpacingBetweenSlices', 'DS'],
      [0x00181164, 'ImagerPixelSpacing', 'DS'],
      [0x0020000d, 'StudyInstanceUID', 'UI'],
      [0x0020000e, 'SeriesInstanceUID', 'UI'],
      [0x00200011, 'SeriesNumber', 'IS'],
      [0x00200013, 'InstanceNumber', 'IS'],
      [0x00200032, 'ImagePositionPatient', 'DS'],
      [0x00200037, 'ImageOrientationPatient', 'DS'],
      [0x00200052, 'FrameOfReferenceUID', 'UI'],
      [0x00200100, 'TemporalPositionIdentifier', 'IS'],
      [0x00280002, 'SamplesPerPixel', 'US'],
      [0x00280004, 'PhotometricInterpretation', 'CS'],
      [0x00280008, 'NumberOfFrames', 'IS'],
      [0x00280010, 'Rows', 'US'],
      [0x00280011, 'Columns', 'US'],
      [0x00280030, 'PixelSpacing', 'DS'],
      [0x00280100, 'BitsAllocated', 'US'],
      [0x00280101, 'BitsStored', 'US'],
      [0x00280102, 'HighBit', 'US'],
      [0x00280103, 'PixelRepresentation', 'US'],
      [0x00281052, 'RescaleIntercept', 'DS'],
      [0x00281053, 'RescaleSlope', 'DS'],
    ] as const
  ).map(([tag, keyword, vr]) => [tag, [keyword, vr, vr === 'PN' ? 'name' : vr === 'DS' ? 'decimal' : vr === 'IS' ? 'integer' : vr === 'US' ? 'us' : 'string']]),
);

const SPECIFIC_CHARACTER_SET = 0x00080005;
// present in files the lean reader leaves to dcmjs: Diffusion b-value (FD), the functional groups of
// enhanced multi-frame, float pixel data, and the Siemens mosaic private group
const DECLINED = new Set([0x00189087, 0x52009229, 0x52009230, 0x7fe00008, 0x7fe00009]);
// character sets whose printable ASCII is plain ASCII (ISO 2022 escapes are control bytes, refused below)
const ASCII_SETS = new Set(['', 'ISO_IR 6', 'ISO_IR 100', 'ISO_IR 192']);

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

class Declined extends Error {}

/** Printable ASCII only; one trailing pad byte (space, or NUL for UI) is dropped as dcmjs drops it. */
function ascii(bytes: Uint8Array, start: number, length: number, vr: string): string {
  let end = start + length;
  if (length > 0 && bytes[end - 1] === (vr === 'UI' ? 0 : 0x20)) end--;
  let text = '';
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) throw new Declined();
    text += String.fromCharCode(c);
  }
  return text;
}

/** dcmjs's naturalized form: one value as itself, several as an array. */
const natural = <T>(values: T[]): T | T[] => (values.length === 1 ? values[0]! : values);

function valueOf(bytes: Uint8Array, view: DataView, el: Element, vr: string, kind: Kind): unknown {
  if (kind === 'us') {
    if (el.length !== 2) throw new Declined();
    return view.getUint16(el.valueOffset, true);
  }
  const text = ascii(bytes, el.valueOffset, el.length, vr);
  if (kind === 'name') {
    // one alphabetic group, one value: dcmjs's { Alphabetic } (an empty name has none)
    if (text.includes('=') || text.includes('\\')) throw new Declined();
    return text ? { Alphabetic: text } : '';
  }
  const parts = text.split('\\');
  if (kind === 'string') return natural(parts);
  const pattern = kind === 'decimal' ? DECIMAL : INTEGER;
  return natural(
    parts.map((part) => {
      const trimmed = part.trim();
      if (!pattern.test(trimmed)) throw new Declined(); // empty or unusual numbers: dcmjs decides
      return Number(trimmed);
    }),
  );
}

/** The Transfer Syntax UID from the file meta information (group 0002, explicit VR LE). */
function transferSyntaxOf(bytes: Uint8Array, view: DataView): string | null {
  for (let pos = 132; pos + 8 <= bytes.byteLength && view.getUint16(pos, true) === 0x0002; ) {
    const element = view.getUint16(pos + 2, true);
    const vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
    const long = vr === 'OB' || vr === 'UN' || vr === 'SQ' || vr === 'UT' || vr === 'UC' || vr === 'UR' || vr === 'OW';
    const length = long ? view.getUint32(pos + 8, true) : view.getUint16(pos + 6, true);
    const value = pos + (long ? 12 : 8);
    if (length === 0xffffffff || value + length > bytes.byteLength) return null;
    if (element === 0x0010) return vr === 'UI' ? ascii(bytes, value, length, 'UI').trim() : null;
    pos = value + length;
  }
  return null;
}

export interface LeanHeader {
  transferSyntaxUid: string;
  /** only the attributes toInstance reads, each exactly as dcmjs would naturalize it */
  dataset: NaturalDataset;
  /** where the walk found Pixel Data (see locatePixelData) */
  pixelData: PixelDataLocation;
}

/** The header of a plain single-frame little endian image whose Pixel Data header lies in `bytes`, or null. */
export function readLeanHeader(bytes: Uint8Array): LeanHeader | null {
  if (bytes.byteLength < 140) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataset: NaturalDataset = {};
  let transferSyntaxUid: string | null;
  let found: PixelDataLocation | null;
  try {
    transferSyntaxUid = transferSyntaxOf(bytes, view);
    if (transferSyntaxUid !== IMPLICIT_VR_LE && transferSyntaxUid !== EXPLICIT_VR_LE) return null;
    const explicitVr = transferSyntaxUid === EXPLICIT_VR_LE;
    found = locatePixelData(bytes, transferSyntaxUid, (el) => {
      if (DECLINED.has(el.tag) || el.tag >>> 16 === 0x0019) return false;
      if (el.tag === SPECIFIC_CHARACTER_SET) {
        if (explicitVr && el.vr !== 'CS') return false;
        const sets = el.valueOffset + el.length <= bytes.byteLength ? ascii(bytes, el.valueOffset, el.length, 'CS').split('\\') : null;
        return !!sets && sets.every((set) => ASCII_SETS.has(set.trim()));
      }
      const attribute = ATTRIBUTES.get(el.tag);
      if (!attribute) return true;
      const [keyword, vr, kind] = attribute;
      if ((explicitVr && el.vr !== vr) || el.valueOffset + el.length > bytes.byteLength) return false;
      dataset[keyword] = valueOf(bytes, view, el, vr, kind);
      return true;
    });
    if (!found) return null;
  } catch (err) {
    if (err instanceof Declined || err instanceof RangeError) return null;
    throw err;
  }
  if (String(dataset.ImageType ?? '').toUpperCase().includes('MOSAIC')) return null;
  dataset.PixelData = true; // a marker: toInstance is told there are pixels
  return { transferSyntaxUid, dataset, pixelData: found };
}
