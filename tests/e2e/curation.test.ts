// The curator's day in the real app (delineate serve + Chromium + ONNX Runtime + SQLite): import a
// cohort, start batch AI from the worklist, kill the host mid-batch (SIGKILL), restart it: the batch
// resumes by itself and finishes without redoing a finished case. Then walk the review queue by
// keyboard only (accept, request changes with a comment, skip), check the store's states and audit
// trail, and open the agreement report (screenshot: test-results/e2e/curation-agreement-report.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { createServices } from '../../src/main/services/app-services.js';
import { DATABASE_FILE } from '../../src/main/store/database.js';
import type { WorklistRow } from '../../src/shared/curation.js';
import { labelsFromWire } from '../../src/shared/editing/label-runs.js';
import type { AuditEntry, VersionInfo } from '../../src/shared/segmentation.js';
import { launchChromium, screenshot, waitUntil } from '../helpers/browser.js';
import { ballVolume, importCohort, typicalCase } from '../helpers/curation-fixtures.js';
import { tempDir } from '../helpers/dicom-fixtures.js';
import { slowModel, testManifest, writeModelPackage } from '../helpers/model-packages.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { callStore } from '../helpers/store-call.js';

const CASES = 6;
const T = { timeout: 180_000 };

describe('curator workflow (real delineate serve + Chromium + ONNX Runtime)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let seriesIds: number[];
  const dataDir = tempDir('curation-e2e');
  const work = tempDir('curation-e2e-in');
  /** cases the first host finished before it was killed: series → version */
  let doneAtKill: Map<number, number>;

  const db = () => new Database(path.join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  const query = <R>(sql: string): R[] => {
    const handle = db();
    try {
      return handle.prepare(sql).all() as R[];
    } finally {
      handle.close();
    }
  };
  const rows = async () => (await callStore(dataDir, 'worklist.list', {})) as WorklistRow[];
  const open = async () => {
    await page.goto(serve.url);
    await page.locator('[data-testid="view-tab-worklist"]').waitFor();
  };

  before(async () => {
    const services = createServices({ dataDir, host: 'test' });
    seriesIds = await importCohort(services, path.join(work, 'cohort'), Array.from({ length: CASES }, (_, i) => ballVolume(typicalCase(i), 200 + i, [48, 48, 24])));
    await services.close();
    await callStore(dataDir, 'models.add', { path: writeModelPackage(path.join(work, 'slow'), testManifest('slow-e2e'), slowModel(8, 16)) });
    serve = await startServe({ dataDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await open();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    for (const dir of [dataDir, work]) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('batch AI from the worklist survives a killed host and is not redone', T, async () => {
    await page.keyboard.press('w');
    await page.locator('[data-testid="worklist-view"]').waitFor();
    await waitUntil(() => page.locator('[data-testid="worklist-row"][data-status="no-mask"]').count(), (n) => n === CASES, 10_000);
    await page.locator('[data-testid="worklist-batch-model"] option[value="slow-e2e"]').waitFor({ state: 'attached' });
    await page.locator('[data-testid="worklist-batch-model"]').selectOption('slow-e2e');
    await page.locator('[data-testid="worklist-batch-run-unsegmented"]').click();

    const done = () => query<{ seriesId: number; versionId: number }>("SELECT series_id AS seriesId, version_id AS versionId FROM batch_cases WHERE state = 'done'");
    await waitUntil(async () => done().length, (n) => n >= 2, 90_000);
    serve.child.kill('SIGKILL');
    await new Promise((resolve) => serve.child.once('exit', resolve));
    doneAtKill = new Map(done().map((c) => [c.seriesId, c.versionId]));
    assert.ok(doneAtKill.size >= 2 && doneAtKill.size < CASES, `${doneAtKill.size} of ${CASES} done when killed`);
    assert.deepEqual(query<{ state: string }>('SELECT state FROM batches'), [{ state: 'running' }], 'the killed host left its batch running');

    // a new host on the same store resumes the interrupted batch by itself
    serve = await startServe({ dataDir });
    await open();
    await waitUntil(async () => query<{ state: string }>('SELECT state FROM batches')[0]!.state, (s) => s === 'done', 120_000);
    const cases = query<{ seriesId: number; state: string; versionId: number; attempts: number }>('SELECT series_id AS seriesId, state, version_id AS versionId, attempts FROM batch_cases');
    assert.ok(cases.every((c) => c.state === 'done'), JSON.stringify(cases));
    for (const [seriesId, versionId] of doneAtKill) {
      const c = cases.find((x) => x.seriesId === seriesId)!;
      assert.equal(c.versionId, versionId, `series ${seriesId} kept the version made before the kill`);
      assert.equal(c.attempts, 1, `series ${seriesId} ran once`);
    }
    for (const id of seriesIds) {
      const segmentation = query<{ id: number }>(`SELECT id FROM segmentations WHERE series_id = ${id}`)[0]!;
      const versions = (await callStore(dataDir, 'segmentation.versions', { id: segmentation.id })) as VersionInfo[];
      assert.equal(versions.filter((v) => v.source === 'ai').length, 1, `series ${id} has one AI version`);
    }
    await page.keyboard.press('w');
    await waitUntil(() => page.locator('[data-testid="worklist-row"][data-status="ai-done"]').count(), (n) => n === CASES, 10_000);
    await screenshot(page, 'curation-worklist');
  });

  test('the review queue walked by keyboard: accept, request changes, skip, accept', T, async () => {
    // an annotator's corrections on every case (the left half of slice 8 cleared), autosaved but not
    // yet a version: accepting saves them as one, and the report then measures real disagreement
    for (const seriesId of seriesIds) {
      const opened = (await callStore(dataDir, 'segmentation.open', { seriesId })) as { id: number; revision: number; encoding: 'raw' | 'runs'; data: Uint8Array };
      const labels = labelsFromWire(opened, 'uint8', 48 * 48 * 24);
      const slice = labels.slice(8 * 48 * 48, 9 * 48 * 48);
      for (let p = 0; p < slice.length; p++) if (p % 48 < 24) slice[p] = 0;
      await callStore(dataDir, 'segmentation.writeSlices', { id: opened.id, baseRevision: opened.revision, slices: [8], data: slice });
    }
    await page.keyboard.press('q');
    await waitUntil(() => page.locator('[data-testid="worklist-review-toggle"]').getAttribute('aria-pressed'), (v) => v === 'true');
    await page.locator('[data-testid="worklist-view"][data-queue-ready="true"]').waitFor({ timeout: 20_000 });
    const order = (await page.locator('[data-testid="worklist-row"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-series-id'))))) as number[];
    assert.equal(order.length, CASES);
    await page.keyboard.press('Enter');
    const position = page.locator('[data-testid="review-position"]');
    await position.filter({ hasText: `Case 1 of ${CASES}` }).waitFor({ timeout: 20_000 });

    await page.keyboard.press('a');
    await position.filter({ hasText: `Case 2 of ${CASES}` }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('r');
    await page.locator('[data-testid="review-comment"]').waitFor();
    await page.keyboard.type('boundary too wide on the upper slices');
    await page.keyboard.press('Enter');
    await position.filter({ hasText: `Case 3 of ${CASES}` }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('n');
    await position.filter({ hasText: `Case 4 of ${CASES}` }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('a');
    await position.filter({ hasText: `Case 5 of ${CASES}` }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'curation-review-bar');
    assert.equal(await page.locator('[data-testid="review-error"]').count(), 0);

    const byId = new Map((await rows()).map((r) => [r.seriesId, r]));
    assert.equal(byId.get(order[0]!)!.status, 'accepted');
    assert.equal(byId.get(order[1]!)!.status, 'changes-requested');
    assert.equal(byId.get(order[2]!)!.status, 'in-correction', 'a skipped case is untouched');
    assert.equal(byId.get(order[3]!)!.status, 'accepted');
    const audit = (await callStore(dataDir, 'audit.list', {})) as AuditEntry[];
    const reviewsOf = (seriesId: number) => {
      const segmentationId = byId.get(seriesId)!.segmentationId;
      return audit.filter((e) => e.action === 'review' && e.entityId === segmentationId).map((e) => e.detail);
    };
    assert.deepEqual(reviewsOf(order[0]!), ['draft → submitted', 'submitted → accepted']);
    assert.deepEqual(reviewsOf(order[1]!), ['draft → submitted', 'submitted → changes-requested: boundary too wide on the upper slices']);
    assert.deepEqual(reviewsOf(order[2]!), []);
    assert.ok(audit.some((e) => e.action === 'batch-segment' && /slow-e2e on 6 series/.test(e.detail)));
  });

  test('the agreement report opens in the app', T, async () => {
    await page.keyboard.press('w');
    await page.locator('[data-testid="worklist-view"]').waitFor();
    await page.locator('[data-testid="worklist-report-run"]').click();
    const frame = page.frameLocator('[data-testid="report-frame"]');
    await frame.locator('[data-testid="report-boxplot-dice"]').waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator('[data-testid="report-cases"] tbody tr').count(), 2, 'two accepted cases, one label each');
    await screenshot(page, 'curation-agreement-report');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="report-view"]').waitFor({ state: 'detached' });
  });
});
