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

export const SegmentationInfoSchema = z.object({
  id: z.number().int(),
  seriesId: z.number().int(),
  labelType: z.enum(['uint8', 'uint16']),
  segments: SegmentListSchema,
  updatedAt: z.string(),
});
export type SegmentationInfo = z.infer<typeof SegmentationInfoSchema>;

// the contract's segment is the editing core's segment
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameSegment: Same<z.infer<typeof SegmentSchema>, Segment> = true;
void _sameSegment;
