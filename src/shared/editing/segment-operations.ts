/**
 * Operations on one segment (3D Slicer's Islands, Smoothing, Margin, Logical operators and Fill between
 * slices), applied inside an open LabelEditor edit through the write policy, so each is one undo step
 * and locked segments are never changed.
 */
import { applyRegion } from './apply-region.js';
import type { SliceAxis } from './grid.js';
import { interpolateBetweenSlices } from './interpolate.js';
import { keepLargestIsland, removeSmallIslands, splitIslands } from './islands.js';
import type { LabelEditor } from './label-editor.js';
import { extractSegment, logicalOperation, type LogicalOp } from './logical.js';
import { closing, fillHoles, growMargin, medianSmooth, opening } from './morphology.js';
import { applyWrites, replaceSegment } from './segment-results.js';
import type { WritePolicy } from './write-policy.js';

export type SegmentOperation =
  | { op: 'interpolate'; axis: SliceAxis }
  | { op: 'fill-holes'; perSlice: boolean }
  | { op: 'median' | 'opening' | 'closing' | 'margin'; mm: number }
  | { op: 'keep-largest' }
  | { op: 'remove-small'; ml: number }
  | { op: 'split' }
  | { op: 'logical'; kind: LogicalOp; other: number };

/**
 * Apply `operation` to segment `label` (the edit must be open); returns the voxels changed.
 * `newLabel` gives the value for each island a split turns into a new segment, largest first.
 */
export function applySegmentOperation(editor: LabelEditor, label: number, operation: SegmentOperation, policy: WritePolicy, newLabel: () => number): number {
  const grid = editor.grid;
  const { dims, spacing } = grid;
  const replace = (mask: Uint8Array) => {
    const r = replaceSegment(editor, label, mask, policy);
    return r.added + r.removed;
  };
  switch (operation.op) {
    case 'interpolate': {
      const result = interpolateBetweenSlices(grid, label, operation.axis);
      return result.box ? applyRegion(editor, result.mask, result.box, label, policy) : 0;
    }
    case 'fill-holes':
      return replace(fillHoles(extractSegment(editor.data, label), dims, operation.perSlice ? { axis: 2 } : '3d'));
    case 'median':
      return replace(medianSmooth(extractSegment(editor.data, label), dims, spacing, operation.mm));
    case 'opening':
      return replace(opening(extractSegment(editor.data, label), dims, spacing, operation.mm));
    case 'closing':
      return replace(closing(extractSegment(editor.data, label), dims, spacing, operation.mm));
    case 'margin':
      return replace(growMargin(extractSegment(editor.data, label), dims, spacing, operation.mm));
    case 'keep-largest':
      return applyWrites(editor, keepLargestIsland(grid, label).writes, policy, label);
    case 'remove-small':
      return applyWrites(editor, removeSmallIslands(grid, label, { ml: operation.ml }).writes, policy, label);
    case 'split':
      return applyWrites(editor, splitIslands(grid, label, newLabel).writes, policy, label);
    case 'logical':
      return applyWrites(editor, logicalOperation(editor.data, operation.kind, label, operation.other), policy, label);
  }
}

/** What the undo history calls an operation. */
export function operationName(o: SegmentOperation): string {
  switch (o.op) {
    case 'interpolate':
      return 'Fill between slices';
    case 'fill-holes':
      return o.perSlice ? 'Fill holes (per slice)' : 'Fill holes';
    case 'median':
    case 'opening':
    case 'closing':
      return `${o.op[0]!.toUpperCase()}${o.op.slice(1)} ${o.mm} mm`;
    case 'margin':
      return `${o.mm >= 0 ? 'Grow' : 'Shrink'} ${Math.abs(o.mm)} mm`;
    case 'keep-largest':
      return 'Keep largest island';
    case 'remove-small':
      return `Remove islands < ${o.ml} ml`;
    case 'split':
      return 'Split islands';
    case 'logical':
      return `${o.kind} with segment ${o.other}`;
  }
}
