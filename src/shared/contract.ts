/**
 * The one typed contract between the UI and the services. Every request and every event is declared
 * here once; the Electron IPC host, the browser (WebSocket) host and the renderer client are all derived
 * from it. Adding a call = one entry below + one handler in src/main/services/handlers.
 */
import { z } from 'zod';
import { JobInfoSchema, JobTypeInfoSchema } from './jobs.js';
import { BinarySchema } from './schemas.js';
import { AgreementRowSchema, AuditEntrySchema, AuthorListSchema, RecoveredWorkSchema, REVIEW_STATES, SegmentationInfoSchema, SegmentListSchema, VersionInfoSchema } from './segmentation.js';
import { SeriesSummarySchema, StudySummarySchema } from './studies.js';
import { ModelSummarySchema } from './inference/model-summary.js';
import { SegmentParamsSchema } from './inference/segment-result.js';
import { ExportDatasetParamsSchema, ExportMaskParamsSchema, ImportMaskParamsSchema } from './interchange.js';
import { AgreementReportParamsSchema, BatchCaseSchema, BatchInfoSchema, BatchSegmentParamsSchema, DecisionParamsSchema, MergeParamsSchema, ReviewQueueEntrySchema, WorklistRowSchema } from './curation.js';
import { AboutInfoSchema, PickPathsParamsSchema, PickPathsResultSchema, RecentStudySchema, SettingsInfoSchema, SettingsUpdateSchema, UiCommandSchema } from './desktop.js';
import { SampleInfoSchema } from './desktop.js';

export const ComputeStatusSchema = z.object({
  /** the provider inference will use now */
  active: z.enum(['cpu', 'cuda']),
  /** why it is that one, in a sentence a user can read */
  reason: z.string(),
  cpuThreads: z.number().int(),
  cuda: z.object({ available: z.boolean(), detail: z.string() }),
  onnxruntimeVersion: z.string(),
});
export type ComputeStatus = z.infer<typeof ComputeStatusSchema>;

export const AppInfoSchema = z.object({
  name: z.literal('Delineate'),
  version: z.string(),
  host: z.enum(['electron', 'browser']),
  dataDir: z.string(),
  sqliteVersion: z.string(),
  compute: ComputeStatusSchema,
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

const Empty = z.object({}).strict();

interface RequestSpec {
  readonly params: z.ZodType;
  readonly result: z.ZodType;
  readonly description: string;
}

export const REQUESTS = {
  'app.info': {
    description: 'Versions, host kind, data directory and compute provider.',
    params: Empty,
    result: AppInfoSchema,
  },
  'diagnostics.echo': {
    description: 'Returns what it is sent (text and optional binary); proves the transport round trip.',
    params: z.object({ text: z.string().max(10_000), data: BinarySchema.optional() }).strict(),
    result: z.object({ text: z.string(), data: BinarySchema.optional(), receivedBytes: z.number() }),
  },
  'jobs.list': {
    description: 'Every job of this session, newest first.',
    params: Empty,
    result: z.array(JobInfoSchema),
  },
  'jobs.types': {
    description: 'Job types a user may start directly from the UI.',
    params: Empty,
    result: z.array(JobTypeInfoSchema),
  },
  'jobs.start': {
    description: 'Start a job of a registered type; progress arrives as job.progress events.',
    params: z.object({ type: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) }).strict(),
    result: JobInfoSchema,
  },
  'jobs.cancel': {
    description: 'Ask a job to stop; it ends as cancelled (a finished job is returned unchanged).',
    params: z.object({ jobId: z.string().min(1) }).strict(),
    result: JobInfoSchema,
  },
  'models.list': {
    description: 'Every segmentation model package (shipped and user-added); a broken one is listed as unavailable with its problem.',
    params: Empty,
    result: z.array(ModelSummarySchema),
  },
  'models.add': {
    description: 'Validate a model package folder on the host (manifest.json, .onnx, LICENSE) and register it as a user model.',
    params: z.object({ path: z.string().min(1).max(4096) }).strict(),
    result: ModelSummarySchema,
  },
  'inference.segment': {
    description: 'Run a model on a series as a job; its result (SegmentResult) names the new AI version, the provider that ran and why, timings and uncertainty.',
    params: SegmentParamsSchema,
    result: JobInfoSchema,
  },
  'export.mask': {
    description: 'Write a saved segmentation version as DICOM SEG, RTSTRUCT or NIfTI (+ labels JSON) on the host, as a job; its result is an ExportMaskResult.',
    params: ExportMaskParamsSchema,
    result: JobInfoSchema,
  },
  'export.dataset': {
    description: 'Write an nnU-Net v2 raw dataset and a MONAI datalist from accepted (or chosen) segmentations, de-identified, as a job.',
    params: ExportDatasetParamsSchema,
    result: JobInfoSchema,
  },
  'masks.import': {
    description: 'Import a DICOM SEG, RTSTRUCT or NIfTI label map onto a series as a new version (source import), as a job; its result is an ImportMaskResult.',
    params: ImportMaskParamsSchema,
    result: JobInfoSchema,
  },
  'studies.list': {
    description: 'Every study in the store with its series (volumes).',
    params: Empty,
    result: z.array(StudySummarySchema),
  },
  'studies.import': {
    description: 'Import DICOM/NIfTI files, folders or .zip archives (paths on the host) as a job; its result is an ImportReport.',
    params: z.object({ paths: z.array(z.string().min(1)).min(1).max(1000) }).strict(),
    result: JobInfoSchema,
  },
  'series.get': {
    description: 'One series (volume) by id.',
    params: z.object({ seriesId: z.number().int().positive() }).strict(),
    result: SeriesSummarySchema,
  },
  'series.find': {
    description: 'A series by SeriesInstanceUID (or key such as "UID#2"), for deep links.',
    params: z.object({ seriesInstanceUid: z.string().min(1).max(200) }).strict(),
    result: SeriesSummarySchema,
  },
  'series.slab': {
    description: 'Voxels of slices [start, start+count) as one binary typed array of the series voxel type (progressive loading).',
    params: z.object({ seriesId: z.number().int().positive(), start: z.number().int().min(0), count: z.number().int().min(1).max(4096) }).strict(),
    result: z.object({ seriesId: z.number().int(), start: z.number().int(), count: z.number().int(), data: BinarySchema }),
  },
  'segmentation.open': {
    description:
      "The series' working segmentation (created empty on first open): its segments, revision, head version and the whole label map as binary, run-length coded when that is smaller; `recovered` names unsaved work an earlier session autosaved.",
    params: z.object({ seriesId: z.number().int().positive() }).strict(),
    /** encoding 'runs': data is a Uint32Array of [length, value] pairs (see editing/label-runs.ts) */
    result: SegmentationInfoSchema.extend({ encoding: z.enum(['raw', 'runs']), data: BinarySchema, recovered: RecoveredWorkSchema.nullable() }),
  },
  'segmentation.writeSlices': {
    description:
      'Autosave edited slices of the label map (`slices`: k indices; data: their voxels concatenated in that order). `baseRevision` is the revision the edit was made on: a stale one is a conflict (someone else wrote since).',
    params: z.object({ id: z.number().int().positive(), baseRevision: z.number().int().min(0), slices: z.array(z.number().int().min(0)).min(1).max(4096), data: BinarySchema }).strict(),
    result: SegmentationInfoSchema,
  },
  'segmentation.saveVersion': {
    description: 'Turn the working state into a named immutable version (its parent: the head version).',
    params: z.object({ id: z.number().int().positive(), baseRevision: z.number().int().min(0), name: z.string().max(200).default('') }).strict(),
    result: z.object({ info: SegmentationInfoSchema, version: VersionInfoSchema }),
  },
  'segmentation.keepMine': {
    description: 'Resolve an edit conflict by keeping this label map as a new version on top of theirs (their unsaved work is saved as a version first).',
    params: z.object({ id: z.number().int().positive(), name: z.string().max(200).default(''), segments: SegmentListSchema, encoding: z.enum(['raw', 'runs']), data: BinarySchema }).strict(),
    result: z.object({ info: SegmentationInfoSchema, version: VersionInfoSchema }),
  },
  'segmentation.versions': {
    description: 'Every version of a segmentation, oldest first, with author, source and provenance.',
    params: z.object({ id: z.number().int().positive() }).strict(),
    result: z.array(VersionInfoSchema),
  },
  'segmentation.loadVersion': {
    description: "One version's label map (binary, run-length coded when smaller).",
    params: z.object({ id: z.number().int().positive(), versionId: z.number().int().positive() }).strict(),
    result: z.object({ version: VersionInfoSchema, encoding: z.enum(['raw', 'runs']), data: BinarySchema }),
  },
  'segmentation.compare': {
    description: 'Agreement per label between a version (reference) and another version or the working state: Dice, IoU, sensitivity, specificity, HD95 and ASD in mm, volumes in ml.',
    params: z.object({ id: z.number().int().positive(), reference: z.number().int().positive(), test: z.union([z.number().int().positive(), z.literal('working')]) }).strict(),
    result: z.array(AgreementRowSchema),
  },
  'segmentation.review': {
    description: 'Move the segmentation through review (draft → submitted → accepted / changes-requested); a comment is required to request changes.',
    params: z.object({ id: z.number().int().positive(), to: z.enum(REVIEW_STATES), comment: z.string().max(2000).default('') }).strict(),
    result: SegmentationInfoSchema,
  },
  'users.list': {
    description: "Who this session's writes are recorded as, and every local user known to the store.",
    params: Empty,
    result: AuthorListSchema,
  },
  'users.select': {
    description: 'Record the writes of this session as this local user from now on (no passwords: offline, trusted workstation).',
    params: z.object({ name: z.string().min(1).max(100) }).strict(),
    result: AuthorListSchema,
  },
  'audit.list': {
    description: 'The audit log (append-only), oldest first; optionally only the entries about one segmentation.',
    params: z.object({ segmentationId: z.number().int().positive().optional(), limit: z.number().int().min(1).max(100_000).default(10_000) }).strict(),
    result: z.array(AuditEntrySchema),
  },
  'segmentation.setSegments': {
    description: 'Replace the segment list (names, colours, visibility, locks, terminology).',
    params: z.object({ id: z.number().int().positive(), baseRevision: z.number().int().min(0), segments: SegmentListSchema }).strict(),
    result: SegmentationInfoSchema,
  },
  'worklist.list': {
    description: 'Every series as a case: status, assignee, model, uncertainty and last change (sort and filter with shared/worklist.ts).',
    params: Empty,
    result: z.array(WorklistRowSchema),
  },
  'worklist.reviewQueue': {
    description: 'Cases with an AI version not yet accepted, most in need of a look first: AI uncertainty and outliers against the cohort (label volume, islands, missing labels), with the reasons.',
    params: Empty,
    result: z.array(ReviewQueueEntrySchema),
  },
  'worklist.assign': {
    description: 'Assign cases (series) to an annotator, or unassign them (assignee null); audited.',
    params: z.object({ seriesIds: z.array(z.number().int().positive()).min(1).max(100_000), assignee: z.string().min(1).max(100).nullable() }).strict(),
    result: z.object({ updated: z.number().int() }),
  },
  'worklist.decide': {
    description: "A reviewer's decision on a case: accept, or request changes with a comment. Unsaved edits become a version first; a draft is submitted on the way (each step audited).",
    params: DecisionParamsSchema,
    result: SegmentationInfoSchema,
  },
  'batch.segment': {
    description: 'Run a model over chosen series, or every series with a status (default: no mask), as one resumable job; its result is a BatchResult.',
    params: BatchSegmentParamsSchema,
    result: JobInfoSchema,
  },
  'batch.resume': {
    description: 'Continue an interrupted or cancelled batch: cases already done are not run again.',
    params: z.object({ batchId: z.number().int().positive() }).strict(),
    result: JobInfoSchema,
  },
  'batch.list': {
    description: 'Every batch, newest first, with case counts.',
    params: Empty,
    result: z.array(BatchInfoSchema),
  },
  'batch.cases': {
    description: "A batch's cases in order, with state, version made, failure reason and timings.",
    params: z.object({ batchId: z.number().int().positive() }).strict(),
    result: z.array(BatchCaseSchema),
  },
  'segmentation.merge': {
    description: "Fuse two or more versions (e.g. two annotators') per voxel by majority vote or STAPLE into a new merge version.",
    params: MergeParamsSchema,
    result: z.object({ info: SegmentationInfoSchema, version: VersionInfoSchema }),
  },
  'reports.agreement': {
    description: 'Write the agreement report (AI vs accepted per label, inter-annotator agreement) as HTML with plots and CSV, as a job; its result is an AgreementReportResult.',
    params: AgreementReportParamsSchema,
    result: JobInfoSchema,
  },
  'reports.read': {
    description: 'The HTML of a report this store wrote (a file under its reports folder or named by a report job), to show in the app.',
    params: z.object({ file: z.string().min(1).max(4096) }).strict(),
    result: z.object({ file: z.string(), html: z.string() }),
  },
  'host.pickPaths': {
    description: 'Ask the user for host paths with the native open/save dialog (the Electron host grants what is picked for later calls); the browser host answers supported:false and the UI asks for a typed path.',
    params: PickPathsParamsSchema,
    result: PickPathsResultSchema,
  },
  'settings.get': {
    description: 'The user settings (data directory, GPU use, CPU threads, default author), the file they are kept in, the data directory in use and what waits for a restart.',
    params: Empty,
    result: SettingsInfoSchema,
  },
  'settings.update': {
    description: 'Change some settings (saved at once); GPU use, threads and author apply to the next runs and sessions, the data directory at the next start.',
    params: SettingsUpdateSchema,
    result: SettingsInfoSchema,
  },
  'app.about': {
    description: 'Versions of Delineate and its components, the shipped third-party components with their licenses and the full license text, and where crash logs are kept.',
    params: Empty,
    result: AboutInfoSchema,
  },
  'studies.recent': {
    description: 'Studies opened most recently, newest first (at most 10).',
    params: Empty,
    result: z.array(RecentStudySchema),
  },
  'studies.markOpened': {
    description: "Record that a study was opened (one of its series was shown); emits store.changed {entity: 'recent'}.",
    params: z.object({ studyId: z.number().int().positive() }).strict(),
    result: z.array(RecentStudySchema),
  },
  'uploads.import': {
    description: 'Import the files dropped onto the browser host window and uploaded as one batch (POST /upload/<batchId>/<path>), as a studies.import job; uploads no series was made from are removed once it succeeds.',
    params: z.object({ batchId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'letters, digits, - or _, 8 to 64 of them') }).strict(),
    result: JobInfoSchema,
  },
  'samples.list': {
    description: 'The sample studies bundled with the app (first run), each with its license, whether it is synthetic, the model suggested for it and, once imported into this store, its study and series ids.',
    params: Empty,
    result: z.array(SampleInfoSchema),
  },
  'samples.open': {
    description: 'Import a bundled sample study as an ordinary studies.import job (the same job while one runs); when it is already in the store, no job and its ids.',
    params: z.object({ id: z.string().min(1).max(64) }).strict(),
    result: z.object({ job: JobInfoSchema.nullable(), imported: z.object({ studyId: z.number().int(), seriesId: z.number().int() }).nullable() }),
  },
} as const satisfies Record<string, RequestSpec>;

export const EVENTS = {
  /** throttled to about 10 per second per job; state changes are always sent */
  'job.progress': JobInfoSchema,
  /** once per job, when it reaches succeeded, failed or cancelled */
  'job.done': JobInfoSchema,
  /** something in the store changed; clients refetch what they show */
  'store.changed': z.object({ entity: z.string(), ids: z.array(z.string()) }),
  /** the application menu (or a second launch) asks the renderer to do something */
  'ui.command': UiCommandSchema,
} as const satisfies Record<string, z.ZodType>;

export type Requests = typeof REQUESTS;
export type Method = keyof Requests;
export type Params<M extends Method> = z.input<Requests[M]['params']>;
export type ParsedParams<M extends Method> = z.output<Requests[M]['params']>;
export type Result<M extends Method> = z.output<Requests[M]['result']>;

export type Events = typeof EVENTS;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const METHODS = Object.keys(REQUESTS) as Method[];
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.hasOwn(REQUESTS, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(EVENTS, name);
}

/** A client of the contract; the renderer gets one per host (IPC or WebSocket). */
export interface ContractClient {
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}
