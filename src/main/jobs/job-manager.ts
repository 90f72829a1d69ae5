import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { DelineateError, toErrorEnvelope } from '../../shared/errors.js';
import { isTerminal, type JobInfo, type JobTypeInfo } from '../../shared/jobs.js';
import type { EventBus } from '../services/event-bus.js';

export interface ProgressUpdate {
  fraction?: number | null;
  stage?: string;
  message?: string;
}

export interface JobContext {
  readonly signal: AbortSignal;
  /** cheap to call often: events are throttled by the manager */
  progress(update: ProgressUpdate): void;
}

export interface JobType<P = unknown> {
  type: string;
  label: string;
  description: string;
  params: z.ZodType<P>;
  /** shown in jobs.types (startable from the UI) only when set */
  userStartable?: { defaultParams: Record<string, unknown> };
  run(params: P, ctx: JobContext): Promise<unknown>;
}

export interface JobManagerOptions {
  /** minimum gap between two progress events of one job; default 100 ms (10 per second) */
  progressIntervalMs?: number;
  /** jobs running at once; the rest wait queued */
  concurrency?: number;
}

interface JobRecord {
  info: JobInfo;
  controller: AbortController;
  run: () => Promise<unknown>;
  done: Promise<JobInfo>;
  resolveDone: (info: JobInfo) => void;
  lastEmit: number;
  pendingTimer: ReturnType<typeof setTimeout> | null;
}

export class JobManager {
  private readonly types = new Map<string, JobType<never>>();
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: JobRecord[] = [];
  private running = 0;
  private readonly interval: number;
  private readonly concurrency: number;

  constructor(
    private readonly bus: EventBus,
    options: JobManagerOptions = {},
  ) {
    this.interval = options.progressIntervalMs ?? 100;
    this.concurrency = options.concurrency ?? 2;
  }

  register<P>(jobType: JobType<P>): void {
    if (this.types.has(jobType.type)) throw new Error(`job type ${jobType.type} registered twice`);
    this.types.set(jobType.type, jobType as unknown as JobType<never>);
  }

  startableTypes(): JobTypeInfo[] {
    return [...this.types.values()]
      .filter((t) => t.userStartable)
      .map((t) => ({ type: t.type, label: t.label, description: t.description, defaultParams: t.userStartable!.defaultParams }));
  }

  /** Start a job from untrusted params (validated against the type's schema). */
  start(typeName: string, rawParams: unknown, options: { label?: string; userInitiated?: boolean } = {}): JobInfo {
    const jobType = this.types.get(typeName);
    if (!jobType || (options.userInitiated && !jobType.userStartable)) {
      throw new DelineateError('not_found', `No job type ${JSON.stringify(typeName)}`);
    }
    const parsed = jobType.params.safeParse(rawParams);
    if (!parsed.success) {
      throw new DelineateError('invalid_params', `Invalid params for job ${typeName}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    return this.enqueue(jobType, parsed.data, options.label ?? jobType.label).info;
  }

  get(id: string): JobInfo {
    const record = this.jobs.get(id);
    if (!record) throw new DelineateError('not_found', `No job ${id}`);
    return record.info;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((r) => r.info).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Resolves when the job reaches a terminal state. */
  wait(id: string): Promise<JobInfo> {
    const record = this.jobs.get(id);
    if (!record) return Promise.reject(new DelineateError('not_found', `No job ${id}`));
    return record.done;
  }

  cancel(id: string): JobInfo {
    const record = this.jobs.get(id);
    if (!record) throw new DelineateError('not_found', `No job ${id}`);
    if (isTerminal(record.info.state)) return record.info;
    if (record.info.state === 'queued') {
      this.queue.splice(this.queue.indexOf(record), 1);
      this.finish(record, { state: 'cancelled', message: 'Cancelled before it started' });
    } else {
      record.controller.abort();
      this.update(record, { message: 'Cancelling…' }, true);
    }
    return record.info;
  }

  /** Cancel everything and wait for running jobs to settle (host shutdown). */
  async shutdown(): Promise<void> {
    const pending = [...this.jobs.values()].filter((r) => !isTerminal(r.info.state));
    for (const r of pending) this.cancel(r.info.id);
    await Promise.all(pending.map((r) => r.done));
  }

  private enqueue<P>(jobType: JobType<P>, params: P, label: string): JobRecord {
    const controller = new AbortController();
    let resolveDone!: (info: JobInfo) => void;
    const done = new Promise<JobInfo>((resolve) => (resolveDone = resolve));
    const record: JobRecord = {
      info: {
        id: randomUUID(),
        type: jobType.type,
        label,
        state: 'queued',
        fraction: 0,
        stage: 'queued',
        message: '',
        createdAt: Date.now(),
        startedAt: null,
        endedAt: null,
        error: null,
        result: null,
      },
      controller,
      done,
      resolveDone,
      lastEmit: 0,
      pendingTimer: null,
      run: () =>
        jobType.run(params, {
          signal: controller.signal,
          progress: (u) => this.update(record, u, false),
        }),
    };
    this.jobs.set(record.info.id, record);
    this.queue.push(record);
    this.emitNow(record);
    this.pump();
    return record;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const record = this.queue.shift()!;
      this.running++;
      this.update(record, { stage: 'running' }, true, { state: 'running', startedAt: Date.now() });
      void this.execute(record).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async execute(record: JobRecord): Promise<void> {
    try {
      const result = await record.run();
      if (record.controller.signal.aborted) this.finish(record, { state: 'cancelled', message: 'Cancelled' });
      else this.finish(record, { state: 'succeeded', fraction: 1, stage: 'done', result: result ?? null });
    } catch (err) {
      if (record.controller.signal.aborted) this.finish(record, { state: 'cancelled', message: 'Cancelled' });
      else {
        const error = toErrorEnvelope(err);
        this.finish(record, { state: 'failed', error, message: error.message });
      }
    }
  }

  private update(record: JobRecord, u: ProgressUpdate, force: boolean, extra: Partial<JobInfo> = {}): void {
    if (isTerminal(record.info.state)) return;
    const fraction = u.fraction === undefined ? record.info.fraction : u.fraction === null ? null : Math.min(1, Math.max(0, u.fraction));
    record.info = {
      ...record.info,
      ...extra,
      fraction,
      stage: u.stage ?? record.info.stage,
      message: u.message ?? record.info.message,
    };
    const since = Date.now() - record.lastEmit;
    if (force || since >= this.interval) {
      this.emitNow(record);
    } else if (!record.pendingTimer) {
      // trailing emit so the last update inside a throttle window is never lost
      record.pendingTimer = setTimeout(() => this.emitNow(record), this.interval - since);
    }
  }

  private emitNow(record: JobRecord): void {
    if (record.pendingTimer) clearTimeout(record.pendingTimer);
    record.pendingTimer = null;
    record.lastEmit = Date.now();
    this.bus.emit('job.progress', record.info);
  }

  private finish(record: JobRecord, patch: Partial<JobInfo>): void {
    record.info = { ...record.info, ...patch, endedAt: Date.now() };
    this.emitNow(record);
    this.bus.emit('job.done', record.info);
    record.resolveDone(record.info);
  }
}
