/**
 * Where the Pixel Data value of an uncompressed little-endian file lies, found by walking the element
 * stream (tags and lengths only, no value decoded). The header pass records it so the decode pass can
 * read and convert the pixels without parsing the file again (pixels/native-fast-path.ts). Anything
 * that is not plainly walkable gives null, and the decode pass then takes the full dcmjs parse.
 */
import { createHash } from 'node:crypto';
import type { NaturalDataset } from './dcmjs-reader.js';

export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

export interface PixelDataLocation {
  /** byte offset of the Pixel Data value (its element header ends here) */
  offset: number;
  /** the value length from the element header */
  length: number;
  explicitVr: boolean;
}

/**
 * What the decode pass needs to convert a file's one 16-bit grey frame without parsing it: where the
 * value is, the sample layout, and the sha256 of every byte before the value, so the pixels are used
 * only when the header bytes are exactly the ones this was read from.
 */
export interface NativePixelData extends PixelDataLocation {
  headSha256: string;
  rows: number;
  columns: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
}

const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 32;
const VRS = new Set('AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));
// explicit VRs with two reserved bytes and a 32-bit length
const LONG_VRS = new Set('OB OD OF OL OV OW SQ UC UN UR UT SV UV'.split(' '));

class Unwalkable extends Error {}

export interface Element {
  tag: number;
  vr: string;
  valueOffset: number;
  length: number;
}

function tagAt(view: DataView, pos: number): number {
  return ((view.getUint16(pos, true) << 16) | view.getUint16(pos + 2, true)) >>> 0;
}

function elementAt(view: DataView, pos: number, explicitVr: boolean): Element {
  const tag = tagAt(view, pos);
  if (!explicitVr) return { tag, vr: '', valueOffset: pos + 8, length: view.getUint32(pos + 4, true) };
  const vr = String.fromCharCode(view.getUint8(pos + 4), view.getUint8(pos + 5));
  if (!VRS.has(vr)) throw new Unwalkable(`unknown VR at ${pos}`);
  if (LONG_VRS.has(vr)) return { tag, vr, valueOffset: pos + 12, length: view.getUint32(pos + 8, true) };
  return { tag, vr, valueOffset: pos + 8, length: view.getUint16(pos + 6, true) };
}

/** Past a value of undefined length (a sequence's items up to its delimiter); returns the next position. */
function skipSequence(view: DataView, pos: number, explicitVr: boolean, depth: number): number {
  if (depth > MAX_DEPTH) throw new Unwalkable('sequences nested too deep');
  for (;;) {
    const tag = tagAt(view, pos);
    const length = view.getUint32(pos + 4, true);
    pos += 8;
    if (tag === SEQUENCE_END) return pos;
    if (tag !== ITEM) throw new Unwalkable(`expected an item at ${pos - 8}`);
    pos = length === UNDEFINED ? skipItem(view, pos, explicitVr, depth + 1) : pos + length;
  }
}

function skipItem(view: DataView, pos: number, explicitVr: boolean, depth: number): number {
  for (;;) {
    if (tagAt(view, pos) === ITEM_END) return pos + 8;
    pos = skipElement(view, elementAt(view, pos, explicitVr), explicitVr, depth);
  }
}

function skipElement(view: DataView, el: Element, explicitVr: boolean, depth: number): number {
  if (el.length !== UNDEFINED) return el.valueOffset + el.length;
  // undefined length: a sequence; an explicit-VR UN of undefined length holds implicit-VR items
  if (explicitVr && el.vr !== 'SQ' && el.vr !== 'UN') throw new Unwalkable(`undefined length on ${el.vr}`);
  return skipSequence(view, el.valueOffset, explicitVr && el.vr !== 'UN', depth + 1);
}

/**
 * The top-level Pixel Data element of an implicit or explicit VR little endian Part 10 file. `bytes`
 * may be only the start of the file: it must hold everything up to the end of the element header.
 * `onElement` sees every top-level element before it (sequences as one element); false stops the walk
 * with null.
 */
export function locatePixelData(bytes: Uint8Array, transferSyntaxUid: string, onElement?: (el: Element) => boolean): PixelDataLocation | null {
  const explicitVr = transferSyntaxUid === EXPLICIT_VR_LE ? true : transferSyntaxUid === IMPLICIT_VR_LE ? false : null;
  if (explicitVr === null || bytes.byteLength < 132) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    let pos = 132;
    // file meta information: group 0002, always explicit VR little endian, always defined lengths
    while (pos + 8 <= bytes.byteLength && view.getUint16(pos, true) === 0x0002) {
      const el = elementAt(view, pos, true);
      if (el.length === UNDEFINED) return null;
      pos = el.valueOffset + el.length;
    }
    let previous = -1;
    while (pos + 8 <= bytes.byteLength) {
      const el = elementAt(view, pos, explicitVr);
      // tags out of order (or repeated) make "the" Pixel Data ambiguous: leave such files to dcmjs
      if (el.tag <= previous) return null;
      previous = el.tag;
      if (el.tag === PIXEL_DATA) {
        const vrOk = !explicitVr || el.vr === 'OW' || el.vr === 'OB';
        return vrOk && el.length !== UNDEFINED && el.valueOffset <= bytes.byteLength ? { offset: el.valueOffset, length: el.length, explicitVr } : null;
      }
      // past Pixel Data, or a meta/delimiter tag in the dataset: not a stream to trust
      if (el.tag > PIXEL_DATA || (el.tag >>> 16) === 0x0002 || (el.tag >>> 16) === 0xfffe) return null;
      if (onElement && !onElement(el)) return null;
      pos = skipElement(view, el, explicitVr, 0);
    }
  } catch (err) {
    if (err instanceof Unwalkable || err instanceof RangeError) return null;
    throw err;
  }
  return null;
}

const intOf = (v: unknown, fallback: number): number | null => (v === undefined ? fallback : typeof v === 'number' && Number.isInteger(v) ? v : null);

/**
 * The fast-path record for a file whose one frame is 16-bit grey native little endian data (nearly all
 * CT and MR), or null for anything else. `ds` is the naturalized header parsed from `bytes`; the
 * defaults are the ones the full decoder applies (pixels/format.ts). `located` is what
 * locatePixelData already found in these bytes (the lean reader's walk), so it is not walked twice.
 */
export function nativePixelDataOf(bytes: Uint8Array, transferSyntaxUid: string, ds: NaturalDataset, located?: PixelDataLocation): NativePixelData | null {
  if (ds.FloatPixelData !== undefined || ds.DoubleFloatPixelData !== undefined) return null;
  const rows = intOf(ds.Rows, 0);
  const columns = intOf(ds.Columns, 0);
  const bitsAllocated = intOf(ds.BitsAllocated, 0);
  const bitsStored = intOf(ds.BitsStored, 16);
  const highBit = bitsStored === null ? null : intOf(ds.HighBit, bitsStored - 1);
  const representation = intOf(ds.PixelRepresentation, 0);
  if (intOf(ds.SamplesPerPixel, 1) !== 1 || intOf(ds.NumberOfFrames, 1) !== 1 || bitsAllocated !== 16) return null;
  if (!rows || !columns || rows < 0 || columns < 0 || bitsStored === null || highBit === null) return null;
  if (bitsStored < 1 || bitsStored > 16 || highBit < bitsStored - 1 || highBit > 15 || (representation !== 0 && representation !== 1)) return null;
  const location = located ?? locatePixelData(bytes, transferSyntaxUid);
  if (!location || location.length < rows * columns * 2) return null;
  const headSha256 = createHash('sha256').update(bytes.subarray(0, location.offset)).digest('hex');
  return { ...location, headSha256, rows, columns, bitsStored, highBit, pixelRepresentation: representation };
}
