import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { compressSlice } from '../segmentation/slice-codec.js';

/**
 * Forward-only, numbered schema migrations. Never edit a migration that has shipped: add the next one.
 * Each runs in its own transaction together with its row in schema_migrations.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database, context: MigrationContext): void;
}

/** What a migration may need besides the database: files it moves into the store live under dataDir. */
export interface MigrationContext {
  dataDir: string;
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
  {
    version: 5,
    name: 'immutable segmentation versions with provenance, compressed slices, the autosave journal and local users',
    up(db, { dataDir }) {
      db.exec(`
        CREATE TABLE segmentation_versions (
          id              INTEGER PRIMARY KEY,
          segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
          number          INTEGER NOT NULL,
          parent_id       INTEGER REFERENCES segmentation_versions(id),
          name            TEXT NOT NULL,
          author          TEXT NOT NULL,
          created_at      TEXT NOT NULL,
          source          TEXT NOT NULL CHECK (source IN ('manual', 'ai', 'import', 'merge')),
          provenance      TEXT NOT NULL,
          label_type      TEXT NOT NULL CHECK (label_type IN ('uint8', 'uint16')),
          segments        TEXT NOT NULL,
          -- 1: holds every non-empty slice; 0: sparse XOR deltas of the slices changed since the parent
          snapshot        INTEGER NOT NULL CHECK (snapshot IN (0, 1)),
          -- versions and delta bytes between this version and its snapshot (0 for a snapshot): bound load time
          chain_length    INTEGER NOT NULL,
          chain_bytes     INTEGER NOT NULL,
          payload_bytes   INTEGER NOT NULL,
          UNIQUE (segmentation_id, number)
        ) STRICT;
        CREATE TRIGGER segmentation_versions_immutable BEFORE UPDATE ON segmentation_versions
          BEGIN SELECT RAISE(ABORT, 'segmentation versions are immutable: save a new version'); END;
        CREATE TABLE version_slices (
          version_id INTEGER NOT NULL REFERENCES segmentation_versions(id) ON DELETE CASCADE,
          k          INTEGER NOT NULL,
          payload    BLOB NOT NULL,
          PRIMARY KEY (version_id, k)
        ) STRICT;
        CREATE TRIGGER version_slices_immutable BEFORE UPDATE ON version_slices
          BEGIN SELECT RAISE(ABORT, 'segmentation versions are immutable: save a new version'); END;
        -- the autosave journal: slices edited since the head version, one row per slice, as sparse XOR
        -- deltas against the head (so "save version" stores them as they are)
        CREATE TABLE working_slices (
          segmentation_id INTEGER NOT NULL REFERENCES segmentations(id) ON DELETE CASCADE,
          k               INTEGER NOT NULL,
          payload         BLOB NOT NULL,
          session         TEXT NOT NULL,
          author          TEXT NOT NULL,
          at              TEXT NOT NULL,
          PRIMARY KEY (segmentation_id, k)
        ) STRICT;
        ALTER TABLE segmentations ADD COLUMN head_version_id INTEGER REFERENCES segmentation_versions(id);
        -- bumped by every write: a write based on an older revision is a conflict
        ALTER TABLE segmentations ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE segmentations ADD COLUMN changed_by TEXT NOT NULL DEFAULT '';
        -- local named users (no passwords offline): who may be chosen as the author of writes
        CREATE TABLE users (
          name         TEXT PRIMARY KEY,
          created_at   TEXT NOT NULL,
          last_used_at TEXT NOT NULL
        ) STRICT;
      `);
      // Label maps written as raw files before versioning become each segmentation's version 1.
      const rows = db.prepare("SELECT id, label_type, segments, label_file, updated_at FROM segmentations WHERE label_file != ''").all() as {
        id: number; label_type: string; segments: string; label_file: string; updated_at: string;
      }[];
      const dimsOf = db.prepare('SELECT dims FROM series JOIN segmentations ON segmentations.series_id = series.id WHERE segmentations.id = ?');
      const insertVersion = db.prepare(
        "INSERT INTO segmentation_versions (segmentation_id, number, parent_id, name, author, created_at, source, provenance, label_type, segments, snapshot, chain_length, chain_bytes, payload_bytes) VALUES (?, 1, NULL, 'Before versioning', 'migration', ?, 'manual', '{}', ?, ?, 1, 0, 0, ?)",
      );
      const insertSlice = db.prepare('INSERT INTO version_slices (version_id, k, payload) VALUES (?, ?, ?)');
      for (const row of rows) {
        const dims = JSON.parse((dimsOf.get(row.id) as { dims: string }).dims) as number[];
        const sliceBytes = dims[0]! * dims[1]! * (row.label_type === 'uint8' ? 1 : 2);
        const file = path.join(dataDir, row.label_file);
        const data = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
        const slices: [number, Uint8Array][] = [];
        for (let k = 0; k * sliceBytes < data.byteLength; k++) {
          const payload = compressSlice(data.subarray(k * sliceBytes, (k + 1) * sliceBytes));
          if (payload.byteLength) slices.push([k, payload]);
        }
        const bytes = slices.reduce((n, [, p]) => n + p.byteLength, 0);
        const versionId = Number(insertVersion.run(row.id, row.updated_at, row.label_type, row.segments, bytes).lastInsertRowid);
        for (const [k, payload] of slices) insertSlice.run(versionId, k, payload);
        // the file itself is removed once this has committed (SegmentationStore.removeLegacyLabelFiles)
        db.prepare("UPDATE segmentations SET head_version_id = ?, revision = 1, label_file = '' WHERE id = ?").run(versionId, row.id);
      }
    },
  },
  {
    version: 6,
    name: 'curation: case assignments, resumable batch AI runs and per-version label statistics',
    up(db) {
      db.exec(`
        -- a case is a series; it may be assigned before it has a segmentation
        CREATE TABLE case_assignments (
          series_id   INTEGER PRIMARY KEY REFERENCES series(id) ON DELETE CASCADE,
          assignee    TEXT NOT NULL,
          assigned_by TEXT NOT NULL,
          assigned_at TEXT NOT NULL
        ) STRICT;
        -- 'running' with an owner process that is gone = interrupted (derived, see batch-store.ts)
        CREATE TABLE batches (
          id           INTEGER PRIMARY KEY,
          model_id     TEXT NOT NULL,
          provider     TEXT NOT NULL,
          concurrency  INTEGER NOT NULL,
          selection    TEXT NOT NULL,
          state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'cancelled', 'done')),
          owner        TEXT NOT NULL,
          heartbeat_at TEXT NOT NULL,
          created_by   TEXT NOT NULL,
          created_at   TEXT NOT NULL,
          finished_at  TEXT
        ) STRICT;
        CREATE TABLE batch_cases (
          batch_id     INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
          position     INTEGER NOT NULL,
          series_id    INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
          version_id   INTEGER REFERENCES segmentation_versions(id) ON DELETE SET NULL,
          error        TEXT,
          attempts     INTEGER NOT NULL DEFAULT 0,
          case_ms      REAL,
          inference_ms REAL,
          started_at   TEXT,
          finished_at  TEXT,
          PRIMARY KEY (batch_id, series_id)
        ) STRICT;
        CREATE INDEX batch_cases_order ON batch_cases (batch_id, position);
        -- versions are immutable, so their statistics (voxels, islands per label) are computed once
        CREATE TABLE version_stats (
          version_id INTEGER PRIMARY KEY REFERENCES segmentation_versions(id) ON DELETE CASCADE,
          stats      TEXT NOT NULL
        ) STRICT;
        CREATE INDEX segmentation_versions_source ON segmentation_versions (segmentation_id, source, id);
      `);
    },
  },
  {
    version: 7,
    name: 'recently opened studies',
    up(db) {
      db.exec(`
        -- File > Open Recent and the study browser's recent list: one row per study, its last opening
        CREATE TABLE recent_studies (
          study_id  INTEGER PRIMARY KEY REFERENCES studies(id) ON DELETE CASCADE,
          opened_at TEXT NOT NULL,
          -- order of opening (clock-independent): the highest is the newest
          seq       INTEGER NOT NULL UNIQUE
        ) STRICT;
      `);
    },
  },
];
