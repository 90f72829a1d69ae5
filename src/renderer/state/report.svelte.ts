/**
 * The agreement report (AI vs accepted per label, inter-annotator agreement): written by the host as a
 * job, followed to its result, then its HTML read back to show in the app.
 */
import { AgreementReportResultSchema, type AgreementReportResult } from '../../shared/curation.js';
import type { HostClient } from '../lib/host-client.js';
import { TrackedJob } from './tracked-job.svelte.js';

/** One report at a time: its job, the result (file paths, cases) and the HTML. */
export class AgreementReportState {
  readonly job: TrackedJob;
  result = $state<AgreementReportResult | null>(null);
  html = $state<string | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly client: HostClient) {
    this.job = new TrackedJob(client, 'reports.agreement');
  }

  /** Write the report for these series (default: every accepted case with an AI version) and load it. */
  async run(seriesIds: number[] = []): Promise<void> {
    if (this.job.running) return;
    this.result = null;
    this.html = null;
    this.error = null;
    const done = await this.job.run(() => this.client.call('reports.agreement', seriesIds.length > 0 ? { seriesIds } : {}));
    if (done?.state !== 'succeeded') {
      this.error = this.job.error ?? (done?.state === 'cancelled' ? 'Cancelled' : null);
      return;
    }
    try {
      this.result = AgreementReportResultSchema.parse(done.result);
      this.html = (await this.client.call('reports.read', { file: this.result.htmlFile })).html;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  dispose(): void {
    this.job.dispose();
  }
}
