/** Colour frames to interleaved RGB: planar → interleaved, YBR_FULL and YBR_FULL_422 → RGB. */

type Samples = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** R1R2…G1G2…B1B2… → R1G1B1R2G2B2… */
export function planarToInterleaved<T extends Samples>(planar: T, pixels: number): T {
  const out = new (planar.constructor as new (n: number) => T)(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    out[3 * p] = planar[p]!;
    out[3 * p + 1] = planar[pixels + p]!;
    out[3 * p + 2] = planar[2 * pixels + p]!;
  }
  return out;
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}

// PS3.3 C.7.6.3.1.2 (YBR_FULL is full-range ITU-R BT.601 YCbCr).
function writeRgb(out: Uint8Array, at: number, y: number, cb: number, cr: number): void {
  const b = cb - 128;
  const r = cr - 128;
  out[at] = clampByte(y + 1.402 * r);
  out[at + 1] = clampByte(y - 0.344136 * b - 0.714136 * r);
  out[at + 2] = clampByte(y + 1.772 * b);
}

/** Interleaved YBR_FULL → RGB, in place. */
export function ybrFullToRgb(ybr: Uint8Array): Uint8Array {
  for (let i = 0; i + 2 < ybr.length; i += 3) writeRgb(ybr, i, ybr[i]!, ybr[i + 1]!, ybr[i + 2]!);
  return ybr;
}

/** Native YBR_FULL_422: each pair of pixels is stored as Y1 Y2 Cb Cr (columns are even). */
export function ybrFull422ToRgb(packed: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0; p + 1 < pixels; p += 2, i += 4) {
    const cb = packed[i + 2]!;
    const cr = packed[i + 3]!;
    writeRgb(out, 3 * p, packed[i]!, cb, cr);
    writeRgb(out, 3 * p + 3, packed[i + 1]!, cb, cr);
  }
  return out;
}
