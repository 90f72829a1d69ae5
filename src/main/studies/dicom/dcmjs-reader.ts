/**
 * The one place that talks to dcmjs (it ships no TypeScript types): parse a DICOM Part 10 buffer into
 * a naturalized dataset (keyword → value) plus its file meta information.
 */
import { createRequire } from 'node:module';

export type NaturalDataset = Record<string, unknown>;

interface DcmjsDicomDict {
  meta: Record<string, { Value?: unknown[] }>;
  dict: Record<string, unknown>;
}

interface Dcmjs {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: { untilTag?: string; includeUntilTagValue?: boolean; ignoreErrors?: boolean }): DcmjsDicomDict };
    DicomMetaDictionary: { naturalizeDataset(dict: Record<string, unknown>): NaturalDataset };
  };
  log: { setLevel?(level: string): void; level?: unknown };
}

// Loaded on first use: most files never need it (lean-header.ts), and it costs ~50 ms per thread to load.
let loaded: unknown;
/** The dcmjs module (CommonJS, so one instance per thread), loaded and quietened on first use. */
export function loadDcmjs(): unknown {
  if (!loaded) {
    const module = createRequire(import.meta.url)('dcmjs') as Dcmjs;
    // dcmjs logs every unknown private tag at warn level; our own errors carry what matters.
    module.log.setLevel?.('error');
    loaded = module;
  }
  return loaded;
}
const dcmjs = () => loadDcmjs() as Dcmjs;

export const PIXEL_DATA_TAG = '7FE00010';

export interface ParsedDicom {
  transferSyntaxUid: string;
  dataset: NaturalDataset;
}

export class NotDicomError extends Error {
  override name = 'NotDicomError';
}

/** True when bytes 128..131 are "DICM" (a Part 10 file with preamble). */
export function hasDicomPreamble(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Parse the dataset up to (not including) Pixel Data. `bytes` may be only the start of the file:
 * a RangeError-like failure then means "read more" and is reported as such by the caller.
 */
export function parseDicomHeader(bytes: Uint8Array): ParsedDicom {
  if (!hasDicomPreamble(bytes)) throw new NotDicomError('no DICOM preamble ("DICM" at byte 128)');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const parsed = dcmjs().data.DicomMessage.readFile(buffer, { untilTag: PIXEL_DATA_TAG, includeUntilTagValue: false });
  const transferSyntaxUid = String(parsed.meta['00020010']?.Value?.[0] ?? '').replace(/\0/g, '').trim();
  if (!transferSyntaxUid) throw new NotDicomError('file meta information has no Transfer Syntax UID');
  return { transferSyntaxUid, dataset: dcmjs().data.DicomMetaDictionary.naturalizeDataset(parsed.dict) };
}
