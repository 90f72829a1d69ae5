/**
 * From image slices (one per single-frame instance, or per frame of a multi-frame/mosaic) to volume
 * plans: split a series where slices cannot share one grid, sort along the slice normal, derive the
 * slice step from positions (never SliceThickness) and report what a user must know (gaps, uneven
 * spacing, gantry tilt, duplicates). Pure: no I/O.
 */
import { cross, dot, norm, sub, type Mat4 } from './geometry.js';
import type { Vec3 } from './volume.js';

export interface SliceInfo {
  /** opaque reference back to the file/frame */
  ref: string;
  rows: number;
  columns: number;
  /** [row spacing, column spacing] in mm */
  pixelSpacing: [number, number];
  /** row direction cosines (x) then column direction cosines (y) */
  orientation: [number, number, number, number, number, number];
  position: Vec3;
  /** attributes that must be equal for slices to share a volume, with a user-facing label each */
  splitKeys: Record<string, string>;
  /** tie-breaker for sorting / duplicate handling (InstanceNumber) */
  instanceNumber: number;
}

export type WarningCode = 'missing_slices' | 'nonuniform_spacing' | 'gantry_tilt' | 'duplicate_positions' | 'single_slice';

export interface GeometryWarning {
  code: WarningCode;
  message: string;
}

export interface VolumePlan<S extends SliceInfo = SliceInfo> {
  /** slices in volume order (k = 0..n-1); null marks a missing slice, filled with the volume minimum */
  slices: (S | null)[];
  dims: Vec3;
  spacing: Vec3;
  affineLps: Mat4;
  /** why this volume was split from the rest of its series, or null when it is the whole series */
  splitReason: string | null;
  warnings: GeometryWarning[];
}

const ORIENTATION_TOLERANCE = 1e-4;
const SPACING_TOLERANCE = 1e-3;

function groupKey(s: SliceInfo): string {
  const o = s.orientation.map((v) => Math.round(v / ORIENTATION_TOLERANCE)).join(',');
  const ps = s.pixelSpacing.map((v) => Math.round(v / SPACING_TOLERANCE)).join('x');
  const extra = Object.entries(s.splitKeys)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join('|');
  return `${s.rows}x${s.columns}|${o}|${ps}|${extra}`;
}

/** Split slices of one series into groups that can each form one volume; biggest first. */
export function splitIntoStacks<S extends SliceInfo>(slices: S[]): { slices: S[]; reason: string | null }[] {
  const groups = new Map<string, S[]>();
  for (const s of slices) {
    const key = groupKey(s);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const sorted = [...groups.values()].sort((a, b) => b.length - a.length);
  if (sorted.length === 1) return [{ slices: sorted[0]!, reason: null }];
  const main = sorted[0]![0]!;
  return sorted.map((group, index) => ({ slices: group, reason: index === 0 ? null : describeDifference(main, group[0]!, group.length) }));
}

function describeDifference(main: SliceInfo, other: SliceInfo, count: number): string {
  const reasons: string[] = [];
  if (main.rows !== other.rows || main.columns !== other.columns) {
    reasons.push(`dimensions ${other.columns}×${other.rows} differ from ${main.columns}×${main.rows}`);
  }
  if (main.orientation.some((v, i) => Math.abs(v - other.orientation[i]!) > ORIENTATION_TOLERANCE)) {
    reasons.push('orientation differs (e.g. a localizer or another stack)');
  }
  if (main.pixelSpacing.some((v, i) => Math.abs(v - other.pixelSpacing[i]!) > SPACING_TOLERANCE)) {
    reasons.push(`pixel spacing ${other.pixelSpacing.join('×')} differs from ${main.pixelSpacing.join('×')}`);
  }
  for (const [key, value] of Object.entries(other.splitKeys)) {
    if (main.splitKeys[key] !== value) reasons.push(`${key} ${value}`);
  }
  return `${count} slice${count === 1 ? '' : 's'}: ${reasons.join('; ') || 'differ in acquisition'}`;
}

/** Sort one stack along its normal and derive the volume grid. */
export function planVolume<S extends SliceInfo>(slices: S[], splitReason: string | null): VolumePlan<S> {
  const first = slices[0];
  if (!first) throw new RangeError('planVolume needs at least one slice');
  const o = first.orientation;
  const x: Vec3 = [o[0], o[1], o[2]];
  const y: Vec3 = [o[3], o[4], o[5]];
  const normal = cross(x, y);
  const [rowSpacing, colSpacing] = first.pixelSpacing;
  const warnings: GeometryWarning[] = [];

  const along = (s: SliceInfo) => dot(s.position, normal);
  const sorted = [...slices].sort((a, b) => along(a) - along(b) || a.instanceNumber - b.instanceNumber);

  // Duplicate positions: keep the first (lowest InstanceNumber) copy of each position.
  const unique: S[] = [];
  let duplicates = 0;
  for (const s of sorted) {
    const prev = unique.at(-1);
    if (prev && norm(sub(s.position, prev.position)) < 1e-3) duplicates++;
    else unique.push(s);
  }
  if (duplicates > 0) {
    warnings.push({ code: 'duplicate_positions', message: `${duplicates} slice(s) repeat a position already present and were left out` });
  }

  const slots = placeSlices(unique.map(along));
  const n = slots.length;
  const slotted: (S | null)[] = slots.map((index) => (index === null ? null : unique[index]!));
  let step: Vec3 = [normal[0] * rowSpacing, normal[1] * rowSpacing, normal[2] * rowSpacing];
  if (unique.length > 1) {
    const total = sub(unique.at(-1)!.position, unique[0]!.position);
    step = [total[0] / (n - 1), total[1] / (n - 1), total[2] / (n - 1)];
    const filled = slots.flatMap((index, k) => (index === null ? [k] : []));
    if (filled.length > 0) {
      warnings.push({
        code: 'missing_slices',
        message: `${filled.length} slice(s) missing at k=${filled.join(', ')}: left empty (volume minimum) so every other slice keeps its true position`,
      });
    } else {
      warnings.push(...spacingWarnings(unique.map(along)));
    }
    const stepLength = norm(step);
    const alongNormal = dot(step, normal);
    const offNormal = norm(sub(step, [normal[0] * alongNormal, normal[1] * alongNormal, normal[2] * alongNormal]));
    if (offNormal / stepLength > 1e-3) {
      const degrees = (Math.atan2(offNormal, Math.abs(alongNormal)) * 180) / Math.PI;
      warnings.push({ code: 'gantry_tilt', message: `slices are sheared by ${degrees.toFixed(2)}° (gantry tilt); the affine keeps the exact sheared geometry` });
    }
  } else {
    warnings.push({ code: 'single_slice', message: 'a single slice: its thickness is unknown, in-plane spacing is used along the normal' });
  }

  const origin = unique[0]!.position;
  const affineLps: Mat4 = [
    x[0] * colSpacing, y[0] * rowSpacing, step[0], origin[0],
    x[1] * colSpacing, y[1] * rowSpacing, step[1], origin[1],
    x[2] * colSpacing, y[2] * rowSpacing, step[2], origin[2],
    0, 0, 0, 1,
  ];
  return {
    slices: slotted,
    dims: [first.columns, first.rows, n],
    spacing: [colSpacing, rowSpacing, norm(step)],
    affineLps,
    splitReason,
    warnings,
  };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Volume slots for sorted slice positions: when every gap is (within 10 %) a whole multiple of the
 * usual step, missing slices get empty slots (null) so the grid stays exact; otherwise one slot each.
 */
export function placeSlices(positions: number[]): (number | null)[] {
  const indices = positions.map((_, i) => i);
  if (positions.length < 3) return indices;
  const gaps = positions.slice(1).map((p, i) => p - positions[i]!);
  const step = median(gaps);
  if (step <= 0) return indices;
  const multiples = gaps.map((g) => g / step);
  const clean = multiples.every((m) => Math.abs(m - Math.round(m)) < 0.1 && Math.round(m) >= 1);
  if (!clean || multiples.every((m) => Math.round(m) === 1)) return indices;
  const slots: (number | null)[] = [0];
  multiples.forEach((m, i) => {
    for (let missing = 1; missing < Math.round(m); missing++) slots.push(null);
    slots.push(i + 1);
  });
  return slots;
}

/** Uneven spacing that is not explained by missing slices. */
function spacingWarnings(positions: number[]): GeometryWarning[] {
  const gaps = positions.slice(1).map((p, i) => p - positions[i]!);
  const usual = median(gaps);
  const deviation = Math.max(...gaps.map((g) => Math.abs(g - usual)));
  if (deviation <= Math.max(0.01, usual * 0.01)) return [];
  return [
    {
      code: 'nonuniform_spacing',
      message: `slice spacing varies from ${Math.min(...gaps).toFixed(3)} to ${Math.max(...gaps).toFixed(3)} mm; the volume uses the mean step`,
    },
  ];
}
