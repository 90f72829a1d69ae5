/**
 * Segmentations in the store: a row per series (segments as JSON, label type) and the label map as a
 * raw file under <dataDir>/segmentations, written slice by slice as edits arrive. Crash-safe
 * versioning with provenance builds on this (the versioning issue).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { LabelArray } from '../../shared/editing/grid.js';
import type { Segment } from '../../shared/editing/segments.js';
import { DelineateError } from '../../shared/errors.js';
import { editableInState, REVIEW_TRANSITIONS, type ReviewState, type SegmentationInfo } from '../../shared/segmentation.js';
import type { AuditLog } from '../store/audit-log.js';
import { writeAt } from '../studies/volume-cache.js';

export const SEGMENTATIONS_DIR = 'segmentations';

interface Row {
  id: number;
  series_id: number;
  label_type: 'uint8' | 'uint16';
  segments: string;
  label_file: string;
  review_state: ReviewState;
  updated_at: string;
}

export interface SeriesGrid {
  dims: [number, number, number];
}

const now = () => new Date().toISOString();
const bytesOf = (type: Row['label_type']) => (type === 'uint8' ? 1 : 2);

export class SegmentationStore {
  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly audit: AuditLog,
    private readonly author: string,
  ) {}

  /** The series' segmentation, created (one empty segment, zero labels) when it has none. */
  openForSeries(seriesId: number, grid: SeriesGrid): SegmentationInfo & { labels: LabelArray } {
    let row = this.db.prepare('SELECT * FROM segmentations WHERE series_id = ?').get(seriesId) as Row | undefined;
    const voxels = grid.dims[0] * grid.dims[1] * grid.dims[2];
    if (!row) {
      const labelFile = path.posix.join(SEGMENTATIONS_DIR, `series-${seriesId}.labels`);
      const file = path.join(this.dataDir, labelFile);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, new Uint8Array(0));
      fs.truncateSync(file, voxels); // zeros: no labels yet
      const segments: Segment[] = [{ value: 1, name: 'Segment 1', color: [128, 174, 128], visible: true, locked: false }];
      const stamp = now();
      const id = this.db.transaction(() => {
        const { lastInsertRowid } = this.db
          .prepare('INSERT INTO segmentations (series_id, label_type, segments, label_file, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(seriesId, 'uint8', JSON.stringify(segments), labelFile, stamp, stamp);
        this.audit.record('create', 'segmentation', Number(lastInsertRowid), `empty label map for series ${seriesId}`);
        return Number(lastInsertRowid);
      })();
      row = this.row(id);
    }
    const file = path.join(this.dataDir, row.label_file);
    const data = fs.readFileSync(file);
    const expected = voxels * bytesOf(row.label_type);
    if (data.byteLength !== expected) throw new DelineateError('internal', `${file}: label map has ${data.byteLength} bytes, the series grid needs ${expected}`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { ...this.info(row), labels: row.label_type === 'uint8' ? bytes : new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2) };
  }

  /** Write whole slices (k indices) of the label map; `data` holds them in that order. */
  writeSlices(id: number, slices: number[], data: Uint8Array, grid: SeriesGrid): { slices: number; updatedAt: string } {
    const row = this.editableRow(id);
    const sliceBytes = grid.dims[0] * grid.dims[1] * bytesOf(row.label_type);
    if (data.byteLength !== slices.length * sliceBytes) {
      throw new DelineateError('invalid_params', `${slices.length} slice(s) need ${slices.length * sliceBytes} bytes, got ${data.byteLength}`);
    }
    const outside = slices.find((k) => k >= grid.dims[2]);
    if (outside !== undefined) throw new DelineateError('invalid_params', `slice ${outside} is outside 0..${grid.dims[2] - 1}`);
    const fd = fs.openSync(path.join(this.dataDir, row.label_file), 'r+');
    try {
      slices.forEach((k, n) => writeAt(fd, data.subarray(n * sliceBytes, (n + 1) * sliceBytes), k * sliceBytes));
    } finally {
      fs.closeSync(fd);
    }
    const updatedAt = now();
    this.db.transaction(() => {
      this.db.prepare('UPDATE segmentations SET updated_at = ? WHERE id = ?').run(updatedAt, id);
      this.audit.record('write-slices', 'segmentation', id, `slices ${describeSlices(slices)}`);
    })();
    return { slices: slices.length, updatedAt };
  }

  /** Move through review; the transition is recorded with its author and comment. */
  review(id: number, to: ReviewState, comment: string): SegmentationInfo {
    const row = this.row(id);
    const from = row.review_state;
    if (!REVIEW_TRANSITIONS[from].includes(to)) {
      throw new DelineateError('conflict', `A ${from} segmentation cannot become ${to} (it can become: ${REVIEW_TRANSITIONS[from].join(', ')})`, { from, to });
    }
    if (to === 'changes-requested' && !comment.trim()) throw new DelineateError('invalid_params', 'Say what should change: requesting changes needs a comment');
    const at = now();
    this.db.transaction(() => {
      this.db.prepare('UPDATE segmentations SET review_state = ?, updated_at = ? WHERE id = ?').run(to, at, id);
      this.db.prepare('INSERT INTO segmentation_reviews (segmentation_id, from_state, to_state, author, comment, at) VALUES (?, ?, ?, ?, ?, ?)').run(id, from, to, this.author, comment, at);
      this.audit.record('review', 'segmentation', id, `${from} → ${to}${comment ? `: ${comment}` : ''}`);
    })();
    return this.info(this.row(id));
  }

  setSegments(id: number, segments: Segment[]): SegmentationInfo {
    const row = this.editableRow(id);
    const limit = row.label_type === 'uint8' ? 255 : 65535;
    const tooBig = segments.find((s) => s.value > limit);
    if (tooBig) throw new DelineateError('invalid_params', `segment "${tooBig.name}" has label value ${tooBig.value}; this ${row.label_type} label map holds at most ${limit}`);
    this.db.transaction(() => {
      this.db.prepare('UPDATE segmentations SET segments = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(segments), now(), id);
      this.audit.record('set-segments', 'segmentation', id, segments.map((s) => `${s.value}:${s.name}${s.locked ? ' (locked)' : ''}`).join(', '));
    })();
    return this.info(this.row(id));
  }

  seriesOf(id: number): number {
    return this.row(id).series_id;
  }

  /** The row, when edits may be written to it (draft or changes requested). */
  private editableRow(id: number): Row {
    const row = this.row(id);
    if (!editableInState(row.review_state)) {
      throw new DelineateError('conflict', `Segmentation ${id} is ${row.review_state} and read-only: ${row.review_state === 'accepted' ? 'reopen it as a draft' : 'wait for the review, or withdraw it'} to edit`, { state: row.review_state });
    }
    return row;
  }

  private row(id: number): Row {
    const row = this.db.prepare('SELECT * FROM segmentations WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new DelineateError('not_found', `No segmentation ${id}`);
    return row;
  }

  private info(row: Row): SegmentationInfo {
    return { id: row.id, seriesId: row.series_id, labelType: row.label_type, segments: JSON.parse(row.segments) as Segment[], reviewState: row.review_state, updatedAt: row.updated_at };
  }
}

/** "3–7, 12" for the audit log. */
function describeSlices(slices: number[]): string {
  const sorted = [...slices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
