/**
 * The decode pass for the commonest file, without parsing it again: one 16-bit grey frame of native
 * little endian data whose Pixel Data the header pass located (NativePixelData). The file is read
 * straight into the SIMD kernel's memory, hashed, converted in place and written to the volume cache:
 * no dcmjs, no per-file allocation. Anything unexpected (the header bytes differ from the ones the
 * header pass read, the element header is not Pixel Data of that length, bytes follow the value, no
 * kernel) returns null and the caller takes the full decode, which also words any error.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { NativePixelData } from '../pixel-data-locator.js';
import { writeAt } from '../../volume-cache.js';
import { convertInKernel, kernelBytes } from './simd-kernels.js';
import type { OutputSpec, RescaledFile } from './worker-protocol.js';

// Header bytes of the file in hand; one buffer per worker, grown as needed.
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** False when the file ends early or cannot be read (the full decode then reports why). */
function readFully(fd: number, into: Uint8Array, position: number): boolean {
  try {
    for (let done = 0; done < into.byteLength; ) {
      const n = fs.readSync(fd, into, done, into.byteLength - done, position + done);
      if (n === 0) return false;
      done += n;
    }
    return true;
  } catch {
    return false;
  }
}

/** The element header just before `offset` is Pixel Data (7FE0,0010) with exactly `length`. */
function isPixelDataHeader(head: Uint8Array, native: NativePixelData): boolean {
  const at = native.offset - (native.explicitVr ? 12 : 8);
  if (at < 132) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (view.getUint16(at, true) !== 0x7fe0 || view.getUint16(at + 2, true) !== 0x0010) return false;
  if (!native.explicitVr) return view.getUint32(at + 4, true) === native.length;
  const vr = String.fromCharCode(head[at + 4]!, head[at + 5]!);
  return (vr === 'OW' || vr === 'OB') && view.getUint16(at + 6, true) === 0 && view.getUint32(at + 8, true) === native.length;
}

/** Whether the volume's use of this file is the one case the fast path handles. */
function applies(native: NativePixelData, output: OutputSpec): boolean {
  const [slice, more] = output.slices;
  return (
    !!slice &&
    !more &&
    slice.frame === 0 &&
    slice.tile === null &&
    (output.voxelType === 'int16' || output.voxelType === 'uint16') &&
    Number.isInteger(slice.slope) &&
    Number.isInteger(slice.intercept) &&
    output.sliceLength === native.rows * native.columns
  );
}

export function fastRescale(path: string, output: OutputSpec): RescaledFile | null {
  const native = output.native;
  if (!native || !applies(native, output)) return null;
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    // bytes after the value (padding, a stray element) are left to the full parse
    if (native.offset + native.length !== size) return null;
    if (scratch.byteLength < native.offset) scratch = Buffer.allocUnsafeSlow(native.offset);
    const head = scratch.subarray(0, native.offset);
    if (!readFully(fd, head, 0) || !isPixelDataHeader(head, native)) return null;
    const hash = createHash('sha256').update(head);
    if (hash.copy().digest('hex') !== native.headSha256) return null;
    const value = kernelBytes(native.length);
    if (!value || !readFully(fd, value, native.offset)) return null;
    const sha256 = hash.update(value).digest('hex');

    const { voxelType } = output;
    const placement = output.slices[0]!;
    const layout = { bitsAllocated: 16, bitsStored: native.bitsStored, highBit: native.highBit, pixelRepresentation: native.pixelRepresentation };
    const converted = convertInKernel(output.sliceLength, layout, voxelType as 'int16' | 'uint16', placement.slope, placement.intercept);
    if (!converted) return null;
    const { data, min, max, overflow } = converted;
    // an overflowing attempt is repeated with a wider type: writing its slice would be wasted
    if (overflow) return { slices: [], min, max, overflow, sha256 };
    if (output.fd !== undefined) {
      writeAt(output.fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), placement.k * data.byteLength);
      return { slices: [], min, max, overflow, sha256 };
    }
    return { slices: [data.slice()], min, max, overflow, sha256 };
  } finally {
    fs.closeSync(fd);
  }
}
