// The 3D volume view end to end: its harness page is built with Vite's JS API, served with the app's
// Content-Security-Policy and driven in Chromium (WebGL2 through SwiftShader). Assertions are on the
// rendered pixels (read back from the WebGL canvas), on WebGL contexts and on the JS heap.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { buildPage, serveStatic, type StaticServer } from '../../bench/vtk-bare/pages.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp.js';
import { launchChromium, screenshot } from '../helpers/browser.js';

// the page's window.__harness API (shared with the harness page)
import type { Harness } from '../../src/renderer/viewer/volume3d/harness-api.js';
type Vec3 = [number, number, number];
type HarnessCall = { [K in keyof Harness]: Harness[K] extends (...args: infer A) => infer R ? [K, A, R] : never }[keyof Harness];

const BACKGROUND_LUMINANCE = 20.2; // the view's background colour (0.07, 0.08, 0.1) as 0–255 luminance

function colourDistance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

describe('3D volume view (harness page, app CSP, Chromium + SwiftShader)', () => {
  let outDir: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  const pageErrors: string[] = [];

  /**
   * Call window.__harness[name](...args) in the page. It runs in a task of its own (setTimeout):
   * code running inside a DevTools evaluation may use eval even under the CSP, so calling the view
   * directly from page.evaluate would not prove that vtk.js works under 'script-src' without eval.
   */
  function call<K extends keyof Harness>(name: K, ...args: Extract<HarnessCall, [K, unknown, unknown]>[1]): Promise<Extract<HarnessCall, [K, unknown, unknown]>[2]> {
    return page.evaluate(
      ([n, a]) =>
        new Promise((resolve, reject) =>
          setTimeout(() => {
            try {
              const harness = (globalThis as unknown as { __harness: Record<string, (...x: unknown[]) => unknown> }).__harness;
              resolve(harness[n]!(...a));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          }),
        ),
      [name, args] as [string, unknown[]],
    ) as never;
  }

  /** Screenshot once the last frame has reached the screen (two animation frames later). */
  async function shot(name: string): Promise<void> {
    await page.evaluate(() => {
      const raf = (globalThis as unknown as { requestAnimationFrame(cb: () => void): number }).requestAnimationFrame;
      return new Promise<void>((resolve) => raf(() => raf(resolve)));
    });
    await screenshot(page, name);
  }

  async function heapAfterGc(): Promise<{ cdp: number; performanceMemory: number }> {
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const performanceMemory = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? -1);
    return { cdp: usedSize, performanceMemory };
  }

  before(async () => {
    outDir = await buildPage(path.resolve('src/renderer/viewer/volume3d'), 'harness.html');
    server = await serveStatic(outDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 420, height: 420 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // reading pixels back is what the harness and the fps measurement do on purpose
      if (/GPU stall due to ReadPixels/.test(msg.text())) return;
      if (msg.type() === 'error' || msg.type() === 'warning') pageErrors.push(`${msg.type()}: ${msg.text()}`);
    });
    cdp = await page.context().newCDPSession(page);
    const response = await page.goto(`${server.origin}/harness.html`);
    assert.equal(response?.status(), 200);
    await page.waitForFunction(() => '__harness' in globalThis);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  test('the page is served with the app Content-Security-Policy', async () => {
    const response = await page.request.get(`${server.origin}/harness.html`);
    assert.equal(response.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
  });

  test('the vtkImageData built from an oblique affine reproduces it (direction cosines)', async () => {
    assert.ok((await call('geometryError')) < 1e-6);
  });

  test('CT with the bone preset renders a shaded bone sphere', async (t) => {
    const s = await call('load', 'ct', 'ct-bone');
    t.diagnostic(JSON.stringify(s));
    await shot('volume3d-ct-bone');
    assert.ok(s.width >= 300 && s.height >= 300, `canvas ${s.width}×${s.height}`);
    // the bone shell (r 22 mm in a 64 mm box, which the camera fits whole) is a bright disc
    assert.ok(s.nonBackgroundFraction > 0.08 && s.nonBackgroundFraction < 0.5, `non-background ${s.nonBackgroundFraction}`);
    assert.ok(s.mean > BACKGROUND_LUMINANCE + 15, `mean ${s.mean}`);
    const [r, g, b] = s.foregroundRgb;
    assert.ok(r > 120 && g > 110 && b > 90, `bone is white-ish: ${s.foregroundRgb.join(', ')}`);
    // the marker ball at patient left-superior shows up right and up (anterior view: patient left on screen right)
    assert.ok(s.centroid[0] < 0 && s.centroid[1] < 0 && s.bboxAspect > 0.9 && s.bboxAspect < 1.1, `centroid ${s.centroid.join(', ')}, aspect ${s.bboxAspect}`);
  });

  test('changing the preset changes the image', async (t) => {
    const bone = await call('stats');
    const soft = await call('setPreset', 'ct-soft-tissue');
    await shot('volume3d-ct-soft-tissue');
    const lung = await call('setPreset', 'ct-lung');
    await shot('volume3d-ct-lung');
    t.diagnostic(JSON.stringify({ soft, lung }));
    // soft tissue shows the whole body ball (r 28), larger than the bone shell (r 22), and is red-brown
    assert.ok(soft.nonBackgroundFraction > bone.nonBackgroundFraction * 1.2, `soft ${soft.nonBackgroundFraction} vs bone ${bone.nonBackgroundFraction}`);
    assert.ok(soft.foregroundRgb[0] > soft.foregroundRgb[1] * 1.4, `soft tissue colour ${soft.foregroundRgb.join(', ')}`);
    assert.ok(colourDistance(soft.foregroundRgb, bone.foregroundRgb) > 30);
    // the lung window shows the lungs and faintly the skin, in other colours again
    assert.ok(lung.nonBackgroundFraction > 0.05, `lung ${lung.nonBackgroundFraction}`);
    assert.ok(colourDistance(lung.foregroundRgb, bone.foregroundRgb) > 30 && colourDistance(lung.foregroundRgb, soft.foregroundRgb) > 20, `lung colour ${lung.foregroundRgb.join(', ')}`);
    const back = await call('setPreset', 'ct-bone');
    assert.ok(Math.abs(back.mean - bone.mean) < 1, 'the bone preset renders the same again');
  });

  test('shading on and off changes the image', async () => {
    const shaded = await call('stats');
    const flat = await call('setShading', false);
    await shot('volume3d-ct-bone-unshaded');
    assert.ok(Math.abs(shaded.mean - flat.mean) > 3, `shaded ${shaded.mean} vs flat ${flat.mean}`);
    assert.ok(Math.abs(flat.nonBackgroundFraction - shaded.nonBackgroundFraction) < 0.05, 'shading changes brightness, not coverage');
    const again = await call('setShading', true);
    assert.ok(Math.abs(again.mean - shaded.mean) < 1);
  });

  test('the transfer-function editor model drives the rendering', async () => {
    const before = await call('stats');
    // only the bone, in pure green
    const green = await call('setTransferFunction', [
      { value: 500, opacity: 0, color: [0, 1, 0] },
      { value: 900, opacity: 1, color: [0, 1, 0] },
    ]);
    assert.ok(Math.abs(green.mean - before.mean) > 3, `custom TF mean ${green.mean} vs ${before.mean}`);
    assert.ok(green.nonBackgroundFraction > 0.1);
    await call('setPreset', 'ct-bone');
  });

  test('a crop box shrinks the rendered footprint', async () => {
    const full = await call('stats');
    // keep the patient-right half (i 0..31) and the middle slab in k
    const cropped = await call('setCrop', { min: [0, 0, 16], max: [31, 63, 47] });
    await shot('volume3d-ct-cropped');
    assert.ok(cropped.nonBackgroundFraction > 0.02, 'something remains');
    assert.ok(cropped.nonBackgroundFraction < full.nonBackgroundFraction * 0.7, `cropped ${cropped.nonBackgroundFraction} vs ${full.nonBackgroundFraction}`);
    assert.ok(cropped.footprint < full.footprint * 0.7, `footprint ${cropped.footprint} vs ${full.footprint}`);
    const uncropped = await call('setCrop', null);
    assert.ok(Math.abs(uncropped.nonBackgroundFraction - full.nonBackgroundFraction) < 0.01);
  });

  test('a label map adds pixels in the label colours; hiding a label removes its colour', async () => {
    const plain = await call('stats');
    const labelled = await call('setLabels', true);
    await shot('volume3d-labels');
    assert.ok(labelled.redFraction > plain.redFraction + 0.005, `red ${labelled.redFraction} vs ${plain.redFraction}`);
    assert.ok(labelled.blueFraction > plain.blueFraction + 0.005, `blue ${labelled.blueFraction} vs ${plain.blueFraction}`);
    const redOnly = await call('setLabels', true, [2], true); // new label voxels, label 2 hidden
    assert.ok(redOnly.blueFraction < labelled.blueFraction * 0.2, `hidden label 2: blue ${redOnly.blueFraction}`);
    assert.ok(redOnly.redFraction > plain.redFraction + 0.005);
    // labels follow the crop box like the image
    const croppedLabels = await call('setCrop', { min: [32, 0, 0], max: [63, 63, 63] });
    assert.ok(croppedLabels.redFraction < redOnly.redFraction * 0.2, 'label 1 (i < 32) is cropped away');
    await call('setCrop', null);
    // an in-place edit of the label voxels, flagged as changed, reaches the GPU
    const erased = await call('eraseLabelInPlace', 1);
    assert.ok(erased.redFraction < labelled.redFraction * 0.2 && erased.blueFraction > plain.blueFraction + 0.005, `after erasing label 1: red ${erased.redFraction}, blue ${erased.blueFraction}`);
    // only the slices named as changed are uploaded: naming label 1's slices (k 25–39) erases it on
    // screen; naming slices it does not reach leaves the GPU copy, so label 1 still shows
    const bySlices = await call('eraseLabelInPlace', 1, Array.from({ length: 15 }, (_, n) => 25 + n));
    assert.ok(bySlices.redFraction < labelled.redFraction * 0.2, `partial upload of k 25–39: red ${bySlices.redFraction}`);
    const elsewhere = await call('eraseLabelInPlace', 1, [0, 1, 2, 60]);
    assert.ok(elsewhere.redFraction > labelled.redFraction * 0.8, `slices 0–2 and 60 only: label 1 stays on the GPU (red ${elsewhere.redFraction})`);
    const removed = await call('setLabels', false);
    assert.ok(Math.abs(removed.mean - plain.mean) < 1 && Math.abs(removed.redFraction - plain.redFraction) < 0.002, 'removing the label map restores the plain image');
  });

  test('left-drag rotates the camera and resetCamera brings the anterior view back', async (t) => {
    const start = await call('stats');
    const box = (await page.locator('#view canvas').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(cx + i * 10, cy);
    await page.mouse.up();
    const rotated = await call('stats');
    t.diagnostic(JSON.stringify({ start: start.centroid, rotated: rotated.centroid }));
    // a horizontal drag turns the body about the vertical axis: the left-superior marker swings sideways
    assert.ok(Math.abs(rotated.centroid[0] - start.centroid[0]) > 0.02 || Math.abs(rotated.bboxAspect - start.bboxAspect) > 0.05, 'the view rotated');
    const reset = await call('resetCamera');
    assert.ok(Math.abs(reset.mean - start.mean) < 0.5 && Math.abs(reset.centroid[0] - start.centroid[0]) < 0.01, `reset ${reset.mean} vs ${start.mean}`);
  });

  test('oblique grids render in patient space (the direction cosines are honoured)', async (t) => {
    const straight = await call('load', 'ct', 'ct-bone');
    // rotated 90° about z: same bounds, so the same camera; the phantom is sampled in patient space,
    // so the picture must match the straight grid's (ignoring the direction would turn the marker away)
    const rot90 = await call('load', 'ct-rot90', 'ct-bone');
    // rotated 30°: larger bounds (smaller on screen), but the same shape: the marker keeps the box square
    const oblique = await call('load', 'ct-oblique', 'ct-bone');
    await shot('volume3d-ct-oblique');
    t.diagnostic(JSON.stringify({ straight, rot90, oblique }));
    assert.ok(Math.abs(rot90.nonBackgroundFraction - straight.nonBackgroundFraction) < 0.01, `rot90 ${rot90.nonBackgroundFraction} vs ${straight.nonBackgroundFraction}`);
    assert.ok(Math.abs(rot90.mean - straight.mean) < 2, `rot90 mean ${rot90.mean} vs ${straight.mean}`);
    assert.ok(Math.abs(rot90.centroid[0] - straight.centroid[0]) < 0.02 && Math.abs(rot90.centroid[1] - straight.centroid[1]) < 0.02);
    assert.ok(oblique.nonBackgroundFraction > 0.04, `oblique ${oblique.nonBackgroundFraction}`);
    assert.ok(Math.abs(oblique.bboxAspect - straight.bboxAspect) < 0.04, `oblique aspect ${oblique.bboxAspect} vs ${straight.bboxAspect}`);
    assert.ok(Math.abs(oblique.centroid[0] - straight.centroid[0]) < 0.03 && Math.abs(oblique.centroid[1] - straight.centroid[1]) < 0.03);
  });

  test('an MR volume renders with the percentile-based default preset', async () => {
    const s = await call('load', 'mr');
    await shot('volume3d-mr');
    assert.ok(s.nonBackgroundFraction > 0.15, `MR non-background ${s.nonBackgroundFraction}`);
    assert.ok(s.mean > BACKGROUND_LUMINANCE + 15, `MR mean ${s.mean}`);
  });

  test('rotation fps through the module is measured', async (t) => {
    await call('load', 'ct', 'ct-bone');
    const fps = await call('rotateFps', 12, 30);
    t.diagnostic(`3D rotate fps (64³ CT, bone preset, ${(await call('stats')).width}px canvas, SwiftShader): ${fps.toFixed(1)}`);
    assert.ok(fps > 0 && Number.isFinite(fps));
  });

  test('dispose and 20 open/close cycles (CT + labels + crop) leak no WebGL context, canvas, vtk object or heap', async (t) => {
    await call('dispose');
    // counted after a GC: vtk.js probes norm16 support once per page on a throw-away canvas whose
    // context it does not always lose; that one goes when collected (ours are lost explicitly)
    await heapAfterGc();
    assert.deepEqual({ ...(await call('counts')), webglContextsCreated: 0 }, { canvases: 0, webglContextsCreated: 0, webglContextsLive: 0, liveVtkObjects: 0 });
    await call('cycle', 5); // warm up code paths (JIT, inline caches) before measuring
    const heapBefore = await heapAfterGc();
    const created = (await call('counts')).webglContextsCreated;
    const cycled = await call('cycle', 20);
    const heapAfter = await heapAfterGc();
    const after = await call('counts');
    assert.equal(cycled.webglContextsLive, 0, 'every context was lost (released) right at dispose');
    assert.equal(after.webglContextsCreated, created + 20, 'each view made exactly one context');
    assert.equal(after.webglContextsLive, 0, 'no context is left');
    assert.equal(after.canvases, 0, 'every canvas was removed');
    assert.equal(after.liveVtkObjects, 0, 'every vtk object was deleted');
    const growth = heapAfter.cdp - heapBefore.cdp;
    const growthPm = heapAfter.performanceMemory - heapBefore.performanceMemory;
    t.diagnostic(`JS heap after 20 cycles: ${(growth / 1024).toFixed(0)} KiB (CDP), ${(growthPm / 1024).toFixed(0)} KiB (performance.memory)`);
    // one live view (CT, labels, crop) holds about 1 MiB of JS heap: 20 leaked views would be ~20 MiB
    assert.ok(growth < 1.5 * 2 ** 20, `heap grew ${growth} bytes over 20 cycles`);
    assert.ok(growthPm < 1.5 * 2 ** 20, `performance.memory grew ${growthPm} bytes over 20 cycles`);
  });

  test('nothing broke the CSP or logged an error or warning, and the CSP is in force', async () => {
    // checked after all the rendering above; only then is eval probed (that probe is a violation)
    assert.deepEqual(await call('cspViolations'), []);
    assert.deepEqual(pageErrors, [], pageErrors.join('\n'));
    assert.equal(await call('cspBlocksEval'), true, 'string evaluation is refused, so the CSP applied to all of the above');
  });
});
