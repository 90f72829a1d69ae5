/**
 * Write an algorithm's result into the label map through the write policy and the editor's undo
 * snapshots: a region (bitmask) set to one value, or a full labelling (grow from seeds) where each
 * voxel's new value is checked against a per-value table.
 */
import type { Box, LabelArray, RegionMask } from './grid.js';
import type { LabelEditor } from './label-editor.js';
import { maxLabelOf, writableTable, type WritePolicy } from './write-policy.js';

/** Set the voxels of `region` (inside `box`) to `value` where the policy allows; returns voxels changed. */
export function applyRegion(editor: LabelEditor, region: RegionMask, box: Box, value: number, policy: WritePolicy, eraseLabel: number | null = null): number {
  const table = writableTable(policy, value, maxLabelOf(editor.data), eraseLabel);
  return writeBox(editor, box, (index, current) => (region[index] && table[current] ? value : -1));
}

/**
 * Write every non-zero value of `labels` (inside `box`) where the policy allows it. `labels` is either
 * grid-sized or exactly the box (cropped, x fastest), as a grow run on a crop returns it.
 */
export function applyLabelling(editor: LabelEditor, labels: LabelArray, box: Box, policy: WritePolicy): number {
  const tables = new Map<number, Uint8Array>();
  const tableFor = (value: number) => {
    let table = tables.get(value);
    if (!table) tables.set(value, (table = writableTable(policy, value, maxLabelOf(editor.data))));
    return table;
  };
  const [nx, ny] = editor.dims;
  const [cx, cy] = [box.max[0] - box.min[0] + 1, box.max[1] - box.min[1] + 1];
  const cropped = labels.length !== editor.data.length;
  if (cropped && labels.length !== cx * cy * (box.max[2] - box.min[2] + 1)) throw new RangeError(`a labelling of ${labels.length} voxels fits neither the grid nor the box`);
  // grid index → crop index (only when cropped)
  const at = (index: number) => {
    if (!cropped) return index;
    const i = index % nx;
    const j = Math.floor(index / nx) % ny;
    const k = Math.floor(index / (nx * ny));
    return i - box.min[0] + cx * (j - box.min[1] + cy * (k - box.min[2]));
  };
  return writeBox(editor, box, (index, current) => {
    const value = labels[at(index)]!;
    return value !== 0 && tableFor(value)[current] ? value : -1;
  });
}

/** Visit the box slice by slice, snapshotting each slice that gets a write; `next` returns -1 to skip. */
function writeBox(editor: LabelEditor, box: Box, next: (index: number, current: number) => number): number {
  const [nx, ny] = editor.dims;
  const data = editor.data;
  let changed = 0;
  for (let k = box.min[2]; k <= box.max[2]; k++) {
    let touched = false;
    for (let j = box.min[1]; j <= box.max[1]; j++) {
      const row = nx * (j + ny * k);
      for (let i = box.min[0]; i <= box.max[0]; i++) {
        const index = row + i;
        const value = next(index, data[index]!);
        if (value < 0) continue;
        if (!touched) editor.touch(k), (touched = true);
        data[index] = value;
        changed++;
      }
    }
  }
  return changed;
}
