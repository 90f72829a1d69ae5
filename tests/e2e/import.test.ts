import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

describe('import through the UI (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let inputDir: string;
  const dialogs: string[] = [];

  before(async () => {
    inputDir = makeSeries(tempDir('e2e-import'), [
      { name: 'head ct', study_uid: '1.2.826.0.1.3680043.8.498.77', slices: 6, rows: 16, cols: 16, series_number: 2, patient_name: '<script>alert(1)</script><b>Bold</b>^Robert' },
      { name: 'gappy', study_uid: '1.2.826.0.1.3680043.8.498.77', slices: 6, rows: 16, cols: 16, drop_slices: [3], series_number: 3, patient_name: '<script>alert(1)</script><b>Bold</b>^Robert' },
    ]);
    fs.writeFileSync(path.join(inputDir, 'readme.dcm'), 'not an image');
    serve = await startServe();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(serve.url);
    await page.locator('[data-testid="connection"]', { hasText: 'Connected' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  test('importing a folder lists the study, its series, warnings and skipped files', async () => {
    await page.locator('#import-paths').fill(inputDir);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('[data-testid="import-report"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="series-row"]').nth(1).waitFor();
    assert.equal(await page.locator('[data-testid="study-row"]').count(), 1);
    assert.equal(await page.locator('[data-testid="series-row"]').count(), 2);
    const study = await page.locator('[data-testid="study-row"]').innerText();
    assert.match(study, /CT · 2 series/);
    assert.match(study, /16×16×6 · 0\.7×0\.8×2\.5 mm · int16/);
    assert.match(await page.locator('[data-testid="series-warning"]').innerText(), /missing at k=3/);
    await page.locator('[data-testid="import-report"] summary').click();
    assert.match(await page.locator('[data-testid="skipped-file"]').innerText(), /readme\.dcm: too short for DICOM|readme\.dcm: not DICOM/);
    await screenshot(page, 'import-study-browser');
  });

  test('a PatientName holding HTML is shown as text, never run', async () => {
    const patient = page.locator('[data-testid="study-row"] .patient');
    // (PersonName uses '=' between component groups, so the payload avoids it)
    assert.match(await patient.innerText(), /<script>alert\(1\)<\/script><b>Bold<\/b>, Robert/);
    assert.equal(await page.locator('[data-testid="study-browser"] script, [data-testid="study-browser"] b').count(), 0);
    assert.deepEqual(dialogs, []);
  });
});
