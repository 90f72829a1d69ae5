// The curator's review on a real store with real AI results: case statuses, assignment, the review
// queue's outliers, one-step decisions with their audit trail, fusing two annotators' versions, and
// the agreement report, whose numbers must be exactly those `delineate metrics` prints.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import type { AgreementReportResult, ReviewQueueEntry, WorklistRow } from '../../src/shared/curation.js';
import type { JobInfo } from '../../src/shared/jobs.js';
import type { AuditEntry, SegmentationInfo, VersionInfo } from '../../src/shared/segmentation.js';
import { ballVolume, COHORT_DIMS, importCohort, typicalCase, type Ball } from '../helpers/curation-fixtures.js';
import { csvRecords } from '../helpers/csv.js';
import { assertCsvMatchesMetrics } from '../helpers/report-checks.js';
import { tempDir } from '../helpers/dicom-fixtures.js';
import { testManifest, thresholdModel, writeModelPackage } from '../helpers/model-packages.js';

const T = { timeout: 180_000 };
const root = tempDir('curation-review');
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** 12 cases: 0–8 typical, 9 a huge ball, 10 many small islands, 11 nothing to find. */
const COHORT: Ball[][] = [
  ...Array.from({ length: 9 }, (_, i) => typicalCase(i)),
  [{ center: [16, 16, 8], radius: 11 }],
  Array.from({ length: 8 }, (_, i) => ({ center: [4 + (i % 4) * 8, 6 + Math.floor(i / 4) * 16, 8] as [number, number, number], radius: 1.5 })),
  [],
];

describe('review workflow', () => {
  let services: AppServices;
  let seriesIds: number[];
  const dataDir = path.join(root, 'store');
  const grid = { dims: COHORT_DIMS };
  const call = async <R>(method: string, params: unknown): Promise<R> => {
    const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
    if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
    return outcome.result as R;
  };
  const rejects = (p: Promise<unknown>, code: string, message: RegExp) => assert.rejects(p, (err: Error & { code?: string }) => err.code === code && message.test(err.message));
  const row = async (seriesId: number) => (await call<WorklistRow[]>('worklist.list', {})).find((r) => r.seriesId === seriesId)!;

  /** Edit the working state of a case (clear label voxels on slice k, or add a block) and save it as a version. */
  const correct = (seriesId: number, k: number, edit: 'erase-half' | 'add-block', name: string): VersionInfo => {
    const store = services.segmentations;
    const { info, labels } = store.openForSeries(seriesId, grid);
    const sliceBytes = COHORT_DIMS[0] * COHORT_DIMS[1];
    const slice = labels.slice(k * sliceBytes, (k + 1) * sliceBytes);
    for (let p = 0; p < slice.length; p++) {
      const [i, j] = [p % COHORT_DIMS[0], Math.floor(p / COHORT_DIMS[0])];
      if (edit === 'erase-half' && i < 16) slice[p] = 0;
      if (edit === 'add-block' && i >= 24 && i < 28 && j >= 4 && j < 8) slice[p] = 1;
    }
    const written = store.writeSlices(info.id, info.revision, [k], slice, grid);
    return store.saveVersion(info.id, written.revision, name, grid).version;
  };

  before(async () => {
    services = createServices({ dataDir, host: 'test', author: 'curator', progressIntervalMs: 0 });
    seriesIds = await importCohort(services, path.join(root, 'cohort'), COHORT.map((balls, i) => ballVolume(balls, 100 + i)));
    await call('models.add', { path: writeModelPackage(path.join(root, 'pkg'), testManifest('threshold-50'), thresholdModel(50)) });
    const job = await call<JobInfo>('batch.segment', { modelId: 'threshold-50' });
    assert.equal((await services.jobs.wait(job.id)).state, 'succeeded');
  });
  after(() => services.close());

  test('the review queue puts the outliers first and says why', T, async () => {
    const queue = await call<ReviewQueueEntry[]>('worklist.reviewQueue', {});
    assert.equal(queue.length, 12);
    const reasonsOf = (index: number) => queue.find((e) => e.seriesId === seriesIds[index])!.reasons.map((r) => r.kind);
    assert.ok(reasonsOf(9).includes('volume'), JSON.stringify(queue.find((e) => e.seriesId === seriesIds[9])));
    assert.ok(reasonsOf(10).includes('islands'));
    assert.ok(reasonsOf(11).includes('missing-label'));
    const top = new Set(queue.slice(0, 4).map((e) => e.seriesId));
    for (const i of [9, 10, 11]) assert.ok(top.has(seriesIds[i]!), `case ${i} is among the first four`);
    for (let i = 1; i < queue.length; i++) assert.ok(queue[i - 1]!.score >= queue[i]!.score);
  });

  test('statuses follow the work: AI done → in correction → submitted → accepted, or changes requested', T, async () => {
    const [a, b] = [seriesIds[0]!, seriesIds[1]!];
    assert.equal((await row(a)).status, 'ai-done');
    const { info } = services.segmentations.openForSeries(a, grid);
    services.segmentations.writeSlices(info.id, info.revision, [8], new Uint8Array(COHORT_DIMS[0] * COHORT_DIMS[1]), grid);
    assert.equal((await row(a)).status, 'in-correction');

    await rejects(call('worklist.decide', { seriesId: b, decision: 'request-changes' }), 'invalid_params', /needs a comment/);
    const sent = await call<SegmentationInfo>('worklist.decide', { seriesId: b, decision: 'request-changes', comment: 'misses the lower pole' });
    assert.equal(sent.reviewState, 'changes-requested');
    assert.equal((await row(b)).status, 'changes-requested');

    // accepting the edited case saves the edit as a version first, then submits and accepts it
    const accepted = await call<SegmentationInfo>('worklist.decide', { seriesId: a, decision: 'accept' });
    assert.equal(accepted.reviewState, 'accepted');
    assert.equal(accepted.unsavedSlices, 0);
    assert.equal(accepted.headVersion!.name, 'Reviewed');
    assert.equal((await row(a)).status, 'accepted');
    await rejects(call('worklist.decide', { seriesId: a, decision: 'accept' }), 'conflict', /is accepted and cannot be accepted: reopen it as a draft first/);
    await rejects(call('worklist.decide', { seriesId: a, decision: 'request-changes', comment: 'x' }), 'conflict', /cannot be sent back/);

    const audit = await call<AuditEntry[]>('audit.list', { segmentationId: accepted.id });
    const reviews = audit.filter((e) => e.action === 'review').map((e) => `${e.author}: ${e.detail}`);
    assert.deepEqual(reviews, ['curator: draft → submitted', 'curator: submitted → accepted']);
    assert.ok(audit.some((e) => e.action === 'save-version' && /"Reviewed"/.test(e.detail)));
    // accepted cases leave the review queue
    assert.ok(!(await call<ReviewQueueEntry[]>('worklist.reviewQueue', {})).some((e) => e.seriesId === a));
  });

  test('assignment shows in the worklist and is audited', T, async () => {
    const ids = seriesIds.slice(2, 5);
    assert.deepEqual(await call('worklist.assign', { seriesIds: ids, assignee: 'dr-lee' }), { updated: 3 });
    for (const id of ids) assert.equal((await row(id)).assignee, 'dr-lee');
    assert.equal((await row(seriesIds[5]!)).assignee, null);
    await call('worklist.assign', { seriesIds: [ids[0]], assignee: null });
    assert.equal((await row(ids[0]!)).assignee, null);
    const audit = await call<AuditEntry[]>('audit.list', {});
    assert.ok(audit.some((e) => e.action === 'assign' && e.detail === `assigned to dr-lee: series ${ids[0]}–${ids[2]}`), JSON.stringify(audit.slice(-3)));
    assert.ok(audit.some((e) => e.action === 'unassign'));
  });

  test('two annotators: their versions fuse by majority (their agreement) and by STAPLE', T, async () => {
    const seriesId = seriesIds[6]!;
    await call('users.select', { name: 'ann-a' });
    const va = correct(seriesId, 8, 'erase-half', 'A');
    await call('users.select', { name: 'ann-b' });
    const vb = correct(seriesId, 8, 'add-block', 'B');
    await call('users.select', { name: 'curator' });
    const id = services.segmentations.segmentationOfSeries(seriesId)!;
    const labelsOf = (v: number) => services.segmentations.loadVersion(id, v, grid).labels;
    const [a, b] = [labelsOf(va.id), labelsOf(vb.id)];

    const majority = await call<{ version: VersionInfo }>('segmentation.merge', { id, versionIds: [va.id, vb.id], method: 'majority' });
    assert.equal(majority.version.source, 'merge');
    assert.deepEqual(majority.version.provenance.mergedFrom, [va.id, vb.id]);
    assert.match(majority.version.name, /^Majority vote of versions \d+, \d+$/);
    const fused = labelsOf(majority.version.id);
    let disagreements = 0;
    for (let p = 0; p < fused.length; p++) {
      assert.equal(fused[p], a[p] === b[p] ? a[p] : 0);
      if (a[p] !== b[p]) disagreements++;
    }
    assert.equal((majority.version.provenance.parameters as { disagreementVoxels: number }).disagreementVoxels, disagreements);

    const stapled = await call<{ version: VersionInfo }>('segmentation.merge', { id, versionIds: [va.id, vb.id], method: 'staple', name: 'consensus' });
    const raters = (stapled.version.provenance.parameters as { raters: { author: string; sensitivity: Record<string, number> }[] }).raters;
    assert.deepEqual(raters.map((r) => r.author), ['ann-a', 'ann-b']);
    assert.ok(raters.every((r) => r.sensitivity['1']! > 0 && r.sensitivity['1']! <= 1));
    await rejects(call('segmentation.merge', { id, versionIds: [va.id, va.id], method: 'majority' }), 'invalid_params', /named twice/);
  });

  test('the agreement report: CSV numbers equal `delineate metrics`, HTML with plots, inter-annotator agreement', T, async () => {
    // "corrected" copies of the AI result for cases 3–5 (perturbed as a reviewer would), accepted
    for (const [i, edit] of [[3, 'erase-half'], [4, 'add-block'], [5, 'erase-half']] as const) {
      correct(seriesIds[i]!, 8, edit, 'corrected');
      await call('worklist.decide', { seriesId: seriesIds[i], decision: 'accept' });
    }
    const out = path.join(root, 'report');
    const captured = { stdout: '', stderr: '' };
    const io = { stdout: (t: string) => (captured.stdout += t), stderr: (t: string) => (captured.stderr += t), env: process.env };
    await services.close();
    try {
      assert.equal(await runCli(['report', 'agreement', '--out', out, '--data-dir', dataDir, '--json'], io), 0, captured.stderr);
      const result = JSON.parse(captured.stdout) as AgreementReportResult;
      assert.equal(result.cases, 4, 'cases 0, 3, 4 and 5 are accepted');
      assert.deepEqual(result.labels, [1]);
      const rows = csvRecords(fs.readFileSync(result.csvFile, 'utf8'));
      assert.equal(rows.length, 4);
      await assertCsvMatchesMetrics(rows, dataDir);
      assert.ok(rows.some((r) => Number(r.dice) < 1), 'the corrections show as disagreement');
      const inter = csvRecords(fs.readFileSync(result.interAnnotatorCsvFile!, 'utf8'));
      assert.deepEqual([inter[0]!.annotatorA, inter[0]!.annotatorB], ['ann-a', 'ann-b']);
      const html = fs.readFileSync(result.htmlFile, 'utf8');
      for (const id of ['report-summary', 'report-boxplot-dice', 'report-boxplot-hd95', 'report-scatter-volume', 'report-cases', 'report-inter-annotator']) assert.match(html, new RegExp(`data-testid="${id}"`));
      assert.doesNotMatch(html, /<script/i);
    } finally {
      services = createServices({ dataDir, host: 'test', author: 'curator' });
    }
  });
});
