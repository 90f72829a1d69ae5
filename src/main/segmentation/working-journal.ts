/**
 * The autosave journal: every slice edited since the head version, as a sparse XOR delta against the
 * head's slice, upserted in the edit's own transaction, so a crash loses nothing acknowledged (SQLite
 * WAL: committed means in the log). "Save version" stores these deltas as the new version's and
 * empties the journal.
 */
import type { Database } from 'better-sqlite3';
import type { RecoveredWork } from '../../shared/segmentation.js';
import { applySparseXor } from './slice-codec.js';

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

  /** Journal slices (k, delta against the head; empty: back to the head's); inside the write's transaction. */
  write(segmentationId: number, slices: readonly (readonly [number, Uint8Array])[], author: string, at: string): void {
    for (const [k, delta] of slices) this.upsert.run(segmentationId, k, delta, this.session, author, at);
  }

  /** Apply the journalled deltas to the head's label map (bytes, slice after slice). */
  overlay(segmentationId: number, labels: Uint8Array, sliceBytes: number): void {
    for (const row of this.rows.iterate(segmentationId) as Iterable<JournalRow>) applySparseXor(row.payload, labels.subarray(row.k * sliceBytes, (row.k + 1) * sliceBytes));
  }

  /** The journalled deltas (k → payload): what "save version" stores. */
  deltas(segmentationId: number): Map<number, Uint8Array> {
    return new Map((this.rows.all(segmentationId) as JournalRow[]).map((row) => [row.k, row.payload]));
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
