import type { ImportReport, StudySummary } from '../../shared/studies.js';
import type { HostClient } from '../lib/host-client.js';
import { pathPicker, type PathPicker } from '../lib/path-picker.js';

/** The store's studies as the browser panel shows them, plus the outcome of the last import. */
export class StudiesState {
  studies = $state<StudySummary[]>([]);
  lastReport = $state<ImportReport | null>(null);
  error = $state<string | null>(null);
  importing = $state(false);
  private readonly offs: (() => void)[] = [];
  readonly picker: PathPicker;

  constructor(private readonly client: HostClient) {
    this.picker = pathPicker(client);
    this.offs.push(
      client.on('store.changed', () => void this.refresh()),
      client.on('job.done', (job) => {
        if (job.type !== 'studies.import') return;
        this.importing = false;
        if (job.state === 'succeeded') this.lastReport = job.result as ImportReport;
        else if (job.state === 'failed') this.error = job.error?.message ?? 'Import failed';
        void this.refresh();
      }),
    );
  }

  async refresh(): Promise<void> {
    try {
      this.studies = await this.client.call('studies.list', {});
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  async import(paths: string[]): Promise<void> {
    this.error = null;
    this.lastReport = null;
    this.importing = true;
    try {
      await this.client.call('studies.import', { paths });
    } catch (err) {
      this.importing = false;
      this.error = (err as Error).message;
    }
  }

  dispose(): void {
    for (const off of this.offs) off();
  }
}
