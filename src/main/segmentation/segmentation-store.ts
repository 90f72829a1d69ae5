/**
 * Segmentations in the store: a row per series (working segments, review state, revision, head
 * version), immutable versions (version-store.ts) and the autosave journal of slices edited since the
 * head (working-journal.ts). The working label map = head version + journal.
 *
 * Every write names the revision it was based on and runs in an IMMEDIATE transaction, so two windows
 * or processes on one data dir cannot overwrite each other: the stale one gets a conflict, and can keep
 * its work as a new version (keepMine) or reload theirs.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Segment } from '../../shared/editing/segments.js';
import { DelineateError } from '../../shared/errors.js';
import {
  editableInState,
  REVIEW_TRANSITIONS,
  type Provenance,
  type RecoveredWork,
  type ReviewState,
  type SegmentationInfo,
  type VersionInfo,
  type VersionSource,
} from '../../shared/segmentation.js';
import type { AuditLog } from '../store/audit-log.js';
import { authorOf, type AuthorSource } from '../store/authors.js';
import { withStorageErrors } from '../store/storage-errors.js';
import { encodeSparseXor } from './slice-codec.js';
import { DEFAULT_SNAPSHOT_POLICY, versionInfo, VersionStore, type SliceLayout, type SnapshotPolicy, type VersionRow } from './version-store.js';
import { WorkingJournal } from './working-journal.js';
import { compactRanges } from '../../shared/ranges.js';

export const SEGMENTATIONS_DIR = 'segmentations';

interface Row {
  id: number;
  series_id: number;
  label_type: 'uint8' | 'uint16';
  segments: string;
  review_state: ReviewState;
  updated_at: string;
  revision: number;
  changed_by: string;
  head_version_id: number | null;
}

export interface SeriesGrid {
  dims: [number, number, number];
}

/** A version other than a manual save: AI results, imported masks, merges. */
export interface VersionMeta {
  name: string;
  source: VersionSource;
  provenance: Provenance;
  segments?: Segment[];
}

const now = () => new Date().toISOString();
const bytesOf = (type: Row['label_type']) => (type === 'uint8' ? 1 : 2);
const layoutOf = (grid: SeriesGrid, type: Row['label_type']): SliceLayout => ({ sliceBytes: grid.dims[0] * grid.dims[1] * bytesOf(type), slices: grid.dims[2] });

export class SegmentationStore {
  private readonly versions: VersionStore;
  private readonly journal: WorkingJournal;
  /** slices of head versions (immutable, so never stale), for the deltas of the next edits */
  private readonly headSlices = new Map<string, Uint8Array>();

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly audit: AuditLog,
    private readonly authorSource: AuthorSource,
    policy: SnapshotPolicy = DEFAULT_SNAPSHOT_POLICY,
  ) {
    this.versions = new VersionStore(db, policy);
    this.journal = new WorkingJournal(db, randomUUID());
    this.removeLegacyLabelFiles();
  }

  private get author(): string {
    return authorOf(this.authorSource);
  }

  /** The series' working segmentation (created with one empty segment on first open), and unsaved work an earlier session left. */
  openForSeries(seriesId: number, grid: SeriesGrid): { info: SegmentationInfo; labels: Uint8Array; recovered: RecoveredWork | null } {
    let row = this.db.prepare('SELECT * FROM segmentations WHERE series_id = ?').get(seriesId) as Row | undefined;
    if (!row) {
      const segments: Segment[] = [{ value: 1, name: 'Segment 1', color: [128, 174, 128], visible: true, locked: false }];
      const stamp = now();
      const create = this.db.transaction(() => {
        // another process may have created it since the SELECT: then theirs stands
        const { changes, lastInsertRowid } = this.db
          .prepare("INSERT OR IGNORE INTO segmentations (series_id, label_type, segments, label_file, created_at, updated_at, changed_by) VALUES (?, 'uint8', ?, '', ?, ?, ?)")
          .run(seriesId, JSON.stringify(segments), stamp, stamp, this.author);
        if (changes) this.audit.record('create', 'segmentation', Number(lastInsertRowid), `empty label map for series ${seriesId}`);
      });
      withStorageErrors(this.dataDir, () => create.immediate());
      row = this.db.prepare('SELECT * FROM segmentations WHERE series_id = ?').get(seriesId) as Row;
    }
    // one read transaction: the head and the journal belong to the same revision
    return this.db.transaction(() => {
      const current = this.row(row.id);
      const labels = this.working(current, grid);
      return { info: this.info(current), labels, recovered: this.journal.recovered(current.id) };
    })();
  }

  /** Autosave edited slices (k indices, full content in that order) to the journal. */
  writeSlices(id: number, baseRevision: number, slices: number[], data: Uint8Array, grid: SeriesGrid): SegmentationInfo {
    return this.write(id, baseRevision, (row) => {
      const { sliceBytes } = layoutOf(grid, row.label_type);
      if (data.byteLength !== slices.length * sliceBytes) throw new DelineateError('invalid_params', `${slices.length} slice(s) need ${slices.length * sliceBytes} bytes, got ${data.byteLength}`);
      const outside = slices.find((k) => k >= grid.dims[2]);
      if (outside !== undefined) throw new DelineateError('invalid_params', `slice ${outside} is outside 0..${grid.dims[2] - 1}`);
      const deltas = slices.map((k, n) => [k, encodeSparseXor(this.headSlice(row, k, sliceBytes), data.subarray(n * sliceBytes, (n + 1) * sliceBytes))] as const);
      this.journal.write(id, deltas, this.author, now());
      this.audit.record('write-slices', 'segmentation', id, `slices ${compactRanges(slices)}`);
    });
  }

  setSegments(id: number, baseRevision: number, segments: Segment[]): SegmentationInfo {
    return this.write(id, baseRevision, (row) => {
      const limit = row.label_type === 'uint8' ? 255 : 65535;
      const tooBig = segments.find((s) => s.value > limit);
      if (tooBig) throw new DelineateError('invalid_params', `segment "${tooBig.name}" has label value ${tooBig.value}; this ${row.label_type} label map holds at most ${limit}`);
      this.db.prepare('UPDATE segmentations SET segments = ? WHERE id = ?').run(JSON.stringify(segments), id);
      this.audit.record('set-segments', 'segmentation', id, segments.map((s) => `${s.value}:${s.name}${s.locked ? ' (locked)' : ''}`).join(', '));
    });
  }

  /** Turn the working state into a named immutable version (parent: the head) and empty the journal. */
  saveVersion(id: number, baseRevision: number, name: string, grid: SeriesGrid): { info: SegmentationInfo; version: VersionInfo } {
    let versionId = 0;
    const info = this.write(id, baseRevision, (row) => {
      versionId = this.commitWorking(row, grid, name.trim() || `Version ${this.versions.nextNumber(id)}`, {});
    });
    return { info, version: versionInfo(this.versions.get(versionId)!) };
  }

  /**
   * Resolve a conflict by keeping this side's label map: whatever the other side left unsaved becomes a
   * version first (nothing is lost), then `labels` becomes a new version on top and the working state.
   */
  keepMine(id: number, name: string, labels: Uint8Array, segments: Segment[], grid: SeriesGrid): { info: SegmentationInfo; version: VersionInfo } {
    const meta: VersionMeta = { name: name.trim() || 'Kept after a conflict', source: 'manual', provenance: { note: 'kept after an edit conflict' }, segments };
    return this.addOnTop(id, labels, meta, grid, `saved when ${this.author} resolved an edit conflict by keeping their own`, (version) =>
      this.audit.record('resolve-conflict', 'segmentation', id, `kept own label map as version ${version.number}`),
    );
  }

  /** Store a whole label map as a new version (AI result, imported mask, merge); unsaved edits are saved first. */
  addVersion(id: number, labels: Uint8Array, meta: VersionMeta, grid: SeriesGrid): { info: SegmentationInfo; version: VersionInfo } {
    return this.addOnTop(id, labels, meta, grid, `saved before a ${meta.source} version was added`);
  }

  /** One write: unsaved work (if any) becomes a version noted `unsavedNote`, then `labels` a version on top. */
  private addOnTop(id: number, labels: Uint8Array, meta: VersionMeta, grid: SeriesGrid, unsavedNote: string, then?: (version: VersionRow) => void): { info: SegmentationInfo; version: VersionInfo } {
    let versionId = 0;
    const info = this.write(id, null, (row) => {
      if (this.journal.count(id) > 0) {
        this.commitWorking(row, grid, `Unsaved work of ${row.changed_by}`, { note: unsavedNote });
        row = this.row(id);
      }
      versionId = this.commitLabels(row, labels, grid, meta);
      then?.(this.versions.get(versionId)!);
    });
    return { info, version: versionInfo(this.versions.get(versionId)!) };
  }

  listVersions(id: number): VersionInfo[] {
    this.row(id);
    return this.versions.list(id);
  }

  /** One version's label map (bytes) and its record. */
  loadVersion(id: number, versionId: number, grid: SeriesGrid): { version: VersionInfo; labels: Uint8Array } {
    const version = this.versions.get(versionId);
    if (!version || version.segmentation_id !== id) throw new DelineateError('not_found', `Segmentation ${id} has no version ${versionId}`);
    return { version: versionInfo(version), labels: this.versions.load(versionId, layoutOf(grid, version.label_type)) };
  }

  /** Move through review; the transition is recorded with its author and comment. */
  review(id: number, to: ReviewState, comment: string): SegmentationInfo {
    const transition = this.db.transaction(() => {
      const row = this.row(id);
      const from = row.review_state;
      if (!REVIEW_TRANSITIONS[from].includes(to)) {
        throw new DelineateError('conflict', `A ${from} segmentation cannot become ${to} (it can become: ${REVIEW_TRANSITIONS[from].join(', ')})`, { from, to });
      }
      if (to === 'changes-requested' && !comment.trim()) throw new DelineateError('invalid_params', 'Say what should change: requesting changes needs a comment');
      const at = now();
      this.db.prepare('UPDATE segmentations SET review_state = ?, updated_at = ? WHERE id = ?').run(to, at, id);
      this.db.prepare('INSERT INTO segmentation_reviews (segmentation_id, from_state, to_state, author, comment, at) VALUES (?, ?, ?, ?, ?, ?)').run(id, from, to, this.author, comment, at);
      this.audit.record('review', 'segmentation', id, `${from} → ${to}${comment ? `: ${comment}` : ''}`);
      return this.info(this.row(id));
    });
    return withStorageErrors(this.dataDir, () => transition.immediate());
  }

  /** One segmentation as the contract describes it (head version, review state, segments). */
  describe(id: number): SegmentationInfo {
    return this.info(this.row(id));
  }

  /** The segmentation of a series, or null when it has none yet. */
  segmentationOfSeries(seriesId: number): number | null {
    const row = this.db.prepare('SELECT id FROM segmentations WHERE series_id = ?').get(seriesId) as { id: number } | undefined;
    return row?.id ?? null;
  }

  seriesOf(id: number): number {
    return this.row(id).series_id;
  }

  labelTypeOf(id: number): 'uint8' | 'uint16' {
    return this.row(id).label_type;
  }

  /**
   * One write: checks, inside an IMMEDIATE transaction, that the segmentation is editable and still at
   * `baseRevision` (null: no check, for writes that never overwrite), then bumps the revision.
   */
  private write(id: number, baseRevision: number | null, body: (row: Row) => void): SegmentationInfo {
    const write = this.db.transaction(() => {
      const row = this.row(id);
      if (!editableInState(row.review_state)) {
        throw new DelineateError('conflict', `Segmentation ${id} is ${row.review_state} and read-only: ${row.review_state === 'accepted' ? 'reopen it as a draft' : 'wait for the review, or withdraw it'} to edit`, { state: row.review_state });
      }
      if (baseRevision !== null && baseRevision !== row.revision) {
        throw new DelineateError(
          'conflict',
          `Segmentation ${id} was changed by ${row.changed_by || 'someone'} at ${row.updated_at} (in another window or process) after you loaded it: keep yours as a new version, or take theirs`,
          { reason: 'stale', revision: row.revision, baseRevision, changedBy: row.changed_by, updatedAt: row.updated_at },
        );
      }
      body(row);
      this.db.prepare('UPDATE segmentations SET revision = revision + 1, updated_at = ?, changed_by = ? WHERE id = ?').run(now(), this.author, id);
      return this.info(this.row(id));
    });
    return withStorageErrors(this.dataDir, () => write.immediate());
  }

  /** Journal → new version (parent: head); inside a write. Returns the version id. */
  private commitWorking(row: Row, grid: SeriesGrid, name: string, provenance: Provenance): number {
    const layout = layoutOf(grid, row.label_type);
    const versionId = this.versions.create(
      { segmentationId: row.id, parentId: row.head_version_id, name, author: this.author, source: 'manual', provenance, labelType: row.label_type, segments: JSON.parse(row.segments) as Segment[] },
      layout,
      this.journal.deltas(row.id),
      () => this.working(row, grid),
    );
    this.setHead(row.id, versionId);
    this.audit.record('save-version', 'segmentation', row.id, `version ${this.versions.get(versionId)!.number} "${name}"`);
    return versionId;
  }

  /** A whole label map → new version (parent: head), made the working state; inside a write. */
  private commitLabels(row: Row, labels: Uint8Array, grid: SeriesGrid, meta: VersionMeta): number {
    const layout = layoutOf(grid, row.label_type);
    if (labels.byteLength !== layout.sliceBytes * layout.slices) throw new DelineateError('invalid_params', `a label map on this grid has ${layout.sliceBytes * layout.slices} bytes, got ${labels.byteLength}`);
    const head = row.head_version_id === null ? new Uint8Array(labels.byteLength) : this.versions.load(row.head_version_id, layout);
    const deltas = new Map<number, Uint8Array>();
    for (let k = 0; k < layout.slices; k++) {
      const slice = (bytes: Uint8Array) => bytes.subarray(k * layout.sliceBytes, (k + 1) * layout.sliceBytes);
      const delta = encodeSparseXor(slice(head), slice(labels));
      if (delta.byteLength) deltas.set(k, delta);
    }
    const segments = meta.segments ?? (JSON.parse(row.segments) as Segment[]);
    const versionId = this.versions.create(
      { segmentationId: row.id, parentId: row.head_version_id, name: meta.name, author: this.author, source: meta.source, provenance: meta.provenance, labelType: row.label_type, segments },
      layout,
      deltas,
      () => labels,
    );
    this.db.prepare('UPDATE segmentations SET segments = ? WHERE id = ?').run(JSON.stringify(segments), row.id);
    this.setHead(row.id, versionId);
    this.audit.record('add-version', 'segmentation', row.id, `version ${this.versions.get(versionId)!.number} "${meta.name}" (${meta.source})`);
    return versionId;
  }

  private setHead(id: number, versionId: number): void {
    this.db.prepare('UPDATE segmentations SET head_version_id = ? WHERE id = ?').run(versionId, id);
    this.journal.clear(id);
  }

  /** Slice k of the head version (zeros before the first), cached: edits keep hitting the same slices. */
  private headSlice(row: Row, k: number, sliceBytes: number): Uint8Array {
    if (row.head_version_id === null) return new Uint8Array(sliceBytes);
    const key = `${row.head_version_id}:${k}`;
    let slice = this.headSlices.get(key);
    if (!slice) {
      slice = this.versions.loadSlice(row.head_version_id, k, sliceBytes);
      if (this.headSlices.size >= 64) this.headSlices.delete(this.headSlices.keys().next().value!);
      this.headSlices.set(key, slice);
    }
    return slice;
  }

  /** Head version + journal, as bytes. */
  private working(row: Row, grid: SeriesGrid): Uint8Array {
    const layout = layoutOf(grid, row.label_type);
    const labels = row.head_version_id === null ? new Uint8Array(layout.sliceBytes * layout.slices) : this.versions.load(row.head_version_id, layout);
    this.journal.overlay(row.id, labels, layout.sliceBytes);
    return labels;
  }

  private row(id: number): Row {
    const row = this.db.prepare('SELECT * FROM segmentations WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new DelineateError('not_found', `No segmentation ${id}`);
    return row;
  }

  private info(row: Row): SegmentationInfo {
    const head = row.head_version_id === null ? undefined : this.versions.get(row.head_version_id);
    return {
      id: row.id,
      seriesId: row.series_id,
      labelType: row.label_type,
      segments: JSON.parse(row.segments) as Segment[],
      reviewState: row.review_state,
      updatedAt: row.updated_at,
      revision: row.revision,
      changedBy: row.changed_by,
      headVersion: head ? versionInfo(head) : null,
      unsavedSlices: this.journal.count(row.id),
    };
  }

  /** Label files from before versioning (migration 5 copied them into version 1). */
  private removeLegacyLabelFiles(): void {
    const dir = path.join(this.dataDir, SEGMENTATIONS_DIR);
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir)) if (name.endsWith('.labels')) fs.rmSync(path.join(dir, name), { force: true });
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  }
}
