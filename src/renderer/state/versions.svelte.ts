/**
 * Versions of the open segmentation: save the working state as a named version, list them, compare
 * one with the working state (per-label agreement and a diff overlay), and resolve an edit conflict
 * (keep mine as a new version, or take theirs); fuse two or more versions (e.g. two annotators') into a
 * merge version by majority vote or STAPLE.
 */
import type { FusionMethod } from '../../shared/curation.js';
import { encodeRuns, labelsFromWire } from '../../shared/editing/label-runs.js';
import type { Segment } from '../../shared/editing/segments.js';
import { DIFF_ADDED, DIFF_RELABELLED, DIFF_REMOVED, labelDiff } from '../../shared/metrics/label-diff.js';
import type { AgreementRow, VersionInfo } from '../../shared/segmentation.js';
import type { HostClient } from '../lib/host-client.js';
import type { EditingState } from './editing.svelte.js';
import type { ViewerState } from './viewer.svelte.js';

export const DIFF_LABELS = [
  { value: DIFF_ADDED, name: 'Added since the version', color: [40, 200, 70] as [number, number, number] },
  { value: DIFF_REMOVED, name: 'Removed since the version', color: [230, 40, 40] as [number, number, number] },
  { value: DIFF_RELABELLED, name: 'Other segment', color: [240, 200, 30] as [number, number, number] },
];

export interface Comparison {
  version: VersionInfo;
  rows: AgreementRow[];
  added: number;
  removed: number;
  relabelled: number;
  showDiff: boolean;
}

export class VersionsState {
  list = $state<VersionInfo[]>([]);
  comparison = $state<Comparison | null>(null);
  busy = $state(false);
  private diffMap: Uint8Array | null = null;

  constructor(
    private readonly client: HostClient,
    private readonly editing: EditingState,
    private readonly viewer: ViewerState,
  ) {}

  async refresh(): Promise<void> {
    const id = this.editing.segmentationId;
    this.list = id === null ? [] : await this.client.call('segmentation.versions', { id });
  }

  /** Save the working state (after every pending edit) as a named immutable version. */
  async save(name: string): Promise<boolean> {
    return this.run(async (id) => {
      await this.editing.flushed();
      if (this.editing.sync.conflict) throw new Error('Resolve the edit conflict first');
      const saved = await this.client.call('segmentation.saveVersion', { id, baseRevision: this.editing.sync.revision, name });
      this.editing.sync.accept(saved.info);
      await this.refresh();
    });
  }

  /** Per-label agreement of a version (reference) with the working state, and where they differ. */
  async compare(versionId: number): Promise<void> {
    await this.run(async (id) => {
      await this.editing.flushed();
      const rows = await this.client.call('segmentation.compare', { id, reference: versionId, test: 'working' });
      const loaded = await this.client.call('segmentation.loadVersion', { id, versionId });
      const working = this.editing.labels!;
      const reference = labelsFromWire(loaded, working instanceof Uint8Array ? 'uint8' : 'uint16', working.length);
      const diff = labelDiff(reference, working);
      this.diffMap = diff.map;
      this.hideDiff();
      this.comparison = { version: loaded.version, rows, added: diff.added, removed: diff.removed, relabelled: diff.relabelled, showDiff: false };
    });
  }

  showDiff(show: boolean): void {
    if (!this.comparison || !this.diffMap) return;
    this.comparison.showDiff = show;
    if (show) this.showDiffMap(this.diffMap);
    else this.hideDiff();
  }

  closeComparison(): void {
    this.hideDiff();
    this.comparison = null;
    this.diffMap = null;
  }

  /** Conflict: store this window's label map as a new version on top of theirs (theirs is kept too). */
  async keepMine(): Promise<void> {
    await this.run(async (id) => {
      const labels = this.editing.labels!;
      const runs = encodeRuns(labels);
      const segments = $state.snapshot(this.editing.segments) as Segment[];
      const kept = await this.client.call('segmentation.keepMine', { id, name: 'Kept after an edit conflict', segments, ...(runs ? { encoding: 'runs' as const, data: runs } : { encoding: 'raw' as const, data: labels }) });
      this.editing.sync.reset(kept.info);
      await this.refresh();
    });
  }

  /** Conflict: drop this window's unsaved edits and load what the store has now. */
  async takeTheirs(): Promise<void> {
    await this.run(async () => {
      this.closeComparison();
      await this.editing.reload();
      await this.refresh();
    });
  }

  /** Fuse versions per voxel into a new merge version, which becomes the working state. */
  async merge(versionIds: number[], method: FusionMethod, name = ''): Promise<boolean> {
    if (versionIds.length < 2) return false;
    return this.run(async (id) => {
      await this.editing.flushed();
      if (this.editing.sync.conflict) throw new Error('Resolve the edit conflict first');
      await this.client.call('segmentation.merge', { id, versionIds, method, name });
      this.closeComparison();
      await this.editing.reload(); // the merge version is the head now
      await this.refresh();
    });
  }

  /** Show the diff map (same grid, its own colours) instead of the working labels; editing pauses. */
  private showDiffMap(map: Uint8Array): void {
    const series = this.viewer.series;
    if (!series || !this.editing.labels) return;
    this.editing.tool = null;
    this.editing.overlayShown = true;
    this.viewer.labelVolume = { seriesId: series.id, description: 'Differences', data: map };
    this.viewer.labels = DIFF_LABELS.map((l) => ({ ...l, visible: true }));
    this.redraw();
  }

  /** Back to the working label map. */
  private hideDiff(): void {
    const series = this.viewer.series;
    const labels = this.editing.labels;
    if (!series || !labels || !this.editing.overlayShown) return;
    this.editing.overlayShown = false;
    this.viewer.labelVolume = { seriesId: series.id, description: 'Segmentation', data: labels };
    this.editing.syncLabels();
    this.redraw();
  }

  private redraw(): void {
    this.viewer.labelChangedSlices = null;
    this.viewer.labelRevision++;
  }

  private async run(body: (id: number) => Promise<void>): Promise<boolean> {
    const id = this.editing.segmentationId;
    if (id === null || this.busy) return false;
    this.busy = true;
    try {
      await body(id);
      this.editing.error = null;
      return true;
    } catch (err) {
      this.editing.error = (err as Error).message;
      return false;
    } finally {
      this.busy = false;
    }
  }
}
