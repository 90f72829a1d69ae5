/**
 * A deterministic stream of brush-like edits on a label map, replayable from its seed: the crash and
 * concurrency tests run it in a child process and recompute every intermediate state in the parent.
 */
import { random } from './random.js';

export type Dims = readonly [number, number, number];

export interface Edit {
  /** slices (k) the edit touched, ascending */
  slices: number[];
}

export class EditStream {
  private readonly rand: () => number;

  constructor(
    seed: number,
    private readonly dims: Dims,
  ) {
    this.rand = random(seed);
  }

  /** Apply the next edit to `labels` in place: a disc of one label (0 erases) on 1–3 slices. */
  next(labels: Uint8Array): Edit {
    const [nx, ny, nz] = this.dims;
    const k0 = Math.floor(this.rand() * nz);
    const k1 = Math.min(nz - 1, k0 + Math.floor(this.rand() * 3));
    const cx = this.rand() * nx, cy = this.rand() * ny, r = 2 + this.rand() * 6;
    const value = Math.floor(this.rand() * 4);
    const slices: number[] = [];
    for (let k = k0; k <= k1; k++) {
      for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(ny - 1, Math.ceil(cy + r)); y++) {
        for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(nx - 1, Math.ceil(cx + r)); x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) labels[(k * ny + y) * nx + x] = value;
        }
      }
      slices.push(k);
    }
    return { slices };
  }
}

/** The slices' voxels, concatenated in order: a writeSlices payload. */
export function slicePayload(labels: Uint8Array, dims: Dims, slices: readonly number[]): Uint8Array {
  const length = dims[0] * dims[1];
  const data = new Uint8Array(slices.length * length);
  slices.forEach((k, n) => data.set(labels.subarray(k * length, (k + 1) * length), n * length));
  return data;
}
