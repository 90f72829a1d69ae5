/** A series' segmentation as the contract carries it: its segments and label map type. */
import { z } from 'zod';
import type { Segment } from './editing/segments.js';

export const CodeSchema = z.object({ scheme: z.string().min(1).max(16), value: z.string().min(1).max(64), meaning: z.string().min(1).max(128) }).strict();

export const SegmentSchema = z
  .object({
    value: z.number().int().min(1).max(65535),
    name: z.string().max(128),
    color: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
    visible: z.boolean(),
    locked: z.boolean(),
    category: CodeSchema.optional(),
    type: CodeSchema.optional(),
  })
  .strict();

/** Segment values are unique within a segmentation. */
export const SegmentListSchema = z
  .array(SegmentSchema)
  .max(65535)
  .refine((list) => new Set(list.map((s) => s.value)).size === list.length, { message: 'two segments have the same label value' });

/** Review workflow: draft → submitted → accepted or changes-requested; accepted and submitted are read-only. */
export const REVIEW_STATES = ['draft', 'submitted', 'accepted', 'changes-requested'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/** Which review transitions exist (a reopened accepted segmentation starts a new draft). */
export const REVIEW_TRANSITIONS: Record<ReviewState, readonly ReviewState[]> = {
  draft: ['submitted'],
  submitted: ['accepted', 'changes-requested'],
  'changes-requested': ['submitted', 'draft'],
  accepted: ['draft'],
};

/** Whether edits may be written in this state. */
export const editableInState = (state: ReviewState): boolean => state === 'draft' || state === 'changes-requested';

export const VERSION_SOURCES = ['manual', 'ai', 'import', 'merge'] as const;
export type VersionSource = (typeof VERSION_SOURCES)[number];

/** Where a version came from. AI versions name the exact model file and how it ran. */
export const ProvenanceSchema = z
  .object({
    modelId: z.string().max(200).optional(),
    modelVersion: z.string().max(100).optional(),
    modelSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    executionProvider: z.enum(['cpu', 'cuda']).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    runTimeMs: z.number().nonnegative().optional(),
    /** AI: which execution provider ran and why (e.g. the CUDA failure that made it CPU) */
    providerReason: z.string().max(500).optional(),
    /** AI: how sure the model was, for review queues (see src/shared/inference/postprocess.ts) */
    uncertainty: z.object({ meanEntropyProxy: z.number(), lowConfidenceFraction: z.number() }).strict().optional(),
    /** AI: the batch run that made it (a resumed batch finds its versions by this) */
    batchId: z.number().int().optional(),
    /** import: the file the mask came from */
    sourceFile: z.string().max(4096).optional(),
    /** merge: the versions merged */
    mergedFrom: z.array(z.number().int()).optional(),
    /** a conflict resolution or autosave that made this version */
    note: z.string().max(500).optional(),
  })
  .strict();
export type Provenance = z.infer<typeof ProvenanceSchema>;

export const VersionInfoSchema = z.object({
  id: z.number().int(),
  segmentationId: z.number().int(),
  /** 1, 2, … within its segmentation */
  number: z.number().int(),
  parentId: z.number().int().nullable(),
  name: z.string(),
  author: z.string(),
  createdAt: z.string(),
  source: z.enum(VERSION_SOURCES),
  provenance: ProvenanceSchema,
  segments: SegmentListSchema,
  /** stored whole (true) or as changes from its parent */
  snapshot: z.boolean(),
  payloadBytes: z.number().int(),
});
export type VersionInfo = z.infer<typeof VersionInfoSchema>;

export const SegmentationInfoSchema = z.object({
  id: z.number().int(),
  seriesId: z.number().int(),
  labelType: z.enum(['uint8', 'uint16']),
  segments: SegmentListSchema,
  reviewState: z.enum(REVIEW_STATES),
  updatedAt: z.string(),
  /** bumped by every write; writes name the revision they were based on (stale → conflict) */
  revision: z.number().int(),
  /** who made the latest write */
  changedBy: z.string(),
  /** the version the working state started from (null before the first save) */
  headVersion: VersionInfoSchema.nullable(),
  /** slices edited since the head version (autosaved, not yet a version) */
  unsavedSlices: z.number().int(),
});
export type SegmentationInfo = z.infer<typeof SegmentationInfoSchema>;

/** Unsaved work found when a segmentation is opened: autosaved by an earlier session (e.g. before a crash). */
export const RecoveredWorkSchema = z.object({ slices: z.number().int(), lastEditAt: z.string(), authors: z.array(z.string()) });
export type RecoveredWork = z.infer<typeof RecoveredWorkSchema>;

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  author: z.string(),
  action: z.string(),
  entity: z.string(),
  entityId: z.number().int().nullable(),
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

// the contract's segment is the editing core's segment
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameSegment: Same<z.infer<typeof SegmentSchema>, Segment> = true;
void _sameSegment;

/** A per-label agreement row as the contract carries it: undefined values (NaN, Infinity) travel as null. */
export const AgreementRowSchema = z.object({
  label: z.number().int(),
  dice: z.number(),
  iou: z.number(),
  sensitivity: z.number().nullable(),
  specificity: z.number().nullable(),
  hausdorff95Mm: z.number().nullable(),
  averageSurfaceDistanceMm: z.number().nullable(),
  volumeAMl: z.number(),
  volumeBMl: z.number(),
  voxelsA: z.number().int(),
  voxelsB: z.number().int(),
  truePositives: z.number().int(),
});
export type AgreementRow = z.infer<typeof AgreementRowSchema>;

/** Local named users: the current author of this session's writes and everyone known to the store. */
export const AuthorListSchema = z.object({ current: z.string(), known: z.array(z.object({ name: z.string(), lastUsedAt: z.string() })) });
export type AuthorList = z.infer<typeof AuthorListSchema>;
