import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp.js';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

// DICOM text is attacker-controlled (any file a user imports): every payload must be shown as text.
const PATIENT = '<img src=x onerror="window.__xss=1">';
const STUDY = '<script>window.__xss=2</script>';
const SERIES = '"><svg onload=window.__xss=3>';

interface PageWindow {
  __xss?: unknown;
  __cspViolations: string[];
}

function getHeaders(url: string): Promise<http.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.headers);
    }).on('error', reject);
  });
}

describe('DICOM text cannot inject script (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let inputDir: string;
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    inputDir = makeSeries(tempDir('xss-in'), [
      { name: 'xss', slices: 4, rows: 16, cols: 16, patient_name: PATIENT, study_description: STUDY, series_description: SERIES },
    ]);
    serve = await startServe();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // record CSP violations from the first byte of the page on
    await page.addInitScript(() => {
      type Violation = { violatedDirective: string; blockedURI: string; sourceFile: string; lineNumber: number; columnNumber: number };
      const w = globalThis as unknown as PageWindow & { addEventListener(t: string, f: (e: Violation) => void): void };
      w.__cspViolations = [];
      w.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`));
    });
    await page.goto(serve.url);
    await page.locator('[data-testid="connection"]', { hasText: 'Connected' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    if (inputDir) fs.rmSync(inputDir, { recursive: true, force: true });
  });

  test('the page is served with our Content-Security-Policy', async () => {
    const headers = await getHeaders(serve.url);
    assert.equal(headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  });

  test('imported and opened, the payloads are text: no element made from them, nothing run, no CSP violation', async () => {
    await page.locator('#import-paths').fill(inputDir);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('[data-testid="series-row"]').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="open-series"]').first().click();
    await page.locator('[data-view] canvas').first().waitFor({ timeout: 30_000 });
    // the viewer has drawn and every panel that shows series text is up
    await page.waitForTimeout(1000);
    const text = await page.evaluate(() => (globalThis as unknown as { document: { body: { textContent: string } } }).document.body.textContent);
    // PersonName: '=' separates component groups and '^' components; the alphabetic group is shown
    assert.ok(text.includes('<img src'), `patient name shown as text in: ${text.slice(0, 400)}`);
    assert.ok(text.includes(STUDY), 'study description shown as text');
    assert.ok(text.includes(SERIES), 'series description shown as text');
    assert.equal(await page.locator('[data-testid="study-row"] .patient').count(), 1);
    const injected = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
      return {
        imgX: doc.querySelectorAll('img[src="x"], img[onerror]').length,
        svgOnload: doc.querySelectorAll('svg[onload], [onload], [onerror]').length,
        inlineScripts: doc.querySelectorAll('script:not([src])').length,
        xss: (globalThis as unknown as PageWindow).__xss,
        csp: (globalThis as unknown as PageWindow).__cspViolations,
      };
    });
    assert.deepEqual(injected, { imgX: 0, svgOnload: 0, inlineScripts: 0, xss: undefined, csp: [] });
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(dialogs, []);
    await screenshot(page, 'security-xss');
  });
});
