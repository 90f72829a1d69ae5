/** The export.dataset job: accepted (or chosen) segmentations as an nnU-Net v2 raw dataset + MONAI datalist. */
import { ExportDatasetParamsSchema, type ExportDatasetParams } from '../../shared/interchange.js';
import type { JobType } from '../jobs/job-manager.js';
import type { AppServices } from '../services/app-services.js';
import { exportDataset, type DatasetExportResult } from './dataset-export.js';
import { EXPORT_DATASET_JOB } from './job-names.js';

export function datasetExportJob(services: () => AppServices): JobType<ExportDatasetParams> {
  return {
    type: EXPORT_DATASET_JOB,
    label: 'Export dataset',
    description: 'Write accepted segmentations as an nnU-Net v2 raw dataset and a MONAI datalist, without patient identifiers',
    params: ExportDatasetParamsSchema,
    run(params, ctx): Promise<DatasetExportResult> {
      return exportDataset(services(), params, {
        signal: ctx.signal,
        onProgress: (fraction, message) => ctx.progress({ stage: 'export', fraction, message: message ?? 'Writing cases' }),
      });
    },
  };
}
