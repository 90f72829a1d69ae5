/**
 * Import: scan → plan volumes → decode (worker pool) → cache voxels → record in the store, one series
 * per transaction. A series is stored whole or not at all: cancel or a decode failure leaves nothing of
 * it behind. Unchanged re-imports are detected from the recorded sources and skipped.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { ImportedSeries, ImportReport } from '../../shared/studies.js';
import { bytesPerVoxel, type Volume } from '../../shared/volume.js';
import type { ProgressUpdate } from '../jobs/job-manager.js';
import { StudiesRepo, type SeriesRecord, type SourceFile, type StudyRecord } from '../store/studies-repo.js';
import { SliceDecodeError, assembleSlices, withWidening, type DecodeFile } from './dicom/assemble-volume.js';
import type { SliceSource } from './dicom/instance.js';
import type { HeaderResult } from './dicom/pixels/worker-protocol.js';
import { planVolumes, replanWithout, type PlannedVolume } from './dicom/series-builder.js';
import { scanInputs } from './scan.js';
import { openVolumeWriter, removeVolumeFile, sha256File, writeVolumeFile } from './volume-cache.js';

export interface ImportDeps {
  db: Database;
  dataDir: string;
  decode: DecodeFile;
  readHeader: (file: string) => Promise<HeaderResult>;
  decodeConcurrency: number;
  readNifti: (file: string) => Promise<Volume & { description?: string }>;
}

export interface ImportContext {
  signal: AbortSignal;
  progress: (update: ProgressUpdate) => void;
}

type SourceState = { status: 'imported' | 'unchanged' | 'reimported'; changes: ImportedSeries['sourceChanges'] };

export async function importPaths(paths: string[], deps: ImportDeps, ctx: ImportContext): Promise<ImportReport> {
  const repo = new StudiesRepo(deps.db);
  ctx.progress({ fraction: 0, stage: 'scanning', message: 'Looking for images…' });
  const scan = await scanInputs(paths, {
    signal: ctx.signal,
    extractDir: path.join(deps.dataDir, 'extracted'),
    readHeader: deps.readHeader,
    onProgress: (n, file) => ctx.progress({ fraction: null, stage: 'scanning', message: `${n} files read (${path.basename(file)})` }),
  });
  const report: ImportReport = { series: [], skipped: scan.skipped, failed: [] };
  const planned = planVolumes(scan.dicom);
  const totalSlices = planned.reduce((n, v) => n + v.plan.slices.length, 0) + scan.nifti.length;
  let slicesDone = 0;
  const tick = (message: string) => ctx.progress({ fraction: 0.05 + 0.9 * (slicesDone / Math.max(1, totalSlices)), stage: 'decoding', message });

  for (let volume of planned) {
    ctx.signal.throwIfAborted();
    const label = `${volume.series.modality} ${volume.series.seriesDescription || volume.key}`.trim();
    let sources = await statSources(volume.files);
    const state = await compareWithStore(repo, volume.key, sources);
    if (state.status === 'unchanged') {
      slicesDone += volume.plan.slices.length;
      tick(`${label}: unchanged`);
      report.series.push(summaryFor(repo, volume.key, state));
      continue;
    }
    const base = slicesDone;
    const hashes = new Map(sources.map((s) => [s.path, s]));
    const built = await assembleSkippingBadFiles(volume, deps, ctx, report.skipped, (file, sha256) => (hashes.get(file)!.sha256 = sha256), (done, total) => {
      slicesDone = base + Math.min(done, total);
      tick(`${label}: slice ${done} of ${total}`);
    });
    slicesDone = base + volume.plan.slices.length;
    if ('reason' in built) {
      report.failed.push({ key: volume.key, description: label, reason: built.reason });
      continue;
    }
    volume = built.plan;
    const kept = new Set(volume.files);
    sources = sources.filter((s) => kept.has(s.path));
    try {
      ctx.signal.throwIfAborted();
      await withHashes(sources);
    } catch (err) {
      removeVolumeFile(deps.dataDir, built.cached.volumeFile);
      throw err;
    }
    record(repo, deps.dataDir, volume.study, seriesRecordOf(volume), built.cached, sources, ctx.signal);
    report.series.push(summaryFor(repo, volume.key, state));
  }

  for (const file of scan.nifti) {
    ctx.signal.throwIfAborted();
    const outcome = await importNifti(file, repo, deps, ctx.signal);
    if ('reason' in outcome) report.skipped.push({ path: file, reason: outcome.reason });
    else report.series.push(outcome);
    slicesDone++;
    tick(path.basename(file));
  }
  ctx.progress({ fraction: 1, stage: 'done', message: `${report.series.length} series, ${report.skipped.length} skipped, ${report.failed.length} failed` });
  return report;
}

/**
 * Build the volume; a file that fails to decode is reported in `skipped` (with its reason) and the
 * volume is re-planned without it, so one bad slice costs one slice, not the series.
 */
async function assembleSkippingBadFiles(
  planned: PlannedVolume,
  deps: ImportDeps,
  ctx: ImportContext,
  skipped: ImportReport['skipped'],
  onFileHashed: (file: string, sha256: string) => void,
  onProgress: (done: number, total: number) => void,
): Promise<{ cached: CachedVolume; plan: PlannedVolume } | { reason: string }> {
  let plan = planned;
  for (;;) {
    try {
      // an overflowing value re-runs the attempt with a wider voxel type (the shared mechanism)
      return await withWidening(plan, async (attempt) => ({ cached: await assembleIntoCache(attempt, deps, ctx, onFileHashed, onProgress), plan: attempt }));
    } catch (err) {
      if (ctx.signal.aborted || !(err instanceof SliceDecodeError)) throw err;
      skipped.push({ path: err.file, reason: err.message });
      const remaining = plan.plan.slices.filter((s): s is SliceSource => s !== null && s.file !== err.file);
      if (remaining.length === 0) return { reason: `no slice could be decoded (last: ${err.file}: ${err.message})` };
      plan = replanWithout(plan, remaining);
    }
  }
}

/** Stream one assembly into a new cache file; the partial file is removed if it fails. */
async function assembleIntoCache(
  plan: PlannedVolume,
  deps: ImportDeps,
  ctx: ImportContext,
  onFileHashed: (file: string, sha256: string) => void,
  onProgress: (done: number, total: number) => void,
): Promise<CachedVolume> {
  const sliceBytes = plan.plan.dims[0] * plan.plan.dims[1] * plan.components * bytesPerVoxel(plan.voxelType);
  const writer = openVolumeWriter(deps.dataDir, plan.key, sliceBytes * plan.plan.dims[2]);
  try {
    await assembleSlices(plan, deps.decode, writer, { signal: ctx.signal, concurrency: deps.decodeConcurrency, onProgress, onFileHashed });
    return writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * Size and mtime of each file. Synchronous stats in slices of STAT_SLICE, yielding between them: one
 * stat is a few microseconds, while an async one costs a thread-pool round trip, and the decode workers
 * sit idle until this is done.
 */
async function statSources(files: string[]): Promise<SourceFile[]> {
  const sources: SourceFile[] = [];
  for (let i = 0; i < files.length; i += STAT_SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const file of files.slice(i, i + STAT_SLICE)) {
      const stat = fs.statSync(file);
      sources.push({ path: file, size: stat.size, mtimeMs: stat.mtimeMs, sha256: '' });
    }
  }
  return sources;
}
const STAT_SLICE = 512;

async function withHashes(sources: SourceFile[]): Promise<void> {
  for (const s of sources) if (!s.sha256) s.sha256 = await sha256File(s.path);
}

/** Unchanged when the same files have the same size/mtime (or, if touched, the same content). */
async function compareWithStore(repo: StudiesRepo, key: string, current: SourceFile[]): Promise<SourceState> {
  const previous = repo.findSeriesByKey(key);
  if (!previous) return { status: 'imported', changes: [] };
  const now = new Map(current.map((s) => [s.path, s]));
  const changes: SourceState['changes'] = [];
  for (const before of previous.sources) {
    const after = now.get(before.path);
    if (!after) {
      if (!fs.existsSync(before.path)) changes.push({ path: before.path, change: 'vanished' });
      continue;
    }
    if (after.size === before.size && after.mtimeMs === before.mtimeMs) {
      after.sha256 = before.sha256;
      continue;
    }
    after.sha256 = await sha256File(after.path);
    if (after.sha256 !== before.sha256) changes.push({ path: before.path, change: 'changed' });
  }
  const samePaths = previous.sources.length === current.length && previous.sources.every((s) => now.has(s.path));
  return { status: samePaths && changes.length === 0 ? 'unchanged' : 'reimported', changes };
}

interface CachedVolume {
  volumeFile: string;
  bytes: number;
}

/** Commit a cached volume's series; on any failure the cache file goes too. */
function record(repo: StudiesRepo, dataDir: string, study: StudyRecord, series: Omit<SeriesRecord, 'volumeFile' | 'volumeBytes'>, cached: CachedVolume, sources: SourceFile[], signal: AbortSignal): void {
  try {
    signal.throwIfAborted();
    const { replacedVolumeFile } = repo.saveSeries(study, { ...series, volumeFile: cached.volumeFile, volumeBytes: cached.bytes }, sources);
    if (replacedVolumeFile) removeVolumeFile(dataDir, replacedVolumeFile);
  } catch (err) {
    removeVolumeFile(dataDir, cached.volumeFile);
    throw err;
  }
}

function summaryFor(repo: StudiesRepo, key: string, state: SourceState): ImportedSeries {
  const { volumeFile: _v, volumeBytes: _b, ...summary } = repo.getSeries(repo.findSeriesId(key)!)!;
  return { ...summary, status: state.status, sourceChanges: state.changes };
}

function seriesRecordOf(v: PlannedVolume): Omit<SeriesRecord, 'volumeFile' | 'volumeBytes'> {
  return {
    key: v.key,
    seriesInstanceUid: v.series.seriesInstanceUid,
    sourceKind: 'dicom',
    modality: v.series.modality,
    description: v.series.seriesDescription,
    seriesNumber: v.series.seriesNumber,
    splitReason: v.plan.splitReason,
    dims: v.plan.dims,
    spacing: v.plan.spacing,
    affineLps: v.plan.affineLps,
    voxelType: v.voxelType,
    components: v.components,
    transferSyntaxes: v.transferSyntaxes,
    warnings: v.plan.warnings.map((w) => w.message),
    displayInverted: v.pixel.photometricInterpretation === 'MONOCHROME1',
  };
}

const digest = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
/** A DICOM-style UID (2.25.<decimal of 128 bits>) derived from a string, stable across imports. */
const uidFrom = (text: string) => `2.25.${BigInt(`0x${digest(text).slice(0, 32)}`).toString()}`;

async function importNifti(file: string, repo: StudiesRepo, deps: ImportDeps, signal: AbortSignal): Promise<ImportedSeries | { reason: string }> {
  const key = `nifti:${digest(file).slice(0, 32)}`;
  const [source] = await statSources([file]);
  const state = await compareWithStore(repo, key, [source!]);
  if (state.status === 'unchanged') return summaryFor(repo, key, state);
  let volume: Volume & { description?: string };
  try {
    volume = await deps.readNifti(file);
  } catch (err) {
    return { reason: (err as Error).message };
  }
  await withHashes([source!]);
  const folder = path.dirname(file);
  const study: StudyRecord = {
    studyInstanceUid: uidFrom(`nifti-study:${folder}`),
    patientName: '',
    patientId: '',
    patientBirthDate: '',
    patientSex: '',
    studyDate: '',
    studyTime: '',
    studyDescription: path.basename(folder),
    accessionNumber: '',
  };
  const series = {
    key,
    seriesInstanceUid: uidFrom(key),
    sourceKind: 'nifti' as const,
    modality: '',
    description: path.basename(file).replace(/\.nii(\.gz)?$/i, ''),
    seriesNumber: null,
    splitReason: null,
    dims: volume.dims,
    spacing: volume.spacing,
    affineLps: volume.affineLps,
    voxelType: volume.voxelType,
    components: volume.components,
    transferSyntaxes: [],
    warnings: [],
    displayInverted: false,
  };
  record(repo, deps.dataDir, study, series, writeVolumeFile(deps.dataDir, key, volume.data), [source!], signal);
  return summaryFor(repo, key, state);
}
