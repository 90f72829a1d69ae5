/**
 * 3D Slicer's logical operators on segment A (label value `target`) of a label map, with a modifier
 * B: union (A ∪= B), intersect (A ∩= B), subtract (A −= B), copy (A = B). Nothing is mutated: the
 * result is LabelWrites (see label-writes.ts) for the caller to apply through its write policy.
 *
 * B is either another segment of the same map (a label value) or any region on the same grid (a
 * RegionMask: a segment of another layer, a threshold, a ROI). In one label map a voxel holds one
 * segment, so B-as-label is disjoint from A: union and copy move B's voxels to A (the caller's policy
 * decides whether B may lose them: a locked B, or "only empty voxels", keeps them), intersect clears A
 * and subtract changes nothing. With a RegionMask every operation is the plain set operation.
 */
import type { LabelArray, RegionMask } from './grid.js';
import { RunList, type LabelWrite } from './label-writes.js';

export type LogicalOp = 'union' | 'intersect' | 'subtract' | 'copy';

/** A segment's label value in the same map, or a region (nonzero = in) on the same grid. */
export type Modifier = number | RegionMask;

const maxLabelOf = (data: LabelArray): number => (data instanceof Uint8Array ? 0xff : 0xffff);

function checkLabel(data: LabelArray, label: number, what: string): void {
  if (!Number.isInteger(label) || label < 1 || label > maxLabelOf(data)) throw new RangeError(`${what} must be a label value 1…${maxLabelOf(data)}, got ${label}`);
}

/** The voxels holding `label`, as a RegionMask (1 = in). */
export function extractSegment(data: LabelArray, label: number): RegionMask {
  const mask = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) if (data[i]! === label) mask[i] = 1;
  return mask;
}

/**
 * What `op` changes: at most two writes, 0 over A's voxels that leave A and `target` over the
 * modifier's voxels that join it (voxels already right are never listed).
 */
export function logicalOperation(data: LabelArray, op: LogicalOp, target: number, modifier: Modifier): LabelWrite[] {
  checkLabel(data, target, 'target segment');
  let mask: RegionMask | null = null;
  let b = -1;
  if (typeof modifier === 'number') {
    checkLabel(data, modifier, 'modifier segment');
    b = modifier;
  } else {
    if (modifier.length !== data.length) throw new RangeError(`modifier mask has ${modifier.length} voxels, the label map ${data.length}`);
    mask = modifier;
  }
  if (op !== 'union' && op !== 'intersect' && op !== 'subtract' && op !== 'copy') throw new RangeError(`unknown logical operation ${String(op)}`);
  // per voxel an action: 0 none, 1 clear to 0, 2 set to target; runs of one action become one run
  const join = op === 'union' || op === 'copy' ? 2 : 0; // modifier voxels not in A
  const inside = op === 'subtract' ? 1 : 0; // A voxels inside the modifier
  const outside = op === 'intersect' || op === 'copy' ? 1 : 0; // A voxels outside the modifier
  const cleared = new RunList();
  const joined = new RunList();
  const n = data.length;
  let action = 0;
  let from = 0;
  for (let i = 0; i <= n; i++) {
    let next = 0;
    if (i < n) {
      const c = data[i]!;
      const inB = mask !== null ? mask[i]! !== 0 : c === b;
      next = c === target ? (inB ? inside : outside) : inB ? join : 0;
    }
    if (next === action) continue;
    if (action === 1) cleared.push(from, i - from);
    else if (action === 2) joined.push(from, i - from);
    action = next;
    from = i;
  }

  const writes: LabelWrite[] = [];
  if (cleared.runCount > 0) writes.push(cleared.toWrite(0));
  if (joined.runCount > 0) writes.push(joined.toWrite(target));
  return writes;
}
