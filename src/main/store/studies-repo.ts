/**
 * Studies and series (volumes) in the store. A series row points at its cached voxel file under the
 * data dir and lists its source files (size, mtime, sha256) so a re-import can tell unchanged, changed
 * and vanished sources apart.
 */
import type { Database } from 'better-sqlite3';
import type { SeriesSummary, StudySummary } from '../../shared/studies.js';
import type { Vec3, VoxelType } from '../../shared/volume.js';

/** What the store keeps of a study: the patient and study attributes an import reads. */
export interface StudyRecord {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: string;
  studyDate: string;
  studyTime: string;
  studyDescription: string;
  accessionNumber: string;
}

export interface SourceFile {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface SeriesRecord {
  key: string;
  seriesInstanceUid: string;
  sourceKind: 'dicom' | 'nifti';
  modality: string;
  description: string;
  seriesNumber: number | null;
  splitReason: string | null;
  dims: Vec3;
  spacing: Vec3;
  affineLps: number[];
  voxelType: VoxelType;
  components: 1 | 3;
  transferSyntaxes: string[];
  warnings: string[];
  /** MONOCHROME1: show low values bright */
  displayInverted: boolean;
  /** relative to the data dir */
  volumeFile: string;
  volumeBytes: number;
}

interface SeriesRow {
  id: number;
  series_key: string;
  series_instance_uid: string;
  source_kind: 'dicom' | 'nifti';
  modality: string;
  description: string;
  series_number: number | null;
  split_reason: string | null;
  dims: string;
  spacing: string;
  affine_lps: string;
  voxel_type: VoxelType;
  components: 1 | 3;
  transfer_syntaxes: string;
  warnings: string;
  display_inverted: number;
  volume_file: string;
  volume_bytes: number;
  imported_at: string;
  study_id: number;
  file_count: number;
}

const SERIES_COLUMNS = `s.*, (SELECT count(*) FROM series_sources x WHERE x.series_id = s.id) AS file_count`;

function toSummary(row: SeriesRow): SeriesSummary {
  return {
    id: row.id,
    key: row.series_key,
    seriesInstanceUid: row.series_instance_uid,
    sourceKind: row.source_kind,
    modality: row.modality,
    description: row.description,
    seriesNumber: row.series_number,
    splitReason: row.split_reason,
    dims: JSON.parse(row.dims) as Vec3,
    spacing: JSON.parse(row.spacing) as Vec3,
    affineLps: JSON.parse(row.affine_lps) as number[],
    voxelType: row.voxel_type,
    components: row.components,
    transferSyntaxes: JSON.parse(row.transfer_syntaxes) as string[],
    warnings: JSON.parse(row.warnings) as string[],
    displayInverted: row.display_inverted === 1,
    fileCount: row.file_count,
    importedAt: row.imported_at,
  };
}

export class StudiesRepo {
  constructor(private readonly db: Database) {}

  listStudies(): StudySummary[] {
    const studies = this.db.prepare('SELECT * FROM studies ORDER BY study_date DESC, id DESC').all() as {
      id: number;
      study_instance_uid: string;
      patient_name: string;
      patient_id: string;
      study_date: string;
      description: string;
    }[];
    const series = this.db.prepare(`SELECT ${SERIES_COLUMNS} FROM series s ORDER BY s.series_number IS NULL, s.series_number, s.id`).all() as SeriesRow[];
    return studies.map((st) => {
      const own = series.filter((s) => s.study_id === st.id).map(toSummary);
      return {
        id: st.id,
        studyInstanceUid: st.study_instance_uid,
        patientName: st.patient_name,
        patientId: st.patient_id,
        studyDate: st.study_date,
        description: st.description,
        modalities: [...new Set(own.map((s) => s.modality).filter(Boolean))],
        series: own,
      };
    });
  }

  getSeries(id: number): (SeriesSummary & { volumeFile: string; volumeBytes: number }) | null {
    const row = this.db.prepare(`SELECT ${SERIES_COLUMNS} FROM series s WHERE s.id = ?`).get(id) as SeriesRow | undefined;
    return row ? { ...toSummary(row), volumeFile: row.volume_file, volumeBytes: row.volume_bytes } : null;
  }

  /** The series with this key, else the first (main) stack of this SeriesInstanceUID. */
  findSeriesId(uidOrKey: string): number | null {
    const row = (this.db.prepare('SELECT id FROM series WHERE series_key = ?').get(uidOrKey) ??
      this.db.prepare('SELECT id FROM series WHERE series_instance_uid = ? ORDER BY split_reason IS NOT NULL, id LIMIT 1').get(uidOrKey)) as { id: number } | undefined;
    return row?.id ?? null;
  }

  findSeriesByKey(key: string): { id: number; volumeFile: string; sources: SourceFile[] } | null {
    const row = this.db.prepare('SELECT id, volume_file FROM series WHERE series_key = ?').get(key) as { id: number; volume_file: string } | undefined;
    if (!row) return null;
    return { id: row.id, volumeFile: row.volume_file, sources: this.sources(row.id) };
  }

  sources(seriesId: number): SourceFile[] {
    return (
      this.db.prepare('SELECT path, size, mtime_ms, sha256 FROM series_sources WHERE series_id = ? ORDER BY path').all(seriesId) as {
        path: string;
        size: number;
        mtime_ms: number;
        sha256: string;
      }[]
    ).map((r) => ({ path: r.path, size: r.size, mtimeMs: r.mtime_ms, sha256: r.sha256 }));
  }

  /**
   * Insert or replace (same key) a series with its study and sources, in one transaction. Returns the
   * series id and the volume file it replaced (the caller deletes it after the commit).
   */
  saveSeries(study: StudyRecord, series: SeriesRecord, sources: SourceFile[]): { id: number; replacedVolumeFile: string | null } {
    return this.db.transaction(() => {
      const now = new Date().toISOString();
      this.db
        .prepare(
          `INSERT INTO studies (study_instance_uid, patient_name, patient_id, patient_birth_date, patient_sex, study_date, study_time, description, accession_number, created_at)
           VALUES (@studyInstanceUid, @patientName, @patientId, @patientBirthDate, @patientSex, @studyDate, @studyTime, @studyDescription, @accessionNumber, @now)
           ON CONFLICT (study_instance_uid) DO NOTHING`,
        )
        .run({ ...study, now });
      const studyId = (this.db.prepare('SELECT id FROM studies WHERE study_instance_uid = ?').get(study.studyInstanceUid) as { id: number }).id;
      const previous = this.db.prepare('SELECT id, volume_file FROM series WHERE series_key = ?').get(series.key) as { id: number; volume_file: string } | undefined;
      if (previous) this.db.prepare('DELETE FROM series WHERE id = ?').run(previous.id);
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO series (study_id, series_key, series_instance_uid, source_kind, modality, description, series_number, split_reason, dims, spacing, affine_lps,
             voxel_type, components, transfer_syntaxes, warnings, display_inverted, volume_file, volume_bytes, imported_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          studyId,
          series.key,
          series.seriesInstanceUid,
          series.sourceKind,
          series.modality,
          series.description,
          series.seriesNumber,
          series.splitReason,
          JSON.stringify(series.dims),
          JSON.stringify(series.spacing),
          JSON.stringify(series.affineLps),
          series.voxelType,
          series.components,
          JSON.stringify(series.transferSyntaxes),
          JSON.stringify(series.warnings),
          series.displayInverted ? 1 : 0,
          series.volumeFile,
          series.volumeBytes,
          now,
        );
      const id = Number(lastInsertRowid);
      const insertSource = this.db.prepare('INSERT INTO series_sources (series_id, path, size, mtime_ms, sha256) VALUES (?, ?, ?, ?, ?)');
      for (const s of sources) insertSource.run(id, s.path, s.size, s.mtimeMs, s.sha256);
      return { id, replacedVolumeFile: previous && previous.volume_file !== series.volumeFile ? previous.volume_file : null };
    })();
  }

  /** Every volume file the store references (to clean up orphans left by a crash). */
  referencedVolumeFiles(): Set<string> {
    return new Set((this.db.prepare('SELECT volume_file FROM series').all() as { volume_file: string }[]).map((r) => r.volume_file));
  }
}
