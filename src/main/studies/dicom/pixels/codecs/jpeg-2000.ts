/** JPEG 2000 via OpenJPEG and High-Throughput JPEG 2000 via OpenJPH (both return interleaved samples). */
import type { DecodedImage } from './types.js';
import { CodecModule, runWasmDecoder, type WasmDecoder, type WasmResult } from './wasm.js';

interface OpenJpeg {
  J2KDecoder: new () => WasmDecoder;
}
interface OpenJph {
  HTJ2KDecoder: new () => WasmDecoder;
}

const openjpeg = new CodecModule<OpenJpeg>('@cornerstonejs/codec-openjpeg/decodewasmjs', '@cornerstonejs/codec-openjpeg/decodewasm');
// openjph publishes one module with both the encoder and the decoder.
const openjph = new CodecModule<OpenJph>('@cornerstonejs/codec-openjph/wasmjs', '@cornerstonejs/codec-openjph/wasm');

/**
 * A YBR_RCT / YBR_ICT multiple-component transform is undone by the codec, so such data comes back
 * as RGB; colourSpace() treats those photometric interpretations as RGB.
 */
function image({ info, samples }: WasmResult<null>): DecodedImage {
  return { width: info.width, height: info.height, components: info.componentCount, samples, planar: false, madeRgb: false, signedValues: info.isSigned === true };
}

export async function decodeJpeg2000(bytes: Uint8Array): Promise<DecodedImage> {
  return image(await runWasmDecoder(openjpeg, (m) => new m.J2KDecoder(), bytes, () => null));
}

export async function decodeHtj2k(bytes: Uint8Array): Promise<DecodedImage> {
  return image(await runWasmDecoder(openjph, (m) => new m.HTJ2KDecoder(), bytes, () => null));
}
