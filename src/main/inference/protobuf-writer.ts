/**
 * A minimal protobuf encoder: enough to write ONNX ModelProto messages (varints, length-delimited
 * fields, packed floats). Used for the provider probe model and, later, the model converter.
 */
export type Field = (out: number[]) => void;

function varint(out: number[], value: number | bigint): void {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n; // two's complement for negative int64
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
}

function key(out: number[], field: number, wireType: 0 | 1 | 2 | 5): void {
  varint(out, (field << 3) | wireType);
}

export const pb = {
  int: (field: number, value: number | bigint): Field => (out) => {
    key(out, field, 0);
    varint(out, value);
  },
  string: (field: number, value: string): Field => pb.bytes(field, new TextEncoder().encode(value)),
  bytes: (field: number, value: Uint8Array): Field => (out) => {
    key(out, field, 2);
    varint(out, value.byteLength);
    for (const b of value) out.push(b);
  },
  message: (field: number, ...fields: Field[]): Field => (out) => pb.bytes(field, encode(...fields))(out),
  /** a 32-bit float (wire type 5) */
  float: (field: number, value: number): Field => (out) => {
    key(out, field, 5);
    const bytes = new Uint8Array(Float32Array.of(value).buffer);
    for (const b of bytes) out.push(b);
  },
};

export function encode(...fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const f of fields) f(out);
  return Uint8Array.from(out);
}
