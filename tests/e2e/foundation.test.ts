import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, waitUntil } from '../helpers/browser.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

describe('browser host UI (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    serve = await startServe({ env: { DELINEATE_TEST_JOBS: '1' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
  });

  test('the page without the token is refused', async () => {
    const response = await page.goto(serve.origin + '/');
    assert.equal(response?.status(), 401);
  });

  test('opens with the token, connects and shows host facts from a contract round trip', async () => {
    await page.goto(serve.url);
    await page.locator('[data-testid="connection"]', { hasText: 'Connected' }).waitFor();
    // app.info answered: version and the compute provider this machine really has (no GPU: CPU)
    await page.locator('[data-testid="compute-provider"][data-provider="cpu"]').waitFor();
    assert.match(await page.locator('.version').innerText(), /^Delineate \d+\.\d+\.\d+$/);
    const reason = await page.locator('[data-testid="compute-provider"]').getAttribute('title');
    assert.match(reason ?? '', /CUDA execution provider is not available/);
    // the token left the address bar; the per-port cookie keeps the session
    assert.equal(new URL(page.url()).searchParams.has('token'), false);
    await screenshot(page, 'foundation-shell');
  });

  test('a long job reports progress, is cancelled from the UI and ends as cancelled', async () => {
    await page.locator('[data-testid="start-job-test.countdown"]').click();
    const row = page.locator('[data-testid="job-row"]').first();
    await row.waitFor();
    // progress arrives as events: wait until the bar has moved past 0
    const bar = row.locator('[role="progressbar"]');
    await waitUntil(async () => Number(await bar.getAttribute('aria-valuenow')), (pct) => pct > 0);
    assert.equal(await row.getAttribute('data-state'), 'running');
    await screenshot(page, 'foundation-job-running');
    await row.locator('[data-testid="cancel-job"]').click();
    await page.locator('[data-testid="job-row"][data-state="cancelled"]').waitFor({ timeout: 5000 });
    assert.equal(await row.locator('[data-testid="cancel-job"]').count(), 0, 'a finished job has no cancel button');
    assert.match(await page.locator('[data-testid="status-bar"]').innerText(), /No running jobs/);
    await screenshot(page, 'foundation-job-cancelled');
  });

  test('keyboard shortcuts: ? opens the list, Escape closes it, j toggles jobs', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('?');
    const help = page.locator('[data-testid="shortcuts-help"]');
    await help.waitFor();
    assert.match(await help.innerText(), /Show or hide the jobs panel/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    await page.keyboard.press('j');
    await page.locator('[data-testid="jobs-panel"]').waitFor();
    await page.keyboard.press('j');
    await page.locator('[data-testid="jobs-panel"]').waitFor({ state: 'detached' });
  });

  test('a reload without the token in the URL still connects (cookie) and keeps the job history', async () => {
    await page.reload();
    await page.locator('[data-testid="connection"]', { hasText: 'Connected' }).waitFor();
    await page.keyboard.press('j');
    await page.locator('[data-testid="job-row"][data-state="cancelled"]').waitFor();
  });

  test('no errors were logged by the page', () => {
    // the deliberate 401 navigation logs a failed resource load; anything else is a defect
    const unexpected = pageErrors.filter((e) => !/401/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
