/**
 * A DICOM Part 10 writer (Explicit VR Little Endian) for the objects we create: SEG and RTSTRUCT.
 *
 * Datasets are plain objects keyed by DICOM keyword, as dcmjs naturalizes them ("PatientName": "A^B",
 * "ReferencedSeriesSequence": [{…}]); tags and VRs come from dcmjs' data dictionary. We write the bytes
 * ourselves because a SEG of a large CT carries thousands of per-frame items and tens of MB of
 * pixel data, which this writer emits in one pass into preallocated chunks.
 */
import { createRequire } from 'node:module';

/** A value as it is written: strings/numbers (several = multi-valued), raw bytes, or sequence items. */
export type DicomValue = string | number | readonly (string | number)[] | Uint8Array | Uint16Array | Float32Array | Float64Array | readonly DicomItem[] | TypedElement;
/** An element whose VR the dictionary leaves open ("OB or OW", "US or SS") or that must be forced. */
export interface TypedElement {
  vr: string;
  value: Exclude<DicomValue, TypedElement>;
}
export interface DicomItem {
  [keyword: string]: DicomValue | null | undefined;
}

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Our implementation class UID (under the UUID-derived 2.25 root) and version name. */
export const IMPLEMENTATION_CLASS_UID = '2.25.171740939151286744390580419283016373781';
export const IMPLEMENTATION_VERSION_NAME = 'DELINEATE_0_1';

interface DictionaryEntry {
  tag: string;
  vr: string;
}
let nameMap: Record<string, DictionaryEntry> | null = null;
function dictionary(): Record<string, DictionaryEntry> {
  if (!nameMap) {
    const dcmjs = createRequire(import.meta.url)('dcmjs') as { data: { DicomMetaDictionary: { nameMap: Record<string, DictionaryEntry> } } };
    nameMap = dcmjs.data.DicomMetaDictionary.nameMap;
  }
  return nameMap;
}

export class DicomWriteError extends Error {
  override name = 'DicomWriteError';
}

/** The tag number and VR of a keyword (tag keys like "00291010" are allowed with a TypedElement). */
function lookup(keyword: string, value: DicomValue): { tag: number; vr: string } {
  if (/^[0-9A-Fa-f]{8}$/.test(keyword)) {
    if (!isTyped(value)) throw new DicomWriteError(`element ${keyword} needs an explicit VR`);
    return { tag: parseInt(keyword, 16), vr: value.vr };
  }
  const entry = dictionary()[keyword];
  if (!entry) throw new DicomWriteError(`unknown DICOM keyword ${JSON.stringify(keyword)}`);
  const tag = parseInt(entry.tag.replace(/[(),]/g, ''), 16);
  if (isTyped(value)) return { tag, vr: value.vr };
  // dictionary VRs like "OB or OW", "US or SS", "ox": the plain choice unless the caller says otherwise
  const vr = entry.vr === 'ox' ? 'OB' : entry.vr.slice(0, 2);
  return { tag, vr };
}

const isTyped = (v: DicomValue): v is TypedElement => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && 'vr' in v;

/** VRs written with a 4-byte length after two reserved bytes. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);
const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);

/** A decimal string of at most 16 characters (the DS limit), as precise as fits. */
export function formatDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new DicomWriteError(`cannot write ${n} as a decimal string`);
  if (Object.is(n, -0)) n = 0;
  let s = String(n);
  if (s.length <= 16) return s;
  for (let digits = 15; digits > 0; digits--) {
    s = n.toPrecision(digits);
    if (s.includes('e')) s = s.replace(/\.?0+e/, 'e').replace('e+', 'e');
    else if (s.includes('.')) s = s.replace(/\.?0+$/, '');
    if (s.length <= 16) return s;
  }
  throw new DicomWriteError(`cannot write ${n} in 16 characters`);
}

const encoder = new TextEncoder();

function textBytes(vr: string, value: DicomValue, keyword: string): Uint8Array {
  const parts = (Array.isArray(value) ? value : [value]) as (string | number)[];
  const strings = parts.map((p) => {
    if (typeof p === 'number') {
      if (vr === 'DS') return formatDecimal(p);
      if (vr === 'IS') {
        if (!Number.isInteger(p)) throw new DicomWriteError(`${keyword}: ${p} is not an integer string`);
        return String(p);
      }
      throw new DicomWriteError(`${keyword} (${vr}) needs a string, got the number ${p}`);
    }
    if (typeof p !== 'string') throw new DicomWriteError(`${keyword} (${vr}) needs a string`);
    return p;
  });
  const bytes = encoder.encode(strings.join('\\'));
  if (bytes.byteLength % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.byteLength + 1);
  padded.set(bytes);
  padded[bytes.byteLength] = vr === 'UI' ? 0 : 0x20;
  return padded;
}

function binaryBytes(vr: string, value: DicomValue, keyword: string): Uint8Array {
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (bytes.byteLength % 2 === 0) return bytes;
    const padded = new Uint8Array(bytes.byteLength + 1);
    padded.set(bytes);
    return padded;
  }
  const numbers = (Array.isArray(value) ? value : [value]) as number[];
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 }[vr];
  if (!size) throw new DicomWriteError(`${keyword}: cannot write numbers as ${vr}`);
  const out = new Uint8Array(numbers.length * size);
  const view = new DataView(out.buffer);
  numbers.forEach((n, i) => {
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new DicomWriteError(`${keyword}: ${String(n)} is not a number`);
    const at = i * size;
    if (vr === 'US') view.setUint16(at, n, true);
    else if (vr === 'SS') view.setInt16(at, n, true);
    else if (vr === 'UL') view.setUint32(at, n, true);
    else if (vr === 'SL') view.setInt32(at, n, true);
    else if (vr === 'FL') view.setFloat32(at, n, true);
    else if (vr === 'FD') view.setFloat64(at, n, true);
    else {
      view.setUint16(at, n >>> 16, true);
      view.setUint16(at + 2, n & 0xffff, true);
    }
  });
  return out;
}

/** Collects byte chunks; the file is joined once at the end. */
class ChunkSink {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
  }
  join(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

function header(tag: number, vr: string, length: number): Uint8Array {
  const long = LONG_VRS.has(vr);
  const out = new Uint8Array(long ? 12 : 8);
  const view = new DataView(out.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, length, true);
  else {
    if (length > 0xffff) throw new DicomWriteError(`value of ${tag.toString(16).padStart(8, '0')} (${vr}) is too long: ${length} bytes`);
    view.setUint16(6, length, true);
  }
  return out;
}

function itemHeader(tag: number, length: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfffe, true);
  view.setUint16(2, tag, true);
  view.setUint32(4, length, true);
  return out;
}

/** Encode one dataset (or sequence item) into the sink, elements in ascending tag order. */
function encodeDataset(item: DicomItem, sink: ChunkSink, path: string): void {
  const elements: { tag: number; vr: string; keyword: string; value: DicomValue }[] = [];
  for (const [keyword, raw] of Object.entries(item)) {
    if (raw === undefined || raw === null) continue;
    const { tag, vr } = lookup(keyword, raw);
    elements.push({ tag, vr, keyword, value: isTyped(raw) ? raw.value : raw });
  }
  elements.sort((a, b) => a.tag - b.tag);
  for (const { tag, vr, keyword, value } of elements) {
    const where = path ? `${path} > ${keyword}` : keyword;
    if (vr === 'SQ') {
      if (!Array.isArray(value)) throw new DicomWriteError(`${where} is a sequence and needs an array of items`);
      const body = new ChunkSink();
      for (const child of value as DicomItem[]) {
        const inner = new ChunkSink();
        encodeDataset(child, inner, where);
        body.push(itemHeader(0xe000, inner.length));
        for (const c of inner.chunks) body.push(c);
      }
      sink.push(header(tag, vr, body.length));
      for (const c of body.chunks) sink.push(c);
      continue;
    }
    const bytes = TEXT_VRS.has(vr) ? textBytes(vr, value, where) : binaryBytes(vr, value, where);
    sink.push(header(tag, vr, bytes.byteLength));
    sink.push(bytes);
  }
}

const hasNonAscii = (item: DicomItem): boolean =>
  Object.values(item).some((v) => {
    if (typeof v === 'string') return /[^\x00-\x7f]/.test(v);
    if (Array.isArray(v)) return v.some((x) => (typeof x === 'string' ? /[^\x00-\x7f]/.test(x) : typeof x === 'object' && x !== null && hasNonAscii(x as DicomItem)));
    return false;
  });

export interface Part10Options {
  sopClassUid: string;
  sopInstanceUid: string;
}

/**
 * A complete Part 10 file: 128-byte preamble, "DICM", file meta information, then the dataset in
 * Explicit VR Little Endian. Strings are UTF-8; SpecificCharacterSet is set to ISO_IR 192 when any
 * top-level string needs it.
 */
export function encodePart10(dataset: DicomItem, options: Part10Options): Uint8Array {
  const body = new ChunkSink();
  const data: DicomItem = { ...dataset, SOPClassUID: options.sopClassUid, SOPInstanceUID: options.sopInstanceUid };
  if (data.SpecificCharacterSet === undefined && hasNonAscii(data)) data.SpecificCharacterSet = 'ISO_IR 192';
  encodeDataset(data, body, '');

  const metaBody = new ChunkSink();
  encodeDataset(
    {
      FileMetaInformationVersion: { vr: 'OB', value: new Uint8Array([0, 1]) },
      MediaStorageSOPClassUID: options.sopClassUid,
      MediaStorageSOPInstanceUID: options.sopInstanceUid,
      TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
      ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
      ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
    },
    metaBody,
    'file meta',
  );
  const out = new ChunkSink();
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.push(preamble);
  const groupLength = binaryBytes('UL', metaBody.length, 'FileMetaInformationGroupLength');
  out.push(header(0x00020000, 'UL', 4));
  out.push(groupLength);
  for (const c of metaBody.chunks) out.push(c);
  for (const c of body.chunks) out.push(c);
  return out.join();
}

/** A new UID under 2.25 (a UUID as a decimal integer, PS3.5 B.2): unique without a registered root. */
export function newUid(): string {
  const hex = crypto.randomUUID().replace(/-/g, '');
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

/** Today's date and time as DICOM DA and TM strings (local time, as modalities write them). */
export function dicomNow(at = new Date()): { date: string; time: string } {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    date: `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}`,
    time: `${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}.${p(at.getMilliseconds(), 3)}`,
  };
}
