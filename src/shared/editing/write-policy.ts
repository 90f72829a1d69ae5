/**
 * Which voxels a tool may change, as 3D Slicer's "masking" settings put it: locked segments are never
 * changed by any tool; "overwrite other segments" or "only empty voxels"; optionally "only inside
 * segment X". The rule is compiled, per target value, into a lookup table over current values so the
 * tools' hot loops test one array element per voxel.
 */
import type { LabelArray } from './grid.js';

export interface WritePolicy {
  /** segments no tool may change (their voxels keep their value, painting and erasing alike) */
  locked: ReadonlySet<number>;
  /** true: painting replaces other segments; false: it fills only empty (0) voxels */
  overwrite: boolean;
  /** when set, only voxels currently holding this label may change */
  insideLabel?: number | null;
}

export const DEFAULT_POLICY: WritePolicy = { locked: new Set(), overwrite: true, insideLabel: null };

/** The largest label value an array type can hold. */
export const maxLabelOf = (data: LabelArray): number => (data instanceof Uint8Array ? 0xff : 0xffff);

/**
 * writable[c] = 1 when a voxel now holding c may become `target`. Erasing (`target` 0) removes only
 * `eraseLabel` (the active segment), as erasers do in Slicer and ITK-SNAP; null lets it erase any
 * unlocked segment.
 */
export function writableTable(policy: WritePolicy, target: number, maxLabel: number, eraseLabel: number | null = null): Uint8Array {
  const table = new Uint8Array(maxLabel + 1);
  for (let c = 0; c <= maxLabel; c++) {
    if (c === target || (c !== 0 && policy.locked.has(c))) continue;
    if (policy.insideLabel != null && c !== policy.insideLabel) continue;
    if (target === 0) table[c] = c !== 0 && (eraseLabel === null || c === eraseLabel) ? 1 : 0;
    else table[c] = policy.overwrite || c === 0 ? 1 : 0;
  }
  return table;
}
