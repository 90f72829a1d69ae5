/**
 * Where two label maps on one grid differ, as a label map of its own for the viewer's overlay:
 * ADDED where only `test` labels a voxel, REMOVED where only `reference` does, RELABELLED where both do
 * with different values. Counts come with it for the panel.
 */
import type { LabelArray } from '../editing/grid.js';

export const DIFF_ADDED = 1;
export const DIFF_REMOVED = 2;
export const DIFF_RELABELLED = 3;

export interface LabelDiff {
  map: Uint8Array;
  added: number;
  removed: number;
  relabelled: number;
}

export function labelDiff(reference: LabelArray, test: LabelArray): LabelDiff {
  if (reference.length !== test.length) throw new RangeError(`label maps differ in size: ${reference.length} and ${test.length} voxels`);
  const map = new Uint8Array(reference.length);
  let added = 0;
  let removed = 0;
  let relabelled = 0;
  for (let i = 0; i < map.length; i++) {
    const a = reference[i]!;
    const b = test[i]!;
    if (a === b) continue;
    if (a === 0) (map[i] = DIFF_ADDED), added++;
    else if (b === 0) (map[i] = DIFF_REMOVED), removed++;
    else (map[i] = DIFF_RELABELLED), relabelled++;
  }
  return { map, added, removed, relabelled };
}
