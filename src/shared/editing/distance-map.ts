/**
 * Exact Euclidean distance transforms of a binary mask in millimetres, honouring anisotropic spacing.
 * The first axis is a two-way scan over the binary rows; the other axes run Felzenszwalb &
 * Huttenlocher's lower envelope of parabolas (linear time per line), so the whole transform is O(n).
 * Columns are gathered 16 at a time into a small buffer: a column along z has a stride of nx·ny
 * elements, and reading it one voxel at a time would miss the cache on every read.
 *
 * Distances run between voxel centres. A 2D slice is the same computation on a grid of depth 1.
 */
import type { Vec3 } from '../volume.js';
import type { RegionMask } from './grid.js';
import type { Vec2 } from './slices.js';

/** Which voxels distances are measured to: 1 = the voxels in the mask, 0 = the voxels outside it. */
export type DistanceTarget = 0 | 1;

const BLOCK = 16;

/**
 * Squared distance (mm²) from every voxel centre to the nearest voxel whose mask value is `target`
 * (non-zero counts as 1); 0 on those voxels, Infinity everywhere when there are none.
 * Values above `limit` (mm²) come back as Infinity: a caller that thresholds the map loses nothing,
 * and every pass skips what is already beyond it (a partial sum only grows in later passes).
 */
export function squaredDistanceMap(mask: RegionMask, dims: Vec3, spacing: Vec3, target: DistanceTarget = 1, limit = Infinity): Float32Array {
  const [nx, ny, nz] = dims;
  if (mask.length !== nx * ny * nz) throw new RangeError(`mask has ${mask.length} voxels, grid ${dims.join('×')} has ${nx * ny * nz}`);
  const out = new Float32Array(mask.length);
  scanRows(mask, out, nx, ny * nz, spacing[0], target === 1, limit);
  if (ny > 1) envelopePass(out, dims, 1, spacing[1], limit);
  if (nz > 1) envelopePass(out, dims, 2, spacing[2], limit);
  return out;
}

/** Distance (mm) from every voxel centre to the nearest voxel whose mask value is `target`. */
export function distanceMap3d(mask: RegionMask, dims: Vec3, spacing: Vec3, target: DistanceTarget = 1): Float32Array {
  const d = squaredDistanceMap(mask, dims, spacing, target);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]!);
  return d;
}

/** `distanceMap3d` for one 2D slice of `width`×`height` pixels (x fastest), spacing in mm per axis. */
export function distanceMap2d(mask: RegionMask, width: number, height: number, spacing: Vec2, target: DistanceTarget = 1): Float32Array {
  return distanceMap3d(mask, [width, height, 1], [spacing[0], spacing[1], 1], target);
}

/**
 * Signed distance (mm) between voxel centres: negative inside (minus the distance to the nearest
 * outside voxel), positive outside (the distance to the nearest inside voxel), so it jumps by a whole
 * voxel across the boundary. -Infinity / +Infinity when the mask is full / empty. Takes two full-size
 * Float32 maps.
 */
export function signedDistanceMap(mask: RegionMask, dims: Vec3, spacing: Vec3): Float32Array {
  const toInside = squaredDistanceMap(mask, dims, spacing, 1);
  const toOutside = squaredDistanceMap(mask, dims, spacing, 0);
  for (let i = 0; i < toInside.length; i++) {
    const a = toInside[i]!;
    toInside[i] = a > 0 ? Math.sqrt(a) : -Math.sqrt(toOutside[i]!);
  }
  return toInside;
}

/**
 * Signed distance (mm) of each pixel of a 2D slice to its boundary, taken as the midpoints between
 * face neighbours that differ (one inside, one outside). Pixels beside the boundary are at ±half a
 * pixel, so the map samples a continuous signed distance (slope 1 across the edge), which is what
 * blending two of them needs; centre-to-centre distances jump by a whole pixel there and make a blend
 * stick to one shape. Negative inside. A slice that is all inside has no boundary in it: it measures
 * to the slice's edge. All outside gives +Infinity. Runs on a grid of twice the resolution, where the
 * midpoints are lattice points: four times the pixels, one transform.
 */
export function boundarySignedDistance2d(mask: RegionMask, width: number, height: number, spacing: Vec2): Float32Array {
  const [sx, sy] = spacing;
  const w2 = 2 * width - 1;
  const edges = new Uint8Array(w2 * (2 * height - 1));
  let any = false;
  let inside = false;
  for (let b = 0, p = 0; b < height; b++) {
    for (let a = 0; a < width; a++, p++) {
      const m = mask[p] !== 0;
      inside ||= m;
      if (a + 1 < width && m !== (mask[p + 1] !== 0)) {
        edges[2 * a + 1 + w2 * 2 * b] = 1;
        any = true;
      }
      if (b + 1 < height && m !== (mask[p + width] !== 0)) {
        edges[2 * a + w2 * (2 * b + 1)] = 1;
        any = true;
      }
    }
  }
  const out = new Float32Array(width * height);
  if (!any) {
    for (let b = 0, p = 0; b < height; b++) {
      const toEdge = (Math.min(b, height - 1 - b) + 0.5) * sy;
      for (let a = 0; a < width; a++, p++) out[p] = inside ? -Math.min(toEdge, (Math.min(a, width - 1 - a) + 0.5) * sx) : Infinity;
    }
    return out;
  }
  const d2 = squaredDistanceMap(edges, [w2, 2 * height - 1, 1], [sx / 2, sy / 2, 1], 1);
  for (let b = 0, p = 0; b < height; b++) {
    for (let a = 0; a < width; a++, p++) {
      const d = Math.sqrt(d2[2 * a + w2 * 2 * b]!);
      out[p] = mask[p] !== 0 ? -d : d;
    }
  }
  return out;
}

/** First axis: squared distance along each row to the nearest target voxel, from a forward and a backward scan. */
function scanRows(mask: RegionMask, out: Float32Array, nx: number, rows: number, sx: number, toInside: boolean, limit: number): void {
  const s2 = sx * sx;
  for (let r = 0, base = 0; r < rows; r++, base += nx) {
    let last = -Infinity; // index of the last target voxel seen
    for (let i = 0; i < nx; i++) {
      if ((mask[base + i] !== 0) === toInside) last = i;
      out[base + i] = i - last; // Infinity while none seen
    }
    last = Infinity;
    for (let i = nx - 1; i >= 0; i--) {
      if ((mask[base + i] !== 0) === toInside) last = i;
      const steps = Math.min(out[base + i]!, last - i);
      const d = steps * steps * s2;
      out[base + i] = d > limit ? Infinity : d;
    }
  }
}

/** Replace every line along `axis` (1 or 2) of `f` by its 1D squared distance transform, in place. */
function envelopePass(f: Float32Array, dims: Vec3, axis: 1 | 2, spacing: number, limit: number): void {
  const [nx, ny, nz] = dims;
  const n = dims[axis];
  const stride = axis === 1 ? nx : nx * ny;
  const outerCount = axis === 1 ? nz : ny;
  const outerStep = axis === 1 ? nx * ny : nx;
  const block = new Float64Array(BLOCK * n);
  const scratch = new Envelope(n);
  for (let o = 0; o < outerCount; o++) {
    const base = o * outerStep;
    for (let i0 = 0; i0 < nx; i0 += BLOCK) {
      const width = Math.min(BLOCK, nx - i0);
      for (let q = 0, at = base + i0; q < n; q++, at += stride) {
        for (let b = 0; b < width; b++) block[b * n + q] = f[at + b]!;
      }
      for (let b = 0; b < width; b++) scratch.transform(block, b * n, spacing * spacing);
      for (let q = 0, at = base + i0; q < n; q++, at += stride) {
        for (let b = 0; b < width; b++) {
          const d = block[b * n + q]!;
          f[at + b] = d > limit ? Infinity : d;
        }
      }
    }
  }
}

/** Buffers for the 1D lower envelope of parabolas s²·(q − p)² + f(p) over one line of length n. */
class Envelope {
  private readonly g: Float64Array; // copy of the input line
  private readonly v: Int32Array; // positions of the parabolas in the envelope, left to right
  private readonly h: Float64Array; // their f(p) + s²p²
  private readonly z: Float64Array; // where each one starts being the lowest

  constructor(private readonly n: number) {
    this.g = new Float64Array(n);
    this.v = new Int32Array(n);
    this.h = new Float64Array(n);
    this.z = new Float64Array(n + 1);
  }

  /** d(q) = min_p s²(q − p)² + f(p) over buf[offset .. offset + n), in place; Infinity samples have no parabola. */
  transform(buf: Float64Array, offset: number, s2: number): void {
    const { n, g, v, h, z } = this;
    for (let q = 0; q < n; q++) g[q] = buf[offset + q]!;
    let k = -1;
    for (let q = 0; q < n; q++) {
      const fq = g[q]!;
      if (fq === Infinity) continue;
      // inside a run of zeros (a region's interior) only the run's ends can be nearest to anything
      // outside the run, and inside it the answer is 0: most of a large mask costs no parabola
      if (fq === 0 && q > 0 && q < n - 1 && g[q - 1] === 0 && g[q + 1] === 0) continue;
      const hq = fq + s2 * q * q;
      let start = -Infinity;
      // pop the parabolas that the one at q hides; z[0] = -Infinity stops this at k = 0
      while (k >= 0) {
        start = (hq - h[k]!) / (2 * s2 * (q - v[k]!)); // where q's parabola gets below the top one
        if (start > z[k]!) break;
        k--;
      }
      k++;
      v[k] = q;
      h[k] = hq;
      z[k] = k === 0 ? -Infinity : start;
    }
    if (k < 0) return; // nothing to measure to on this line: it stays Infinity
    z[k + 1] = Infinity;
    for (let q = 0, j = 0; q < n; q++) {
      while (z[j + 1]! < q) j++;
      const p = v[j]!;
      const d = s2 * (q - p) * (q - p) + g[p]!;
      buf[offset + q] = g[q]! < d ? g[q]! : d; // a skipped zero stays 0
    }
  }
}
