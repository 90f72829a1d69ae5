import type { Database } from 'better-sqlite3';

/**
 * Forward-only, numbered schema migrations. Never edit a migration that has shipped: add the next one.
 * Each runs in its own transaction together with its row in schema_migrations.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'app metadata',
    up(db) {
      db.exec(`
        CREATE TABLE app_meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
        INSERT INTO app_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
        INSERT INTO app_meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
      `);
    },
  },
  {
    version: 2,
    name: 'imported studies, series and their source files',
    up(db) {
      db.exec(`
        CREATE TABLE studies (
          id                 INTEGER PRIMARY KEY,
          study_instance_uid TEXT NOT NULL UNIQUE,
          patient_name       TEXT NOT NULL,
          patient_id         TEXT NOT NULL,
          patient_birth_date TEXT NOT NULL,
          patient_sex        TEXT NOT NULL,
          study_date         TEXT NOT NULL,
          study_time         TEXT NOT NULL,
          description        TEXT NOT NULL,
          accession_number   TEXT NOT NULL,
          created_at         TEXT NOT NULL
        ) STRICT;
        -- one row per volume: a DICOM series, a stack split from one, or a NIfTI file
        CREATE TABLE series (
          id                  INTEGER PRIMARY KEY,
          study_id            INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
          series_key          TEXT NOT NULL UNIQUE,
          series_instance_uid TEXT NOT NULL,
          source_kind         TEXT NOT NULL CHECK (source_kind IN ('dicom', 'nifti')),
          modality            TEXT NOT NULL,
          description         TEXT NOT NULL,
          series_number       INTEGER,
          split_reason        TEXT,
          dims                TEXT NOT NULL,
          spacing             TEXT NOT NULL,
          affine_lps          TEXT NOT NULL,
          voxel_type          TEXT NOT NULL,
          components          INTEGER NOT NULL,
          transfer_syntaxes   TEXT NOT NULL,
          warnings            TEXT NOT NULL,
          display_inverted    INTEGER NOT NULL,
          volume_file         TEXT NOT NULL,
          volume_bytes        INTEGER NOT NULL,
          imported_at         TEXT NOT NULL
        ) STRICT;
        CREATE INDEX series_study ON series (study_id);
        CREATE TABLE series_sources (
          series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          path      TEXT NOT NULL,
          size      INTEGER NOT NULL,
          mtime_ms  REAL NOT NULL,
          sha256    TEXT NOT NULL,
          PRIMARY KEY (series_id, path)
        ) STRICT;
      `);
    },
  },
  {
    version: 3,
    name: 'segmentations: one label map per series, with its segments',
    up(db) {
      db.exec(`
        CREATE TABLE segmentations (
          id         INTEGER PRIMARY KEY,
          series_id  INTEGER NOT NULL UNIQUE REFERENCES series(id) ON DELETE CASCADE,
          label_type TEXT NOT NULL CHECK (label_type IN ('uint8', 'uint16')),
          segments   TEXT NOT NULL,
          label_file TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 4,
    name: 'review states and the append-only audit log',
    up(db) {
      db.exec(`
        ALTER TABLE segmentations ADD COLUMN review_state TEXT NOT NULL DEFAULT 'draft'
          CHECK (review_state IN ('draft', 'submitted', 'accepted', 'changes-requested'));
        CREATE TABLE segmentation_reviews (
          id              INTEGER PRIMARY KEY,
          segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
          from_state      TEXT NOT NULL,
          to_state        TEXT NOT NULL,
          author          TEXT NOT NULL,
          comment         TEXT NOT NULL,
          at              TEXT NOT NULL
        ) STRICT;
        CREATE TABLE audit_log (
          id        INTEGER PRIMARY KEY,
          at        TEXT NOT NULL,
          author    TEXT NOT NULL,
          action    TEXT NOT NULL,
          entity    TEXT NOT NULL,
          entity_id INTEGER,
          detail    TEXT NOT NULL
        ) STRICT;
        CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      `);
    },
  },
];
