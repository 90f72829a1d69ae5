/**
 * How label-map slices are stored: raw DEFLATE (zlib level 3: 0.2 ms for a 512×512 slice either way,
 * measured) of a snapshot slice's bytes, and sparse XOR deltas against the parent version's slice, so
 * an edit of a few voxels costs a few dozen bytes to store and to apply. An all-zero slice (or an
 * unchanged one, for deltas) is an empty payload.
 */
import zlib from 'node:zlib';

const LEVEL = 3;

export function compressSlice(bytes: Uint8Array): Uint8Array {
  if (isZero(bytes)) return new Uint8Array(0);
  return zlib.deflateRawSync(bytes, { level: LEVEL });
}

/** Inflate `payload` into `into` (exactly the slice's byte length). */
export function decompressSliceInto(payload: Uint8Array, into: Uint8Array): void {
  if (payload.byteLength === 0) {
    into.fill(0);
    return;
  }
  const bytes = zlib.inflateRawSync(payload);
  if (bytes.byteLength !== into.byteLength) throw new Error(`a stored slice has ${bytes.byteLength} bytes, the grid needs ${into.byteLength}`);
  into.set(bytes);
}

/** a ^= b, a word at a time where the views allow. */
export function xorInto(a: Uint8Array, b: Uint8Array): void {
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.byteLength >>> 2;
    const a32 = new Uint32Array(a.buffer, a.byteOffset, words);
    const b32 = new Uint32Array(b.buffer, b.byteOffset, words);
    for (; i < words; i++) a32[i]! ^= b32[i]!;
    i = words << 2;
  }
  for (; i < a.byteLength; i++) a[i]! ^= b[i]!;
}

export function isZero(bytes: Uint8Array): boolean {
  let i = 0;
  if (bytes.byteOffset % 4 === 0) {
    const words = bytes.byteLength >>> 2;
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (; i < words; i++) if (w[i] !== 0) return false;
    i = words << 2;
  }
  for (; i < bytes.byteLength; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * A sparse XOR delta: the byte runs where `child` differs from `parent`, as
 * [run count u32][(offset u32, length u32) × count][the runs' XOR bytes], deflated. Applying one costs
 * in proportion to the voxels changed, not the slice size, so long chains of small edits load fast.
 * Returns an empty payload when the slices are equal.
 */
export function encodeSparseXor(parent: Uint8Array, child: Uint8Array): Uint8Array {
  const runs: number[] = [];
  const n = child.byteLength;
  for (let i = 0; i < n; ) {
    if (parent[i] === child[i]) {
      i++;
      continue;
    }
    let end = i + 1;
    // extend over short equal gaps: one run is cheaper than two headers
    for (let gap = 0; end < n && gap < 8; end++) gap = parent[end] === child[end] ? gap + 1 : 0;
    while (parent[end - 1] === child[end - 1]) end--;
    runs.push(i, end - i);
    i = end;
  }
  if (runs.length === 0) return new Uint8Array(0);
  const count = runs.length / 2;
  const bytes = runs.reduce((sum, v, j) => (j % 2 ? sum + v : sum), 0);
  const out = new Uint8Array(4 + 8 * count + bytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, count, true);
  let at = 4 + 8 * count;
  for (let r = 0; r < count; r++) {
    const offset = runs[2 * r]!;
    const length = runs[2 * r + 1]!;
    view.setUint32(4 + 8 * r, offset, true);
    view.setUint32(8 + 8 * r, length, true);
    for (let j = 0; j < length; j++) out[at + j] = parent[offset + j]! ^ child[offset + j]!;
    at += length;
  }
  return zlib.deflateRawSync(out, { level: LEVEL });
}

/** XOR a sparse delta (see encodeSparseXor) into `into`. */
export function applySparseXor(payload: Uint8Array, into: Uint8Array): void {
  if (payload.byteLength === 0) return;
  const raw = zlib.inflateRawSync(payload);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const count = view.getUint32(0, true);
  let at = 4 + 8 * count;
  for (let r = 0; r < count; r++) {
    const offset = view.getUint32(4 + 8 * r, true);
    const length = view.getUint32(8 + 8 * r, true);
    if (offset + length > into.byteLength || at + length > raw.byteLength) throw new Error('a stored delta reaches beyond its slice: the store is damaged');
    for (let j = 0; j < length; j++) into[offset + j]! ^= raw[at + j]!;
    at += length;
  }
}
