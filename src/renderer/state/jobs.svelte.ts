import { isTerminal, type JobInfo, type JobTypeInfo } from '../../shared/jobs.js';
import type { HostClient } from '../lib/host-client.js';

/** Jobs of this session as the UI shows them: kept current by job.progress / job.done events. */
export class JobsState {
  jobs = $state<JobInfo[]>([]);
  startable = $state<JobTypeInfo[]>([]);
  running = $derived(this.jobs.filter((j) => !isTerminal(j.state)));
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly client: HostClient) {
    this.unsubscribe.push(
      client.on('job.progress', (job) => this.upsert(job)),
      client.on('job.done', (job) => this.upsert(job)),
    );
  }

  async refresh(): Promise<void> {
    const [jobs, startable] = await Promise.all([this.client.call('jobs.list', {}), this.client.call('jobs.types', {})]);
    this.jobs = jobs;
    this.startable = startable;
  }

  start(type: string, params: Record<string, unknown>): Promise<JobInfo> {
    return this.client.call('jobs.start', { type, params }).then((job) => (this.upsert(job), job));
  }

  cancel(jobId: string): Promise<JobInfo> {
    return this.client.call('jobs.cancel', { jobId }).then((job) => (this.upsert(job), job));
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
  }

  private upsert(job: JobInfo): void {
    const index = this.jobs.findIndex((j) => j.id === job.id);
    // events can arrive out of order with a call's reply: never let an older snapshot win over a terminal one
    if (index >= 0 && isTerminal(this.jobs[index]!.state) && !isTerminal(job.state)) return;
    if (index >= 0) this.jobs[index] = job;
    else this.jobs = [job, ...this.jobs];
  }
}
