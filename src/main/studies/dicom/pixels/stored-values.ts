/** Bits Stored / High Bit / Pixel Representation: from raw sample words to the stored values. */
import type { PixelFormat, StoredFrame } from './format.js';

/** Integer samples as a decoder produced them, one element per sample, owned by the caller. */
export type IntegerSamples = Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** What turning sample words into stored values needs of the pixel format. */
export type SampleLayout = Pick<PixelFormat, 'bitsAllocated' | 'bitsStored' | 'highBit' | 'pixelRepresentation'>;

type IntegerFrame = Exclude<StoredFrame, Float32Array | Float64Array>;
type IntegerCtor = new (length: number) => IntegerFrame;

/** The natural array for Bits Allocated and Pixel Representation (1-bit data comes back as bytes). */
export function storedArrayType(format: SampleLayout): IntegerCtor {
  const signed = format.pixelRepresentation === 1;
  if (format.bitsAllocated <= 8) return signed ? Int8Array : Uint8Array;
  if (format.bitsAllocated === 16) return signed ? Int16Array : Uint16Array;
  return signed ? Int32Array : Uint32Array;
}

function containerBits(format: SampleLayout): number {
  return format.bitsAllocated <= 8 ? 8 : format.bitsAllocated;
}

/** Signed sample values (not bit patterns) into the Bits Stored range: lossy codecs can overshoot it. */
function clampToStored(samples: Int8Array | Int16Array | Int32Array, format: SampleLayout): IntegerFrame {
  const bits = format.bitsStored;
  const low = format.pixelRepresentation === 1 ? -(2 ** (bits - 1)) : 0;
  const high = format.pixelRepresentation === 1 ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const out = new (storedArrayType(format))(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    out[i] = v < low ? low : v > high ? high : v;
  }
  return out;
}

/**
 * Stored values from raw sample words: keep bits [HighBit-BitsStored+1, HighBit] (so overlay or
 * garbage bits above High Bit never leak) and sign-extend from Bits Stored when Pixel Representation
 * is 1. Codecs that return signed *values* (JPEG 2000 with signed components) pass `signedValues`:
 * those are clamped into range instead, since a lossy overshoot such as 2052 in a 12-bit image must
 * not wrap to -2044. Returns `samples` itself when it is already the right array, unchanged.
 */
export function toStoredValues(samples: IntegerSamples, format: SampleLayout, signedValues = false): IntegerFrame {
  if (signedValues && (samples instanceof Int8Array || samples instanceof Int16Array || samples instanceof Int32Array)) return clampToStored(samples, format);
  const Ctor = storedArrayType(format);
  const shift = format.highBit + 1 - format.bitsStored;
  const bits = format.bitsStored;
  const exact = shift === 0 && bits === containerBits(format);
  if (exact && samples instanceof Ctor && samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength) return samples;
  if (exact) {
    const out = new Ctor(samples.length);
    out.set(samples); // typed-array conversion wraps modulo 2^n: a bit-pattern reinterpretation
    return out;
  }
  // Masking reads element i before writing it, so an owned array of the same kind is masked in
  // place: no second frame-sized allocation per frame. A view (into a file's bytes) is never written.
  const out = samples instanceof Ctor && samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength ? samples : new Ctor(samples.length);
  const mask = 2 ** bits - 1; // bits < 32 here, so the mask fits an int32
  if (format.pixelRepresentation === 1) {
    const sign = 2 ** (bits - 1);
    for (let i = 0; i < samples.length; i++) {
      const v = (samples[i]! >>> shift) & mask;
      out[i] = (v ^ sign) - sign;
    }
  } else {
    for (let i = 0; i < samples.length; i++) out[i] = (samples[i]! >>> shift) & mask;
  }
  return out;
}
