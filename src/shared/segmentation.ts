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

export const SegmentationInfoSchema = z.object({
  id: z.number().int(),
  seriesId: z.number().int(),
  labelType: z.enum(['uint8', 'uint16']),
  segments: SegmentListSchema,
  reviewState: z.enum(REVIEW_STATES),
  updatedAt: z.string(),
});
export type SegmentationInfo = z.infer<typeof SegmentationInfoSchema>;

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
