/**
 * Viewer: on the synthetic 512×512×600 CT in the real UI (serve + headless Chromium): time from "open
 * series" to the first slice on screen and to the whole volume in the renderer, and slice-scroll frames
 * per second (each wheel step waits for the redrawn frame). 3D rotate fps arrives with the 3D view.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../tests/helpers/browser.js';
import { startServe } from '../tests/helpers/serve-process.js';
import { syntheticCtDir } from './import.js';
import type { Benchmark } from './harness.js';

export const viewerBenchmark: Benchmark = {
  name: 'viewer',
  description: 'first slice / full volume time and scroll fps on a 512×512×600 CT in Chromium',
  async run() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-viewer-'));
    const report = JSON.parse(execFileSync(process.execPath, ['bin/delineate.js', 'import', syntheticCtDir(), '--data-dir', dataDir, '--json'], { encoding: 'utf8', maxBuffer: 2 ** 26 })) as {
      series: { seriesInstanceUid: string }[];
    };
    const uid = report.series[0]!.seriesInstanceUid;
    const serve = await startServe({ dataDir });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(serve.url); // load the app once so the measurement is the series, not the bundle
      await page.locator('[data-testid="connection"]', { hasText: 'Connected' }).waitFor();
      const t0 = performance.now();
      await page.goto(`${serve.url}&series=${encodeURIComponent(uid)}`);
      await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 120_000 });
      const firstSlice = performance.now() - t0;
      await page.locator('[data-testid="loading"]').waitFor({ state: 'detached', timeout: 300_000 });
      const fullVolume = performance.now() - t0;
      const canvas = page.locator('[data-view="axial"] canvas');
      await canvas.hover();
      const steps = 120;
      const scrollFps = await canvas.evaluate(async (el, n) => {
        // (bench code compiles without the DOM lib: structural types for the browser globals)
        const g = globalThis as unknown as { requestAnimationFrame(cb: () => void): void; WheelEvent: new (type: string, init: object) => Event };
        const nextFrame = () => new Promise<void>((resolve) => g.requestAnimationFrame(() => resolve()));
        await nextFrame();
        await nextFrame();
        const start = performance.now();
        for (let i = 0; i < n; i++) {
          (el as unknown as { dispatchEvent(e: Event): void }).dispatchEvent(new g.WheelEvent('wheel', { deltaY: i % 200 < 100 ? 1 : -1, bubbles: true, cancelable: true }));
          await nextFrame();
        }
        return n / ((performance.now() - start) / 1000);
      }, steps);
      return { first_slice_ms: firstSlice, full_volume_ms: fullVolume, scroll_fps: scrollFps };
    } finally {
      await browser.close();
      await serve.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
