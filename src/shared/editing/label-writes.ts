/**
 * What a whole-segment operation (islands, logical operators) wants to change, without changing it:
 * per new label value, runs of voxels along x. The caller applies them through its own write checks
 * (locked segments, overwrite, inside-label), one table lookup per voxel, after touching the slices
 * for undo. Cost is proportional to the voxels that change, never a full-volume mask or label copy:
 * removing a few specks from a 512×512×600 map is a few hundred bytes.
 */
import type { Vec3 } from '../volume.js';
import type { LabelArray } from './grid.js';

/** Voxels that should take `value`. The runs of different writes of one result never overlap. */
export interface LabelWrite {
  value: number;
  /** [start, length] pairs of flat voxel indices (x fastest), ascending; a run may continue across rows and slices */
  runs: Int32Array;
  /** total length of the runs */
  voxels: number;
}

/** Growable list of [start, length] pairs. */
export class RunList {
  private buf: Int32Array;
  private n = 0;
  voxels = 0;

  constructor(capacity = 64) {
    this.buf = new Int32Array(Math.max(2, capacity * 2));
  }

  /** Append a run; one that continues the previous run merges into it. */
  push(start: number, length: number): void {
    const n = this.n;
    if (n > 0 && this.buf[n - 2]! + this.buf[n - 1]! === start) {
      this.buf[n - 1]! += length;
    } else {
      if (n + 2 > this.buf.length) {
        const grown = new Int32Array(this.buf.length * 2);
        grown.set(this.buf);
        this.buf = grown;
      }
      this.buf[n] = start;
      this.buf[n + 1] = length;
      this.n = n + 2;
    }
    this.voxels += length;
  }

  get runCount(): number {
    return this.n / 2;
  }

  toWrite(value: number): LabelWrite {
    return { value, runs: this.buf.slice(0, this.n), voxels: this.voxels };
  }
}

/** k indices of the slices the writes fall in, ascending (for LabelEditor.touch before applying). */
export function writtenSlices(writes: readonly LabelWrite[], dims: Vec3): number[] {
  const sliceLength = dims[0] * dims[1];
  const hit = new Uint8Array(dims[2]);
  for (const { runs } of writes) {
    for (let r = 0; r < runs.length; r += 2) {
      const first = Math.floor(runs[r]! / sliceLength);
      const last = Math.floor((runs[r]! + runs[r + 1]! - 1) / sliceLength);
      for (let k = first; k <= last; k++) hit[k] = 1;
    }
  }
  const slices: number[] = [];
  for (let k = 0; k < hit.length; k++) if (hit[k]) slices.push(k);
  return slices;
}

/**
 * Apply writes to `data` in place; returns the number of voxels that changed. `writable(value)` gives
 * the table over current values (1 = may become `value`), e.g. write-policy's writableTable; without
 * it every listed voxel is written.
 */
export function applyLabelWrites(data: LabelArray, writes: readonly LabelWrite[], writable?: (value: number) => Uint8Array): number {
  let changed = 0;
  for (const { value, runs } of writes) {
    const table = writable?.(value);
    for (let r = 0; r < runs.length; r += 2) {
      const end = runs[r]! + runs[r + 1]!;
      for (let i = runs[r]!; i < end; i++) {
        const c = data[i]!;
        if (c !== value && (table === undefined || table[c] === 1)) {
          data[i] = value;
          changed++;
        }
      }
    }
  }
  return changed;
}
