/**
 * The autosave journal: every edited slice's full content since the head version, upserted in the
 * edit's own transaction, so a crash loses nothing acknowledged (SQLite WAL: committed means in the
 * log). "Save version" turns the journal into a version and empties it.
 */
import type { Database } from 'better-sqlite3';
import type { RecoveredWork } from '../../shared/segmentation.js';
import { compressSlice, decompressSliceInto } from './slice-codec.js';

interface JournalRow {
  k: number;
  payload: Uint8Array;
}

export class WorkingJournal {
  private readonly upsert;
  private readonly rows;

  constructor(
    private readonly db: Database,
    /** this process's launch: work journalled by another session is "recovered" when opened */
    readonly session: string,
  ) {
    this.upsert = db.prepare(
      'INSERT INTO working_slices (segmentation_id, k, payload, session, author, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (segmentation_id, k) DO UPDATE SET payload = excluded.payload, session = excluded.session, author = excluded.author, at = excluded.at',
    );
    this.rows = db.prepare('SELECT k, payload FROM working_slices WHERE segmentation_id = ? ORDER BY k');
  }

  /** Journal slices (k, full content); call inside the write's transaction. */
  write(segmentationId: number, slices: readonly (readonly [number, Uint8Array])[], author: string, at: string): void {
    for (const [k, bytes] of slices) this.upsert.run(segmentationId, k, compressSlice(bytes), this.session, author, at);
  }

  /** Overlay the journalled slices onto a label map (bytes, slice after slice). */
  overlay(segmentationId: number, labels: Uint8Array, sliceBytes: number): void {
    for (const row of this.rows.iterate(segmentationId) as Iterable<JournalRow>) decompressSliceInto(row.payload, labels.subarray(row.k * sliceBytes, (row.k + 1) * sliceBytes));
  }

  /** The journalled slices, decompressed: what "save version" stores. */
  changed(segmentationId: number, sliceBytes: number): Map<number, Uint8Array> {
    const changed = new Map<number, Uint8Array>();
    for (const row of this.rows.iterate(segmentationId) as Iterable<JournalRow>) {
      const bytes = new Uint8Array(sliceBytes);
      decompressSliceInto(row.payload, bytes);
      changed.set(row.k, bytes);
    }
    return changed;
  }

  count(segmentationId: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM working_slices WHERE segmentation_id = ?').get(segmentationId) as { n: number }).n;
  }

  /** Work another session journalled and nobody saved as a version (null when there is none). */
  recovered(segmentationId: number): RecoveredWork | null {
    const row = this.db
      .prepare('SELECT count(*) AS n, max(at) AS last, json_group_array(DISTINCT author) AS authors FROM working_slices WHERE segmentation_id = ? AND session != ?')
      .get(segmentationId, this.session) as { n: number; last: string | null; authors: string | null };
    return row.n ? { slices: row.n, lastEditAt: row.last!, authors: JSON.parse(row.authors!) as string[] } : null;
  }

  clear(segmentationId: number): void {
    this.db.prepare('DELETE FROM working_slices WHERE segmentation_id = ?').run(segmentationId);
  }
}
