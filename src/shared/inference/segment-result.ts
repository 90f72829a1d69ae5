/** What an AI segmentation run returns (the result of an inference.segment job). */
import { z } from 'zod';

export const PROVIDER_PREFERENCES = ['auto', 'cpu', 'cuda'] as const;

export const SegmentParamsSchema = z
  .object({
    seriesId: z.number().int().positive(),
    modelId: z.string().min(1).max(64),
    /** 'auto': CUDA when GPU use is allowed and it loads, else CPU */
    provider: z.enum(PROVIDER_PREFERENCES).default('auto'),
  })
  .strict();
export type SegmentParams = z.input<typeof SegmentParamsSchema>;

export const SegmentResultSchema = z.object({
  segmentationId: z.number().int(),
  versionId: z.number().int(),
  versionNumber: z.number().int(),
  modelId: z.string(),
  modelVersion: z.string(),
  provider: z.enum(['cpu', 'cuda']),
  providerReason: z.string(),
  timings: z.record(z.string(), z.number()),
  uncertainty: z.object({ meanEntropyProxy: z.number(), lowConfidenceFraction: z.number() }),
  /** voxels per label value in the result */
  voxelCounts: z.record(z.string(), z.number().int()),
});
export type SegmentResult = z.infer<typeof SegmentResultSchema>;
