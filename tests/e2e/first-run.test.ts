// First run in the real app (delineate serve on an empty data dir + Chromium + ONNX Runtime): the viewer
// area welcomes the user with the bundled sample study and the shipped models; "Open sample study"
// imports and shows it with the suggested model chosen; one click on Segment runs it and the mask appears
// on the images. The goal: a new user sees a segmentation within a minute of that first click.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { sampleDataDir } from '../../src/main/paths.js';
import { decodeRuns } from '../../src/shared/editing/label-runs.js';
import type { SampleInfo } from '../../src/shared/desktop.js';
import { launchChromium, screenshot, waitUntil } from '../helpers/browser.js';
import { tempDir } from '../helpers/dicom-fixtures.js';
import { callStore } from '../helpers/store-call.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

/**
 * Pixels of the axial view's canvas that carry the grey-matter overlay colour (205, 62, 78) blended over
 * grey: clearly red, green and blue alike (the crosshair is green, the image grey).
 */
async function overlayPixels(page: Page): Promise<number> {
  return page.locator('[data-view="axial"] canvas').evaluate((el) => {
    // (tests compile without the DOM lib: a structural type for the canvas)
    const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let red = 0;
    for (let p = 0; p < d.length; p += 4) {
      const [r, g, b] = [d[p]!, d[p + 1]!, d[p + 2]!];
      if (r - g > 40 && r - b > 40 && Math.abs(g - b) < 30) red++;
    }
    return red;
  });
}

describe('first run: welcome panel, sample study, one-click AI (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let sample: SampleInfo;

  before(async () => {
    assert.ok(fs.existsSync(path.join(sampleDataDir(), 'synthetic-head-t1', 'sample.json')), `no sample study in ${sampleDataDir()}: npm run build:node writes it`);
    dataDir = tempDir('first-run');
    serve = await startServe({ dataDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(serve.url);
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('an empty store shows the welcome panel: the sample (synthetic, licensed) and the shipped models', { timeout: 30_000 }, async () => {
    const welcome = page.locator('[data-testid="welcome-panel"]');
    await welcome.waitFor({ timeout: 15_000 });
    const samples = (await callStore(dataDir, 'samples.list', {})) as SampleInfo[];
    assert.ok(samples[0], 'the build ships a sample');
    sample = samples[0];
    assert.equal(sample.imported, null);
    assert.equal(await page.locator('[data-testid="sample-title"]').textContent(), sample.title);
    assert.equal(await page.locator('[data-testid="sample-license"]').textContent(), 'CC0-1.0');
    assert.equal(await page.locator('[data-testid="sample-synthetic"]').textContent(), 'synthetic');
    assert.equal(await page.locator('[data-testid="sample-description"]').textContent(), sample.description);
    const models = page.locator('[data-testid="welcome-model"]');
    await models.first().waitFor();
    assert.ok((await models.count()) >= 3, 'the three shipped brainchop models');
    const suggested = page.locator(`[data-testid="welcome-model"][data-model-id="${sample.suggestedModelId}"]`);
    assert.match((await suggested.textContent()) ?? '', /White Matter[\s\S]*Grey Matter/);
    assert.match((await suggested.textContent()) ?? '', /suggested for the sample[\s\S]*MIT/);
    await page.locator('[data-testid="welcome-import"] textarea').waitFor();
    await screenshot(page, 'first-run-welcome');
  });

  test('open the sample, run the suggested model from the UI: the mask is on the images within a minute', { timeout: 180_000 }, async (t) => {
    const clickedAt = performance.now();
    await page.locator('[data-testid="open-sample"]').click();
    await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 60_000 });
    // the series is open in the viewer, its segmentation with the AI panel, the suggested model chosen
    await page.locator('[data-testid="ai-panel"]').waitFor({ timeout: 60_000 });
    await waitUntil(() => page.locator('[data-testid="ai-model"]').inputValue(), (id) => id === sample.suggestedModelId, 15_000);
    const shownAt = performance.now();
    assert.equal(await page.locator('[data-testid="welcome-panel"]').count(), 0, 'the welcome panel gave way to the viewer');
    const [listed] = (await callStore(dataDir, 'samples.list', {})) as SampleInfo[];
    assert.ok(listed?.imported, 'imported into the store');
    const series = await callStore(dataDir, 'series.get', { seriesId: listed.imported.seriesId });
    assert.deepEqual(series.dims, [168, 200, 144]);
    assert.equal(await page.locator('[data-testid="series-row"]').count(), 1, 'the study browser lists it');
    await screenshot(page, 'first-run-series');
    assert.equal(await overlayPixels(page), 0, 'no mask before the run');

    const segmentAt = performance.now();
    await page.locator('[data-testid="ai-run"]').click();
    await page.locator('[data-testid="ai-result"]').waitFor({ timeout: 120_000 });
    // the overlay is drawn: grey-matter red on the axial slice
    const deadline = Date.now() + 15_000;
    let red = await overlayPixels(page);
    while (red < 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      red = await overlayPixels(page);
    }
    const maskAt = performance.now();
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const timing = `click "Open sample study" → series shown with the model chosen ${seconds(shownAt - clickedAt)}; click "Segment" → mask shown ${seconds(maskAt - segmentAt)}; first click → mask ${seconds(maskAt - clickedAt)}`;
    t.diagnostic(timing);
    console.log(`first-run timing: ${timing}`);
    assert.ok(red >= 200, `${red} overlay-coloured pixels on the axial view`);
    await screenshot(page, 'first-run-mask');

    // the store's label map: both tissues present, from the suggested model
    const opened = await callStore(dataDir, 'segmentation.open', { seriesId: listed.imported.seriesId });
    const labels = opened.encoding === 'runs' ? decodeRuns(opened.data as Uint32Array, new Uint8Array(168 * 200 * 144)) : (opened.data as Uint8Array);
    const counts = [0, 0, 0];
    for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
    assert.ok(counts[1]! > 50_000 && counts[2]! > 50_000, `voxels per label: ${counts.join(', ')}`);
    assert.equal(opened.headVersion.source, 'ai');
    assert.equal(opened.headVersion.provenance.modelId, sample.suggestedModelId);
    assert.ok(maskAt - clickedAt < 60_000, `a new user sees a segmentation within a minute: ${timing}`);
  });
});
