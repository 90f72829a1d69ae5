// Batch AI runs with real ONNX sessions and a real store: per-case progress and results, failures
// listed without stopping the batch, cancel then resume, and a CLI batch killed with SIGKILL mid-run
// that the same command finishes without redoing a finished case.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../../src/main/cli/main.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import type { BatchCase, BatchInfo, BatchResult, WorklistRow } from '../../src/shared/curation.js';
import type { JobInfo } from '../../src/shared/jobs.js';
import type { VersionInfo } from '../../src/shared/segmentation.js';
import { ballVolume, COHORT_DIMS, importCohort, typicalCase } from '../helpers/curation-fixtures.js';
import { tempDir } from '../helpers/dicom-fixtures.js';
import { slowModel, testManifest, thresholdModel, writeModelPackage } from '../helpers/model-packages.js';

const T = { timeout: 180_000 };
const root = tempDir('curation-batch');
after(() => fs.rmSync(root, { recursive: true, force: true }));
const packages = {
  threshold: writeModelPackage(path.join(root, 'pkg-threshold'), testManifest('threshold-50'), thresholdModel(50)),
  slow: writeModelPackage(path.join(root, 'pkg-slow'), testManifest('slow'), slowModel(8, 16)),
};

function caller(services: AppServices) {
  return async <R>(method: string, params: unknown): Promise<R> => {
    const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
    if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
    return outcome.result as R;
  };
}

/** AI versions per series (by the versions' provenance). */
function aiVersionsOf(services: AppServices, seriesId: number): VersionInfo[] {
  const id = services.segmentations.segmentationOfSeries(seriesId);
  return id === null ? [] : services.segmentations.listVersions(id).filter((v) => v.source === 'ai');
}

describe('batch AI through the services', () => {
  let services: AppServices;
  let call: ReturnType<typeof caller>;
  let seriesIds: number[];
  let rgbSeries: number;

  before(async () => {
    services = createServices({ dataDir: path.join(root, 'store'), host: 'test', author: 'curator', progressIntervalMs: 0 });
    call = caller(services);
    seriesIds = await importCohort(services, path.join(root, 'cohort'), [0, 1, 2, 3].map((i) => ballVolume(typicalCase(i), i)));
    // an RGB series cannot be segmented: its case fails with the reason, the rest go on
    const rgb = path.join(root, 'rgb.nii.gz');
    const n = COHORT_DIMS[0] * COHORT_DIMS[1] * COHORT_DIMS[2];
    await writeNiftiFile(rgb, { ...ballVolume([], 9), voxelType: 'uint8', components: 3, data: new Uint8Array(n * 3) }, { description: 'rgb' });
    const job = services.jobs.start('studies.import', { paths: [rgb] });
    rgbSeries = ((await services.jobs.wait(job.id)).result as { series: { id: number }[] }).series[0]!.id;
    await call('models.add', { path: packages.threshold });
  });
  after(() => services.close());

  test('a batch over every series without a mask: one AI version per case, failures listed per case, worklist updated', T, async () => {
    const progress: string[] = [];
    const off = services.bus.subscribe((name, payload) => name === 'job.progress' && progress.push((payload as JobInfo).message));
    const job = await call<JobInfo>('batch.segment', { modelId: 'threshold-50', concurrency: 2 });
    const done = await services.jobs.wait(job.id);
    off();
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    const result = done.result as BatchResult;
    assert.equal(result.segmented, 4);
    assert.equal(result.alreadyDone, 0);
    assert.deepEqual(result.failed.map((f) => f.seriesId), [rgbSeries]);
    assert.match(result.failed[0]!.error, /is RGB: segment a scalar series/);
    assert.ok(progress.some((m) => /^\d of 5 cases · 1 failed/.test(m)), progress.join('\n'));

    const [batch] = await call<BatchInfo[]>('batch.list', {});
    assert.equal(batch!.state, 'done');
    assert.deepEqual(batch!.counts, { pending: 0, running: 0, done: 4, failed: 1 });
    const cases = await call<BatchCase[]>('batch.cases', { batchId: batch!.id });
    assert.equal(cases.length, 5);
    for (const c of cases.filter((x) => x.state === 'done')) {
      const versions = aiVersionsOf(services, c.seriesId);
      assert.equal(versions.length, 1);
      assert.equal(versions[0]!.id, c.versionId);
      assert.equal(versions[0]!.provenance.batchId, batch!.id);
      assert.ok(c.caseMs! >= c.inferenceMs! && c.inferenceMs! > 0, `case ${c.caseMs} ms, inference ${c.inferenceMs} ms`);
    }
    const rows = await call<WorklistRow[]>('worklist.list', {});
    for (const id of seriesIds) {
      const row = rows.find((r) => r.seriesId === id)!;
      assert.equal(row.status, 'ai-done');
      assert.equal(row.model, 'threshold-50');
      assert.ok(row.uncertainty !== null && row.uncertainty >= 0 && row.uncertainty <= 1);
    }
    assert.equal(rows.find((r) => r.seriesId === rgbSeries)!.status, 'no-mask');
    // the next batch over "no mask" has only the failed RGB series left
    const again = await call<JobInfo>('batch.segment', { modelId: 'threshold-50' });
    assert.deepEqual(((await services.jobs.wait(again.id)).result as BatchResult).failed.map((f) => f.seriesId), [rgbSeries]);
  });

  test('cancel leaves the rest pending; resume runs only those, and the audit log names the batch', T, async () => {
    const job = await call<JobInfo>('batch.segment', { modelId: 'threshold-50', seriesIds, concurrency: 1 });
    let cancelled = false;
    const off = services.bus.subscribe((name, payload) => {
      const info = payload as JobInfo;
      if (!cancelled && name === 'job.progress' && info.id === job.id && /^1 of 4 cases/.test(info.message)) {
        cancelled = true;
        services.jobs.cancel(job.id);
      }
    });
    const ended = await services.jobs.wait(job.id);
    off();
    assert.equal(ended.state, 'cancelled');
    const batch = (await call<BatchInfo[]>('batch.list', {}))[0]!;
    assert.equal(batch.state, 'cancelled');
    assert.ok(batch.counts.done >= 1 && batch.counts.pending >= 1 && batch.counts.running === 0, JSON.stringify(batch.counts));
    const doneBefore = (await call<BatchCase[]>('batch.cases', { batchId: batch.id })).filter((c) => c.state === 'done');

    const resumed = await services.jobs.wait((await call<JobInfo>('batch.resume', { batchId: batch.id })).id);
    const result = resumed.result as BatchResult;
    assert.equal(result.alreadyDone, doneBefore.length);
    assert.equal(result.segmented, 4 - doneBefore.length);
    const cases = await call<BatchCase[]>('batch.cases', { batchId: batch.id });
    for (const c of doneBefore) {
      const now = cases.find((x) => x.seriesId === c.seriesId)!;
      assert.equal(now.versionId, c.versionId, 'a finished case was not run again');
      assert.equal(now.attempts, 1);
    }
    assert.ok(cases.every((c) => c.state === 'done'));
    const audit = await call<{ action: string; detail: string }[]>('audit.list', {});
    assert.ok(audit.some((e) => e.action === 'batch-segment' && /threshold-50 on 4 series \(chosen\)/.test(e.detail)));
  });
});

describe('a CLI batch killed mid-run', () => {
  const dataDir = path.join(root, 'cli-store');
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t), env: { ...process.env, DELINEATE_DATA_DIR: dataDir } } };
  };

  test('SIGKILL after two cases; the same command resumes the batch and runs only the rest', T, async () => {
    const seed = createServices({ dataDir, host: 'test' });
    const seriesIds = await importCohort(seed, path.join(root, 'cli-cohort'), [0, 1, 2, 3, 4, 5].map((i) => ballVolume(typicalCase(i), 20 + i, [48, 48, 24])));
    await seed.close();
    const add = io();
    assert.equal(await runCli(['models', 'add', packages.slow, '--data-dir', dataDir], add.io), 0, add.out.stderr);

    const args = ['bin/delineate.js', 'batch', 'segment', '--model', 'slow', '--concurrency', '1', '--data-dir', dataDir, '--json'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const db = new Database(path.join(dataDir, 'delineate.sqlite'), { readonly: true, fileMustExist: true });
    const doneCount = () => {
      try {
        return (db.prepare("SELECT COUNT(*) AS n FROM batch_cases WHERE state = 'done'").get() as { n: number }).n;
      } catch {
        return 0; // the table is created by the child's first open
      }
    };
    const deadline = Date.now() + 120_000;
    while (doneCount() < 2 && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(child.exitCode, null, 'the batch ended before it could be killed: make the model slower');
    child.kill('SIGKILL');
    await once(child, 'exit');
    const doneAtKill = db.prepare("SELECT series_id AS seriesId, version_id AS versionId FROM batch_cases WHERE state = 'done'").all() as { seriesId: number; versionId: number }[];
    db.close();
    assert.ok(doneAtKill.length >= 2 && doneAtKill.length < 6, `${doneAtKill.length} done when killed`);

    const list = io();
    assert.equal(await runCli(['batch', 'list', '--json'], list.io), 0, list.out.stderr);
    assert.equal((JSON.parse(list.out.stdout) as { batches: BatchInfo[] }).batches[0]!.state, 'interrupted');

    const rerun = io();
    assert.equal(await runCli(args.slice(1), rerun.io), 0, rerun.out.stderr);
    const result = JSON.parse(rerun.out.stdout) as BatchResult & { resumed: boolean; cases: BatchCase[]; batch: BatchInfo };
    assert.equal(result.resumed, true);
    assert.equal(result.batch.state, 'done');
    // a case killed after its version was saved counts as done; only never-finished ones ran again
    assert.equal(result.alreadyDone + result.segmented, 6);
    assert.ok(result.alreadyDone >= doneAtKill.length);
    const check = createServices({ dataDir, host: 'test' });
    try {
      for (const { seriesId, versionId } of doneAtKill) {
        assert.equal(result.cases.find((c) => c.seriesId === seriesId)!.versionId, versionId);
      }
      for (const id of seriesIds) assert.equal(aiVersionsOf(check, id).length, 1, `series ${id} has exactly one AI version`);
    } finally {
      await check.close();
    }
  });
});
