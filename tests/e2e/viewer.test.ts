import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import path from 'node:path';
import { createServices } from '../../src/main/services/app-services.js';
import { writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { launchChromium, screenshot, waitUntil } from '../helpers/browser.js';
import { decodePng, imageStats } from '../helpers/png.js';
import { makeSeries, seriesValue, tempDir } from '../helpers/dicom-fixtures.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

/** Mean grey of the left and right halves (and top/bottom) of a view's drawn canvas. */
async function halves(page: Page, view: string) {
  return page.locator(`[data-view="${view}"] canvas`).evaluate((el) => {
    // (tests compile without the DOM lib: a structural type for the canvas)
    const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const mean = (x0: number, x1: number, y0: number, y1: number) => {
      let sum = 0;
      let n = 0;
      for (let y = Math.floor(y0 * c.height); y < y1 * c.height; y += 2)
        for (let x = Math.floor(x0 * c.width); x < x1 * c.width; x += 2) {
          sum += d[(y * c.width + x) * 4]!;
          n++;
        }
      return sum / n;
    };
    return { left: mean(0, 0.5, 0, 1), right: mean(0.5, 1, 0, 1), top: mean(0, 1, 0, 0.5), bottom: mean(0, 1, 0.5, 1), all: mean(0, 1, 0, 1) };
  });
}

describe('viewer (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let inputDir: string;
  const uid: Record<string, string> = {};

  before(async () => {
    dataDir = tempDir('viewer-store');
    inputDir = makeSeries(tempDir('viewer-in'), [
      { name: 'pattern', slices: 12, rows: 40, cols: 32, intercept: -1024, series_number: 1 },
      // patient-left bright, stored normally and stored mirrored (rows/columns running the other way)
      { name: 'left', slices: 10, rows: 32, cols: 32, bright: 'left', origin: [-12, -12, -10], spacing: [0.75, 0.75], series_number: 2 },
      { name: 'left-mirrored', slices: 10, rows: 32, cols: 32, bright: 'left', origin: [12, 12, -10], orientation: [-1, 0, 0, 0, -1, 0], spacing: [0.75, 0.75], series_number: 3 },
      { name: 'anterior', slices: 10, rows: 32, cols: 32, bright: 'anterior', origin: [-12, -12, -10], spacing: [0.75, 0.75], series_number: 4 },
      { name: 'big', slices: 40, rows: 128, cols: 128, series_number: 5 },
    ]);
    // import through the same services the host uses, then serve that store
    const services = createServices({ dataDir, host: 'test' });
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    const report = (await services.jobs.wait(job.id)).result as ImportReport;
    for (const s of report.series) uid[s.description] = s.seriesInstanceUid;
    // a label map on the pattern series' grid: label 1 in a box of columns 4–11, rows 5–14
    const pattern = report.series.find((s) => s.description === 'pattern')!;
    const [nx, ny, nz] = pattern.dims;
    const mask = new Uint8Array(nx * ny * nz);
    for (let k = 0; k < nz; k++) for (let j = 5; j < 15; j++) for (let i = 4; i < 12; i++) mask[(k * ny + j) * nx + i] = 1;
    const maskFile = path.join(dataDir, 'pattern-mask.nii.gz');
    await writeNiftiFile(maskFile, { dims: pattern.dims, spacing: pattern.spacing, affineLps: pattern.affineLps, voxelType: 'uint8', components: 1, data: mask });
    const maskJob = services.jobs.start('studies.import', { paths: [maskFile] });
    assert.equal((await services.jobs.wait(maskJob.id)).state, 'succeeded');
    await services.close();
    serve = await startServe({ dataDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  async function open(name: string) {
    await page.goto(`${serve.url}&series=${encodeURIComponent(uid[name]!)}`);
    for (const view of ['axial', 'coronal', 'sagittal']) await page.locator(`[data-view="${view}"][data-ready="true"]`).waitFor({ timeout: 15_000 });
  }

  test('a deep link opens the series in 1+3 with ready slice views and a 3D view', async () => {
    await open('pattern');
    assert.deepEqual(await page.locator('[data-cell]').evaluateAll((els) => els.map((e) => e.getAttribute('data-cell'))), ['axial', 'coronal', 'sagittal', '3d']);
    await page.locator('[data-view="3d"][data-ready="true"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid="layout-1+3"].active').count(), 1);
    await screenshot(page, 'viewer-pattern-1plus3');
  });

  test('the readout shows the voxel value under the crosshair', async () => {
    const canvas = page.locator('[data-view="axial"] canvas');
    const box = (await canvas.boundingBox())!;
    await canvas.click({ position: { x: box.width * 0.3, y: box.height * 0.6 } });
    const voxel = (await page.locator('[data-testid="readout-voxel"]').innerText()).match(/voxel (\d+), (\d+), (\d+)/)!;
    const [i, j, k] = [Number(voxel[1]), Number(voxel[2]), Number(voxel[3])];
    assert.ok(i > 0 && j > 0, `clicked inside the image: ${voxel[0]}`);
    const value = Number(await page.locator('[data-testid="readout-value"]').getAttribute('data-value'));
    assert.equal(value, seriesValue(i, j, k) - 1024, `voxel ${i},${j},${k}`);
    assert.match(await page.locator('[data-testid="readout-value"]').innerText(), / HU$/);
    // scrolling moves the axial slice and the readout follows
    await canvas.hover();
    await page.mouse.wheel(0, 100);
    await waitUntil(async () => page.locator('[data-testid="readout-voxel"]').innerText(), (t) => t.endsWith(`, ${k + 1}`));
  });

  test('window presets change the rendered grey levels', async () => {
    // the pattern spans about −1524…−528 HU: black in the default soft-tissue window, grey in lung
    const before = await halves(page, 'axial');
    await page.locator('[data-testid="window-preset"]').selectOption('lung');
    const lung = await waitUntil(() => halves(page, 'axial'), (h) => Math.abs(h.all - before.all) > 10);
    await page.locator('[data-testid="window-preset"]').selectOption('bone');
    const bone = await waitUntil(() => halves(page, 'axial'), (h) => Math.abs(h.all - lung.all) > 10);
    assert.ok(lung.all > bone.all, `lung ${lung.all.toFixed(1)} should be brighter than bone ${bone.all.toFixed(1)} for air-like values`);
  });

  for (const name of ['left', 'left-mirrored']) {
    test(`${name}: the patient's left shows on the screen's right in axial and coronal (radiological convention)`, async () => {
      await open(name);
      for (const view of ['axial', 'coronal']) {
        const h = await halves(page, view);
        assert.ok(h.right > h.left + 50, `${view}: right ${h.right.toFixed(1)} should be brighter than left ${h.left.toFixed(1)}`);
        assert.equal(await page.locator(`[data-view="${view}"] [data-testid="marker-right"]`).innerText(), 'L');
        assert.equal(await page.locator(`[data-view="${view}"] [data-testid="marker-left"]`).innerText(), 'R');
      }
      await screenshot(page, `viewer-${name}`);
    });
  }

  test('anterior shows at the top of the axial view and on the left of the sagittal view', async () => {
    await open('anterior');
    const axial = await halves(page, 'axial');
    assert.ok(axial.top > axial.bottom + 50, `axial top ${axial.top} vs bottom ${axial.bottom}`);
    const sagittal = await halves(page, 'sagittal');
    assert.ok(sagittal.left > sagittal.right + 50, `sagittal left ${sagittal.left} vs right ${sagittal.right}`);
    assert.equal(await page.locator('[data-view="sagittal"] [data-testid="marker-left"]').innerText(), 'A');
  });

  test('a label map shows where the mask is, in its colour, with opacity and outline', async () => {
    await open('pattern');
    await page.locator('[data-testid="show-as-labels"]').click();
    await page.locator('[data-testid="label-row"][data-label="1"]').waitFor();
    const pixel = (fx: number, fy: number) =>
      page.locator('[data-view="axial"] canvas').evaluate(
        (el, [fx, fy]) => {
          const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
          const d = c.getContext('2d').getImageData(Math.floor(fx! * c.width), Math.floor(fy! * c.height), 1, 1).data;
          return [d[0]!, d[1]!, d[2]!];
        },
        [fx, fy],
      );
    // the axial view fits 32×40 voxels of 0.7×0.8 mm (22.4×32 mm) into the canvas: find a voxel's centre
    const box = (await page.locator('[data-view="axial"] canvas').boundingBox())!;
    const scale = Math.min(box.width / 22.4, box.height / 32);
    const at = (i: number, j: number): [number, number] => [(box.width / 2 + (i + 0.5 - 16) * 0.7 * scale) / box.width, (box.height / 2 + (j + 0.5 - 20) * 0.8 * scale) / box.height];
    const inside = await waitUntil(() => pixel(...at(6, 7)), ([r, g, b]) => !(r === g && g === b));
    const outside = await pixel(...at(25, 30));
    assert.ok(outside[0] === outside[1] && outside[1] === outside[2], `outside the mask stays grey: ${outside}`);
    assert.ok(inside[1]! > inside[2]!, `inside is tinted with label 1's green-grey colour: ${inside}`);
    await screenshot(page, 'viewer-label-overlay');
    // hiding the label removes the tint
    await page.locator('[data-testid="label-row"][data-label="1"] input[type="checkbox"]').uncheck();
    await waitUntil(() => pixel(...at(6, 7)), ([r, g, b]) => r === g && g === b);
    await page.locator('[data-testid="label-row"][data-label="1"] input[type="checkbox"]').check();
    // outline mode: the box's interior is grey again, its edge is coloured
    await page.locator('[data-testid="label-outline"]').check();
    await waitUntil(() => pixel(...at(7, 9)), ([r, g, b]) => r === g && g === b);
    const edge = await pixel(...at(4, 9));
    assert.ok(!(edge[0] === edge[1] && edge[1] === edge[2]), `the outline is drawn on the box edge: ${edge}`);
  });

  test('the 3D transfer-function editor and crop controls change what is rendered', async () => {
    await open('left');
    await page.locator('[data-view="3d"][data-ready="true"]').waitFor({ timeout: 30_000 });
    const settings = page.locator('[data-testid="settings-3d"]');
    // measured with the panel closed, so only the rendering is in the picture
    const rendered = async () => imageStats(decodePng(await page.locator('[data-view="3d"] .host').screenshot()));
    const before = await rendered();
    assert.ok(before.foreground > 0.05, `the phantom is rendered: ${before.foreground}`);

    // every point opaque and pure green: the whole phantom turns green
    await settings.click();
    const count = await page.locator('[data-testid="tf-point"]').count();
    assert.ok(count >= 2, `the preset has ${count} points`);
    for (let i = 0; i < count; i++) {
      await page.locator('[data-testid="tf-point"]').nth(i).dispatchEvent('pointerdown', { pointerId: 1 });
      await page.locator('[data-testid="tf-point"]').nth(i).dispatchEvent('pointerup', { pointerId: 1 });
      await page.locator('[data-testid="tf-opacity"]').fill('1');
      await page.locator('[data-testid="tf-colour"]').fill('#00ff00');
    }
    await screenshot(page, 'viewer-3d-editor');
    await settings.click();
    const isGreen = ([r, g, b]: number[]) => g! > r! + 30 && g! > b! + 30;
    assert.ok(!isGreen(before.foregroundMean), `the preset is not green: ${before.foregroundMean.map(Math.round)}`);
    const green = await waitUntil(rendered, (s) => isGreen(s.foregroundMean), 10_000);
    assert.ok(green.foreground >= before.foreground * 0.9, `opaque everywhere, the phantom shows whole: ${green.foreground} vs ${before.foreground}`);
    await screenshot(page, 'viewer-3d-tf-green');

    // keep the first quarter of the columns: the footprint shrinks, and comes back when crop is off
    await settings.click();
    await page.locator('[data-testid="crop-on"]').check();
    await page.locator('[data-testid="crop-columns-max"]').fill('7');
    await settings.click();
    const cropped = await waitUntil(rendered, (s) => s.foreground < green.foreground * 0.7, 10_000);
    assert.ok(cropped.foreground > 0.005, `something remains after cropping: ${cropped.foreground}`);
    await screenshot(page, 'viewer-3d-cropped');
    await settings.click();
    await page.locator('[data-testid="crop-on"]').uncheck();
    await settings.click();
    await waitUntil(rendered, (s) => Math.abs(s.foreground - green.foreground) < 0.01, 10_000);
  });

  test('the ruler measures in millimetres with anisotropic pixels', async () => {
    await open('pattern');
    await page.locator('[data-testid="tool-ruler"]').click();
    const canvas = page.locator('[data-view="axial"] canvas');
    const box = (await canvas.boundingBox())!;
    // 32×40 voxels of 0.7×0.8 mm fitted into the canvas: pixels per mm
    const scale = Math.min(box.width / 22.4, box.height / 32);
    const at = (i: number, j: number) => ({ x: box.x + box.width / 2 + (i - 16) * 0.7 * scale, y: box.y + box.height / 2 + (j - 20) * 0.8 * scale });
    const drag = async (from: { x: number; y: number }, to: { x: number; y: number }) => {
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move(to.x, to.y, { steps: 5 });
      await page.mouse.up();
    };
    await drag(at(4, 10), at(24, 10)); // 20 columns × 0.7 mm
    assert.equal(await page.locator('[data-testid="ruler-length"]').innerText(), 'ruler 14.0 mm');
    await drag(at(4, 10), at(4, 30)); // 20 rows × 0.8 mm
    assert.equal(await page.locator('[data-testid="ruler-length"]').innerText(), 'ruler 16.0 mm');
    await drag(at(4, 10), at(16, 26)); // hypot(12 × 0.7, 16 × 0.8) = hypot(8.4, 12.8)
    assert.equal(await page.locator('[data-testid="ruler-length"]').innerText(), `ruler ${Math.hypot(8.4, 12.8).toFixed(1)} mm`);
    await screenshot(page, 'viewer-rulers');
    await page.locator('[data-testid="clear-rulers"]').click();
    assert.equal(await page.locator('[data-testid="ruler-length"]').count(), 0);
    await page.locator('[data-testid="tool-crosshair"]').click();
  });

  test('opening and closing 20 series leaks no canvases or memory', async () => {
    await open('pattern');
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      // typed-array voxels live in ArrayBuffer backing stores, outside the JS heap's usedSize
      const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
      return usage.usedSize + (usage.backingStorageSize ?? 0);
    };
    const cycle = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await page.locator('[data-testid="open-series"]', { hasText: 'big' }).click();
        await page.locator('[data-view="axial"][data-ready="true"]').waitFor();
        await page.getByRole('button', { name: 'Close' }).click();
        await page.locator('[data-view]').first().waitFor({ state: 'detached' });
      }
    };
    await cycle(4); // warm caches and JIT
    const before = await heap();
    await cycle(20);
    const after = await heap();
    assert.equal(await page.locator('canvas').count(), 0, 'no canvas survives a close');
    // each open holds 1.25 MiB of voxels (128×128×40 int16): 20 leaked opens would add 25 MiB
    assert.ok(after - before < 4 * 2 ** 20, `JS heap grew by ${((after - before) / 2 ** 20).toFixed(2)} MiB over 20 open/close cycles`);
    await cdp.detach();
  });

  test('layouts switch and a double-click maximises a view', async () => {
    await open('pattern');
    await page.locator('[data-testid="layout-1x1"]').click();
    assert.equal(await page.locator('[data-cell]').count(), 1);
    await page.locator('[data-testid="layout-1+3"]').click();
    await page.locator('[data-view="coronal"] canvas').dblclick();
    assert.deepEqual(await page.locator('[data-cell]').evaluateAll((els) => els.map((e) => e.getAttribute('data-cell'))), ['coronal']);
    await page.locator('[data-view="coronal"] canvas').dblclick();
    assert.equal(await page.locator('[data-cell]').count(), 4);
  });
});
