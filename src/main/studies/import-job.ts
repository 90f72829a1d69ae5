import { z } from 'zod';
import type { Database } from 'better-sqlite3';
import type { ImportReport } from '../../shared/studies.js';
import type { JobType } from '../jobs/job-manager.js';
import type { EventBus } from '../services/event-bus.js';
import type { Decoder } from './decoder.js';
import { importPaths } from './import-service.js';
import { readNiftiFile } from './nifti-file.js';

export const IMPORT_JOB = 'studies.import';

export function importJob(deps: { db: Database; dataDir: string; decoder: Decoder; bus: EventBus }): JobType<{ paths: string[] }> {
  return {
    type: IMPORT_JOB,
    label: 'Import',
    description: 'Import DICOM/NIfTI files, folders or zip archives',
    params: z.object({ paths: z.array(z.string().min(1)).min(1) }),
    async run({ paths }, ctx): Promise<ImportReport> {
      deps.decoder.warm(); // workers boot while the inputs are listed
      const report = await importPaths(paths, { ...deps, decode: deps.decoder.decode, readHeader: deps.decoder.readHeader, decodeConcurrency: deps.decoder.concurrency, readNifti: readNiftiFile }, ctx);
      const changed = report.series.filter((s) => s.status !== 'unchanged').map((s) => String(s.id));
      if (changed.length) deps.bus.emit('store.changed', { entity: 'series', ids: changed });
      return report;
    },
  };
}
