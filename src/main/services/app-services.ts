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
import type { InferenceLauncher } from '../inference/inference-launcher.js';
import { modelRegistryFor, type ModelRegistry } from '../inference/model-registry.js';
import { SEGMENT_JOB, segmentJob } from '../inference/segment-job.js';
import { EXPORT_DATASET_JOB, EXPORT_MASK_JOB, IMPORT_MASK_JOB } from '../interchange/job-names.js';
import { datasetExportJob } from '../interchange/dataset-job.js';
import { maskExportJob } from '../interchange/mask-export-job.js';
import { maskImportJob } from '../interchange/mask-import-job.js';
import { createCuration, type Curation } from '../curation/curation-handlers.js';
import { VersionStatsRepo } from '../curation/version-stats.js';
import os from 'node:os';
import { SettingsStore } from '../settings/settings-store.js';
import { settingsFilePath } from '../data-dir.js';
import { aboutInfo } from '../about.js';
import { crashLogDir } from '../crash-log.js';
import { RecentStudies } from '../store/recent-studies.js';
import { cleanUploadBatch, uploadedBatch } from '../studies/uploads.js';
import type { PickPathsParams, PickPathsResult } from '../../shared/desktop.js';
import { SampleService } from '../samples/sample-service.js';

export interface ServicesOptions {
  dataDir: string;
  host: 'electron' | 'browser' | 'cli' | 'test';
  /** register test-only job types (DELINEATE_TEST_JOBS=1 sets this for hosts) */
  testJobs?: boolean;
  /** overrides the useGpu setting */
  allowGpu?: boolean;
  /** the settings file (default: DELINEATE_SETTINGS_FILE, else settings.json in the per-user config folder) */
  settingsFile?: string;
  /** who the writes of this session are recorded as (default: the OS user) */
  author?: string;
  /** minimum gap between two progress events of one job (tests set 0 to see every step) */
  progressIntervalMs?: number;
  /** resume batch AI runs a crash or restart interrupted (the app's hosts do; the CLI and tests choose) */
  resumeBatches?: boolean;
  /** the bundled sample studies (default: sampleDataDir(), dist/sample-data in a checkout) */
  samplesDir?: string;
  /** how the inference process starts (default: a Node fork; the Electron host passes its utility-process launcher) */
  inferenceLauncher?: InferenceLauncher;
  /** native desktop integration (the Electron host); without it host.pickPaths answers supported:false */
  desktop?: { pickPaths(params: PickPathsParams): Promise<PickPathsResult> };
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
  readonly settings: SettingsStore;
  readonly recent: RecentStudies;
  close(): Promise<void>;
}

/** Build every service a host needs, over one data directory. Hosts own the returned object. */
export function createServices(options: ServicesOptions): AppServices {
  const { db } = openDatabase(options.dataDir);
  const bus = new EventBus();
  const jobs = new JobManager(bus, { progressIntervalMs: options.progressIntervalMs });
  if (options.testJobs) jobs.register(countdownJob);
  const studies = new StudiesRepo(db);
  const settings = new SettingsStore({ file: options.settingsFile ?? settingsFilePath(), activeDataDir: options.dataDir });
  const authors = new Authors(db, options.author ?? settings.current.defaultAuthor ?? osUser());
  const recent = new RecentStudies(db);
  const audit = new AuditLog(db, authors);
  // a crash between writing a volume file and committing its row leaves an orphan: drop it
  removeOrphanVolumes(options.dataDir, studies.referencedVolumeFiles());
  const decoder = createDecoder();
  jobs.register(importJob({ db, dataDir: options.dataDir, decoder, bus }));
  const segmentations = new SegmentationStore(db, options.dataDir, audit, authors);
  const models = modelRegistryFor(options.dataDir);
  const engine = new InferenceEngine(undefined, options.inferenceLauncher);
  const stats = new VersionStatsRepo(db, options.dataDir);
  const segmentDeps = {
    registry: models,
    engine,
    studies,
    store: segmentations,
    bus,
    dataDir: options.dataDir,
    // read at each run: Settings may change them while the app runs
    get allowGpu() {
      return options.allowGpu ?? settings.current.useGpu;
    },
    get cpuThreads() {
      return settings.current.cpuThreads;
    },
    stats,
  };
  jobs.register(segmentJob(segmentDeps));
  const curation = createCuration({ db, dataDir: options.dataDir, jobs, bus, audit, authors, segment: segmentDeps });
  // the export jobs read through the services object, which exists once this function returns
  let self: AppServices | null = null;
  const services = (): AppServices => self!;
  jobs.register(maskImportJob({ studies, store: segmentations, bus }));
  jobs.register(maskExportJob({ studies, store: segmentations, services }));
  jobs.register(datasetExportJob(services));

  const samples = new SampleService({ studies, jobs, dataDir: options.dataDir }, options.samplesDir);
  const handlers: Handlers = {
    'app.info': async () => ({
      name: 'Delineate' as const,
      version: APP_VERSION,
      host: options.host === 'electron' ? 'electron' : 'browser',
      dataDir: options.dataDir,
      sqliteVersion: sqliteVersion(db),
      compute: await computeStatus({ allowGpu: segmentDeps.allowGpu, cpuThreads: segmentDeps.cpuThreads }),
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
    'host.pickPaths': (params) => (options.desktop ? options.desktop.pickPaths(params) : { supported: false, paths: [] }),
    'settings.get': () => settings.info(),
    'settings.update': (patch) => {
      const info = settings.update(patch);
      // the default author is who this session writes as from now on (null: the OS account)
      if (patch.defaultAuthor !== undefined) authors.select(info.settings.defaultAuthor ?? osUser());
      bus.emit('store.changed', { entity: 'settings', ids: [] });
      return info;
    },
    'app.about': () => aboutInfo({ sqliteVersion: sqliteVersion(db), crashLogDir: crashLogDir(options.dataDir) }),
    'studies.recent': () => recent.list(),
    'studies.markOpened': ({ studyId }) => {
      const list = recent.markOpened(studyId);
      bus.emit('store.changed', { entity: 'recent', ids: [String(studyId)] });
      return list;
    },
    'uploads.import': ({ batchId }) => {
      const dir = uploadedBatch(options.dataDir, batchId);
      const job = jobs.start(IMPORT_JOB, { paths: [dir] }, { label: 'Import dropped files' });
      void jobs.wait(job.id).then((done) => {
        if (done.state === 'succeeded') cleanUploadBatch(db, options.dataDir, batchId);
      });
      return job;
    },
    'samples.list': () => samples.list(),
    'samples.open': ({ id }) => samples.open(id),
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
    settings,
    recent,
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
