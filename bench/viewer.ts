/**
 * Viewer: on the synthetic 512×512×600 CT in the real UI (serve + headless Chromium): time from "open
 * series" to the first slice on screen and to the whole volume in the renderer, and slice-scroll frames
 * per second (each wheel step waits for the redrawn frame); then a 10 mm brush stroke on the axial
 * view, each dab timed until its frame is on screen. 3D rotate fps is the volume3d-rotate benchmark.
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
      await page.goto(`${serve.url}&series=${encodeURIComponent(uid)}&profile=1`);
      await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 120_000 });
      const firstSlice = performance.now() - t0;
      await page.locator('[data-testid="loading"]').waitFor({ state: 'detached', timeout: 300_000 });
      const fullVolume = performance.now() - t0;
      const canvas = page.locator('[data-view="axial"] canvas');
      await canvas.hover();
      await page.evaluate(() => performance.clearMeasures());
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
      // brush dabs to screen: each real mouse move (CDP) until two frames later, when the redrawn
      // overlay is on screen; an upper bound (it includes two round trips to the browser)
      // the JS share of each scroll frame: SliceView's draws (of every view that redrew)
      const measures = (name: string) => page.evaluate((n) => performance.getEntriesByName(n).map((e) => e.duration).sort((a, b) => a - b), name);
      const drawsWhileScrolling = await measures('delineate:slice-draw');
      let t1 = performance.now();
      await page.locator('[data-testid="start-segmenting"]').click();
      await page.locator('[data-testid="segment-row"]').first().waitFor({ timeout: 120_000 });
      const segmentationOpen = performance.now() - t1;
      await page.locator('[data-testid="edit-paint"]').click();
      await page.locator('[data-testid="brush-mm"]').fill('10');
      const box = (await canvas.boundingBox())!;
      const twoFrames = () => page.evaluate(() => new Promise<void>((resolve) => (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame(() => (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame(() => resolve()))));
      const dabs: number[] = [];
      await page.evaluate(() => performance.clearMeasures());
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
      await page.mouse.down();
      for (let d = 0; d < 150; d++) {
        t1 = performance.now();
        await page.mouse.move(box.x + box.width * (0.3 + 0.4 * (d / 150)), box.y + box.height * (0.5 + 0.1 * Math.sin(d / 10)));
        await twoFrames();
        dabs.push(performance.now() - t1);
      }
      await page.mouse.up();
      const dabJs = await measures('delineate:brush-dab');
      const drawsWhilePainting = await measures('delineate:slice-draw');
      dabs.sort((a, b) => a - b);
      const pick = (list: number[], p: number) => list[Math.min(list.length - 1, Math.floor(p * list.length))] ?? NaN;
      const q = (p: number) => pick(dabs, p);
      return {
        first_slice_ms: firstSlice,
        full_volume_ms: fullVolume,
        scroll_fps: scrollFps,
        segmentation_open_ms: segmentationOpen,
        dab_to_screen_p50_ms: q(0.5),
        dab_to_screen_p95_ms: q(0.95),
        dab_to_screen_p99_ms: q(0.99),
        // our JavaScript's share (the rest of a frame is the browser's compositor: SwiftShader here)
        scroll_draw_js_p95_ms: pick(drawsWhileScrolling, 0.95),
        dab_core_js_p95_ms: pick(dabJs, 0.95),
        dab_draw_js_p95_ms: pick(drawsWhilePainting, 0.95),
      };
    } finally {
      await browser.close();
      await serve.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
