/**
 * The batch AI job: runs a model over a batch's pending cases, `concurrency` at a time (reading,
 * inference — one at a time on the engine — and saving overlap), and records every case in the store
 * as it ends, so a crash or restart loses at most the cases in flight. A failed case is recorded with
 * its reason and the batch goes on. Cancel stops taking cases; those in flight go back to pending.
 */
import { z } from 'zod';
import { BATCH_JOB_TYPE, type BatchResult } from '../../shared/curation.js';
import { DelineateError } from '../../shared/errors.js';
import type { JobContext, JobType } from '../jobs/job-manager.js';
import { segmentSeries, type SegmentJobDeps } from '../inference/segment-job.js';
import type { BatchStore, PendingCase } from './batch-store.js';

export const BATCH_JOB = BATCH_JOB_TYPE;

const HEARTBEAT_MS = 15_000;

export interface BatchJobDeps {
  segment: SegmentJobDeps;
  batches: BatchStore;
  /** the AI version a batch saved for a series, if any (a run that crashed after saving it) */
  versionOfBatch(batchId: number, seriesId: number): number | null;
}

const BatchJobParamsSchema = z.object({ batchId: z.number().int().positive(), retryFailed: z.boolean().default(false) }).strict();

export function batchJob(deps: BatchJobDeps): JobType<z.output<typeof BatchJobParamsSchema>> {
  return {
    type: BATCH_JOB,
    label: 'Batch segment',
    description: 'Run a model over many series as one resumable job',
    params: BatchJobParamsSchema,
    run: ({ batchId, retryFailed }, ctx) => runBatch(deps, batchId, retryFailed, ctx),
  };
}

async function runBatch(deps: BatchJobDeps, batchId: number, retryFailed: boolean, ctx: JobContext): Promise<BatchResult> {
  const { batches } = deps;
  const batch = batches.get(batchId);
  const claimed = batches.claim(batchId, (seriesId) => deps.versionOfBatch(batchId, seriesId), { retryFailed });
  const queue: PendingCase[] = [...claimed.pending];
  const failed: BatchResult['failed'] = [];
  let segmented = 0;
  let inFlight = 0;
  const heartbeat = setInterval(() => batches.heartbeat(batchId), HEARTBEAT_MS);
  heartbeat.unref();

  const report = (message: string) => {
    const ended = claimed.done + segmented + failed.length;
    ctx.progress({ stage: 'segment', fraction: claimed.total ? ended / claimed.total : 1, message: `${ended} of ${claimed.total} cases${failed.length ? ` · ${failed.length} failed` : ''} · ${message}` });
  };

  const runCase = async ({ seriesId }: PendingCase): Promise<void> => {
    const started = performance.now();
    batches.caseStarted(batchId, seriesId);
    try {
      const caseCtx: JobContext = { signal: ctx.signal, progress: (u) => u.message && inFlight === 1 && report(u.message) };
      const { result, series } = await segmentSeries(deps.segment, { seriesId, modelId: batch.modelId, provider: batch.provider, batchId }, caseCtx);
      segmented++;
      batches.caseDone(batchId, seriesId, { versionId: result.versionId, caseMs: performance.now() - started, inferenceMs: result.timings.totalMs ?? 0 });
      report(`${series.description || `series ${seriesId}`} done`);
    } catch (err) {
      if (ctx.signal.aborted) {
        batches.caseReleased(batchId, seriesId);
        return;
      }
      const message = (err as Error).message;
      failed.push({ seriesId, error: message });
      batches.caseFailed(batchId, seriesId, message, performance.now() - started);
      report(`series ${seriesId} failed: ${message}`);
    }
  };

  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next && !ctx.signal.aborted; next = queue.shift()) {
      inFlight++;
      try {
        await runCase(next);
      } finally {
        inFlight--;
      }
    }
  };

  report('starting');
  try {
    await Promise.all(Array.from({ length: Math.min(batch.concurrency, Math.max(queue.length, 1)) }, worker));
  } finally {
    clearInterval(heartbeat);
    batches.finish(batchId, ctx.signal.aborted ? 'cancelled' : 'done');
  }
  if (ctx.signal.aborted) throw new DelineateError('cancelled', `Batch ${batchId} cancelled: ${claimed.done + segmented} of ${claimed.total} cases done; resume it to finish`);
  return { batchId, segmented, alreadyDone: claimed.done, failed, pending: queue.length };
}
