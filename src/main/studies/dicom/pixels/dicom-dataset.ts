/**
 * Typed wrapper over the part of dcmjs the pixel decoder uses (dcmjs ships no TypeScript types).
 *
 * What dcmjs does for us (checked against dcmjs 0.52.2):
 * - Deflated Explicit VR LE: it inflates the dataset (bundled pako) before parsing.
 * - Explicit VR Big Endian: attribute values are read big endian, but Pixel Data bytes are returned
 *   exactly as stored, NOT swapped: native.ts swaps them (once).
 * - Encapsulated Pixel Data: the Basic Offset Table item is consumed. With a non-empty BOT the value
 *   holds one entry per frame (with noCopy, an array of fragment views when a frame has several);
 *   with an empty BOT it holds one entry per fragment.
 * - A value longer than the file is cut to the bytes present (with a log line), not rejected.
 */
import { loadDcmjs } from '../dcmjs-reader.js';

interface DcmjsElement {
  vr: string;
  Value?: unknown[];
}
type DcmjsDataset = Record<string, DcmjsElement | undefined>;

interface DcmjsLogger {
  getLevel(): number;
  setLevel(level: number | string, persist?: boolean): void;
}

interface Dcmjs {
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options: { noCopy?: boolean; ignoreErrors?: boolean }): { meta: DcmjsDataset; dict: DcmjsDataset };
    };
  };
  log: { getLogger(name: string): DcmjsLogger };
}

// The same dcmjs instance as the header reader's, loaded on first use: the native fast path
// (native-fast-path.ts) leaves most workers without a full parse.
const dcmjs = () => loadDcmjs() as Dcmjs;

/** One entry of encapsulated Pixel Data as dcmjs returns it: a fragment, or a BOT-grouped frame. */
export type PixelItem = Uint8Array | Uint8Array[];

export type PixelDataTag = '7FE00010' | '7FE00008' | '7FE00009';

export type PixelElement =
  | { tag: PixelDataTag; vr: string; encapsulated: false; bytes: Uint8Array }
  | { tag: '7FE00010'; vr: string; encapsulated: true; items: PixelItem[] };

export interface ParsedDataset {
  transferSyntaxUid: string;
  number(tag: string): number | undefined;
  string(tag: string): string | undefined;
  /** raw bytes of a binary element (e.g. the Extended Offset Table) */
  bytes(tag: string): Uint8Array | undefined;
  pixels: PixelElement | undefined;
}

function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

function toItem(value: unknown): PixelItem {
  if (Array.isArray(value)) return value.map((fragment) => toBytes(fragment) ?? new Uint8Array(0));
  return toBytes(value) ?? new Uint8Array(0);
}

function pixelElement(dict: DcmjsDataset, encapsulated: boolean): PixelElement | undefined {
  for (const tag of ['7FE00010', '7FE00008', '7FE00009'] as const) {
    const element = dict[tag];
    if (!element) continue;
    const values = element.Value ?? [];
    if (encapsulated && tag === '7FE00010') return { tag, vr: element.vr, encapsulated: true, items: values.map(toItem) };
    return { tag, vr: element.vr, encapsulated: false, bytes: toBytes(values[0]) ?? new Uint8Array(0) };
  }
  return undefined;
}

function wholeArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  // Not bytes.slice(): on a Node Buffer (often a view into a shared pool) that is a view, not a copy.
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

/** Parse a DICOM Part 10 file. Pixel bytes are views into `bytes` (noCopy): copy before keeping them. */
export function parseDataset(bytes: Uint8Array, isEncapsulated: (transferSyntaxUid: string) => boolean): ParsedDataset {
  // dcmjs reports every implicit-VR "OB or OW" element as a validation *error*; silence it for this
  // synchronous call only so other users of dcmjs keep their logging.
  const validationLog = dcmjs().log.getLogger('validation.dcmjs');
  const level = validationLog.getLevel();
  validationLog.setLevel('silent', false);
  let parsed: { meta: DcmjsDataset; dict: DcmjsDataset };
  try {
    parsed = dcmjs().data.DicomMessage.readFile(wholeArrayBuffer(bytes), { noCopy: true });
  } finally {
    validationLog.setLevel(level, false);
  }
  const { meta, dict } = parsed;
  const transferSyntaxUid = String(meta['00020010']?.Value?.[0] ?? '')
    .replace(/\0/g, '')
    .trim();
  const first = (tag: string): unknown => dict[tag]?.Value?.[0];
  return {
    transferSyntaxUid,
    number(tag) {
      const value = first(tag);
      if (value === undefined || value === null || value === '') return undefined;
      const n = Number(value);
      return Number.isFinite(n) ? n : undefined;
    },
    string(tag) {
      const value = first(tag);
      return typeof value === 'string' ? value.trim() : undefined;
    },
    bytes: (tag) => toBytes(first(tag)),
    pixels: pixelElement(dict, isEncapsulated(transferSyntaxUid)),
  };
}
