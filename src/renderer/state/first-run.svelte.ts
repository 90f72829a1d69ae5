/**
 * The first-run flow: while the store has no studies the viewer area welcomes the user with the bundled
 * sample study and the shipped models. Opening the sample imports it (an ordinary import job, once),
 * opens its series, opens its segmentation and selects the model suggested for it, so one click on
 * Segment shows an AI mask. The application menu's 'open-sample' command does the same (through DesktopState).
 */
import type { SampleInfo } from '../../shared/desktop.js';
import type { ModelSummary } from '../../shared/inference/model-summary.js';
import type { HostClient } from '../lib/host-client.js';
import type { StudiesState } from './studies.svelte.js';
import { TrackedJob } from './tracked-job.svelte.js';
import type { ViewerState } from './viewer.svelte.js';

export class FirstRunState {
  samples = $state<SampleInfo[]>([]);
  models = $state<ModelSummary[]>([]);
  /** samples, models and the store's emptiness are known */
  loaded = $state(false);
  /** the store had no studies when this window started (or refreshed) */
  storeEmpty = $state(false);
  /** the sample being opened (import, then series, then segmentation) */
  opening = $state<string | null>(null);
  error = $state<string | null>(null);
  readonly importJob: TrackedJob;

  constructor(
    private readonly client: HostClient,
    private readonly studies: StudiesState,
    private readonly viewer: ViewerState,
  ) {
    this.importJob = new TrackedJob(client, 'studies.import');
  }

  /** Shown in the viewer area: an empty store and no open series (and while the sample is imported). */
  get visible(): boolean {
    if (this.opening) return !this.viewer.series;
    return this.loaded && this.storeEmpty && this.studies.studies.length === 0 && !this.viewer.series;
  }

  get sample(): SampleInfo | null {
    return this.samples[0] ?? null;
  }

  async refresh(): Promise<void> {
    try {
      const [samples, models, studies] = await Promise.all([this.client.call('samples.list', {}), this.client.call('models.list', {}), this.client.call('studies.list', {})]);
      this.samples = samples;
      this.models = models;
      this.storeEmpty = studies.length === 0;
      this.loaded = true;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** Import (once) and open a sample with its suggested model selected; the first sample by default. */
  async openSample(id: string | undefined = this.sample?.id): Promise<void> {
    if (this.opening) return;
    if (!id) {
      this.error = 'No sample study is installed with this build (npm run build:node writes it).';
      return;
    }
    this.opening = id;
    this.error = null;
    try {
      const opened = await this.client.call('samples.open', { id });
      let imported = opened.imported;
      if (!imported && opened.job) {
        const first = opened.job;
        const done = await this.importJob.run(() => Promise.resolve(first));
        if (!done || done.state !== 'succeeded') throw new Error(this.importJob.error ?? `The sample import ${done?.state ?? 'did not start'}`);
        imported = (await this.client.call('samples.list', {})).find((s) => s.id === id)?.imported ?? null;
      }
      if (!imported) throw new Error('The sample study was not imported.');
      await this.studies.refresh();
      const sample = this.samples.find((s) => s.id === id);
      this.viewer.layout = '1+3';
      await this.viewer.open(imported.seriesId);
      if (this.viewer.error) throw new Error(this.viewer.error);
      // the segmentation and the AI panel, with the suggested model chosen
      await this.viewer.editing.start();
      const ai = this.viewer.editing.ai;
      await ai.refresh();
      const suggested = sample?.suggestedModelId;
      if (suggested && ai.models.some((m) => m.id === suggested && m.available)) ai.modelId = suggested;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.opening = null;
    }
  }

  dispose(): void {
    this.importJob.dispose();
  }
}
