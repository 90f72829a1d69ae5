/**
 * What the viewer shows: one open series, the linked cursor (a voxel index shared by every view),
 * window/level, per-view zoom/pan, the layout and loading progress. Views render from this state.
 */
import { CT_WINDOW_PRESETS, VIEW_ORIENTATIONS, percentileWindow, viewMapping, type ViewMapping, type ViewOrientation, type WindowLevel } from '../../shared/view-geometry.js';
import { transformPoint } from '../../shared/geometry.js';
import type { SeriesSummary } from '../../shared/studies.js';
import type { Vec3 } from '../../shared/volume.js';
import type { HostClient } from '../lib/host-client.js';
import { loadVolume, type LoadedVolume } from '../viewer/volume-loader.js';
import type { LabelFrame, Ruler, ViewTransform } from '../viewer/slice-renderer.js';
import { defaultLabelColor, labelsPresent, sameGrid, type LabelInfo } from '../../shared/labels.js';
import type { VoxelArray } from '../../shared/volume.js';
import { EditingState } from './editing.svelte.js';
import type { Box } from '../../shared/editing/grid.js';

export type Layout = '1x1' | '1+3' | '2x2';

/** Every slice view fitted to its cell, centred. */
const fittedTransforms = (): Record<ViewOrientation, ViewTransform> => ({
  axial: { zoom: 1, panX: 0, panY: 0 },
  coronal: { zoom: 1, panX: 0, panY: 0 },
  sagittal: { zoom: 1, panX: 0, panY: 0 },
});
export type ViewId = ViewOrientation | '3d';

export class ViewerState {
  series = $state<SeriesSummary | null>(null);
  volume = $state.raw<LoadedVolume | null>(null);
  /** bumps whenever voxels arrive, so views redraw */
  revision = $state(0);
  loadedSlices = $state(0);
  error = $state<string | null>(null);
  cursor = $state<Vec3>([0, 0, 0]);
  window = $state<WindowLevel>({ width: 400, center: 40 });
  preset = $state<string>('');
  layout = $state<Layout>('1+3');
  maximized = $state<ViewId | null>(null);
  transforms = $state<Record<ViewOrientation, ViewTransform>>(fittedTransforms());
  mappings = $derived.by((): Record<ViewOrientation, ViewMapping> | null => {
    const s = this.series;
    if (!s) return null;
    return Object.fromEntries(VIEW_ORIENTATIONS.map((o) => [o, viewMapping(o, s.dims, s.affineLps)])) as Record<ViewOrientation, ViewMapping>;
  });
  /** a label map on the same grid, shown over every view */
  labelVolume = $state.raw<{ seriesId: number; description: string; data: VoxelArray } | null>(null);
  labels = $state<LabelInfo[]>([]);
  labelOpacity = $state(0.5);
  labelOutline = $state(false);
  /** bumps when label voxels change in place (edits), so views that upload labels refresh */
  labelRevision = $state(0);
  /** the k slices the latest labelRevision changed (null: any of them) */
  labelChangedSlices: number[] | null = null;
  /** the latest brush dab: slice views showing any of its voxels blend their labels again */
  labelEdit = $state.raw<{ serial: number; box: Box } | null>(null);
  labelFrame = $derived.by((): LabelFrame | null => {
    void this.labelRevision;
    if (!this.labelVolume) return null;
    const colors = new Map(this.labels.filter((l) => l.visible).map((l) => [l.value, l.color] as const));
    return { data: this.labelVolume.data, colors, opacity: this.labelOpacity, outline: this.labelOutline };
  });
  /** what a left-drag does in a slice view */
  tool = $state<'crosshair' | 'ruler'>('crosshair');
  /** length measurements, each on one view's slice */
  rulers = $state<(Ruler & { orientation: ViewOrientation; slice: number })[]>([]);
  private abort: AbortController | null = null;
  /** segment editing of the open series */
  readonly editing: EditingState;

  constructor(private readonly client: HostClient) {
    this.editing = new EditingState(client, this);
  }

  get isCt(): boolean {
    return this.series?.modality === 'CT';
  }

  async open(seriesId: number): Promise<void> {
    this.close();
    const abort = new AbortController();
    this.abort = abort;
    try {
      const series = await this.client.call('series.get', { seriesId });
      this.series = series;
      this.cursor = series.dims.map((d) => Math.floor(d / 2)) as Vec3;
      this.transforms = fittedTransforms();
      if (series.modality === 'CT') this.applyPreset('soft tissue');
      let firstSlab = true;
      let lastRedraw = 0;
      await loadVolume(
        this.client,
        series,
        (volume, loaded) => {
          this.volume = volume;
          this.loadedSlices = loaded;
          // MR and other non-HU data: window from the percentiles of the first slab, the middle slice
          if (firstSlab && series.modality !== 'CT') {
            const sliceLength = series.dims[0] * series.dims[1] * series.components;
            const middle = Math.floor(series.dims[2] / 2);
            this.window = percentileWindow(volume.data.subarray(middle * sliceLength, (middle + 1) * sliceLength));
          }
          // redraw for the first slab, then at most ~10 times a second while the rest streams in, so
          // the UI's work stays bounded however many slabs a volume has
          const now = performance.now();
          if (firstSlab || now - lastRedraw > 100) {
            lastRedraw = now;
            this.revision++;
          }
          firstSlab = false;
        },
        abort.signal,
      );
      if (series.modality !== 'CT') this.window = percentileWindow(this.volume!.data);
      this.revision++;
    } catch (err) {
      if (!abort.signal.aborted) this.error = (err as Error).message;
    }
  }

  async openByUid(uid: string): Promise<void> {
    try {
      const series = await this.client.call('series.find', { seriesInstanceUid: uid });
      this.layout = '1+3';
      await this.open(series.id);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Show an integer series on the same grid as the open one as a label map. */
  async showAsLabels(seriesId: number): Promise<void> {
    const open = this.series;
    if (!open) return;
    try {
      const candidate = await this.client.call('series.get', { seriesId });
      if (!sameGrid(candidate, open)) {
        throw new Error(`${candidate.description || 'That series'} (${candidate.dims.join('×')}) is not on the grid of the open series (${open.dims.join('×')}, same affine within 1e-3 mm)`);
      }
      if (candidate.voxelType.startsWith('float') || candidate.components !== 1) throw new Error(`${candidate.description}: a label map needs integer voxels`);
      const loaded = await loadVolume(this.client, candidate, () => undefined, new AbortController().signal);
      this.editing.reset();
      this.labelVolume = { seriesId, description: candidate.description, data: loaded.data };
      this.labels = labelsPresent(loaded.data).map((value) => ({ value, name: `label ${value}`, color: defaultLabelColor(value), visible: true }));
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  clearLabels(): void {
    this.editing.reset();
    this.labelVolume = null;
    this.labels = [];
  }

  close(): void {
    this.clearLabels();
    this.rulers = [];
    this.abort?.abort();
    this.abort = null;
    this.series = null;
    this.volume = null;
    this.loadedSlices = 0;
    this.error = null;
    this.maximized = null;
  }

  applyPreset(name: string): void {
    const preset = CT_WINDOW_PRESETS[name];
    if (preset) {
      this.window = { ...preset };
      this.preset = name;
    } else if (name === 'auto' && this.volume) {
      this.window = percentileWindow(this.volume.data);
      this.preset = 'auto';
    }
  }

  /** Right-drag: horizontal changes width, vertical changes level (scaled to the current width). */
  adjustWindow(dx: number, dy: number): void {
    const factor = Math.max(1, this.window.width) / 256;
    this.window = { width: Math.max(1, this.window.width + dx * factor), center: this.window.center - dy * factor };
    this.preset = '';
  }

  setCursorAxis(axis: 0 | 1 | 2, value: number): void {
    const dims = this.series?.dims;
    if (!dims) return;
    const next = [...this.cursor] as Vec3;
    next[axis] = Math.min(dims[axis] - 1, Math.max(0, Math.round(value)));
    this.cursor = next;
  }

  setCursor(ijk: Vec3): void {
    const dims = this.series?.dims;
    if (!dims) return;
    this.cursor = ijk.map((v, a) => Math.min(dims[a]! - 1, Math.max(0, Math.round(v)))) as Vec3;
  }

  /** Value and patient position (LPS mm) at the cursor. */
  readout(): { value: number | null; world: Vec3 } | null {
    if (!this.series) return null;
    const [nx, ny] = this.series.dims;
    const [i, j, k] = this.cursor;
    const world = transformPoint(this.series.affineLps, this.cursor);
    const loaded = this.volume?.sliceLoaded[k] === 1;
    const c = this.series.components;
    const value = loaded && this.volume && c === 1 ? this.volume.data[(k * ny + j) * nx + i]! : null;
    return { value, world };
  }

  toggleMaximized(view: ViewId): void {
    this.maximized = this.maximized === view ? null : view;
  }
}
