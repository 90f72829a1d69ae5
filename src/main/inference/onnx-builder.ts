/**
 * Builds ONNX models (ModelProto) in memory: the model converter writes shipped models with it and
 * tests write tiny models with known behaviour. Only what those need: float/int64 tensors, the
 * attribute kinds ONNX operators take, static or named dimensions.
 */
import { encode, pb, type Field } from './protobuf-writer.js';

const TENSOR_FLOAT = 1;
const TENSOR_INT64 = 7;

export type Dim = number | string;
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 or int64 values, row-major */
  data: Float32Array | BigInt64Array;
}

export interface OnnxGraph {
  name: string;
  inputs: { name: string; dims: Dim[] }[];
  outputs: { name: string; dims: Dim[] }[];
  nodes: OnnxNode[];
  initializers?: OnnxTensor[];
  opset?: number;
  producer?: string;
  /** free-form key/value metadata (e.g. where a converted model came from) */
  metadata?: Record<string, string>;
}

function valueInfo(field: number, name: string, dims: Dim[]): Field {
  const shape = dims.map((d) => pb.message(1, typeof d === 'number' ? pb.int(1, d) : pb.string(2, d)));
  return pb.message(field, pb.string(1, name), pb.message(2, pb.message(1, pb.int(1, TENSOR_FLOAT), pb.message(2, ...shape))));
}

function tensor(field: number, t: OnnxTensor): Field {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return pb.message(
    field,
    ...t.dims.map((d) => pb.int(1, d)),
    pb.int(2, t.data instanceof Float32Array ? TENSOR_FLOAT : TENSOR_INT64),
    pb.string(8, t.name),
    pb.bytes(9, raw), // raw_data: little-endian, as ONNX requires
  );
}

function attribute(name: string, value: AttributeValue): Field {
  const fields: Field[] = [pb.string(1, name)];
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`attribute ${name}: use { float } for non-integers`);
    fields.push(pb.int(3, value), pb.int(20, 2)); // INT
  } else if (typeof value === 'string') {
    fields.push(pb.string(4, value), pb.int(20, 3)); // STRING
  } else if (Array.isArray(value)) {
    fields.push(...value.map((v) => pb.int(8, v)), pb.int(20, 7)); // INTS
  } else if ('float' in value) {
    fields.push(pb.float(2, value.float), pb.int(20, 1)); // FLOAT
  } else {
    fields.push(...value.floats.map((v) => pb.float(7, v)), pb.int(20, 6)); // FLOATS
  }
  return pb.message(5, ...fields);
}

function node(n: OnnxNode, index: number): Field {
  return pb.message(
    1,
    ...n.inputs.map((i) => pb.string(1, i)),
    ...n.outputs.map((o) => pb.string(2, o)),
    pb.string(3, n.name ?? `${n.op}_${index}`),
    pb.string(4, n.op),
    ...Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
  );
}

/** Serialise a graph as an ONNX model (IR version 8). */
export function buildOnnxModel(graph: OnnxGraph): Uint8Array {
  return encode(
    pb.int(1, 8), // ir_version
    pb.string(2, graph.producer ?? 'delineate'),
    pb.message(
      7,
      ...graph.nodes.map(node),
      pb.string(2, graph.name),
      ...(graph.initializers ?? []).map((t) => tensor(5, t)),
      ...graph.inputs.map((i) => valueInfo(11, i.name, i.dims)),
      ...graph.outputs.map((o) => valueInfo(12, o.name, o.dims)),
    ),
    pb.message(8, pb.string(1, ''), pb.int(2, graph.opset ?? 17)),
    ...Object.entries(graph.metadata ?? {}).map(([k, v]) => pb.message(14, pb.string(1, k), pb.string(2, v))),
  );
}
