import { z } from 'zod';
import type { JobType } from './job-manager.js';

/**
 * A job type that only exists when the host runs under test (DELINEATE_TEST_JOBS=1): it counts through
 * steps with a pause between them, reports progress and honours cancellation. It proves the job
 * machinery end to end without depending on any real workload.
 */
export const countdownJob: JobType<{ steps: number; stepMs: number; failAt?: number | undefined }> = {
  type: 'test.countdown',
  label: 'Test countdown',
  description: 'Test-only job: counts through steps, reporting progress, and honours cancel.',
  params: z.object({
    steps: z.number().int().min(1).max(100_000),
    stepMs: z.number().int().min(0).max(60_000),
    failAt: z.number().int().min(0).optional(),
  }),
  userStartable: { defaultParams: { steps: 600, stepMs: 50 } },
  async run({ steps, stepMs, failAt }, { signal, progress }) {
    for (let i = 0; i < steps; i++) {
      signal.throwIfAborted();
      if (failAt === i) throw new Error(`countdown failed on purpose at step ${i}`);
      progress({ fraction: i / steps, stage: 'counting', message: `step ${i + 1} of ${steps}` });
      await sleep(stepMs, signal);
    }
    return { steps };
  },
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
