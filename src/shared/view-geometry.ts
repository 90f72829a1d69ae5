/**
 * How a slice view shows a volume: which voxel index axis runs left→right, which top→bottom, which one
 * the view scrolls through, and whether each is flipped, so that every view follows the radiological
 * convention whatever the acquisition orientation:
 *   axial:    patient Left to screen right, Posterior down (Anterior up)
 *   coronal:  patient Left to screen right, Inferior down
 *   sagittal: Posterior to screen right (Anterior left), Inferior down
 * Views are voxel-aligned (no oblique reformat): an oblique acquisition shows in the nearest plane,
 * and the orientation letters then say e.g. "LA".
 */
import { axisVector, dot, norm, type Mat4 } from './geometry.js';
import type { Vec3 } from './volume.js';

export type ViewOrientation = 'axial' | 'coronal' | 'sagittal';
export const VIEW_ORIENTATIONS: readonly ViewOrientation[] = ['axial', 'coronal', 'sagittal'];

const SCREEN_AXES: Record<ViewOrientation, { right: Vec3; down: Vec3 }> = {
  axial: { right: [1, 0, 0], down: [0, 1, 0] },
  coronal: { right: [1, 0, 0], down: [0, 0, -1] },
  sagittal: { right: [0, 1, 0], down: [0, 0, -1] },
};

export interface ViewMapping {
  orientation: ViewOrientation;
  /** index axis shown horizontally / vertically / scrolled through */
  horizontal: 0 | 1 | 2;
  vertical: 0 | 1 | 2;
  slice: 0 | 1 | 2;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** screen size of the slice in voxels, and the mm per voxel along each screen axis */
  width: number;
  height: number;
  mmPerPixelX: number;
  mmPerPixelY: number;
  /** patient-direction letters at the screen edges */
  labels: { left: string; right: string; top: string; bottom: string };
}

const unit = (v: Vec3): Vec3 => {
  const n = norm(v) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
};

/** Letters for a patient-space direction, strongest component first (L/R, P/A, S/I). */
export function directionLetters(v: Vec3): string {
  const letters: [number, string][] = [
    [v[0], v[0] > 0 ? 'L' : 'R'],
    [v[1], v[1] > 0 ? 'P' : 'A'],
    [v[2], v[2] > 0 ? 'S' : 'I'],
  ];
  return letters
    .filter(([c]) => Math.abs(c) > 0.3)
    .sort((a, b) => Math.abs(b[0]) - Math.abs(a[0]))
    .map(([, l]) => l)
    .join('');
}

export function viewMapping(orientation: ViewOrientation, dims: Vec3, affineLps: Mat4): ViewMapping {
  const { right, down } = SCREEN_AXES[orientation];
  const dirs = ([0, 1, 2] as const).map((a) => unit(axisVector(affineLps, a)));
  const spacing = ([0, 1, 2] as const).map((a) => norm(axisVector(affineLps, a)));
  const pick = (target: Vec3, exclude: number[]) =>
    ([0, 1, 2] as const).filter((a) => !exclude.includes(a)).reduce((best, a) => (Math.abs(dot(dirs[a]!, target)) > Math.abs(dot(dirs[best]!, target)) ? a : best));
  const horizontal = pick(right, []);
  const vertical = pick(down, [horizontal]);
  const slice = ([0, 1, 2] as const).find((a) => a !== horizontal && a !== vertical)!;
  const flipHorizontal = dot(dirs[horizontal]!, right) < 0;
  const flipVertical = dot(dirs[vertical]!, down) < 0;
  const screenRight = dirs[horizontal]!.map((c) => (flipHorizontal ? -c : c)) as Vec3;
  const screenDown = dirs[vertical]!.map((c) => (flipVertical ? -c : c)) as Vec3;
  const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]];
  return {
    orientation,
    horizontal,
    vertical,
    slice,
    flipHorizontal,
    flipVertical,
    width: dims[horizontal],
    height: dims[vertical],
    mmPerPixelX: spacing[horizontal]!,
    mmPerPixelY: spacing[vertical]!,
    labels: { right: directionLetters(screenRight), left: directionLetters(neg(screenRight)), bottom: directionLetters(screenDown), top: directionLetters(neg(screenDown)) },
  };
}

/** Screen voxel (x, y) on slice s → volume index (i, j, k). */
export function screenToIndex(m: ViewMapping, x: number, y: number, s: number): Vec3 {
  const ijk: Vec3 = [0, 0, 0];
  ijk[m.horizontal] = m.flipHorizontal ? m.width - 1 - x : x;
  ijk[m.vertical] = m.flipVertical ? m.height - 1 - y : y;
  ijk[m.slice] = s;
  return ijk;
}

/** Volume index → screen voxel (x, y) and the slice it lies on. */
export function indexToScreen(m: ViewMapping, ijk: Vec3): { x: number; y: number; slice: number } {
  const h = ijk[m.horizontal];
  const v = ijk[m.vertical];
  return { x: m.flipHorizontal ? m.width - 1 - h : h, y: m.flipVertical ? m.height - 1 - v : v, slice: ijk[m.slice] };
}

export interface WindowLevel {
  width: number;
  center: number;
}

/** CT window presets (HU), as PACS viewers name them. */
export const CT_WINDOW_PRESETS: Record<string, WindowLevel> = {
  brain: { width: 80, center: 40 },
  subdural: { width: 215, center: 75 },
  'soft tissue': { width: 400, center: 40 },
  lung: { width: 1500, center: -600 },
  bone: { width: 1800, center: 400 },
  liver: { width: 150, center: 30 },
};

/** A window from the 1st to the 99th percentile of the values (MR and anything without HU). */
export function percentileWindow(data: ArrayLike<number>, low = 0.01, high = 0.99, sampleLimit = 200_000): WindowLevel {
  const step = Math.max(1, Math.floor(data.length / sampleLimit));
  const sample: number[] = [];
  for (let i = 0; i < data.length; i += step) sample.push(data[i]!);
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(low * (sample.length - 1))] ?? 0;
  const hi = sample[Math.ceil(high * (sample.length - 1))] ?? 1;
  const width = Math.max(1, hi - lo);
  return { width, center: lo + width / 2 };
}
