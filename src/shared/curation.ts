/**
 * The curator's workflow as the contract carries it: the worklist (one row per series), batch AI runs,
 * the review queue, label fusion of annotators' versions and the agreement report.
 */
import { z } from 'zod';
import { PROVIDER_PREFERENCES } from './inference/segment-result.js';

/**
 * Where a case stands, derived from its segmentation:
 * - no-mask: no segmentation, or one with neither a version nor unsaved edits;
 * - ai-done: a draft whose head version is an AI result, untouched since;
 * - in-correction: any other draft (edited, imported, merged, or reopened);
 * - submitted / accepted / changes-requested: its review state.
 */
export const CASE_STATUSES = ['no-mask', 'ai-done', 'in-correction', 'submitted', 'accepted', 'changes-requested'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_STATUS_LABELS: Record<CaseStatus, string> = {
  'no-mask': 'No mask',
  'ai-done': 'AI done',
  'in-correction': 'In correction',
  submitted: 'Submitted',
  accepted: 'Accepted',
  'changes-requested': 'Changes requested',
};

export const WorklistRowSchema = z.object({
  seriesId: z.number().int(),
  studyId: z.number().int(),
  patientName: z.string(),
  patientId: z.string(),
  studyDate: z.string(),
  modality: z.string(),
  description: z.string(),
  seriesNumber: z.number().int().nullable(),
  status: z.enum(CASE_STATUSES),
  segmentationId: z.number().int().nullable(),
  assignee: z.string().nullable(),
  /** the model of the latest AI version (null: none) */
  model: z.string().nullable(),
  aiVersionId: z.number().int().nullable(),
  /** the latest AI version's mean entropy proxy, 0 (sure) … 1 (unsure); null without one */
  uncertainty: z.number().nullable(),
  /** ISO time of the last change: import, edit, version or review */
  lastChange: z.string(),
  /** who made it ('' for an import) */
  changedBy: z.string(),
});
export type WorklistRow = z.infer<typeof WorklistRowSchema>;

export const WORKLIST_SORT_KEYS = ['patientName', 'studyDate', 'description', 'modality', 'status', 'assignee', 'model', 'uncertainty', 'lastChange', 'priority'] as const;
export type WorklistSortKey = (typeof WORKLIST_SORT_KEYS)[number];

/** Why a case is high in the review queue, in words a reviewer reads, with the number behind it. */
export const QueueReasonSchema = z.object({
  kind: z.enum(['uncertainty', 'volume', 'islands', 'missing-label']),
  label: z.number().int().nullable(),
  text: z.string(),
  /** this reason's share of the score */
  score: z.number(),
});
export type QueueReason = z.infer<typeof QueueReasonSchema>;

export const ReviewQueueEntrySchema = z.object({
  seriesId: z.number().int(),
  segmentationId: z.number().int(),
  aiVersionId: z.number().int(),
  status: z.enum(CASE_STATUSES),
  /** higher: look first */
  score: z.number(),
  reasons: z.array(QueueReasonSchema),
});
export type ReviewQueueEntry = z.infer<typeof ReviewQueueEntrySchema>;

export const BatchSegmentParamsSchema = z
  .object({
    modelId: z.string().min(1).max(64),
    /** these series; default: every series whose status is in `where.status` */
    seriesIds: z.array(z.number().int().positive()).min(1).max(100_000).optional(),
    /** default: series without a mask */
    where: z.object({ status: z.array(z.enum(CASE_STATUSES)).min(1) }).strict().optional(),
    provider: z.enum(PROVIDER_PREFERENCES).default('auto'),
    /**
     * cases in flight at once: saving one overlaps the next one's inference (the engine runs one at a
     * time). 1 suits a CPU-only machine, where inference already uses every core; 2 a GPU one.
     */
    concurrency: z.number().int().min(1).max(8).default(1),
  })
  .strict();
export type BatchSegmentParams = z.input<typeof BatchSegmentParamsSchema>;

/** The job type that runs a batch (its job.progress/job.done events carry BatchResult). */
export const BATCH_JOB_TYPE = 'inference.batch';

export const BATCH_STATES = ['queued', 'running', 'interrupted', 'cancelled', 'done'] as const;
export const BATCH_CASE_STATES = ['pending', 'running', 'done', 'failed'] as const;

export const BatchInfoSchema = z.object({
  id: z.number().int(),
  modelId: z.string(),
  provider: z.enum(PROVIDER_PREFERENCES),
  concurrency: z.number().int(),
  /** interrupted: its process ended (crash, restart) before it finished; resume continues it */
  state: z.enum(BATCH_STATES),
  createdAt: z.string(),
  createdBy: z.string(),
  finishedAt: z.string().nullable(),
  counts: z.object({ pending: z.number().int(), running: z.number().int(), done: z.number().int(), failed: z.number().int() }),
  /** the job running it in this host (cancel it with jobs.cancel), null when none */
  jobId: z.string().nullable(),
});
export type BatchInfo = z.infer<typeof BatchInfoSchema>;

export const BatchCaseSchema = z.object({
  seriesId: z.number().int(),
  description: z.string(),
  state: z.enum(BATCH_CASE_STATES),
  versionId: z.number().int().nullable(),
  error: z.string().nullable(),
  /** wall time of the case, and the engine's part of it (ms) */
  caseMs: z.number().nullable(),
  inferenceMs: z.number().nullable(),
  /** how many times the case was started (a resume after a crash mid-case starts it again) */
  attempts: z.number().int(),
});
export type BatchCase = z.infer<typeof BatchCaseSchema>;

/** The result of a batch job (one run of it: a resume runs it again). */
export const BatchResultSchema = z.object({
  batchId: z.number().int(),
  /** cases this run segmented */
  segmented: z.number().int(),
  /** cases done before this run started (a resumed batch) */
  alreadyDone: z.number().int(),
  failed: z.array(z.object({ seriesId: z.number().int(), error: z.string() })),
  /** cases left pending by a cancel */
  pending: z.number().int(),
});
export type BatchResult = z.infer<typeof BatchResultSchema>;

export const FUSION_METHODS = ['majority', 'staple'] as const;
export type FusionMethod = (typeof FUSION_METHODS)[number];

export const MergeParamsSchema = z
  .object({
    id: z.number().int().positive(),
    versionIds: z.array(z.number().int().positive()).min(2).max(16),
    method: z.enum(FUSION_METHODS),
    name: z.string().max(200).default(''),
  })
  .strict();

export const DecisionParamsSchema = z
  .object({
    seriesId: z.number().int().positive(),
    decision: z.enum(['accept', 'request-changes']),
    comment: z.string().max(2000).default(''),
  })
  .strict();

export const AgreementReportParamsSchema = z
  .object({
    /** default: every accepted case with an AI version */
    seriesIds: z.array(z.number().int().positive()).min(1).max(100_000).optional(),
    /** default: reports/agreement-<time> in the data directory */
    outDir: z.string().min(1).max(4096).optional(),
  })
  .strict();

export const AgreementReportResultSchema = z.object({
  dir: z.string(),
  htmlFile: z.string(),
  csvFile: z.string(),
  interAnnotatorCsvFile: z.string().nullable(),
  cases: z.number().int(),
  labels: z.array(z.number().int()),
  /** cases asked for but left out, with why (e.g. not accepted, no AI version) */
  skipped: z.array(z.object({ seriesId: z.number().int(), reason: z.string() })),
});
export type AgreementReportResult = z.infer<typeof AgreementReportResultSchema>;
