/** JPEG-LS lossless and near-lossless via CharLS. */
import type { DecodedImage } from './types.js';
import { CodecModule, runWasmDecoder, type WasmDecoder } from './wasm.js';

interface JpegLsDecoder extends WasmDecoder {
  /** 0 none (planar), 1 line, 2 sample; CharLS returns line- and sample-interleaved data pixel-interleaved */
  getInterleaveMode(): number;
}

interface CharLs {
  JpegLSDecoder: new () => JpegLsDecoder;
}

const charls = new CodecModule<CharLs>('@cornerstonejs/codec-charls/decodewasmjs', '@cornerstonejs/codec-charls/decodewasm');

export async function decodeJpegLs(bytes: Uint8Array): Promise<DecodedImage> {
  const { info, samples, extra: interleave } = await runWasmDecoder(charls, (m) => new m.JpegLSDecoder(), bytes, (d) => (d as JpegLsDecoder).getInterleaveMode());
  const components = info.componentCount;
  return { width: info.width, height: info.height, components, samples, planar: components > 1 && interleave === 0, madeRgb: false, signedValues: false };
}
