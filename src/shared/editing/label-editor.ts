/**
 * Edits of one label map, with unlimited undo/redo bounded in memory: an edit snapshots each slice
 * (along the grid's k axis) the first time it writes there, and on commit keeps only runs of changed
 * voxels, [start, length, before, after] with both values constant along the run. A 10 mm brush
 * stroke costs a few hundred bytes, never a mask copy. Every commit reports which slices changed,
 * so overlays, 3D labels and autosave touch only those.
 */
import type { Vec3 } from '../volume.js';
import type { LabelArray, LabelGrid } from './grid.js';

/** What an edit (or its undo/redo) changed. */
export interface ChangeSet {
  /** k indices of the changed slices, ascending */
  slices: number[];
  /** voxels whose value changed */
  voxels: number;
}

interface SliceRuns {
  k: number;
  /** [start, length, before, after] × runs, start within the slice */
  runs: Int32Array;
}

export interface HistoryEntry {
  description: string;
  slices: SliceRuns[];
  voxels: number;
}

const EMPTY: ChangeSet = { slices: [], voxels: 0 };

export class LabelEditor {
  readonly sliceLength: number;
  private readonly undoStack: HistoryEntry[] = [];
  private readonly redoStack: HistoryEntry[] = [];
  /** slice k → its content before the open edit first wrote to it */
  private snapshots: Map<number, LabelArray> | null = null;

  constructor(readonly grid: LabelGrid) {
    this.sliceLength = grid.dims[0] * grid.dims[1];
    if (grid.data.length !== this.sliceLength * grid.dims[2]) throw new RangeError(`label map has ${grid.data.length} voxels, dims ${grid.dims.join('×')} need ${this.sliceLength * grid.dims[2]}`);
  }

  get dims(): Vec3 {
    return this.grid.dims;
  }

  get data(): LabelArray {
    return this.grid.data;
  }

  /** Start an edit; tools call touch(k) before writing into slice k, then commit() or cancel(). */
  begin(): void {
    if (this.snapshots) throw new Error('an edit is already open');
    this.snapshots = new Map();
  }

  get editing(): boolean {
    return this.snapshots !== null;
  }

  /** Remember slice k as it was before this edit (only the first call per slice copies). */
  touch(k: number): void {
    const snapshots = this.snapshots;
    if (!snapshots) throw new Error('touch() outside an edit: call begin() first');
    if (!snapshots.has(k)) snapshots.set(k, this.grid.data.slice(k * this.sliceLength, (k + 1) * this.sliceLength));
  }

  /** Slices written so far in the open edit (for live overlay updates during a stroke). */
  touchedSlices(): number[] {
    return [...(this.snapshots?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Close the edit: record what changed as one undo step (nothing is recorded if nothing changed). */
  commit(description: string): ChangeSet {
    const snapshots = this.takeSnapshots();
    const slices: SliceRuns[] = [];
    let voxels = 0;
    for (const [k, before] of [...snapshots].sort((a, b) => a[0] - b[0])) {
      const runs = diffRuns(before, this.grid.data, k * this.sliceLength);
      if (runs.length === 0) continue;
      slices.push({ k, runs });
      for (let r = 1; r < runs.length; r += 4) voxels += runs[r]!;
    }
    if (slices.length === 0) return EMPTY;
    this.undoStack.push({ description, slices, voxels });
    this.redoStack.length = 0;
    return { slices: slices.map((s) => s.k), voxels };
  }

  /** Put every touched slice back as it was and record nothing (a cancelled preview or stroke). */
  cancel(): ChangeSet {
    const snapshots = this.takeSnapshots();
    for (const [k, before] of snapshots) this.grid.data.set(before, k * this.sliceLength);
    return { slices: [...snapshots.keys()].sort((a, b) => a - b), voxels: 0 };
  }

  undo(): ChangeSet | null {
    return this.replay(this.undoStack, this.redoStack, 2);
  }

  redo(): ChangeSet | null {
    return this.replay(this.redoStack, this.undoStack, 3);
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Descriptions of the undo steps, oldest first. */
  history(): string[] {
    return this.undoStack.map((e) => e.description);
  }

  /** Bytes the history holds (the runs; a few bytes of bookkeeping per step are not counted). */
  historyBytes(): number {
    let bytes = 0;
    for (const stack of [this.undoStack, this.redoStack]) for (const e of stack) for (const s of e.slices) bytes += s.runs.byteLength;
    return bytes;
  }

  private takeSnapshots(): Map<number, LabelArray> {
    const snapshots = this.snapshots;
    if (!snapshots) throw new Error('no edit is open');
    this.snapshots = null;
    return snapshots;
  }

  /** Write one side (2 = before, 3 = after) of the newest entry of `from`, and move it to `to`. */
  private replay(from: HistoryEntry[], to: HistoryEntry[], side: 2 | 3): ChangeSet | null {
    if (this.snapshots) throw new Error('finish the open edit before undo/redo');
    const entry = from.pop();
    if (!entry) return null;
    const data = this.grid.data;
    for (const { k, runs } of entry.slices) {
      const base = k * this.sliceLength;
      for (let r = 0; r < runs.length; r += 4) data.fill(runs[r + side]!, base + runs[r]!, base + runs[r]! + runs[r + 1]!);
    }
    to.push(entry);
    return { slices: entry.slices.map((s) => s.k), voxels: entry.voxels };
  }
}

/** Runs where `before` and `data[offset…]` differ, each with constant before and after values. */
function diffRuns(before: LabelArray, data: LabelArray, offset: number): Int32Array {
  const out: number[] = [];
  const n = before.length;
  let i = 0;
  while (i < n) {
    const b = before[i]!;
    const a = data[offset + i]!;
    if (a === b) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && before[i] === b && data[offset + i] === a) i++;
    out.push(start, i - start, b, a);
  }
  return Int32Array.from(out);
}
