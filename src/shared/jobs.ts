import { z } from 'zod';
import { ErrorEnvelopeSchema } from './schemas.js';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JobInfoSchema = z.object({
  id: z.string(),
  type: z.string(),
  label: z.string(),
  state: z.enum(JOB_STATES),
  /** 0..1; null while the job cannot estimate it */
  fraction: z.number().min(0).max(1).nullable(),
  stage: z.string(),
  message: z.string(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  error: ErrorEnvelopeSchema.nullable(),
  /** JSON result of a succeeded job; its shape belongs to the job type */
  result: z.unknown(),
});
export type JobInfo = z.infer<typeof JobInfoSchema>;

export const JobTypeInfoSchema = z.object({
  type: z.string(),
  label: z.string(),
  description: z.string(),
  /** example params a UI may start it with */
  defaultParams: z.record(z.string(), z.unknown()),
});
export type JobTypeInfo = z.infer<typeof JobTypeInfoSchema>;

export function isTerminal(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}
