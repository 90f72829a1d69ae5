/**
 * Intensity normalisation of the model input, in place (see NormalisationStepSchema in manifest.ts).
 *
 * Non-finite voxels (NaN, ±Infinity) are left out of every statistic and written as 0 by every step, so the
 * model never sees them. Statistics are accumulated in float64. A constant image never divides by zero.
 */
import type { NormalisationStep } from './manifest.js';

export function normalise(data: Float32Array, steps: NormalisationStep[]): void {
  // the value range a step left behind, when it measured it on the way (saves min-max a pass)
  let known: Range | null = null;
  for (const step of steps) {
    const previous = known;
    known = null;
    switch (step.kind) {
      case 'min-max': {
        const { min, max } = previous ?? range(data);
        // a constant (or empty) image becomes 0
        transform(data, -Infinity, Infinity, min, max > min ? max - min : 1);
        break;
      }
      case 'percentile-clip': {
        const stats = range(data);
        const lo = percentileIn(data, Math.min(step.lower, step.upper), stats);
        const hi = percentileIn(data, Math.max(step.lower, step.upper), stats);
        transform(data, lo, hi, 0, 1);
        break;
      }
      case 'z-score':
        zScore(data, step.nonZero ?? false);
        break;
      case 'fixed-z-score': {
        transform(data, -Infinity, Infinity, step.mean, step.std);
        break;
      }
      case 'ct-window': {
        const lo = step.center - step.width / 2;
        const hi = step.center + step.width / 2;
        transform(data, lo, hi, lo, step.width);
        break;
      }
      case 'robust-uint8':
        known = robustUint8(data, step.upperQuantile ?? 0.999);
        break;
      default: {
        const never: never = step;
        throw new Error(`unknown normalisation ${(never as { kind: string }).kind}`);
      }
    }
  }
}

/**
 * v → (clamp(v, lo, hi) − shift) / divisor for finite voxels (zeros untouched with keepZero), 0 for the
 * rest: one monomorphic loop serves every step.
 */
function transform(data: Float32Array, lo: number, hi: number, shift: number, divisor: number, keepZero = false): void {
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (v - v !== 0) data[n] = 0; // NaN or ±Infinity
    else if (!(keepZero && v === 0)) data[n] = ((v < lo ? lo : v > hi ? hi : v) - shift) / divisor;
  }
}

interface Range {
  min: number;
  max: number;
  count: number;
}

function range(data: Float32Array): Range {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (v - v !== 0) continue; // NaN or ±Infinity
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, count };
}

/**
 * (v − mean) / max(std, 1e-8) with the population std (nnU-Net's ZScoreNormalization). With `nonZero` the
 * statistics come from the non-zero voxels and only those are changed; zeros stay 0 (nnU-Net's
 * use_mask_for_norm, MONAI's NormalizeIntensity(nonzero=True)).
 */
function zScore(data: Float32Array, nonZero: boolean): void {
  let count = 0;
  let sum = 0;
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (v - v === 0 && !(nonZero && v === 0)) (count++, (sum += v));
  }
  if (count === 0) return transform(data, 0, 0, 0, 1);
  const mean = sum / count;
  let squares = 0; // two passes: no catastrophic cancellation
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (v - v === 0 && !(nonZero && v === 0)) squares += (v - mean) * (v - mean);
  }
  const std = Math.max(Math.sqrt(squares / count), 1e-8);
  transform(data, -Infinity, Infinity, mean, std, nonZero);
}

/**
 * The p-th percentile (0–100) of the finite voxels, with numpy's default 'linear' method: the sorted value
 * at fractional rank p/100 · (n − 1), interpolated. Exact: order statistics are found by selection
 * (histogram narrowing, then quickselect in one bucket), not approximated by a histogram; memory stays
 * small even for 10⁸ voxels. NaN when there is no finite voxel.
 */
export function percentile(data: Float32Array, p: number): number {
  return percentileIn(data, p, range(data));
}

function percentileIn(data: Float32Array, p: number, { min, max, count }: { min: number; max: number; count: number }): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0–100`);
  if (count === 0) return NaN;
  const rank = (p / 100) * (count - 1);
  const k = Math.floor(rank);
  const t = rank - k;
  const [a, b] = orderStatistics(data, k, min, max);
  if (t === 0) return a;
  // numpy's _lerp, which is exact at both ends
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

const BINS = 4096;
const GATHER_LIMIT = 1 << 20;

/**
 * The k-th and (k+1)-th smallest (0-based) finite values, given the finite min and max (the second is the
 * first again when k is the last rank). Each round histograms the values in [lo, hi]; bins are monotone in
 * value, so the bin holding rank k is found by counting, and either gathered (small) or narrowed into.
 */
function orderStatistics(data: Float32Array, k: number, min: number, max: number): [number, number] {
  let lo = min;
  let hi = max;
  let rank = k; // rank among the values in [lo, hi]
  let above = Infinity; // smallest value known to lie above [lo, hi]
  const counts = new Float64Array(BINS);
  const binMin = new Float64Array(BINS);
  const binMax = new Float64Array(BINS);
  if (lo === hi) return [lo, lo];
  for (let round = 0; ; round++) {
    const scale = BINS / (hi - lo);
    counts.fill(0);
    binMin.fill(Infinity);
    binMax.fill(-Infinity);
    for (let n = 0; n < data.length; n++) {
      const v = data[n]!;
      if (!(v >= lo && v <= hi)) continue; // also drops NaN
      let b = ((v - lo) * scale) | 0;
      if (b >= BINS) b = BINS - 1;
      counts[b]! += 1;
      if (v < binMin[b]!) binMin[b] = v;
      if (v > binMax[b]!) binMax[b] = v;
    }
    let b = 0;
    while (rank >= counts[b]!) rank -= counts[b++]!;
    let following = b + 1;
    while (following < BINS && counts[following] === 0) following++;
    if (following < BINS) above = binMin[following]!;
    if (binMin[b] === binMax[b]) return [binMin[b]!, rank + 1 < counts[b]! || above === Infinity ? binMin[b]! : above];
    if (counts[b]! <= GATHER_LIMIT || round > 64) {
      const values = new Float64Array(counts[b]!);
      let m = 0;
      const [bLo, bHi] = [binMin[b]!, binMax[b]!];
      for (let n = 0; n < data.length; n++) {
        const v = data[n]!;
        if (v >= bLo && v <= bHi) values[m++] = v;
      }
      const kth = quickselect(values, rank);
      // quickselect leaves everything after `rank` ≥ the k-th: the next order statistic is their minimum
      let next = above;
      for (let i = rank + 1; i < values.length; i++) if (values[i]! < next) next = values[i]!;
      return [kth, next === Infinity ? kth : next];
    }
    [lo, hi] = [binMin[b]!, binMax[b]!]; // strictly narrower: terminates
  }
}

function quickselect(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const pivot = values[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k]!;
}

/** numpy's rint: round half to even. */
function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * FastSurfer conform.py `getscale(data, 0, 255, f_low=0, f_high=upperQuantile)` + `scalecrop`, then
 * conform's rint and clip to 0..255:
 * - histogram of 1000 equal bins from min to max (numpy.histogram: edges = min + i·(max − min)/1000, the last
 *   edge exactly max, the top bin closed), cumulative counts cum[0] = 0, cum[i + 1] = cum[i] + hist[i];
 * - upper cutoff = N − int((1 − f_high) · nonzero) with nonzero = #|v| ≥ 1e-15; src_max = edge[i − 2] for the
 *   first i with cum[i] ≥ cutoff (negative indices count from the end, as in Python);
 * - src_min: FastSurfer takes the histogram's lower edge (the min); here it is 0 whenever min ≥ 0, so the
 *   range runs from 0 as the manifest documents (identical for the usual MR image whose background is 0);
 * - v → clip(255 · (v − src_min) / (src_max − src_min), 0, 255) (scale 1 when src_max = src_min), rounded
 *   half to even; as conform does, a voxel that was exactly 0 stays 0.
 * Deviations: N counts finite voxels only; the histogram is computed in float64 (numpy uses float32 edges for
 * float32 input, which can move a value sitting on an edge by one bin). A constant image becomes all 0.
 */
/** Returns the range of what it wrote (every voxel is finite afterwards). */
function robustUint8(data: Float32Array, fHigh: number): Range {
  const { min, max, count } = range(data);
  if (count === 0 || !(max > min)) {
    transform(data, 0, 0, 0, 1);
    return range(data);
  }
  const bins = 1000;
  const step = (max - min) / bins;
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = i * step + min;
  edges[bins] = max;
  const hist = new Float64Array(bins);
  let nonZero = 0;
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (!Number.isFinite(v)) continue;
    if (Math.abs(v) >= 1e-15) nonZero++;
    // numpy's index and its one-ulp corrections against the edges
    let b = Math.floor(((v - min) / (max - min)) * bins);
    if (b === bins) b--;
    if (v < edges[b]!) b--;
    else if (b !== bins - 1 && v >= edges[b + 1]!) b++;
    hist[b]! += 1;
  }
  const cutoff = count - Math.trunc((1 - fHigh) * nonZero);
  let index = -1; // no index found: the last edge (conform.py's fallback)
  for (let i = 0, cum = 0; i <= bins; i++) {
    if (cum >= cutoff) {
      index = i - 2;
      break;
    }
    if (i < bins) cum += hist[i]!;
  }
  const srcMax = edges[index < 0 ? bins + 1 + index : index]!;
  const srcMin = min >= 0 ? 0 : min;
  const scale = srcMax === srcMin ? 1 : 255 / (srcMax - srcMin);
  let outMin = Infinity;
  let outMax = -Infinity;
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    let out = 0; // non-finite, or conform's "zero stays zero"
    if (v - v === 0 && v !== 0) {
      const scaled = scale * (v - srcMin);
      out = rint(scaled < 0 ? 0 : scaled > 255 ? 255 : scaled);
    }
    data[n] = out;
    if (out < outMin) outMin = out;
    if (out > outMax) outMax = out;
  }
  return { min: outMin, max: outMax, count: data.length };
}
