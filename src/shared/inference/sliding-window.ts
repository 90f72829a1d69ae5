/**
 * Sliding-window inference helpers (nnU-Net's predict_sliding_window_return_logits, in pieces).
 *
 * Every array here is a row-major tensor with the last axis fastest: dims are [D, H, W] (slowest first) and
 * multi-channel data is [C, D, H, W]. One channel of it is the tensor-ordered grid of conform.ts.
 */
import type { Vec3 } from '../volume.js';

/** Tile start positions along one axis: size − patch split into even steps of at most patch · (1 − overlap). */
export function tileStarts(size: number, patch: number, overlap: number): number[] {
  if (size <= patch) return [0];
  const target = patch * (1 - overlap);
  // nnU-Net: ceil((size − patch) / step) + 1 steps; the epsilon keeps 1 − 0.9 = 0.0999… from adding a step
  const steps = Math.ceil((size - patch) / target - 1e-9) + 1;
  const actual = (size - patch) / (steps - 1);
  const starts: number[] = [];
  for (let s = 0; s < steps; s++) {
    const start = roundHalfEven(actual * s); // np.round
    if (starts[starts.length - 1] !== start) starts.push(start); // a step below one voxel would repeat
  }
  return starts;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface Tile {
  /** first voxel [d, h, w] */
  start: Vec3;
}

/** All tiles covering dims [D, H, W], D outermost and W innermost. */
export function planTiles(dims: Vec3, patch: Vec3, overlap: number): Tile[] {
  const [sd, sh, sw] = [0, 1, 2].map((a) => tileStarts(dims[a]!, patch[a]!, overlap));
  const tiles: Tile[] = [];
  for (const d of sd!) for (const h of sh!) for (const w of sw!) tiles.push({ start: [d, h, w] });
  return tiles;
}

/**
 * nnU-Net's Gaussian importance map for a patch [pd, ph, pw]: a unit impulse at the centre (index ⌊p/2⌋)
 * smoothed by scipy's gaussian_filter with sigma = p · sigmaScale (truncate 4, constant 0 outside), scaled
 * so the maximum is 1, and zeros replaced by the smallest non-zero value (no voxel may weigh nothing).
 * The impulse response is separable, so each value is Π exp(−x²/2σ²) within radius ⌊4σ + 0.5⌋, else 0.
 */
export function gaussianImportance(patch: Vec3, sigmaScale: number): Float32Array {
  const profiles = patch.map((p) => {
    const sigma = p * sigmaScale;
    const radius = Math.floor(4 * sigma + 0.5);
    const centre = Math.floor(p / 2);
    return Float64Array.from({ length: p }, (_, x) => (Math.abs(x - centre) <= radius ? Math.exp(-0.5 * ((x - centre) / sigma) ** 2) : 0));
  });
  const [pd, ph, pw] = patch;
  const out = new Float32Array(pd * ph * pw);
  let n = 0;
  for (let d = 0; d < pd; d++) for (let h = 0; h < ph; h++) for (let w = 0; w < pw; w++) out[n++] = profiles[0]![d]! * profiles[1]![h]! * profiles[2]![w]!;
  let smallest = Infinity;
  for (const v of out) if (v > 0 && v < smallest) smallest = v;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = smallest;
  return out;
}

/**
 * Weighted average of overlapping tile predictions: sums weight · prediction per channel and the weights
 * per voxel, then divides. Tiles may hang over the volume's edge (volume smaller than the patch); the part
 * outside is ignored. Sums are float32, as in nnU-Net.
 */
export class TileAccumulator {
  readonly sums: Float32Array;
  readonly totals: Float32Array;

  constructor(
    readonly channels: number,
    readonly dims: Vec3,
  ) {
    const n = dims[0] * dims[1] * dims[2];
    this.sums = new Float32Array(channels * n);
    this.totals = new Float32Array(n);
  }

  /** tileData [C, pd, ph, pw] of the tile at `start` [d, h, w]; weights [pd, ph, pw], or null for weight 1. */
  add(tileData: Float32Array, start: Vec3, patch: Vec3, weights: Float32Array | null): void {
    const [D, H, W] = this.dims;
    const [pd, ph, pw] = patch;
    const tileVoxels = pd * ph * pw;
    if (tileData.length !== this.channels * tileVoxels) throw new RangeError(`tile holds ${tileData.length} values, expected ${this.channels}×${tileVoxels}`);
    if (weights && weights.length !== tileVoxels) throw new RangeError(`weights hold ${weights.length} values, expected ${tileVoxels}`);
    const volumeVoxels = D * H * W;
    const dEnd = Math.min(pd, D - start[0]);
    const hEnd = Math.min(ph, H - start[1]);
    const wEnd = Math.min(pw, W - start[2]);
    for (let d = 0; d < dEnd; d++)
      for (let h = 0; h < hEnd; h++) {
        const t = (d * ph + h) * pw;
        const v = ((start[0] + d) * H + start[1] + h) * W + start[2];
        for (let w = 0; w < wEnd; w++) this.totals[v + w]! += weights ? weights[t + w]! : 1;
        for (let c = 0; c < this.channels; c++) {
          const tc = c * tileVoxels + t;
          const vc = c * volumeVoxels + v;
          if (weights) for (let w = 0; w < wEnd; w++) this.sums[vc + w]! += tileData[tc + w]! * weights[t + w]!;
          else for (let w = 0; w < wEnd; w++) this.sums[vc + w]! += tileData[tc + w]!;
        }
      }
  }

  /** The average [C, D, H, W] (0 where no tile reached). Divides in place and returns `sums`: call once. */
  result(): Float32Array {
    const n = this.totals.length;
    for (let c = 0; c < this.channels; c++)
      for (let v = 0; v < n; v++) {
        const total = this.totals[v]!;
        this.sums[c * n + v] = total > 0 ? this.sums[c * n + v]! / total : 0;
      }
    return this.sums;
  }
}

/** The patch [pd, ph, pw] of a single-channel volume [D, H, W] at `start`, zero where it passes the edge. */
export function extractTile(volume: Float32Array, dims: Vec3, start: Vec3, patch: Vec3): Float32Array {
  const [, H, W] = dims;
  const [pd, ph, pw] = patch;
  const out = new Float32Array(pd * ph * pw);
  const dEnd = Math.min(pd, dims[0] - start[0]);
  const hEnd = Math.min(ph, H - start[1]);
  const wEnd = Math.min(pw, W - start[2]);
  for (let d = 0; d < dEnd; d++)
    for (let h = 0; h < hEnd; h++) {
      const from = ((start[0] + d) * H + start[1] + h) * W + start[2];
      out.set(volume.subarray(from, from + wEnd), (d * ph + h) * pw);
    }
  return out;
}

/**
 * A copy of data ([D, H, W] or [C, D, H, W]; C defaults to length / voxels) reversed along the given axes
 * (0 = D, 1 = H, 2 = W), for test-time mirroring. Mirroring twice gives the original back.
 */
export function mirror(data: Float32Array, dims: Vec3, axes: readonly number[], channels = data.length / (dims[0] * dims[1] * dims[2])): Float32Array {
  const [D, H, W] = dims;
  const voxels = D * H * W;
  if (!Number.isInteger(channels) || channels * voxels !== data.length) throw new RangeError(`${data.length} values is not ${channels} channel(s) of ${D}×${H}×${W}`);
  const [fd, fh, fw] = [axes.includes(0), axes.includes(1), axes.includes(2)];
  const out = new Float32Array(data.length);
  for (let c = 0; c < channels; c++)
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++) {
        const to = c * voxels + (d * H + h) * W;
        const from = c * voxels + ((fd ? D - 1 - d : d) * H + (fh ? H - 1 - h : h)) * W;
        if (!fw) out.set(data.subarray(from, from + W), to);
        else for (let w = 0; w < W; w++) out[to + w] = data[from + W - 1 - w]!;
      }
  return out;
}

/** A box of voxels: first voxel and size, both [d, h, w]. */
export interface Box {
  start: Vec3;
  size: Vec3;
}

/**
 * Bounding box of the voxels > threshold in [D, H, W], grown by `margin` voxels on every side and clamped to
 * the volume; null when no voxel exceeds the threshold (then use the whole volume).
 */
export function cropBox(data: Float32Array, dims: Vec3, threshold: number, margin: number): Box | null {
  const [D, H, W] = dims;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  let n = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++, n++) {
        if (!(data[n]! > threshold)) continue;
        if (d < lo[0]!) lo[0] = d;
        if (d > hi[0]!) hi[0] = d;
        if (h < lo[1]!) lo[1] = h;
        if (h > hi[1]!) hi[1] = h;
        if (w < lo[2]!) lo[2] = w;
        if (w > hi[2]!) hi[2] = w;
      }
  if (hi[0]! < 0) return null;
  const start = lo.map((v) => Math.max(0, v - margin)) as Vec3;
  const end = hi.map((v, a) => Math.min(dims[a]! - 1, v + margin));
  return { start, size: end.map((e, a) => e - start[a]! + 1) as Vec3 };
}

type Voxels = Float32Array | Uint8Array | Uint16Array;

/** The box's voxels of data [C, D, H, W] (C = 1 for a volume) as [C, ...box.size], the same array type. */
export function extractBox<T extends Voxels>(data: T, dims: Vec3, box: Box, channels = 1): T {
  const [, H, W] = dims;
  const [bd, bh, bw] = box.size;
  const out = new (data.constructor as new (n: number) => T)(channels * bd * bh * bw);
  for (let c = 0; c < channels; c++)
    for (let d = 0; d < bd; d++)
      for (let h = 0; h < bh; h++) {
        const from = ((c * dims[0] + box.start[0] + d) * H + box.start[1] + h) * W + box.start[2];
        out.set(data.subarray(from, from + bw) as never, ((c * bd + d) * bh + h) * bw);
      }
  return out;
}

/** The inverse of extractBox: a full [C, D, H, W] array of `fill` with the box's data put back in place. */
export function pasteBox<T extends Voxels>(boxData: T, dims: Vec3, box: Box, channels = 1, fill = 0): T {
  const [D, H, W] = dims;
  const [bd, bh, bw] = box.size;
  const out = new (boxData.constructor as new (n: number) => T)(channels * D * H * W);
  if (fill !== 0) out.fill(fill);
  for (let c = 0; c < channels; c++)
    for (let d = 0; d < bd; d++)
      for (let h = 0; h < bh; h++) {
        const from = ((c * bd + d) * bh + h) * bw;
        out.set(boxData.subarray(from, from + bw) as never, ((c * D + box.start[0] + d) * H + box.start[1] + h) * W + box.start[2]);
      }
  return out;
}
