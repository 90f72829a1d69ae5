/**
 * Run-length form of a whole label map for transport: [length, value] pairs. A segmentation is mostly
 * background and long runs, so a 150 MB label map of a 512×512×600 CT usually travels as kilobytes.
 */
import type { LabelArray } from './grid.js';

/** The runs of `data`, or null when they would not be smaller than the voxels themselves. */
export function encodeRuns(data: LabelArray): Uint32Array | null {
  const limit = Math.floor(data.byteLength / 8); // pairs of 4-byte words
  let out = new Uint32Array(Math.min(limit, 1024) * 2);
  let pairs = 0;
  // uint8 maps are scanned a 32-bit word (4 voxels) at a time inside long runs: 4× fewer steps
  const words = data instanceof Uint8Array && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2) : null;
  for (let i = 0; i < data.length; ) {
    const value = data[i]!;
    let end = i + 1;
    if (words) {
      while (end < data.length && (end & 3) !== 0 && data[end] === value) end++;
      if ((end & 3) === 0) {
        const pattern = Math.imul(value, 0x01010101) >>> 0;
        let w = end >>> 2;
        while (w < words.length && words[w] === pattern) w++;
        end = w << 2;
      }
    }
    while (end < data.length && data[end] === value) end++;
    if (pairs >= limit) return null;
    if (pairs * 2 >= out.length) {
      const bigger = new Uint32Array(Math.min(limit * 2, out.length * 2));
      bigger.set(out);
      out = bigger;
    }
    out[pairs * 2] = end - i;
    out[pairs * 2 + 1] = value;
    pairs++;
    i = end;
  }
  return out.slice(0, pairs * 2);
}

/** Fill `out` from runs; throws when they do not cover it exactly. */
export function decodeRuns(runs: Uint32Array, out: LabelArray): LabelArray {
  let at = 0;
  for (let p = 0; p + 1 < runs.length; p += 2) {
    const length = runs[p]!;
    if (at + length > out.length) throw new RangeError(`label runs cover more than the ${out.length} voxels of the grid`);
    out.fill(runs[p + 1]!, at, at + length);
    at += length;
  }
  if (at !== out.length) throw new RangeError(`label runs cover ${at} of the ${out.length} voxels of the grid`);
  return out;
}

/** Label bytes (little endian) as the typed array of their label type (a view when aligned). */
export function labelArrayOf(bytes: Uint8Array, labelType: 'uint8' | 'uint16'): LabelArray {
  if (labelType === 'uint8') return bytes;
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}

/** A label map as the contract carries it: raw voxels, or the runs of encodeRuns. */
export interface WireLabels {
  encoding: 'raw' | 'runs';
  data: ArrayBuffer | ArrayBufferView;
}

/** The label map of a wire payload, typed by its label type; `voxels` sizes decoded runs. */
export function labelsFromWire(wire: WireLabels, labelType: 'uint8' | 'uint16', voxels: number): LabelArray {
  const bytes = wire.data instanceof ArrayBuffer ? new Uint8Array(wire.data) : new Uint8Array(wire.data.buffer, wire.data.byteOffset, wire.data.byteLength);
  if (wire.encoding === 'raw') return labelArrayOf(bytes, labelType);
  const words = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return decodeRuns(new Uint32Array(words.buffer, words.byteOffset, words.byteLength >>> 2), labelType === 'uint8' ? new Uint8Array(voxels) : new Uint16Array(voxels));
}
