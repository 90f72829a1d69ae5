/**
 * AI segmentation of the open series: the model list, the chosen model and provider, the running job
 * with its progress, and the result, which arrives as a new AI version of the segmentation that the
 * editor then loads, ready to correct.
 */
import type { ModelSummary } from '../../shared/inference/model-summary.js';
import { SegmentResultSchema, type SegmentResult } from '../../shared/inference/segment-result.js';
import { isTerminal, type JobInfo } from '../../shared/jobs.js';
import type { HostClient } from '../lib/host-client.js';
import { pathPicker, type PathPicker } from '../lib/path-picker.js';
import type { EditingState } from './editing.svelte.js';

export type ProviderChoice = 'auto' | 'cpu' | 'cuda';

export class AiState {
  models = $state<ModelSummary[]>([]);
  modelId = $state<string | null>(null);
  provider = $state<ProviderChoice>('auto');
  job = $state<JobInfo | null>(null);
  result = $state<SegmentResult | null>(null);
  error = $state<string | null>(null);
  running = $derived(this.job !== null && !isTerminal(this.job.state));
  private readonly off: (() => void)[] = [];
  readonly picker: PathPicker;
  /** the newest event of each segment job: one may arrive before the reply that names the job */
  private readonly latest = new Map<string, JobInfo>();

  constructor(
    private readonly client: HostClient,
    private readonly editing: EditingState,
  ) {
    this.picker = pathPicker(client);
    const follow = (job: JobInfo) => {
      if (job.type !== 'inference.segment') return;
      this.latest.set(job.id, job);
      if (job.id === this.job?.id) void this.track(job);
    };
    this.off.push(client.on('job.progress', follow), client.on('job.done', follow));
  }

  get selected(): ModelSummary | null {
    return this.models.find((m) => m.id === this.modelId) ?? null;
  }

  async refresh(): Promise<void> {
    try {
      this.models = await this.client.call('models.list', {});
      if (!this.models.some((m) => m.id === this.modelId && m.available)) this.modelId = this.models.find((m) => m.available)?.id ?? null;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Run the chosen model on the series; edits in flight are stored first (they become a version under the result). */
  async run(seriesId: number): Promise<void> {
    if (!this.modelId || this.running) return;
    this.error = null;
    this.result = null;
    try {
      await this.editing.flushed();
      const job = await this.client.call('inference.segment', { seriesId, modelId: this.modelId, provider: this.provider });
      this.job = job;
      const newer = this.latest.get(job.id);
      if (newer && newer !== job) await this.track(newer);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async cancel(): Promise<void> {
    if (this.job && this.running) await this.client.call('jobs.cancel', { jobId: this.job.id });
  }

  /** Register a model package folder on the host; returns whether it was added. */
  async addModel(path: string): Promise<boolean> {
    try {
      const added = await this.client.call('models.add', { path });
      await this.refresh();
      this.modelId = added.id;
      this.error = null;
      return true;
    } catch (err) {
      this.error = (err as Error).message;
      return false;
    }
  }

  dispose(): void {
    for (const off of this.off) off();
  }

  private async track(job: JobInfo): Promise<void> {
    const wasRunning = this.running;
    if (!wasRunning) return; // a late event of a job that already ended here
    this.job = job;
    if (!isTerminal(job.state)) return;
    if (job.state === 'succeeded') {
      this.result = SegmentResultSchema.parse(job.result);
      await this.editing.reload(); // the AI version is the head now
    } else if (job.state === 'failed') {
      this.error = job.error?.message ?? 'Segmentation failed';
    }
  }
}
