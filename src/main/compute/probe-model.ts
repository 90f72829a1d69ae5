import { encode, pb } from '../inference/protobuf-writer.js';

const FLOAT = 1;

function tensorValueInfo(name: string, dims: number[]) {
  return [
    pb.string(1, name),
    pb.message(2, pb.message(1, pb.int(1, FLOAT), pb.message(2, ...dims.map((d) => pb.message(1, pb.int(1, d)))))),
  ];
}

/** A one-node ONNX model (y = Identity(x), float[4]); creating a session on it proves a provider loads. */
export function identityModel(): Uint8Array {
  return encode(
    pb.int(1, 8), // ir_version
    pb.string(2, 'delineate-probe'),
    pb.message(
      7, // graph
      pb.message(1, pb.string(1, 'x'), pb.string(2, 'y'), pb.string(3, 'identity'), pb.string(4, 'Identity')),
      pb.string(2, 'probe'),
      pb.message(11, ...tensorValueInfo('x', [4])),
      pb.message(12, ...tensorValueInfo('y', [4])),
    ),
    pb.message(8, pb.string(1, ''), pb.int(2, 13)), // opset_import: default domain, opset 13
  );
}
