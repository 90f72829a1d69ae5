/**
 * The scanline flood both flood fill and fill-holes use: row spans wait on a growable typed stack,
 * each popped span is widened to the full runs of "inside" voxels it touches, the runs are handed to
 * `fillRun` (which must make them no longer inside), and the rows above and below in j and k are
 * queued. 6-connected; `min`/`max` bound the fill (a single slice for 2D fills).
 */
import type { Vec3 } from '../volume.js';

export class ScanlineFill {
  private stack = new Int32Array(1024);
  private top = 0;

  constructor(
    private readonly dims: Vec3,
    private readonly min: Vec3,
    private readonly max: Vec3,
  ) {}

  /** Queue the span [i0, i1] of row (j, k). */
  push(j: number, k: number, i0: number, i1: number): void {
    if (this.top + 4 > this.stack.length) {
      const bigger = new Int32Array(this.stack.length * 2);
      bigger.set(this.stack);
      this.stack = bigger;
    }
    const s = this.stack;
    s[this.top++] = j;
    s[this.top++] = k;
    s[this.top++] = i0;
    s[this.top++] = i1;
  }

  /** Fill from every queued span until none is left. */
  run(inside: (index: number) => boolean, fillRun: (row: number, left: number, right: number, j: number, k: number) => void): void {
    const [nx, ny] = this.dims;
    const { min, max } = this;
    while (this.top > 0) {
      const s = this.stack;
      const i1 = s[--this.top]!;
      const i0 = s[--this.top]!;
      const k = s[--this.top]!;
      const j = s[--this.top]!;
      const row = nx * (j + ny * k);
      for (let i = i0; i <= i1; i++) {
        if (!inside(row + i)) continue;
        let left = i;
        while (left > min[0] && inside(row + left - 1)) left--;
        let right = i;
        while (right < max[0] && inside(row + right + 1)) right++;
        fillRun(row, left, right, j, k);
        if (j > min[1]) this.push(j - 1, k, left, right);
        if (j < max[1]) this.push(j + 1, k, left, right);
        if (k > min[2]) this.push(j, k - 1, left, right);
        if (k < max[2]) this.push(j, k + 1, left, right);
        i = right;
      }
    }
  }
}
