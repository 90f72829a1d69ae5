/**
 * The curator's services behind the contract: worklist, assignments, review queue and decisions,
 * batch AI runs (created here, run by batch-job.ts), label fusion and the agreement report.
 */
import type { Database } from 'better-sqlite3';
import { type BatchInfo, type BatchSegmentParams, type CaseStatus, type ReviewQueueEntry } from '../../shared/curation.js';
import { rankReviewQueue, type QueueCase } from '../../shared/curation/review-priority.js';
import { DelineateError } from '../../shared/errors.js';
import type { Segment } from '../../shared/editing/segments.js';
import { isTerminal, type JobInfo } from '../../shared/jobs.js';
import type { JobManager } from '../jobs/job-manager.js';
import type { SegmentJobDeps } from '../inference/segment-job.js';
import type { Handler } from '../services/dispatch.js';
import type { EventBus } from '../services/event-bus.js';
import type { AuditLog } from '../store/audit-log.js';
import { authorOf, type AuthorSource } from '../store/authors.js';
import { BATCH_JOB, batchJob } from './batch-job.js';
import { BatchStore } from './batch-store.js';
import { AGREEMENT_REPORT_JOB, agreementReportJob, readReport } from './report-job.js';
import { decideCase, mergeVersions } from './review-actions.js';
import type { VersionStatsRepo } from './version-stats.js';
import { WorklistRepo } from './worklist-repo.js';

type Names =
  | 'worklist.list'
  | 'worklist.reviewQueue'
  | 'worklist.assign'
  | 'worklist.decide'
  | 'batch.segment'
  | 'batch.resume'
  | 'batch.list'
  | 'batch.cases'
  | 'segmentation.merge'
  | 'reports.agreement'
  | 'reports.read';

export interface CurationDeps {
  db: Database;
  dataDir: string;
  jobs: JobManager;
  bus: EventBus;
  audit: AuditLog;
  authors: AuthorSource;
  /** the segment job's dependencies, with the store of per-version label statistics it fills */
  segment: SegmentJobDeps & { stats: VersionStatsRepo };
}

export interface Curation {
  readonly worklist: WorklistRepo;
  readonly batches: BatchStore;
  readonly stats: VersionStatsRepo;
  readonly handlers: { [N in Names]: Handler<N> };
  /** Create a batch from a request and start its job (or resume the interrupted batch of the same request when `resume`). */
  startBatch(params: BatchSegmentParams & { resume?: boolean }): { job: JobInfo; batchId: number; resumed: boolean };
  resumeBatch(batchId: number, retryFailed?: boolean): JobInfo;
  /** Start a resume job for every batch whose process ended before it finished. */
  resumeInterrupted(): JobInfo[];
  reviewQueue(): ReviewQueueEntry[];
}

export function createCuration(deps: CurationDeps): Curation {
  const { db, dataDir, jobs, bus } = deps;
  const { store, studies } = deps.segment;
  const worklist = new WorklistRepo(db, deps.audit, deps.authors);
  const batches = new BatchStore(db, dataDir);
  const { stats } = deps.segment;
  const written = new Set<string>();
  const versionOfBatch = (batchId: number, seriesId: number): number | null => {
    const row = db
      .prepare("SELECT MAX(v.id) AS id FROM segmentation_versions v JOIN segmentations s ON s.id = v.segmentation_id WHERE s.series_id = ? AND v.source = 'ai' AND json_extract(v.provenance, '$.batchId') = ?")
      .get(seriesId, batchId) as { id: number | null };
    return row.id;
  };
  jobs.register(batchJob({ segment: deps.segment, batches, versionOfBatch }));
  jobs.register(agreementReportJob({ store, studies, worklist, dataDir, written }));
  // batch → the job of this host that runs it (for the UI's cancel)
  const jobOfBatch = new Map<number, string>();
  const withJobs = (list: BatchInfo[]): BatchInfo[] =>
    list.map((b) => {
      const jobId = jobOfBatch.get(b.id);
      const job = jobId === undefined ? undefined : jobs.list().find((j) => j.id === jobId);
      return { ...b, jobId: job && !isTerminal(job.state) ? job.id : null };
    });
  const changed = (entity: string, ids: (number | string)[]) => bus.emit('store.changed', { entity, ids: ids.map(String) });

  const resumeBatch = (batchId: number, retryFailed = false): JobInfo => {
    const batch = batches.get(batchId);
    changed('batch', [batchId]);
    const job = jobs.start(BATCH_JOB, { batchId, retryFailed }, { label: `Batch ${batchId}: ${batch.modelId} (resumed)` });
    jobOfBatch.set(batchId, job.id);
    return job;
  };

  const startBatch: Curation['startBatch'] = (params) => {
    const parsedWhere = params.where?.status ?? (params.seriesIds ? null : (['no-mask'] as CaseStatus[]));
    const selection = JSON.stringify(params.seriesIds ? { seriesIds: params.seriesIds } : { status: parsedWhere });
    if (params.resume) {
      const existing = batches.resumable(params.modelId, selection);
      if (existing) return { job: resumeBatch(existing.id), batchId: existing.id, resumed: true };
    }
    const seriesIds = params.seriesIds ?? worklist.seriesWithStatus(parsedWhere!);
    if (seriesIds.length === 0) throw new DelineateError('invalid_params', `No series to segment: none has status ${parsedWhere!.join(' or ')}`);
    for (const id of params.seriesIds ?? []) if (!studies.getSeries(id)) throw new DelineateError('not_found', `No series ${id}`);
    const provider = params.provider ?? 'auto';
    const batchId = batches.create({ modelId: params.modelId, provider, concurrency: params.concurrency ?? 1, selection, seriesIds, createdBy: authorOf(deps.authors) });
    deps.audit.record('batch-segment', 'batch', batchId, `${params.modelId} on ${seriesIds.length} series (${params.seriesIds ? 'chosen' : `status ${parsedWhere!.join(', ')}`})`);
    changed('batch', [batchId]);
    const job = jobs.start(BATCH_JOB, { batchId }, { label: `Batch ${batchId}: ${params.modelId} on ${seriesIds.length} series` });
    jobOfBatch.set(batchId, job.id);
    return { job, batchId, resumed: false };
  };

  const reviewQueue = (): ReviewQueueEntry[] => {
    const rows = worklist.list().filter((r) => r.aiVersionId !== null && r.segmentationId !== null);
    const statsById = stats.ensure(rows.map((r) => ({ segmentationId: r.segmentationId!, versionId: r.aiVersionId! })), store, studies);
    const meta = db.prepare("SELECT segments, json_extract(provenance, '$.uncertainty.lowConfidenceFraction') AS lcf FROM segmentation_versions WHERE id = ?");
    const cases: QueueCase[] = rows.map((r) => {
      const m = meta.get(r.aiVersionId) as { segments: string; lcf: number | null };
      const labelNames = Object.fromEntries((JSON.parse(m.segments) as Segment[]).map((s) => [String(s.value), s.name]));
      return {
        seriesId: r.seriesId,
        segmentationId: r.segmentationId!,
        aiVersionId: r.aiVersionId!,
        status: r.status,
        uncertainty: r.uncertainty,
        lowConfidenceFraction: m.lcf,
        stats: statsById.get(r.aiVersionId!) ?? null,
        labelNames,
      };
    });
    // the whole cohort sets what is normal; accepted cases are done and leave the queue
    return rankReviewQueue(cases).filter((e) => e.status !== 'accepted');
  };

  const handlers: Curation['handlers'] = {
    'worklist.list': () => worklist.list(),
    'worklist.reviewQueue': () => reviewQueue(),
    'worklist.assign': ({ seriesIds, assignee }) => {
      const updated = worklist.assign(seriesIds, assignee);
      changed('worklist', seriesIds);
      return { updated };
    },
    'worklist.decide': (params) => {
      const info = decideCase(store, studies, params);
      changed('segmentation', [info.id]);
      return info;
    },
    'batch.segment': (params) => startBatch(params).job,
    'batch.resume': ({ batchId }) => resumeBatch(batchId),
    'batch.list': () => withJobs(batches.list()),
    'batch.cases': ({ batchId }) => batches.cases(batchId),
    'segmentation.merge': (params) => {
      const merged = mergeVersions(store, studies, params);
      changed('segmentation', [params.id]);
      return merged;
    },
    'reports.agreement': (params) => jobs.start(AGREEMENT_REPORT_JOB, params, { label: 'Agreement report' }),
    'reports.read': ({ file }) => readReport({ dataDir, written }, file),
  };

  return {
    worklist,
    batches,
    stats,
    handlers,
    startBatch,
    resumeBatch,
    resumeInterrupted: () => batches.interrupted().map((b) => resumeBatch(b.id)),
    reviewQueue,
  };
}
