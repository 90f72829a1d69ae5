/** Uncompressed Pixel Data (implicit/explicit VR little endian, deflated, explicit VR big endian). */
import { PixelDataError } from './errors.js';
import { describeSize, pixelCount, type PixelFormat, type StoredFrame } from './format.js';
import { colourSpace, finishFrame, storedValues, type GreyFinish } from './frame-output.js';
import type { IntegerSamples } from './stored-values.js';

/** Bytes of one frame as stored; native YBR_FULL_422 keeps two samples per pixel. */
function frameBytes(format: PixelFormat): number {
  if (format.bitsAllocated === 1) return Math.ceil((pixelCount(format) * format.samplesPerPixel) / 8);
  const samples = format.photometricInterpretation === 'YBR_FULL_422' && format.samplesPerPixel === 3 ? pixelCount(format) * 2 : pixelCount(format) * format.samplesPerPixel;
  return (samples * format.bitsAllocated) / 8;
}

/**
 * Big endian files store each value of the element's VR most significant byte first: OW as 16-bit
 * words (so a 32-bit sample is two swapped words, low word first, as dcmtk writes it), OF as 32-bit
 * and OD as 64-bit floats; OB is bytes. dcmjs hands the bytes over untouched, so this is the one
 * place they are swapped.
 */
function wordSize(vr: string, format: PixelFormat): number {
  if (vr === 'OB') return 1;
  if (vr === 'OW') return 2;
  if (vr === 'OF' || vr === 'OD') return format.bitsAllocated / 8;
  return format.floatPixelData ? format.bitsAllocated / 8 : format.bitsAllocated > 8 ? 2 : 1;
}

function toLittleEndian(bytes: Uint8Array, vr: string, format: PixelFormat): Uint8Array {
  const word = wordSize(vr, format);
  if (word === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const whole = bytes.length - (bytes.length % word);
  for (let i = 0; i < whole; i += word) {
    for (let b = 0; b < word; b++) out[i + b] = bytes[i + word - 1 - b]!;
  }
  out.set(bytes.subarray(whole), whole); // an odd trailing byte (malformed OW) stays as it is
  return out;
}

/** 1-bit data: bits run least significant first and frames need not start on a byte. */
function unpackBits(bytes: Uint8Array, frame: number, format: PixelFormat): Uint8Array {
  const count = pixelCount(format) * format.samplesPerPixel;
  const out = new Uint8Array(count);
  const first = frame * count;
  for (let i = 0; i < count; i++) {
    const bit = first + i;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** Frame `f`'s samples as a typed view of `data` (no copy) when aligned; an aligned copy otherwise. */
function frameSamples(data: Uint8Array, f: number, size: number, format: PixelFormat): IntegerSamples | Float32Array | Float64Array {
  const width = format.bitsAllocated / 8;
  const start = data.byteOffset + f * size;
  // Uint8Array's slice copies (even when data is a Node Buffer), into a new buffer at offset 0
  const [buffer, offset] = start % width === 0 ? [data.buffer, start] : [Uint8Array.prototype.slice.call(data, f * size, (f + 1) * size).buffer, 0];
  const count = size / width;
  if (format.floatPixelData) return format.bitsAllocated === 32 ? new Float32Array(buffer, offset, count) : new Float64Array(buffer, offset, count);
  const signed = format.pixelRepresentation === 1;
  if (format.bitsAllocated === 8) return signed ? new Int8Array(buffer, offset, count) : new Uint8Array(buffer, offset, count);
  if (format.bitsAllocated === 16) return signed ? new Int16Array(buffer, offset, count) : new Uint16Array(buffer, offset, count);
  return signed ? new Int32Array(buffer, offset, count) : new Uint32Array(buffer, offset, count);
}

export function decodeNative(bytes: Uint8Array, vr: string, format: PixelFormat, littleEndian: boolean, source: string, finish: GreyFinish = storedValues): StoredFrame[] {
  const size = frameBytes(format);
  const needed = format.bitsAllocated === 1 ? Math.ceil((pixelCount(format) * format.samplesPerPixel * format.numberOfFrames) / 8) : size * format.numberOfFrames;
  if (bytes.length < needed) {
    const frames = format.numberOfFrames > 1 ? `${format.numberOfFrames} frames of ` : '';
    throw new PixelDataError(source, `pixel data is ${bytes.length} bytes but ${frames}${describeSize(format)} needs ${needed} (truncated?)`);
  }
  const data = littleEndian ? bytes : toLittleEndian(bytes.subarray(0, needed + (needed % 2)), vr, format);
  const layout = format.samplesPerPixel === 3 ? { planar: format.planarConfiguration === 1, space: colourSpace(format, false, true, source) } : null;
  const frames: StoredFrame[] = [];
  for (let f = 0; f < format.numberOfFrames; f++) {
    if (format.bitsAllocated === 1) {
      frames.push(finishFrame(unpackBits(data, f, format), layout, { ...format, bitsAllocated: 8, bitsStored: 1, highBit: 0 }, source, false, finish, f));
      continue;
    }
    const samples = frameSamples(data, f, size, format);
    // float frames are returned as they are, so they get a buffer of their own
    frames.push(samples instanceof Float32Array || samples instanceof Float64Array ? samples.slice() : finishFrame(samples, layout, format, source, false, finish, f));
  }
  return frames;
}
