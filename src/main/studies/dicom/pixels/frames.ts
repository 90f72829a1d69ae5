/** Which fragments of encapsulated Pixel Data make up which frame (PS3.5 A.4). */
import type { PixelItem } from './dicom-dataset.js';

/** Thrown with a sentence for PixelDataError; decode.ts adds the file name. */
export class FrameSplitError extends Error {
  override name = 'FrameSplitError';
}

function concat(fragments: readonly Uint8Array[]): Uint8Array {
  if (fragments.length === 1) return fragments[0]!;
  const out = new Uint8Array(fragments.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const fragment of fragments) {
    out.set(fragment, at);
    at += fragment.length;
  }
  return out;
}

/** Frame start offsets from the Extended Offset Table (64-bit little endian, relative to the first fragment's item tag). */
export function readExtendedOffsets(table: Uint8Array): number[] {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const offsets: number[] = [];
  for (let at = 0; at + 8 <= table.byteLength; at += 8) offsets.push(Number(view.getBigUint64(at, true)));
  return offsets;
}

function splitByOffsets(fragments: readonly Uint8Array[], offsets: readonly number[]): Uint8Array[] {
  const firstFragment = new Map<number, number>(); // item offset → fragment index
  let position = 0;
  fragments.forEach((fragment, index) => {
    firstFragment.set(position, index);
    position += 8 + fragment.length; // item tag + length, then the value
  });
  const starts = offsets.map((offset) => {
    const index = firstFragment.get(offset);
    if (index === undefined) throw new FrameSplitError(`Extended Offset Table entry ${offset} does not point at a fragment`);
    return index;
  });
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? fragments.length;
    if (end <= start) throw new FrameSplitError('Extended Offset Table offsets are not increasing');
    return concat(fragments.slice(start, end));
  });
}

/** True when a fragment ends a JPEG / JPEG-LS / JPEG 2000 codestream (EOI/EOC = FF D9, maybe one pad byte). */
function endsCodestream(fragment: Uint8Array): boolean {
  let end = fragment.length;
  if (end > 0 && fragment[end - 1] === 0x00) end--; // items have even length
  return end >= 2 && fragment[end - 2] === 0xff && fragment[end - 1] === 0xd9;
}

function splitByEndMarkers(fragments: readonly Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  for (const fragment of fragments) {
    pending.push(fragment);
    if (endsCodestream(fragment)) {
      frames.push(concat(pending));
      pending = [];
    }
  }
  if (pending.length > 0) frames.push(concat(pending));
  return frames;
}

/**
 * The codestream of each frame. Order of evidence: the Basic Offset Table (dcmjs has already grouped
 * the fragments when it is present), the Extended Offset Table, one fragment per frame when the counts
 * match, a single frame made of all fragments, and finally end-of-codestream markers.
 */
export function splitFrames(items: readonly PixelItem[], numberOfFrames: number, extendedOffsets: Uint8Array | undefined, hasEndMarkers: boolean): Uint8Array[] {
  if (items.length === 0) throw new FrameSplitError('encapsulated Pixel Data has no fragments');
  if (items.some(Array.isArray)) {
    if (items.length !== numberOfFrames) throw new FrameSplitError(`the Basic Offset Table lists ${items.length} frames but Number of Frames is ${numberOfFrames}`);
    return items.map((item) => concat(Array.isArray(item) ? item : [item]));
  }
  const fragments = items as Uint8Array[];
  if (extendedOffsets && extendedOffsets.length >= 8) {
    const frames = splitByOffsets(fragments, readExtendedOffsets(extendedOffsets));
    if (frames.length !== numberOfFrames) throw new FrameSplitError(`the Extended Offset Table lists ${frames.length} frames but Number of Frames is ${numberOfFrames}`);
    return frames;
  }
  if (fragments.length === numberOfFrames) return fragments;
  if (numberOfFrames === 1) return [concat(fragments)];
  if (!hasEndMarkers) throw new FrameSplitError(`${fragments.length} fragments for ${numberOfFrames} frames and no offset table to group them`);
  const frames = splitByEndMarkers(fragments);
  if (frames.length !== numberOfFrames) {
    throw new FrameSplitError(`found ${frames.length} codestreams in ${fragments.length} fragments but Number of Frames is ${numberOfFrames}`);
  }
  return frames;
}
