/** A label map from its wire form (raw voxels, or [length, value] runs: see editing/label-runs.ts). */
import type { LabelArray } from '../../shared/editing/grid.js';
import { decodeRuns } from '../../shared/editing/label-runs.js';

export interface WireLabels {
  encoding: 'raw' | 'runs';
  data: ArrayBuffer | ArrayBufferView;
}

export function labelsFromWire(wire: WireLabels, labelType: 'uint8' | 'uint16', voxels: number): LabelArray {
  const bytes = wire.data instanceof ArrayBuffer ? new Uint8Array(wire.data) : new Uint8Array(wire.data.buffer, wire.data.byteOffset, wire.data.byteLength);
  if (wire.encoding === 'runs') return decodeRuns(new Uint32Array(bytes.slice().buffer), labelType === 'uint8' ? new Uint8Array(voxels) : new Uint16Array(voxels));
  if (labelType === 'uint8') return bytes;
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}
