/** DICOM RLE Lossless (PS3.5 Annex G): one PackBits segment per byte plane, most significant first. */

export class RleError extends Error {
  override name = 'RleError';
}

function readHeader(frame: Uint8Array, expected: number): number[] {
  if (frame.length < 64) throw new RleError(`frame is ${frame.length} bytes, shorter than the 64-byte RLE header`);
  const view = new DataView(frame.buffer, frame.byteOffset, 64);
  const count = view.getUint32(0, true);
  if (count !== expected) throw new RleError(`header lists ${count} segments, expected ${expected}`);
  const offsets: number[] = [];
  for (let s = 0; s < count; s++) {
    const offset = view.getUint32(4 + 4 * s, true);
    if (offset < 64 || offset > frame.length || (s > 0 && offset < offsets[s - 1]!)) throw new RleError(`segment ${s + 1} offset ${offset} is outside the frame`);
    offsets.push(offset);
  }
  return offsets;
}

/** PackBits into `out[start + k * stride]` for k < count. */
function unpackSegment(frame: Uint8Array, begin: number, end: number, out: Uint8Array, start: number, stride: number, count: number, segment: number): void {
  let i = begin;
  let k = 0;
  while (i < end && k < count) {
    const header = frame[i++]!;
    if (header < 128) {
      const stop = Math.min(i + header + 1, end);
      while (i < stop && k < count) out[start + k++ * stride] = frame[i++]!;
      i = stop;
    } else if (header > 128) {
      const value = frame[i++]!;
      for (let n = 257 - header; n > 0 && k < count; n--) out[start + k++ * stride] = value;
    } // 128 is a no-op
  }
  if (k < count) throw new RleError(`segment ${segment + 1} decodes to ${k} bytes, expected ${count} (truncated?)`);
}

/**
 * Decode one frame into interleaved little-endian sample words: Uint8Array for 8-bit data, else a
 * Uint16Array / Uint32Array of raw (unsigned) words.
 */
export function decodeRle(frame: Uint8Array, pixels: number, samplesPerPixel: number, bitsAllocated: number): Uint8Array | Uint16Array | Uint32Array {
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) throw new RleError(`${bitsAllocated}-bit RLE data is not supported`);
  const bytesPerSample = bitsAllocated / 8;
  const offsets = readHeader(frame, samplesPerPixel * bytesPerSample);
  const out = new Uint8Array(pixels * samplesPerPixel * bytesPerSample);
  const stride = samplesPerPixel * bytesPerSample;
  offsets.forEach((offset, segment) => {
    const sample = Math.floor(segment / bytesPerSample);
    const byte = bytesPerSample - 1 - (segment % bytesPerSample); // segment 0 of a sample is its most significant byte
    const end = offsets[segment + 1] ?? frame.length;
    unpackSegment(frame, offset, end, out, sample * bytesPerSample + byte, stride, pixels, segment);
  });
  // Typed arrays use the platform's byte order; every platform Node supports here is little endian.
  if (bytesPerSample === 2) return new Uint16Array(out.buffer);
  if (bytesPerSample === 4) return new Uint32Array(out.buffer);
  return out;
}
