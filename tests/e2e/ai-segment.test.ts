// AI segmentation in the real app (delineate serve + Chromium, real ONNX Runtime): add a model package
// through the UI, run it on the open series, see which provider ran and why; the result arrives as an
// AI version in the version list and as the label map the editor holds, equal to what the model computes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createServices } from '../../src/main/services/app-services.js';
import { decodeRuns } from '../../src/shared/editing/label-runs.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { viewVoxels, type VoxelType } from '../../src/shared/volume.js';
import { launchChromium, screenshot, waitUntil } from '../helpers/browser.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { testManifest, thresholdModel, writeModelPackage } from '../helpers/model-packages.js';
import { callStore } from '../helpers/store-call.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const [NX, NY, NZ] = [48, 40, 8];
const THRESHOLD = -300;

describe('AI segmentation (real delineate serve + Chromium + ONNX Runtime)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let inputDir: string;
  let packageDir: string;
  let seriesId: number;

  const call = (method: string, params: unknown) => callStore(dataDir, method, params);

  before(async () => {
    dataDir = tempDir('ai-store');
    inputDir = makeSeries(tempDir('ai-in'), [{ name: 'ai', slices: NZ, rows: NY, cols: NX, series_number: 1 }]);
    packageDir = writeModelPackage(path.join(tempDir('ai-model'), 'threshold'), testManifest('threshold-e2e'), thresholdModel(THRESHOLD));
    const services = createServices({ dataDir, host: 'test' });
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    const series = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!;
    seriesId = series.id;
    await services.close();
    serve = await startServe({ dataDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${serve.url}&series=${encodeURIComponent(series.seriesInstanceUid)}`);
    await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="start-segmenting"]').click();
    await page.locator('[data-testid="ai-panel"]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    for (const dir of [dataDir, inputDir, path.dirname(packageDir)]) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a bad model folder is refused with the file and the reason', { timeout: 30_000 }, async () => {
    await page.locator('[data-testid="ai-add"]').click();
    await page.locator('[data-testid="ai-add-path"]').fill(path.join(inputDir, 'no-such-model'));
    await page.locator('[data-testid="ai-add-submit"]').click();
    await page.locator('[data-testid="ai-error"]', { hasText: 'no-such-model' }).waitFor();
  });

  test('add a model, run it: the result is an AI version and the editor holds its labels', { timeout: 60_000 }, async () => {
    await page.locator('[data-testid="ai-add-path"]').fill(packageDir);
    await page.locator('[data-testid="ai-add-submit"]').click();
    await waitUntil(() => page.locator('[data-testid="ai-model"]').inputValue(), (id) => id === 'threshold-e2e');
    await page.locator('[data-testid="ai-run"]').click();
    const result = page.locator('[data-testid="ai-result"]');
    await result.waitFor({ timeout: 45_000 });
    const provider = await page.locator('[data-testid="ai-provider-used"]').textContent();
    assert.match(provider ?? '', /^(CUDA execution provider\.|CPU \(\d+ threads?\): the CUDA execution provider could not be used \(.+\)\.)$/);
    assert.match((await result.textContent()) ?? '', /Version 1 from threshold-e2e/);
    await page.locator('[data-testid="version-1"]', { hasText: 'AI: threshold-e2e 1.0.0' }).waitFor();
    await waitUntil(() => page.locator('[data-testid="segment-row"][data-value="1"] input.name').inputValue(), (name) => name === 'Above', 10_000);
    await screenshot(page, 'ai-segment-result');

    // the store holds exactly what the model computes from the stored voxels
    const series = await call('series.get', { seriesId });
    const slab = await call('series.slab', { seriesId, start: 0, count: NZ });
    const bytes = slab.data as Uint8Array;
    const voxels = viewVoxels(series.voxelType as VoxelType, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const opened = await call('segmentation.open', { seriesId });
    const labels = opened.encoding === 'runs' ? decodeRuns(opened.data as Uint32Array, new Uint8Array(NX * NY * NZ)) : (opened.data as Uint8Array);
    let above = 0;
    for (let v = 0; v < voxels.length; v++) {
      assert.equal(labels[v], voxels[v]! > THRESHOLD ? 1 : 0, `voxel ${v}`);
      above += labels[v]!;
    }
    assert.ok(above > 0 && above < voxels.length, `${above} voxels above the threshold`);
    assert.equal(opened.headVersion.source, 'ai');
  });
});
