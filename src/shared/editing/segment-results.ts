/**
 * Apply whole-segment results (islands, logical operations, smoothing, margins, fill holes,
 * interpolation) to a label map inside an open LabelEditor edit, always through the write policy,
 * so locked segments stay untouched and the change is one undo step.
 */
import type { RegionMask } from './grid.js';
import type { LabelEditor } from './label-editor.js';
import { applyLabelWrites, writtenSlices, type LabelWrite } from './label-writes.js';
import { maskBox } from './mask-box.js';
import { applyRegion } from './apply-region.js';
import { maxLabelOf, writableTable, type WritePolicy } from './write-policy.js';

/** Write runs of new values (value 0 erases `label`); returns voxels changed. */
export function applyWrites(editor: LabelEditor, writes: readonly LabelWrite[], policy: WritePolicy, label: number): number {
  for (const k of writtenSlices(writes, editor.dims)) editor.touch(k);
  const max = maxLabelOf(editor.data);
  const tables = new Map<number, Uint8Array>();
  return applyLabelWrites(editor.data, writes, (value) => {
    let table = tables.get(value);
    if (!table) tables.set(value, (table = writableTable(policy, value, max, label)));
    return table;
  });
}

/**
 * Make segment `label` equal `mask` where the policy allows: voxels of the mask become `label`,
 * voxels of `label` outside it become 0. Returns voxels added and removed.
 */
export function replaceSegment(editor: LabelEditor, label: number, mask: RegionMask, policy: WritePolicy): { added: number; removed: number } {
  const data = editor.data;
  const removedMask = new Uint8Array(data.length);
  let anyRemoved = false;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === label && !mask[i]) {
      removedMask[i] = 1;
      anyRemoved = true;
    }
  }
  const addBox = maskBox(mask, editor.dims);
  const added = addBox ? applyRegion(editor, mask, addBox, label, policy) : 0;
  const removeBox = anyRemoved ? maskBox(removedMask, editor.dims) : null;
  const removed = removeBox ? applyRegion(editor, removedMask, removeBox, 0, policy, label) : 0;
  return { added, removed };
}
