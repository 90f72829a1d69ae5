/** Rows written straight into an older-schema store, for migration tests. */
import type { Database } from 'better-sqlite3';

/** One study with one int16 DICOM series on a `dims` grid (id 1 each in a fresh store). */
export function insertStudyAndSeries(db: Database, dims: [number, number, number]): void {
  db.exec(`INSERT INTO studies (study_instance_uid, patient_name, patient_id, patient_birth_date, patient_sex, study_date, study_time, description, accession_number, created_at)
    VALUES ('1.2', '', '', '', '', '', '', '', '', 'now')`);
  db.prepare(
    `INSERT INTO series (study_id, series_key, series_instance_uid, source_kind, modality, description, dims, spacing, affine_lps, voxel_type, components, transfer_syntaxes, warnings, display_inverted, volume_file, volume_bytes, imported_at)
     VALUES (1, 'k', '1.2.3', 'dicom', 'CT', '', ?, '[1,1,1]', '[]', 'int16', 1, '[]', '[]', 0, 'v', ?, 'now')`,
  ).run(JSON.stringify(dims), dims[0] * dims[1] * dims[2] * 2);
}
