/** Walking JPEG (ITU T.81) marker segments: enough to route a stream and to read its tables. */
import { CodecError } from './types.js';

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
  quantTable: number;
}

export interface JpegFrame {
  /** SOF marker low byte: 0xc0 baseline, 0xc1 extended, 0xc3 lossless, ... */
  sof: number;
  precision: number;
  height: number;
  width: number;
  components: JpegComponent[];
}

export interface Segment {
  marker: number;
  /** offset of the segment body (after the length field) */
  body: number;
  /** body length */
  length: number;
}

const STANDALONE = new Set([0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9]);

/** Marker segments from SOI up to and including the first SOS (entropy-coded data follows it). */
export function readSegments(bytes: Uint8Array): Segment[] {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    const start = Array.from(bytes.subarray(0, 2), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    throw new CodecError(`not a JPEG stream (starts with ${start || 'nothing'}, not the SOI marker 0xff 0xd8)`);
  }
  const segments: Segment[] = [];
  let at = 2;
  for (;;) {
    while (at < bytes.length && bytes[at] === 0xff && bytes[at + 1] === 0xff) at++; // fill bytes
    if (at + 4 > bytes.length) throw new CodecError('stream ends before the start of scan (truncated?)');
    if (bytes[at] !== 0xff) throw new CodecError(`corrupt stream: expected a marker at byte ${at}, found 0x${bytes[at]!.toString(16).padStart(2, '0')}`);
    const marker = bytes[at + 1]!;
    if (STANDALONE.has(marker)) {
      if (marker === 0xd9) throw new CodecError('end of image before any scan');
      at += 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2 || at + 2 + length > bytes.length) throw new CodecError(`marker 0xff${marker.toString(16)} segment overruns the stream (truncated?)`);
    segments.push({ marker, body: at + 4, length: length - 2 });
    at += 2 + length;
    if (marker === 0xda) return segments;
  }
}

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

export function parseFrame(bytes: Uint8Array, segment: Segment): JpegFrame {
  const b = segment.body;
  const count = bytes[b + 5]!;
  if (segment.length < 6 + 3 * count) throw new CodecError('SOF segment is too short');
  const components: JpegComponent[] = [];
  for (let c = 0; c < count; c++) {
    const at = b + 6 + 3 * c;
    components.push({ id: bytes[at]!, h: bytes[at + 1]! >> 4, v: bytes[at + 1]! & 15, quantTable: bytes[at + 2]! });
  }
  return {
    sof: segment.marker,
    precision: bytes[b]!,
    height: (bytes[b + 1]! << 8) | bytes[b + 2]!,
    width: (bytes[b + 3]! << 8) | bytes[b + 4]!,
    components,
  };
}

/** The frame header of a JPEG stream (throws CodecError when there is none). */
export function readJpegFrame(bytes: Uint8Array): JpegFrame {
  const sof = readSegments(bytes).find((s) => isSof(s.marker));
  if (!sof) throw new CodecError('no frame header (SOF marker) before the scan');
  return parseFrame(bytes, sof);
}
