import { DelineateError } from '../../shared/errors.js';
import type { AppServices } from '../services/app-services.js';
import type { CliIo } from './command.js';

/** Run a job to its end, printing throttled progress to stderr (unless `quiet`); Ctrl-C cancels it. */
export async function runJobToEnd(services: AppServices, type: string, params: Record<string, unknown>, io: CliIo, quiet: boolean): Promise<unknown> {
  const onSigint = () => void services.jobs.list().forEach((j) => services.jobs.cancel(j.id));
  process.once('SIGINT', onSigint);
  const off = services.bus.subscribe((name, payload) => {
    if (!quiet && name === 'job.progress') {
      const job = payload as { stage: string; message: string; fraction: number | null };
      io.stderr(`\r${job.fraction === null ? '' : `${Math.round(job.fraction * 100)}% `}${job.stage}: ${job.message}`.slice(0, 120).padEnd(120));
    }
  });
  try {
    const job = services.jobs.start(type, params);
    const done = await services.jobs.wait(job.id);
    if (!quiet) io.stderr('\n');
    if (done.state !== 'succeeded') throw new DelineateError(done.error?.code ?? 'cancelled', done.error?.message ?? `${type} ${done.state}`);
    return done.result;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
}
