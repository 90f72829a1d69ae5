/**
 * Decode the PNGs Chromium writes for screenshots (8-bit RGB or RGBA, not interlaced) so tests can
 * measure what was really on screen. Not a general PNG decoder: anything else is refused.
 */
import { inflateSync } from 'node:zlib';

export interface RgbaImage {
  width: number;
  height: number;
  /** 4 bytes a pixel, rows top to bottom */
  rgba: Uint8Array;
}

export function decodePng(png: Uint8Array): RgbaImage {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (view.getUint32(0) !== 0x89504e47) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels]! : 0;
      const b = up[i]!;
      const c = i >= channels ? up[i - channels]! : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      out[i] = (line[i]! + predictor) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: pixels };
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set(pixels.subarray(p * 3, p * 3 + 3), p * 4), (rgba[p * 4 + 3] = 255);
  return { width, height, rgba };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Pixels that differ from the background (the bottom-left pixel: overlaid controls sit at the top):
 * their fraction of the image and their mean colour.
 */
export function imageStats(image: RgbaImage): { foreground: number; foregroundMean: [number, number, number] } {
  const { rgba, width, height } = image;
  const corner = (height - 1) * width * 4;
  const [r0, g0, b0] = [rgba[corner]!, rgba[corner + 1]!, rgba[corner + 2]!];
  const sum = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    if (Math.abs(rgba[i]! - r0) + Math.abs(rgba[i + 1]! - g0) + Math.abs(rgba[i + 2]! - b0) <= 24) continue;
    sum[0]! += rgba[i]!;
    sum[1]! += rgba[i + 1]!;
    sum[2]! += rgba[i + 2]!;
    count++;
  }
  const mean = sum.map((v) => (count ? v / count : 0)) as [number, number, number];
  return { foreground: count / (width * height), foregroundMean: mean };
}
