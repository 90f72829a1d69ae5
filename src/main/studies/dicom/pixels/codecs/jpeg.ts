/** JPEG (ITU T.81): baseline and 8-bit extended via libjpeg-turbo, 12-bit extended via jpeg12.ts, lossless via jpeg-lossless-decoder-js. */
import { createRequire } from 'node:module';
import { describeThrown } from '../errors.js';
import { decodeJpegSequential } from './jpeg12.js';
import { readJpegFrame } from './jpeg-markers.js';
import { CodecError, type DecodedImage } from './types.js';
import { CodecModule, runWasmDecoder, type WasmDecoder } from './wasm.js';

// jpeg-lossless-decoder-js names a .d.ts it does not ship, so type the one class we use here.
interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number): Uint8Array | Uint16Array;
}
// loaded on first use: most imports never meet a lossless JPEG, and every worker start would pay for it
let losslessDecoder: (new () => LosslessDecoder) | undefined;
const newLosslessDecoder = (): LosslessDecoder =>
  new (losslessDecoder ??= (createRequire(import.meta.url)('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }).Decoder)();

interface LibJpegTurbo {
  JPEGDecoder: new () => WasmDecoder;
}

const libjpegTurbo = new CodecModule<LibJpegTurbo>('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm');

/** 8-bit DCT JPEG. Colour comes back as interleaved RGB: libjpeg converts YCbCr itself. */
export async function decodeJpeg8(bytes: Uint8Array): Promise<DecodedImage> {
  const frame = readJpegFrame(bytes); // a readable reason when the stream is not JPEG at all
  if (frame.precision !== 8) throw new CodecError(`${frame.precision}-bit precision in an 8-bit JPEG process`);
  const { info, samples } = await runWasmDecoder(libjpegTurbo, (m) => new m.JPEGDecoder(), bytes, () => null);
  return { width: info.width, height: info.height, components: info.componentCount, samples, planar: false, madeRgb: info.componentCount === 3, signedValues: false };
}

/** Process 2 & 4: libjpeg-turbo for 8-bit precision, our own decoder for 12-bit. */
export async function decodeJpegExtended(bytes: Uint8Array): Promise<DecodedImage> {
  const frame = readJpegFrame(bytes);
  if (frame.precision === 8) return decodeJpeg8(bytes);
  if (frame.precision !== 12) throw new CodecError(`unsupported JPEG precision ${frame.precision}`);
  const { samples } = decodeJpegSequential(bytes);
  return { width: frame.width, height: frame.height, components: 1, samples, planar: false, madeRgb: false, signedValues: false };
}

/**
 * jpeg-lossless-decoder-js 2.1.2 drops the last sample when the last Huffman code ends right where
 * the EOI marker begins (it sees the marker while reading ahead and stops). Zero bytes between the
 * entropy-coded data and EOI are never consumed (decoding stops after the last sample) and keep the
 * marker out of its look-ahead.
 */
function padBeforeEnd(bytes: Uint8Array): Uint8Array {
  const PAD = 4;
  let end = bytes.length;
  while (end >= 2 && !(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9)) end--;
  const at = end >= 2 ? end - 2 : bytes.length;
  const out = new Uint8Array(bytes.length + PAD);
  out.set(bytes.subarray(0, at));
  out.set(bytes.subarray(at), at + PAD);
  return out;
}

/** Process 14 (any predictor, including selection value 1). */
export function decodeJpegLossless(bytes: Uint8Array): DecodedImage {
  const frame = readJpegFrame(bytes);
  if (frame.sof !== 0xc3) throw new CodecError(`expected a lossless (SOF3) stream, found SOF marker 0xff${frame.sof.toString(16)}`);
  const padded = padBeforeEnd(bytes);
  const decoder = newLosslessDecoder();
  let decoded: Uint8Array | Uint16Array;
  try {
    decoded = decoder.decode(padded.buffer as ArrayBuffer, padded.byteOffset, padded.byteLength);
  } catch (thrown) {
    throw new CodecError(describeThrown(thrown));
  }
  const components = frame.components.length;
  if (decoded.length !== frame.width * frame.height * components) {
    throw new CodecError(`decoded ${decoded.length} samples, expected ${frame.width}×${frame.height}×${components} (corrupt stream?)`);
  }
  return { width: frame.width, height: frame.height, components, samples: decoded, planar: false, madeRgb: false, signedValues: false };
}
