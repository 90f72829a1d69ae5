/**
 * Masks in and out of the open series: export a saved version as DICOM SEG, RTSTRUCT or NIfTI to a path
 * on the host, import a SEG/RTSTRUCT/NIfTI mask as a new version, and export the accepted segmentations
 * as a training dataset. Each is a job with progress and cancel.
 */
import {
  DatasetExportResultSchema,
  ExportMaskResultSchema,
  type DatasetExportResult,
  ImportMaskResultSchema,
  type ExportMaskResult,
  type ImportMaskResult,
  type MaskExportFormat,
} from '../../shared/interchange.js';
import type { HostClient } from '../lib/host-client.js';
import { pathPicker, type PathPicker } from '../lib/path-picker.js';
import type { EditingState } from './editing.svelte.js';
import { TrackedJob } from './tracked-job.svelte.js';

export class InterchangeState {
  format = $state<MaskExportFormat>('seg');
  /** null: the head version */
  versionId = $state<number | null>(null);
  exported = $state<ExportMaskResult | null>(null);
  imported = $state<ImportMaskResult | null>(null);
  datasetResult = $state<DatasetExportResult | null>(null);
  readonly exportJob: TrackedJob;
  readonly importJob: TrackedJob;
  readonly datasetJob: TrackedJob;
  readonly picker: PathPicker;

  constructor(
    private readonly client: HostClient,
    private readonly editing: EditingState,
  ) {
    this.exportJob = new TrackedJob(client, 'export.mask');
    this.importJob = new TrackedJob(client, 'masks.import');
    this.datasetJob = new TrackedJob(client, 'export.dataset');
    this.picker = pathPicker(client);
  }

  async exportMask(out: string): Promise<void> {
    const segmentationId = this.editing.segmentationId;
    if (segmentationId === null) return;
    this.exported = null;
    const done = await this.exportJob.run(() =>
      this.client.call('export.mask', { segmentationId, format: this.format, out, ...(this.versionId === null ? {} : { versionId: this.versionId }) }),
    );
    if (done?.state === 'succeeded') this.exported = ExportMaskResultSchema.parse(done.result);
  }

  async importMask(seriesId: number, path: string, resample: boolean): Promise<void> {
    this.imported = null;
    await this.editing.flushed(); // edits in flight are stored first (they become a version under the import)
    const done = await this.importJob.run(() => this.client.call('masks.import', { seriesId, path, resample }));
    if (done?.state !== 'succeeded') return;
    this.imported = ImportMaskResultSchema.parse(done.result);
    await this.editing.reload(); // the imported version is the head now
  }

  async exportDataset(outDir: string, name: string): Promise<void> {
    this.datasetResult = null;
    const done = await this.datasetJob.run(() => this.client.call('export.dataset', { outDir, name }));
    if (done?.state === 'succeeded') this.datasetResult = DatasetExportResultSchema.parse(done.result);
  }

  dispose(): void {
    this.exportJob.dispose();
    this.importJob.dispose();
    this.datasetJob.dispose();
  }
}
