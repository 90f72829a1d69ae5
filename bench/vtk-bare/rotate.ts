/**
 * 3D rotate benchmark: frames per second while the camera turns about the synthetic 64³ CT (bone
 * preset, shaded, 400 px canvas), through our 3D view module (its harness page) and through a bare
 * vtk.js page with the same settings. ratio = ours / bare; ≥ 0.9 means the module adds no overhead.
 * Both pages are built with Vite and served under the app CSP; Chromium renders with whatever WebGL
 * it has (SwiftShader on machines without a GPU).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../tests/helpers/browser.js';
import type { Benchmark } from '../harness.js';
import { buildPage, serveStatic } from './pages.js';

const FRAMES = Number(process.env.VOLUME3D_BENCH_FRAMES ?? 12);
const DEGREES = 360 / FRAMES;
const ROUNDS = Number(process.env.VOLUME3D_BENCH_ROUNDS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface RotatePage {
  load?(kind: 'ct', preset: 'ct-bone'): unknown;
  rotateFps(frames: number, degrees: number): number;
}

/** fps on a freshly opened page: the harness (our module) or the bare vtk.js page. */
async function measurePage(browser: Browser, url: string, target: 'harness' | 'bare'): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 420, height: 420 } });
  try {
    await page.goto(url);
    await page.waitForFunction(() => '__harness' in globalThis || '__bench' in globalThis);
    // a task of its own, so the page's CSP (no eval) applies to the code being measured
    return await page.evaluate(
      ([t, frames, degrees]) =>
        new Promise<number>((resolve, reject) =>
          setTimeout(() => {
            try {
              const g = globalThis as unknown as { __harness: RotatePage; __bench: RotatePage };
              const target = t === 'harness' ? g.__harness : g.__bench;
              target.load?.('ct', 'ct-bone');
              target.rotateFps(2, degrees); // warm-up: shader compile, texture upload
              resolve(target.rotateFps(frames, degrees));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          }),
        ),
      [target, FRAMES, DEGREES] as const,
    );
  } finally {
    await page.close();
  }
}

export const volume3dRotateBenchmark: Benchmark = {
  name: 'volume3d-rotate',
  description: `3D view rotate fps vs bare vtk.js (64³ CT, ${FRAMES} frames × ${DEGREES}°, median of ${ROUNDS})`,
  async run() {
    const harnessDir = await buildPage(path.resolve('src/renderer/viewer/volume3d'), 'harness.html');
    const bareDir = await buildPage(path.resolve('bench/vtk-bare'), 'index.html');
    const harness = await serveStatic(harnessDir);
    const bare = await serveStatic(bareDir);
    const browser = await launchChromium();
    try {
      const ours: number[] = [];
      const baseline: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // alternate so drift in machine load hits both the same
        ours.push(await measurePage(browser, `${harness.origin}/harness.html`, 'harness'));
        baseline.push(await measurePage(browser, `${bare.origin}/index.html`, 'bare'));
      }
      const oursFps = median(ours);
      const bareFps = median(baseline);
      return { moduleFps: oursFps, bareVtkFps: bareFps, ratio: oursFps / bareFps, frames: FRAMES, rounds: ROUNDS };
    } finally {
      await browser.close();
      await harness.close();
      await bare.close();
      for (const dir of [harnessDir, bareDir]) fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
