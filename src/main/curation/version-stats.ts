/**
 * Per-version label statistics (voxels, volume, islands per label) for the review queue's outlier
 * checks. Versions are immutable, so each is computed once: by the batch job as it saves an AI
 * result, or on first demand here for versions made otherwise.
 */
import type { Database } from 'better-sqlite3';
import { labelStats, LabelStatsSchema, type LabelStats } from '../../shared/curation/label-stats.js';
import { labelArrayOf } from '../../shared/editing/label-runs.js';
import type { SegmentationStore } from '../segmentation/segmentation-store.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import { withStorageErrors } from '../store/storage-errors.js';

export class VersionStatsRepo {
  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  put(versionId: number, stats: LabelStats): void {
    withStorageErrors(this.dataDir, () => this.db.prepare('INSERT OR REPLACE INTO version_stats (version_id, stats) VALUES (?, ?)').run(versionId, JSON.stringify(stats)));
  }

  /** Stored statistics of these versions (those without any are missing from the map). */
  stored(versionIds: readonly number[]): Map<number, LabelStats> {
    const found = new Map<number, LabelStats>();
    const get = this.db.prepare('SELECT stats FROM version_stats WHERE version_id = ?');
    for (const id of versionIds) {
      const row = get.get(id) as { stats: string } | undefined;
      if (!row) continue;
      const parsed = LabelStatsSchema.safeParse(JSON.parse(row.stats));
      if (parsed.success) found.set(id, parsed.data);
    }
    return found;
  }

  /**
   * Statistics of these versions (segmentation id, version id), computing and storing missing ones
   * for at most `budgetMs` per call (a whole label map each): a store of thousands of versions made
   * before statistics existed fills in over a few calls instead of stalling one.
   */
  ensure(versions: readonly { segmentationId: number; versionId: number }[], store: SegmentationStore, studies: StudiesRepo, budgetMs = 500): Map<number, LabelStats> {
    const found = this.stored(versions.map((v) => v.versionId));
    const deadline = performance.now() + budgetMs;
    for (const { segmentationId, versionId } of versions) {
      if (found.has(versionId)) continue;
      if (performance.now() > deadline) break;
      const series = studies.getSeries(store.seriesOf(segmentationId));
      if (!series) continue;
      const bytes = store.loadVersion(segmentationId, versionId, { dims: series.dims }).labels;
      const stats = labelStats(labelArrayOf(bytes, store.labelTypeOf(segmentationId)), series.dims, series.spacing);
      this.put(versionId, stats);
      found.set(versionId, stats);
    }
    return found;
  }
}
