/**
 * Descriptive statistics for the agreement report: box plot summaries, least-squares fits, volume
 * differences and axis ticks. Pure functions on plain numbers.
 *
 * The metrics mark undefined values as NaN or ±Infinity (src/shared/metrics/agreement.ts). These are
 * left out of every statistic here and, where a caller has to say so, counted: an Infinity HD95 is
 * "no surface to measure to", not a very large distance, and must not drag a median or a fit.
 */

/** Tukey box plot summary of the finite values; every number is NaN when there are none (n = 0). */
export interface Quartiles {
  /** finite values summarised */
  n: number;
  /** non-finite values (NaN, ±Infinity) left out */
  excluded: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  /** the lowest data point at or above q1 − 1.5·IQR, or q1 when that point lies above q1 */
  whiskerLow: number;
  /** the highest data point at or below q3 + 1.5·IQR, or q3 when that point lies below q3 */
  whiskerHigh: number;
  /** values beyond the whiskers, ascending */
  outliers: number[];
}

export interface LinearFit {
  /** (x, y) pairs used: both finite */
  n: number;
  slope: number;
  intercept: number;
  /** coefficient of determination of the least-squares line (= Pearson r²) */
  r2: number;
}

/** Tukey's fence factor. */
const WHISKER_IQR = 1.5;

/** The finite values, in their order. */
export function finiteValues(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

/**
 * The `p`-quantile (0 ≤ p ≤ 1) of ascending, non-empty `sorted`, interpolating linearly between order
 * statistics: numpy's default (method 'linear', Hyndman & Fan type 7), as the metrics' HD95 uses.
 */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return at === lo ? below : below + (at - lo) * (above - below);
}

export function quartiles(values: readonly number[]): Quartiles {
  const sorted = finiteValues(values).sort((a, b) => a - b);
  const excluded = values.length - sorted.length;
  if (sorted.length === 0) {
    return { n: 0, excluded, min: NaN, q1: NaN, median: NaN, q3: NaN, max: NaN, whiskerLow: NaN, whiskerHigh: NaN, outliers: [] };
  }
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const lowFence = q1 - WHISKER_IQR * (q3 - q1);
  const highFence = q3 + WHISKER_IQR * (q3 - q1);
  const inside = sorted.filter((v) => v >= lowFence && v <= highFence);
  return {
    n: sorted.length,
    excluded,
    min: sorted[0]!,
    q1,
    median: quantileSorted(sorted, 0.5),
    q3,
    max: sorted[sorted.length - 1]!,
    // interpolated quartiles can lie beyond the last point within the fences (e.g. [0.28, 0.71, 0.80, 0.89]:
    // q1 0.60, lowest point inside 0.71); the whisker then ends at the box, as matplotlib draws it
    whiskerLow: Math.min(q1, inside[0] ?? q1),
    whiskerHigh: Math.max(q3, inside[inside.length - 1] ?? q3),
    outliers: sorted.filter((v) => v < lowFence || v > highFence),
  };
}

/** Mean of the finite values; NaN when there are none. */
export function mean(values: readonly number[]): number {
  const f = finiteValues(values);
  return f.length === 0 ? NaN : f.reduce((s, v) => s + v, 0) / f.length;
}

/** Centred sums of the pairs where both x and y are finite (centring first keeps large volumes exact enough). */
function centredSums(xs: readonly number[], ys: readonly number[]) {
  if (xs.length !== ys.length) throw new RangeError(`x and y differ in length: ${xs.length} vs ${ys.length}`);
  const px: number[] = [];
  const py: number[] = [];
  xs.forEach((x, i) => {
    const y = ys[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) px.push(x), py.push(y);
  });
  const n = px.length;
  const mx = n ? px.reduce((s, v) => s + v, 0) / n : NaN;
  const my = n ? py.reduce((s, v) => s + v, 0) / n : NaN;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = px[i]! - mx;
    const dy = py[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  return { n, mx, my, sxx, syy, sxy };
}

/**
 * Ordinary least squares y = slope·x + intercept over the pairs where both are finite. Slope and
 * intercept are NaN with fewer than 2 pairs or all x equal; r² is NaN also when all y are equal
 * (0/0: a flat line fits perfectly but explains no variance).
 */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  const { n, mx, my, sxx, syy, sxy } = centredSums(xs, ys);
  if (n < 2 || sxx === 0) return { n, slope: NaN, intercept: NaN, r2: NaN };
  const slope = sxy / sxx;
  return { n, slope, intercept: my - slope * mx, r2: syy === 0 ? NaN : (sxy * sxy) / (sxx * syy) };
}

/** Pearson's correlation over the pairs where both are finite; NaN with fewer than 2 pairs or no variance in x or y. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const { n, sxx, syy, sxy } = centredSums(xs, ys);
  if (n < 2 || sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** AI − reference, in ml and as a percentage of the reference (NaN when the reference is empty). */
export function volumeDifference(referenceMl: number, aiMl: number): { ml: number; percent: number } {
  const ml = aiMl - referenceMl;
  return { ml, percent: referenceMl > 0 ? (ml / referenceMl) * 100 : NaN };
}

/**
 * About `count` evenly spaced axis ticks at 1, 2 or 5 × 10^k that cover [min, max]: the first tick is
 * at or below min and the last at or above max, so the ticks' ends make the axis range. Empty when a
 * bound is not finite; a zero-width range is widened around its value.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / Math.max(1, Math.round(count)));
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  // the tolerance keeps float quotients such as 0.3 / 0.1 = 2.9999999999999996 from adding a tick
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(Math.min(digits, 100))) || 0); // `|| 0`: no -0
  return ticks;
}

/** The 1, 2 or 5 × 10^k nearest `raw` (geometrically), as d3's tick steps are chosen. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / power;
  return power * (ratio >= Math.sqrt(50) ? 10 : ratio >= Math.sqrt(10) ? 5 : ratio >= Math.sqrt(2) ? 2 : 1);
}
