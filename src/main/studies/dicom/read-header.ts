/**
 * Read one file's DICOM header into a DicomInstance. Synchronous on purpose: it runs on decode worker
 * threads, where blocking reads are cheaper than async ones (three thread-pool round trips per file).
 * Reads the first 64 KiB (one open: fstat, read, close), and the whole file only when the header is longer.
 */
import fs from 'node:fs';
import { NotDicomError, PIXEL_DATA_TAG, hasDicomPreamble, parseDicomHeader, type NaturalDataset, type ParsedDicom } from './dcmjs-reader.js';
import { UnsupportedInstanceError, toInstance, type DicomInstance } from './instance.js';
import { readLeanHeader } from './lean-header.js';
import { nativePixelDataOf, type PixelDataLocation } from './pixel-data-locator.js';
import type { HeaderResult } from './pixels/worker-protocol.js';

const HEAD_BYTES = 64 * 1024;
// most headers end within the first few KiB: read that much first, the rest of HEAD_BYTES only if needed
const FIRST_BYTES = 8 * 1024;
// One head buffer per thread, reused: a fresh 64 KiB per file was most of the header pass's garbage.
// Nothing keeps a view of it past readDicomInstance (the lean reader copies values out, dcmjs parses a copy).
const head = Buffer.allocUnsafeSlow(HEAD_BYTES);

/**
 * The file's size and its first bytes (into the shared head buffer), from one open: the first
 * FIRST_BYTES, then up to HEAD_BYTES when `enough` says the header goes on.
 */
function readHead<T>(file: string, enough: (bytes: Uint8Array) => T | null): { size: number; bytes: Uint8Array; found: T | null } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) throw new NotDicomError('empty file (0 bytes)');
    let length = fs.readSync(fd, head, 0, Math.min(size, FIRST_BYTES), 0);
    let found = enough(head.subarray(0, length));
    if (!found && length === FIRST_BYTES && size > FIRST_BYTES) {
      length += fs.readSync(fd, head, length, Math.min(size, HEAD_BYTES) - length, length);
      found = enough(head.subarray(0, length));
    }
    return { size, bytes: head.subarray(0, length), found };
  } finally {
    fs.closeSync(fd);
  }
}

/** `lean: false` always parses with dcmjs (tests hold the two readers to the same instances). */
export function readDicomInstance(file: string, options: { lean?: boolean } = {}): DicomInstance {
  const { size, bytes: start, found: lean } = readHead(file, (b) => (options.lean === false || !hasDicomPreamble(b) ? null : readLeanHeader(b)));
  let bytes = start;
  if (!hasDicomPreamble(bytes)) throw new NotDicomError(size < 132 ? `too short for DICOM (${size} bytes)` : 'not DICOM: no "DICM" marker at byte 128');
  if (lean) return instanceOf(file, bytes, lean.transferSyntaxUid, lean.dataset, true, lean.pixelData);
  let parsed: ParsedDicom | null = null;
  if (bytes.byteLength < size) {
    try {
      parsed = parseDicomHeader(bytes);
      // dcmjs may stop quietly at an element boundary: trust a partial read only if it reached Pixel Data
      if (!('PixelData' in parsed.dataset) && !(PIXEL_DATA_TAG in parsed.dataset)) parsed = null;
    } catch {
      parsed = null;
    }
  }
  if (!parsed) {
    bytes = fs.readFileSync(file);
    try {
      parsed = parseDicomHeader(bytes);
    } catch (err) {
      throw new NotDicomError(`unreadable DICOM header: ${(err as Error).message}`);
    }
  }
  const ds = parsed.dataset;
  const hasPixels = ['PixelData', 'FloatPixelData', 'DoubleFloatPixelData'].some((k) => k in ds);
  return instanceOf(file, bytes, parsed.transferSyntaxUid, ds, hasPixels);
}

/** The instance, with where its pixels lie when the decode pass can skip parsing it (see NativePixelData). */
function instanceOf(file: string, bytes: Uint8Array, transferSyntaxUid: string, ds: NaturalDataset, hasPixels: boolean, located?: PixelDataLocation): DicomInstance {
  const instance = toInstance(file, transferSyntaxUid, ds, hasPixels);
  const [slice, more] = instance.slices;
  if (slice && !more && slice.tile === -1) {
    const native = nativePixelDataOf(bytes, transferSyntaxUid, ds, located);
    if (native) slice.native = native;
  }
  return instance;
}

/** The header, or the reason a user sees for skipping the file. Never throws. */
export function readHeaderResult(file: string): HeaderResult {
  try {
    return { instance: readDicomInstance(file) };
  } catch (err) {
    if (err instanceof NotDicomError || err instanceof UnsupportedInstanceError) return { skip: err.message };
    const code = (err as NodeJS.ErrnoException).code;
    return { skip: code ? `cannot read: ${code}` : `unreadable: ${(err as Error).message}` };
  }
}
