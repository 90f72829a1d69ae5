/**
 * One job the UI started and follows to its end: the latest JobInfo (events may arrive before the reply
 * that names the job), running, and the outcome. Components show `job` for progress and call `cancel`.
 */
import { isTerminal, type JobInfo } from '../../shared/jobs.js';
import type { HostClient } from '../lib/host-client.js';

export class TrackedJob {
  job = $state<JobInfo | null>(null);
  error = $state<string | null>(null);
  running = $derived(this.job !== null && !isTerminal(this.job.state));
  private readonly latest = new Map<string, JobInfo>();
  private readonly off: (() => void)[] = [];
  private finish: ((job: JobInfo) => void) | null = null;

  constructor(
    private readonly client: HostClient,
    private readonly type: string,
  ) {
    const follow = (job: JobInfo) => {
      if (job.type !== this.type) return;
      this.latest.set(job.id, job);
      if (job.id === this.job?.id) this.update(job);
    };
    this.off.push(client.on('job.progress', follow), client.on('job.done', follow));
  }

  /** Start a job with `start` and resolve with its final JobInfo (null when it could not start). */
  async run(start: () => Promise<JobInfo>): Promise<JobInfo | null> {
    if (this.running) return null;
    this.error = null;
    this.job = null;
    let job: JobInfo;
    try {
      job = await start();
    } catch (err) {
      this.error = (err as Error).message;
      return null;
    }
    const done = new Promise<JobInfo>((resolve) => (this.finish = resolve));
    this.job = job;
    this.update(this.latest.get(job.id) ?? job);
    return done;
  }

  async cancel(): Promise<void> {
    if (this.job && this.running) await this.client.call('jobs.cancel', { jobId: this.job.id });
  }

  dispose(): void {
    for (const off of this.off) off();
  }

  private update(job: JobInfo): void {
    if (this.job && isTerminal(this.job.state)) return; // a late event of a job that already ended
    this.job = job;
    if (!isTerminal(job.state)) return;
    if (job.state === 'failed') this.error = job.error?.message ?? 'Failed';
    this.finish?.(job);
    this.finish = null;
  }
}
