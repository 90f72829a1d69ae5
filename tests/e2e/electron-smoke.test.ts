// Smoke test of the real desktop app: Electron launched by playwright-core on an empty data dir, its
// window shows the welcome panel, "Open sample study" imports and opens the bundled sample, one click on
// Segment runs the suggested model and a mask is stored and drawn. Skipped (saying why) where the
// Electron binary is not installed, as on machines where its download is not possible.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { electronStatus } from '../../src/main/cli/doctor.js';
import { sampleDataDir } from '../../src/main/paths.js';
import type { SampleInfo } from '../../src/shared/desktop.js';
import { ARTIFACTS_DIR, waitUntil } from '../helpers/browser.js';
import { tempDir } from '../helpers/dicom-fixtures.js';
import { callStore } from '../helpers/store-call.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const electron = electronStatus();
const skip = electron.installed ? false : `Electron binary not available (${electron.detail}): the desktop app cannot be launched on this machine; npm run setup downloads it where it can`;

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`) });
}

test('Electron app: first window, open the sample study, run the suggested model, the mask appears', { timeout: 240_000, skip }, async (t) => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'src', 'main', 'electron', 'main.js')), 'the app is built (npm run build)');
  assert.ok(fs.existsSync(path.join(sampleDataDir(), 'synthetic-head-t1', 'sample.json')), `no sample study in ${sampleDataDir()}`);
  const root = tempDir('electron-smoke');
  const dataDir = path.join(root, 'data');
  let app: ElectronApplication | null = null;
  try {
    app = await _electron.launch({
      executablePath: electron.detail,
      args: ['.', '--data-dir', dataDir],
      cwd: repoRoot,
      env: { ...(process.env as Record<string, string>), DELINEATE_SETTINGS_FILE: path.join(root, 'settings.json'), ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    const page = await app.firstWindow({ timeout: 60_000 });
    await page.locator('[data-testid="welcome-panel"]').waitFor({ timeout: 30_000 });
    const [sample] = (await callStore(dataDir, 'samples.list', {})) as SampleInfo[];
    assert.ok(sample, 'the app lists the bundled sample');
    await shot(page, 'electron-smoke-welcome');

    const clickedAt = performance.now();
    await page.locator('[data-testid="open-sample"]').click();
    await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="ai-panel"]').waitFor({ timeout: 60_000 });
    await waitUntil(() => page.locator('[data-testid="ai-model"]').inputValue(), (id) => id === sample.suggestedModelId, 15_000);
    await page.locator('[data-testid="ai-run"]').click();
    await page.locator('[data-testid="ai-result"]').waitFor({ timeout: 120_000 });
    t.diagnostic(`first click → AI result ${((performance.now() - clickedAt) / 1000).toFixed(1)} s`);
    await shot(page, 'electron-smoke-mask');

    // the overlay is drawn (grey-matter red on the axial canvas) and the store holds both tissues
    const red = await waitUntil(
      () =>
        page.locator('[data-view="axial"] canvas').evaluate((el) => {
          const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let p = 0; p < d.length; p += 4) if (d[p]! - d[p + 1]! > 40 && d[p]! - d[p + 2]! > 40 && Math.abs(d[p + 1]! - d[p + 2]!) < 30) n++;
          return n;
        }),
      (n) => n >= 200,
      15_000,
    );
    assert.ok(red >= 200);
    const [listed] = (await callStore(dataDir, 'samples.list', {})) as SampleInfo[];
    assert.ok(listed?.imported);
    const result = await callStore(dataDir, 'segmentation.versions', { id: (await callStore(dataDir, 'segmentation.open', { seriesId: listed.imported.seriesId })).id });
    assert.equal(result.at(-1)?.provenance.modelId, sample.suggestedModelId);
  } finally {
    await app?.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
