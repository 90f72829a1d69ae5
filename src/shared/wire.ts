/**
 * WebSocket wire format. A message without binary parts is one JSON text frame. A message with binary
 * parts is one binary frame:
 *
 *   "DLN1" | u32 LE header byte length | header JSON (utf-8) | zero pad to 8 | part0 | pad to 8 | part1 ...
 *
 * The header is {"message": ..., "parts": [byteLength0, byteLength1, ...]}; inside the message each
 * binary value is replaced by {"$binary": i, "type": "Float32Array"}. Part offsets follow from the
 * lengths. Parts are 8-byte aligned so the receiver can view them as typed arrays without copying.
 */
import type { ErrorEnvelope } from './errors.js';

export type ClientMessage = { kind: 'request'; id: number; method: string; params: unknown };

export type ServerMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number | null; ok: false; error: ErrorEnvelope }
  | { kind: 'event'; name: string; payload: unknown };

const MAGIC = [0x44, 0x4c, 0x4e, 0x31]; // "DLN1"
const HEADER_BYTES = 8;

const VIEW_TYPES = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
} as const;
type ViewTypeName = keyof typeof VIEW_TYPES | 'ArrayBuffer';

interface BinaryPlaceholder {
  $binary: number;
  type: ViewTypeName;
}

interface TextCodec {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string;
}

// TextEncoder/TextDecoder exist in every runtime we target; src/shared has no DOM/Node typings.
const runtime = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, opts: { fatal: boolean }) => { decode(b: Uint8Array): string };
};
const text: TextCodec = {
  encode: (s) => new runtime.TextEncoder().encode(s),
  decode: (b) => new runtime.TextDecoder('utf-8', { fatal: true }).decode(b),
};

const align8 = (n: number) => (n + 7) & ~7;

function viewTypeName(value: ArrayBuffer | ArrayBufferView): ViewTypeName {
  if (value instanceof ArrayBuffer) return 'ArrayBuffer';
  const name = value.constructor.name;
  if (name in VIEW_TYPES) return name as ViewTypeName;
  return 'Uint8Array'; // e.g. Node's Buffer, a Uint8Array subclass
}

function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function asBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Encode a message; returns a string (text frame) when it holds no binary, else the binary frame. */
export function encodeMessage(message: ClientMessage | ServerMessage): string | Uint8Array {
  const parts: Uint8Array[] = [];
  const json = JSON.stringify(message, function (this: unknown, key: string, value: unknown) {
    // JSON.stringify applies toJSON before the replacer sees a value, so a Node Buffer would arrive
    // here as {type: 'Buffer', data: [...]}: look at the holder's own value first.
    const raw = (this as Record<string, unknown>)[key];
    const binary = isBinary(raw) ? raw : isBinary(value) ? value : undefined;
    if (binary !== undefined) {
      const placeholder: BinaryPlaceholder = { $binary: parts.length, type: viewTypeName(binary) };
      parts.push(asBytes(binary));
      return placeholder;
    }
    return value;
  });
  if (parts.length === 0) return json;

  const header = text.encode(`{"parts":${JSON.stringify(parts.map((p) => p.byteLength))},"message":${json}}`);
  const offsets = partOffsets(header.byteLength, parts.map((p) => p.byteLength));
  const frame = new Uint8Array(offsets.end);
  frame.set(MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, header.byteLength, true);
  frame.set(header, HEADER_BYTES);
  parts.forEach((bytes, i) => frame.set(bytes, offsets.starts[i]!));
  return frame;
}

function partOffsets(headerLength: number, lengths: number[]): { starts: number[]; end: number } {
  let cursor = align8(HEADER_BYTES + headerLength);
  const starts = lengths.map((length) => {
    const start = cursor;
    cursor = align8(cursor + length);
    return start;
  });
  return { starts, end: cursor };
}

function isPlaceholder(value: unknown): value is BinaryPlaceholder {
  return typeof value === 'object' && value !== null && typeof (value as { $binary?: unknown }).$binary === 'number';
}

export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

/** Decode a text or binary frame into a plain object; binary parts become views onto the frame. */
export function decodeMessage(data: string | Uint8Array): unknown {
  if (typeof data === 'string') return parseJson(data);
  if (data.byteLength < HEADER_BYTES || MAGIC.some((b, i) => data[i] !== b)) {
    throw new WireFormatError('binary frame does not start with the DLN1 header');
  }
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4, true);
  if (HEADER_BYTES + headerLength > data.byteLength) throw new WireFormatError('binary frame shorter than its header says');
  let headerText: string;
  try {
    headerText = text.decode(data.subarray(HEADER_BYTES, HEADER_BYTES + headerLength));
  } catch {
    throw new WireFormatError('binary frame header is not valid UTF-8');
  }
  const parsedHeader = parseJson(headerText);
  if (typeof parsedHeader !== 'object' || parsedHeader === null || Array.isArray(parsedHeader)) {
    throw new WireFormatError('binary frame header is not a JSON object');
  }
  const header = parsedHeader as { parts?: unknown; message?: unknown };
  const lengths = header.parts;
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new WireFormatError('binary frame header has no valid parts list');
  }
  const offsets = partOffsets(headerLength, lengths as number[]);
  if (offsets.starts.length && offsets.starts.at(-1)! + (lengths.at(-1) as number) > data.byteLength) {
    throw new WireFormatError('binary frame shorter than its parts say');
  }
  return replacePlaceholders(header.message, (p) => {
    const start = offsets.starts[p.$binary];
    if (start === undefined) throw new WireFormatError(`binary part ${p.$binary} is not in the frame`);
    return materialise(data, p, start, lengths[p.$binary] as number);
  });
}

function replacePlaceholders(value: unknown, replace: (p: BinaryPlaceholder) => unknown): unknown {
  if (isPlaceholder(value)) return replace(value);
  if (Array.isArray(value)) return value.map((v) => replacePlaceholders(v, replace));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replacePlaceholders(v, replace);
    return out;
  }
  return value;
}

function parseJson(textData: string): unknown {
  try {
    return JSON.parse(textData) as unknown;
  } catch {
    throw new WireFormatError('message is not valid JSON');
  }
}

function materialise(frame: Uint8Array, p: BinaryPlaceholder, offset: number, length: number): ArrayBuffer | ArrayBufferView {
  const type = p.type;
  const start = frame.byteOffset + offset;
  if (type === 'ArrayBuffer') return frame.buffer.slice(start, start + length) as ArrayBuffer;
  const View = Object.hasOwn(VIEW_TYPES, type) ? VIEW_TYPES[type] : undefined;
  if (!View) throw new WireFormatError(`binary part ${p.$binary} has unknown type ${String(type)}`);
  if (View === DataView) return new DataView(frame.buffer, start, length);
  const elementSize = (View as Exclude<typeof View, DataViewConstructor>).BYTES_PER_ELEMENT;
  if (length % elementSize !== 0) throw new WireFormatError(`binary part ${p.$binary} length is not a multiple of ${type} elements`);
  // A frame handed over by a runtime may itself start unaligned (Node pools small buffers): copy only then.
  const aligned = start % elementSize === 0;
  const buffer = aligned ? frame.buffer : frame.slice(offset, offset + length).buffer;
  return new (View as new (b: ArrayBufferLike, o: number, n: number) => ArrayBufferView)(buffer, aligned ? start : 0, length / elementSize);
}
