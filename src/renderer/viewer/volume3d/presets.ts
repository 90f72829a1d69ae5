/**
 * Transfer-function presets for the 3D view, expressed in the same model as the simple TF editor:
 * control points of (value, opacity, colour). CT presets are in Hounsfield units; the MR preset is
 * derived from the data's own 1st/99th percentiles because MR intensities have no absolute scale.
 */
import type { VoxelArray } from '../../../shared/volume.js';

export type Preset3d = 'ct-bone' | 'ct-soft-tissue' | 'ct-lung' | 'mr-default';

export const PRESETS_3D: readonly Preset3d[] = ['ct-bone', 'ct-soft-tissue', 'ct-lung', 'mr-default'];

/** One control point; `color` is linear RGB in 0–1 (vtk's convention), opacity 0–1 per unit distance. */
export interface TransferPoint {
  value: number;
  opacity: number;
  color: [number, number, number];
}

export interface IntensityStats {
  p1: number;
  p99: number;
  min: number;
  max: number;
}

/** Values sampled for the percentiles; a strided sample is plenty for a 1%/99% estimate. */
const PERCENTILE_SAMPLES = 1 << 18;

/** 1st/99th percentiles and range of the data (from an evenly strided sample of at most 2^18 voxels). */
export function intensityStats(data: VoxelArray): IntensityStats {
  const n = data.length;
  if (n === 0) return { p1: 0, p99: 0, min: 0, max: 0 };
  const stride = Math.max(1, Math.floor(n / PERCENTILE_SAMPLES));
  const sample = new Float64Array(Math.ceil(n / stride));
  let count = 0;
  for (let i = 0; i < n; i += stride) sample[count++] = data[i]!;
  const sorted = sample.subarray(0, count).sort();
  const at = (q: number) => sorted[Math.min(count - 1, Math.max(0, Math.round(q * (count - 1))))]!;
  return { p1: at(0.01), p99: at(0.99), min: sorted[0]!, max: sorted[count - 1]! };
}

/** CT when the data reaches air-like values (signed and ≲ −500 at the 1st percentile). */
export function defaultPreset(stats: IntensityStats): Preset3d {
  return stats.p1 <= -500 ? 'ct-bone' : 'mr-default';
}

const BONE: TransferPoint[] = [
  { value: 120, opacity: 0, color: [0.85, 0.75, 0.6] },
  { value: 250, opacity: 0.35, color: [0.9, 0.82, 0.68] },
  { value: 700, opacity: 0.85, color: [0.96, 0.93, 0.86] },
  { value: 1500, opacity: 0.95, color: [1, 1, 0.98] },
];

// Fat (≈ −100) faint yellow, muscle and organs (≈ 40) red-brown and fairly opaque, bone white.
const SOFT_TISSUE: TransferPoint[] = [
  { value: -150, opacity: 0, color: [0.55, 0.25, 0.15] },
  { value: -60, opacity: 0.04, color: [0.85, 0.7, 0.45] },
  { value: 20, opacity: 0.25, color: [0.78, 0.38, 0.28] },
  { value: 300, opacity: 0.55, color: [0.95, 0.75, 0.6] },
  { value: 1000, opacity: 0.8, color: [1, 0.97, 0.92] },
];

// Aerated lung (−1000…−400): pure air stays transparent so the outside of the body disappears.
const LUNG: TransferPoint[] = [
  { value: -960, opacity: 0, color: [0.3, 0.5, 0.9] },
  { value: -880, opacity: 0.12, color: [0.45, 0.65, 0.95] },
  { value: -650, opacity: 0.3, color: [0.85, 0.55, 0.5] },
  { value: -400, opacity: 0.08, color: [0.95, 0.8, 0.7] },
  { value: -300, opacity: 0, color: [1, 0.9, 0.8] },
];

/** Greyscale ramp over the robust range: the darkest 5% stays transparent (background, noise). */
function mrPoints(stats: IntensityStats): TransferPoint[] {
  const lo = stats.p1;
  const hi = stats.p99 > lo ? stats.p99 : lo + 1;
  const span = hi - lo;
  return [
    { value: lo + 0.05 * span, opacity: 0, color: [0, 0, 0] },
    { value: lo + 0.4 * span, opacity: 0.12, color: [0.55, 0.55, 0.55] },
    { value: hi, opacity: 0.6, color: [1, 1, 1] },
  ];
}

/** The control points of a preset; `stats` is needed (and only used) by the MR preset. */
export function presetPoints(preset: Preset3d, stats: IntensityStats): TransferPoint[] {
  const copy = (points: TransferPoint[]) => points.map((p) => ({ ...p, color: [...p.color] as [number, number, number] }));
  switch (preset) {
    case 'ct-bone':
      return copy(BONE);
    case 'ct-soft-tissue':
      return copy(SOFT_TISSUE);
    case 'ct-lung':
      return copy(LUNG);
    case 'mr-default':
      return mrPoints(stats);
  }
}
