/**
 * Segment editing for the open series: the segmentation (segments + label map, shown as the viewer's
 * label overlay), the active segment and tool, and every edit. Edits run here, in the renderer, on the
 * shared editing core (instant feedback), and each committed edit, undo or redo sends only its changed
 * slices to the store, in order.
 */
import { InterchangeState } from './interchange.svelte.js';
import { applyLabelling, applyRegion } from '../../shared/editing/apply-region.js';
import { boxDims, cropGrid, maskBox, padBox } from '../../shared/editing/mask-box.js';
import { growInWorker } from '../editing/grow-client.js';
import { applySegmentOperation, operationName, type SegmentOperation } from '../../shared/editing/segment-operations.js';
import { Brush } from '../../shared/editing/brush.js';
import { floodRegion } from '../../shared/editing/flood-fill.js';
import type { Box, LabelArray, SliceAxis } from '../../shared/editing/grid.js';
import { LabelEditor, type ChangeSet } from '../../shared/editing/label-editor.js';
import { lockedValues, newSegment, type Segment } from '../../shared/editing/segments.js';
import { maxLabelOf, type WritePolicy } from '../../shared/editing/write-policy.js';
import type { Vec3 } from '../../shared/volume.js';
import type { HostClient } from '../lib/host-client.js';
import { measureSince } from '../lib/profile.js';
import { labelsFromWire } from '../../shared/editing/label-runs.js';
import { editableInState, type ReviewState } from '../../shared/segmentation.js';
import { SegmentationSync } from './segmentation-sync.svelte.js';
import { VersionsState } from './versions.svelte.js';
import { AiState } from './ai.svelte.js';
import type { ViewerState } from './viewer.svelte.js';

export type EditTool = 'paint' | 'erase' | 'threshold' | 'fill';

export type { SegmentOperation };

export const EDIT_TOOLS: { tool: EditTool; label: string; key: string }[] = [
  { tool: 'paint', label: 'Paint', key: 'p' },
  { tool: 'erase', label: 'Erase', key: 'e' },
  { tool: 'threshold', label: 'Threshold paint', key: 't' },
  { tool: 'fill', label: 'Fill', key: 'f' },
];

export class EditingState {
  segmentationId = $state<number | null>(null);
  segments = $state<Segment[]>([]);
  active = $state(1);
  /** null: the viewer's own left-drag tool (crosshair, ruler) */
  tool = $state<EditTool | null>(null);
  brushMm = $state(5);
  sphere = $state(false);
  overwrite = $state(true);
  insideLabel = $state<number | null>(null);
  threshold = $state({ min: -100, max: 300 });
  fillTolerance = $state(50);
  fill3d = $state(false);
  canUndo = $state(false);
  canRedo = $state(false);
  error = $state<string | null>(null);
  /** something the user should know about the segmentation (e.g. unsaved work recovered on open) */
  notice = $state<string | null>(null);
  /** another label map (e.g. a version diff) is shown instead of the working one: no edits meanwhile */
  overlayShown = $state(false);
  /** a grow-from-seeds result is shown, not yet accepted */
  growPreview = $state(false);
  /** grow from seeds is running (in a worker) */
  growing = $state(false);
  /** review state: edits are allowed in draft and changes-requested only */
  reviewState = $state<ReviewState>('draft');

  private editor: LabelEditor | null = null;
  private brush: Brush | null = null;
  private stroke: { last: Vec3; axis: SliceAxis } | null = null;
  private serial = 0;
  /** the store side: ordered writes, revisions, conflicts */
  readonly sync: SegmentationSync;
  readonly versions: VersionsState;
  readonly ai: AiState;
  readonly interchange: InterchangeState;

  constructor(
    private readonly client: HostClient,
    private readonly viewer: ViewerState,
  ) {
    this.sync = new SegmentationSync(client, (message) => (this.error = message));
    this.versions = new VersionsState(client, this, viewer);
    this.ai = new AiState(client, this);
    this.interchange = new InterchangeState(client, this);
  }

  /** edits sent to the store and not yet confirmed */
  get pendingWrites(): number {
    return this.sync.pendingWrites;
  }

  get open(): boolean {
    // segmentationId is the reactive part (the editor is set before it, and reset with it)
    return this.segmentationId !== null && this.editor !== null;
  }

  /** Open (creating on first use) the segmentation of the viewer's series and show it as the overlay. */
  async start(): Promise<void> {
    const series = this.viewer.series;
    if (!series) return;
    try {
      const seg = await this.client.call('segmentation.open', { seriesId: series.id });
      const data = labelsFromWire(seg, seg.labelType, series.dims[0] * series.dims[1] * series.dims[2]);
      if (this.viewer.series?.id !== series.id) return; // another series was opened meanwhile
      this.editor = new LabelEditor({ dims: series.dims, spacing: series.spacing, data });
      this.sync.reset(seg);
      this.overlayShown = false;
      this.notice = seg.recovered
        ? `Recovered unsaved edits to ${seg.recovered.slices} slice${seg.recovered.slices === 1 ? '' : 's'} by ${seg.recovered.authors.join(', ')}, last at ${new Date(seg.recovered.lastEditAt).toLocaleString()}. They are autosaved; save a version to keep them as one.`
        : null;
      this.segmentationId = seg.id;
      this.segments = seg.segments;
      this.reviewState = seg.reviewState;
      this.active = seg.segments[0]?.value ?? 1;
      this.viewer.labelVolume = { seriesId: series.id, description: 'Segmentation', data };
      this.syncLabels();
      this.updateHistory();
      this.error = null;
      await this.versions.refresh();
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Forget the segmentation (the store keeps it); called when the viewer closes its series. */
  reset(): void {
    this.editor = null;
    this.brush = null;
    this.segmentationId = null;
    this.sync.reset(null);
    this.versions.closeComparison();
    this.versions.list = [];
    this.notice = null;
    this.overlayShown = false;
    this.segments = [];
    this.tool = null;
    this.reviewState = 'draft';
    this.canUndo = this.canRedo = false;
  }

  /** Whether this segmentation takes edits now (a submitted or accepted one is read-only). */
  get editable(): boolean {
    return editableInState(this.reviewState) && !this.overlayShown && !this.sync.conflict;
  }

  /** The working label map (what "keep mine" stores), or null when none is open. */
  get labels(): LabelArray | null {
    return this.editor?.data ?? null;
  }

  /** Reload from the store (e.g. "take theirs"): local unsaved edits and undo history are dropped. */
  async reload(): Promise<void> {
    this.editor = null;
    this.segmentationId = null;
    await this.start();
    this.viewer.labelChangedSlices = null;
    this.viewer.labelRevision++;
  }

  /** The editor when edits are allowed; null while read-only. */
  private get writable(): LabelEditor | null {
    return this.editable ? this.editor : null;
  }

  /** Move through review (draft → submitted → accepted / changes-requested, or reopen as draft). */
  async review(to: ReviewState, comment = ''): Promise<void> {
    const id = this.segmentationId;
    if (id === null) return;
    try {
      await this.sync.flushed(); // every edit is stored before the state changes
      const info = await this.client.call('segmentation.review', { id, to, comment });
      this.reviewState = info.reviewState;
      if (!this.editable) this.tool = null;
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  get policy(): WritePolicy {
    return { locked: lockedValues(this.segments), overwrite: this.overwrite, insideLabel: this.insideLabel };
  }

  /** Start a stroke at continuous voxel position `at` in a view whose slices run across `axis`. */
  beginStroke(at: Vec3, axis: SliceAxis): void {
    const editor = this.writable;
    const volume = this.viewer.volume;
    if (!editor || !this.tool || this.tool === 'fill' || editor.editing) return;
    const erase = this.tool === 'erase';
    editor.begin();
    this.brush = new Brush(editor, {
      radiusMm: this.brushMm,
      shape: this.sphere ? 'sphere' : 'disc',
      axis,
      value: erase ? 0 : this.active,
      eraseLabel: erase ? this.active : null,
      policy: this.policy,
      threshold: this.tool === 'threshold' && volume ? { image: volume.data, min: this.threshold.min, max: this.threshold.max } : null,
    });
    this.stroke = { last: at, axis };
    if (this.brush.dab(at) > 0) this.showDab(at, at, axis);
  }

  continueStroke(at: Vec3): void {
    if (!this.brush || !this.stroke) return;
    const start = performance.now();
    const from = this.stroke.last;
    this.stroke.last = at;
    if (this.brush.strokeTo(at) > 0) this.showDab(from, at, this.stroke.axis);
    measureSince('brush-dab', start);
  }

  /** Tell the views which voxels a dab (or the segment from..to of a stroke) may have changed. */
  private showDab(from: Vec3, to: Vec3, axis: SliceAxis): void {
    const spacing = this.viewer.series?.spacing;
    if (!spacing) return;
    const box: Box = { min: [0, 0, 0], max: [0, 0, 0] };
    for (let a = 0; a < 3; a++) {
      const reach = this.sphere || a !== axis ? this.brushMm / spacing[a]! : 0;
      box.min[a] = Math.floor(Math.min(from[a]!, to[a]!) - reach - 0.5);
      box.max[a] = Math.ceil(Math.max(from[a]!, to[a]!) + reach + 0.5);
    }
    this.viewer.labelEdit = { serial: ++this.serial, box };
  }

  endStroke(): void {
    if (!this.brush || !this.editor) return;
    this.brush = null;
    this.stroke = null;
    this.committed(this.editor.commit(this.tool === 'erase' ? 'Erase' : this.tool === 'threshold' ? 'Threshold paint' : 'Paint'));
  }

  /** Flood fill from a voxel with the intensity tolerance, in its slice (2D) or in 3D. */
  fillAt(at: Vec3, axis: SliceAxis): void {
    const editor = this.writable;
    const volume = this.viewer.volume;
    const series = this.viewer.series;
    if (!editor || !volume || !series || editor.editing) return;
    const region = floodRegion(volume.data, series.dims, { seed: at, tolerance: this.fillTolerance, mode: this.fill3d ? '3d' : { axis } });
    editor.begin();
    applyRegion(editor, region.mask, region.box, this.active, this.policy);
    this.committed(editor.commit(this.fill3d ? 'Fill 3D' : 'Fill'));
  }

  undo(): void {
    const editor = this.writable;
    if (editor && !editor.editing) this.committed(editor.undo());
  }

  redo(): void {
    const editor = this.writable;
    if (editor && !editor.editing) this.committed(editor.redo());
  }

  addSegment(): void {
    const editor = this.writable;
    if (!editor) return;
    const segment = newSegment(this.segments, maxLabelOf(editor.data));
    this.segments = [...this.segments, segment];
    this.active = segment.value;
    this.saveSegments();
  }

  /** Change a segment; a patch key set to undefined removes that field (terminology). */
  updateSegment(value: number, patch: { [K in keyof Omit<Segment, 'value'>]?: Segment[K] | undefined }): void {
    const merge = (s: Segment): Segment => {
      const next: Record<string, unknown> = { ...s, ...patch };
      for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
      return next as unknown as Segment;
    };
    this.segments = this.segments.map((s) => (s.value === value ? merge(s) : s));
    // read-only: showing or hiding a segment is a view setting and stays local
    if (!this.editable) return this.syncLabels();
    this.saveSegments();
  }

  /** Move a segment up (-1) or down (+1) in the list. */
  moveSegment(value: number, by: -1 | 1): void {
    if (!this.editable) return;
    const from = this.segments.findIndex((s) => s.value === value);
    const to = from + by;
    if (from < 0 || to < 0 || to >= this.segments.length) return;
    const next = [...this.segments];
    [next[from], next[to]] = [next[to]!, next[from]!];
    this.segments = next;
    this.saveSegments();
  }

  /** Delete a segment: its voxels are erased as one undoable edit (undo brings the voxels back). */
  deleteSegment(value: number): void {
    const editor = this.writable;
    const segment = this.segments.find((s) => s.value === value);
    if (!editor || !segment || editor.editing) return;
    if (segment.locked) {
      this.error = `${segment.name} is locked: unlock it to delete it`;
      return;
    }
    const data = editor.data;
    const mask = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) if (data[i] === value) mask[i] = 1;
    editor.begin();
    applyRegion(editor, mask, { min: [0, 0, 0], max: editor.dims.map((d) => d - 1) as Vec3 }, 0, { locked: new Set(), overwrite: true }, value);
    this.committed(editor.commit(`Delete ${segment.name}`));
    this.segments = this.segments.filter((s) => s.value !== value);
    if (this.active === value) this.active = this.segments[0]?.value ?? 0;
    this.saveSegments();
  }

  /** Run an operation on the active segment as one undoable edit; returns the voxels it changed. */
  runOperation(operation: SegmentOperation): number {
    const editor = this.writable;
    if (!editor || editor.editing) return 0;
    const label = this.active;
    const baseName = this.segments.find((s) => s.value === label)?.name ?? 'Segment';
    const added: Segment[] = [];
    // islands split off become new segments after the existing ones, largest first
    const newLabel = () => {
      const segment = newSegment([...this.segments, ...added], maxLabelOf(editor.data));
      added.push({ ...segment, name: `${baseName} ${added.length + 2}` });
      return segment.value;
    };
    editor.begin();
    let changed: number;
    try {
      changed = applySegmentOperation(editor, label, operation, this.policy, newLabel);
    } catch (err) {
      editor.cancel();
      this.error = (err as Error).message;
      return 0;
    }
    this.committed(editor.commit(operationName(operation)));
    if (added.length) {
      this.segments = [...this.segments, ...added];
      this.saveSegments();
    }
    return changed;
  }

  /**
   * Grow from seeds: every segment's voxels are seeds; the result is written as an open edit (a preview)
   * until acceptGrow() commits it or cancelGrow() puts the slices back. Works in the seeds' bounding box
   * grown by a quarter on each side, so a few strokes on a big CT do not flood the whole volume.
   */
  async previewGrow(): Promise<void> {
    const editor = this.writable;
    const volume = this.viewer.volume;
    const series = this.viewer.series;
    if (!editor || !volume || !series || editor.editing || this.growing) return;
    const seeded = new Uint8Array(editor.data.length);
    for (let i = 0; i < seeded.length; i++) if (editor.data[i]) seeded[i] = 1;
    const seedBox = maskBox(seeded, series.dims);
    if (!seedBox) {
      this.error = 'Paint seeds for at least two segments first (one of them around the structure)';
      return;
    }
    const pad = seedBox.max.map((v, a) => Math.ceil((v - seedBox.min[a]! + 1) / 4)) as Vec3;
    const box = padBox(seedBox, pad, series.dims);
    this.growing = true;
    let labels: LabelArray;
    try {
      // crops are copies, so the worker can own them while the views keep drawing the originals
      labels = await growInWorker({ dims: boxDims(box), spacing: [...series.spacing] as Vec3 /* not the state proxy: it is cloned */, image: cropGrid(volume.data, series.dims, box), seeds: cropGrid(editor.data, series.dims, box) });
    } catch (err) {
      this.error = (err as Error).message;
      return;
    } finally {
      this.growing = false;
    }
    if (this.editor !== editor || editor.editing) return; // closed, or another edit began meanwhile
    editor.begin();
    applyLabelling(editor, labels, box, this.policy);
    this.growPreview = true;
    this.viewer.revision++;
    this.viewer.labelChangedSlices = editor.touchedSlices();
    this.viewer.labelRevision++;
  }

  acceptGrow(): void {
    if (!this.editor || !this.growPreview) return;
    this.growPreview = false;
    this.committed(this.editor.commit('Grow from seeds'));
  }

  cancelGrow(): void {
    if (!this.editor || !this.growPreview) return;
    this.growPreview = false;
    this.viewer.labelChangedSlices = this.editor.cancel().slices;
    this.viewer.revision++;
    this.viewer.labelRevision++;
  }

  /** Voxels of each segment (for the panel), counted on demand. */
  voxelCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    const data = this.editor?.data;
    if (data) for (let i = 0; i < data.length; i++) if (data[i]) counts.set(data[i]!, (counts.get(data[i]!) ?? 0) + 1);
    return counts;
  }

  private committed(change: ChangeSet | null): void {
    this.updateHistory();
    if (!change || change.slices.length === 0) return;
    this.viewer.revision++;
    this.viewer.labelChangedSlices = change.slices;
    this.viewer.labelRevision++;
    this.persist(change.slices);
  }

  /** Send the current content of these slices to the store, after every earlier write. */
  private persist(changed: number[]): void {
    const editor = this.editor;
    if (!editor || this.segmentationId === null) return;
    const slices = [...new Set([...changed, ...this.sync.takeFailed()])];
    const length = editor.sliceLength;
    const Ctor = editor.data instanceof Uint8Array ? Uint8Array : Uint16Array;
    const payload = new Ctor(slices.length * length);
    slices.forEach((k, n) => payload.set(editor.data.subarray(k * length, (k + 1) * length), n * length));
    this.sync.writeSlices(slices, payload);
  }

  /** Resolves when every edit so far has reached the store. */
  flushed(): Promise<void> {
    return this.sync.flushed();
  }

  private saveSegments(): void {
    this.syncLabels();
    if (this.segmentationId === null) return;
    this.sync.setSegments($state.snapshot(this.segments) as Segment[]);
  }

  /** The viewer's overlay legend from the segments. */
  syncLabels(): void {
    this.viewer.labels = this.segments.map((s) => ({ value: s.value, name: s.name, color: [...s.color], visible: s.visible }));
  }

  private updateHistory(): void {
    this.canUndo = this.editor?.canUndo() ?? false;
    this.canRedo = this.editor?.canRedo() ?? false;
  }
}
