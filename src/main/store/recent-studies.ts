/**
 * Recently opened studies (File > Open Recent, the study browser's recent list): newest first, at
 * most RECENT_LIMIT. Kept in the store (recent_studies, migration 7), so a deleted study drops out.
 */
import type { Database } from 'better-sqlite3';
import { DelineateError } from '../../shared/errors.js';
import type { RecentStudy } from '../../shared/desktop.js';

export const RECENT_LIMIT = 10;

export class RecentStudies {
  constructor(private readonly db: Database) {}

  list(limit = RECENT_LIMIT): RecentStudy[] {
    return this.db
      .prepare(
        `SELECT r.study_id AS studyId, s.patient_name AS patientName, s.description AS description, r.opened_at AS openedAt
         FROM recent_studies r JOIN studies s ON s.id = r.study_id
         ORDER BY r.seq DESC LIMIT ?`,
      )
      .all(limit) as RecentStudy[];
  }

  /** Record that a study was opened now; only the newest RECENT_LIMIT are kept. */
  markOpened(studyId: number, at = new Date()): RecentStudy[] {
    this.db.transaction(() => {
      const exists = this.db.prepare('SELECT 1 FROM studies WHERE id = ?').get(studyId);
      if (!exists) throw new DelineateError('not_found', `No study ${studyId}`);
      this.db
        .prepare(
          `INSERT INTO recent_studies (study_id, opened_at, seq) VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM recent_studies))
           ON CONFLICT (study_id) DO UPDATE SET opened_at = excluded.opened_at, seq = excluded.seq`,
        )
        .run(studyId, at.toISOString());
      this.db.prepare('DELETE FROM recent_studies WHERE study_id NOT IN (SELECT study_id FROM recent_studies ORDER BY seq DESC LIMIT ?)').run(RECENT_LIMIT);
    })();
    return this.list();
  }
}
