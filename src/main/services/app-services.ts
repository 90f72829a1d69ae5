import type { Database } from 'better-sqlite3';
import type { CallContext, Handlers } from './dispatch.js';
import { EventBus } from './event-bus.js';
import { JobManager } from '../jobs/job-manager.js';
import { countdownJob } from '../jobs/test-jobs.js';
import { openDatabase, sqliteVersion } from '../store/database.js';
import { computeStatus } from '../compute/providers.js';
import { APP_VERSION } from '../version.js';
import { StudiesRepo } from '../store/studies-repo.js';
import { createDecoder } from '../studies/decoder.js';
import { IMPORT_JOB, importJob } from '../studies/import-job.js';
import { removeOrphanVolumes } from '../studies/volume-cache.js';
import { seriesHandlers } from '../studies/series-handlers.js';
import { segmentationHandlers } from '../segmentation/segmentation-handlers.js';
import { SegmentationStore } from '../segmentation/segmentation-store.js';
import { AuditLog } from '../store/audit-log.js';
import { Authors } from '../store/authors.js';
import { InferenceEngine } from '../inference/inference-engine.js';
import { modelRegistryFor, type ModelRegistry } from '../inference/model-registry.js';
import { SEGMENT_JOB, segmentJob } from '../inference/segment-job.js';
import { EXPORT_DATASET_JOB, EXPORT_MASK_JOB, IMPORT_MASK_JOB } from '../interchange/job-names.js';
import { datasetExportJob } from '../interchange/dataset-job.js';
import { maskExportJob } from '../interchange/mask-export-job.js';
import { maskImportJob } from '../interchange/mask-import-job.js';
import { createCuration, type Curation } from '../curation/curation-handlers.js';
import { VersionStatsRepo } from '../curation/version-stats.js';
import os from 'node:os';

export interface ServicesOptions {
  dataDir: string;
  host: 'electron' | 'browser' | 'cli' | 'test';
  /** register test-only job types (DELINEATE_TEST_JOBS=1 sets this for hosts) */
  testJobs?: boolean;
  allowGpu?: boolean;
  /** who the writes of this session are recorded as (default: the OS user) */
  author?: string;
  /** minimum gap between two progress events of one job (tests set 0 to see every step) */
  progressIntervalMs?: number;
  /** resume batch AI runs a crash or restart interrupted (the app's hosts do; the CLI and tests choose) */
  resumeBatches?: boolean;
}

export interface AppServices {
  readonly dataDir: string;
  readonly db: Database;
  readonly bus: EventBus;
  readonly jobs: JobManager;
  readonly handlers: Handlers;
  readonly studies: StudiesRepo;
  readonly segmentations: SegmentationStore;
  readonly models: ModelRegistry;
  readonly curation: Curation;
  close(): Promise<void>;
}

/** Build every service a host needs, over one data directory. Hosts own the returned object. */
export function createServices(options: ServicesOptions): AppServices {
  const { db } = openDatabase(options.dataDir);
  const bus = new EventBus();
  const jobs = new JobManager(bus, { progressIntervalMs: options.progressIntervalMs });
  if (options.testJobs) jobs.register(countdownJob);
  const studies = new StudiesRepo(db);
  const authors = new Authors(db, options.author ?? osUser());
  const audit = new AuditLog(db, authors);
  // a crash between writing a volume file and committing its row leaves an orphan: drop it
  removeOrphanVolumes(options.dataDir, studies.referencedVolumeFiles());
  const decoder = createDecoder();
  jobs.register(importJob({ db, dataDir: options.dataDir, decoder, bus }));
  const segmentations = new SegmentationStore(db, options.dataDir, audit, authors);
  const models = modelRegistryFor(options.dataDir);
  const engine = new InferenceEngine();
  const allowGpu = options.allowGpu ?? true;
  const stats = new VersionStatsRepo(db, options.dataDir);
  const segmentDeps = { registry: models, engine, studies, store: segmentations, bus, dataDir: options.dataDir, allowGpu, stats };
  jobs.register(segmentJob(segmentDeps));
  const curation = createCuration({ db, dataDir: options.dataDir, jobs, bus, audit, authors, segment: segmentDeps });
  // the export jobs read through the services object, which exists once this function returns
  let self: AppServices | null = null;
  const services = (): AppServices => self!;
  jobs.register(maskImportJob({ studies, store: segmentations, bus }));
  jobs.register(maskExportJob({ studies, store: segmentations, services }));
  jobs.register(datasetExportJob(services));

  const handlers: Handlers = {
    'app.info': async () => ({
      name: 'Delineate' as const,
      version: APP_VERSION,
      host: options.host === 'electron' ? 'electron' : 'browser',
      dataDir: options.dataDir,
      sqliteVersion: sqliteVersion(db),
      compute: await computeStatus({ allowGpu }),
    }),
    'diagnostics.echo': ({ text, data }) => ({
      text,
      ...(data === undefined ? {} : { data }),
      receivedBytes: data?.byteLength ?? 0,
    }),
    'jobs.list': () => jobs.list(),
    'jobs.types': () => jobs.startableTypes(),
    'jobs.start': ({ type, params }) => jobs.start(type, params, { userInitiated: true }),
    'jobs.cancel': ({ jobId }) => jobs.cancel(jobId),
    'studies.list': () => studies.listStudies(),
    ...seriesHandlers(studies, options.dataDir),
    ...segmentationHandlers(segmentations, studies, bus, audit),
    ...curation.handlers,
    'users.list': () => authors.list(),
    'users.select': ({ name }) => authors.select(name),
    'models.list': () => models.list(),
    'models.add': async ({ path: dir }) => {
      const added = await models.add(dir);
      bus.emit('store.changed', { entity: 'model', ids: [added.id] });
      return added;
    },
    'inference.segment': (params) => {
      const series = studies.getSeries(params.seriesId);
      return jobs.start(SEGMENT_JOB, params, { label: `Segment ${series?.description || `series ${params.seriesId}`} with ${params.modelId}` });
    },
    'export.mask': (params) => jobs.start(EXPORT_MASK_JOB, params, { label: `Export ${params.format.toUpperCase()} of segmentation ${params.segmentationId}` }),
    'export.dataset': (params) => jobs.start(EXPORT_DATASET_JOB, params, { label: `Export dataset ${params.name}` }),
    'masks.import': (params) => jobs.start(IMPORT_MASK_JOB, params, { label: `Import mask ${params.path.split(/[\\/]/).pop()}` }),
    'studies.import': ({ paths }) => jobs.start(IMPORT_JOB, { paths }, { label: `Import ${paths.length === 1 ? paths[0]!.split(/[\\/]/).pop() : `${paths.length} paths`}` }),
  };

  self = {
    dataDir: options.dataDir,
    db,
    bus,
    jobs,
    handlers,
    studies,
    segmentations,
    models,
    curation,
    async close() {
      await jobs.shutdown();
      await engine.close();
      await decoder.close();
      db.close();
    },
  };
  if (options.resumeBatches) curation.resumeInterrupted();
  return self;
}

export type { CallContext };

/** The OS account name, the default author of a session's writes. */
function osUser(): string {
  try {
    return os.userInfo().username || 'local user';
  } catch {
    return 'local user';
  }
}
