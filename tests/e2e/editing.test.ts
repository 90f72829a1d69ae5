// Segment editing in the real app (delineate serve + Chromium): a mouse stroke on the axial view
// paints the expected voxels (read back from the store through the contract), the overlay shows them,
// undo restores the mask bit for bit, and a locked segment is untouched by paint and fill.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { decodeRuns } from '../../src/shared/editing/label-runs.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { launchChromium, screenshot, waitUntil } from '../helpers/browser.js';
import { makeSeries, seriesValue, tempDir } from '../helpers/dicom-fixtures.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const [NX, NY, NZ] = [48, 40, 8];
const SPACING = [0.8, 0.8]; // mm; slices 2.5 mm apart (the fixture's default)

describe('segment editing (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let inputDir: string;
  let seriesId: number;
  let uid: string;

  before(async () => {
    dataDir = tempDir('edit-store');
    inputDir = makeSeries(tempDir('edit-in'), [{ name: 'edit', slices: NZ, rows: NY, cols: NX, spacing: SPACING, series_number: 1 }]);
    const services = createServices({ dataDir, host: 'test' });
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    const series = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!;
    [seriesId, uid] = [series.id, series.seriesInstanceUid];
    await services.close();
    serve = await startServe({ dataDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${serve.url}&series=${encodeURIComponent(uid)}`);
    await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="start-segmenting"]').click();
    await page.locator('[data-testid="segment-row"][data-value="1"]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  /** The label map as the store has it, read through the contract once every edit is saved. */
  async function storedLabels(): Promise<Uint8Array> {
    await page.locator('[data-testid="save-state"]', { hasText: 'saved' }).waitFor();
    const probe = createServices({ dataDir, host: 'test' });
    try {
      const outcome = await dispatch(probe.handlers, 'segmentation.open', { seriesId }, { host: 'test' });
      assert.ok(outcome.ok, JSON.stringify(!outcome.ok && outcome.error));
      const result = outcome.result as { encoding: 'raw' | 'runs'; data: Uint8Array | Uint32Array };
      return result.encoding === 'runs' ? (decodeRuns(result.data as Uint32Array, new Uint8Array(NX * NY * NZ)) as Uint8Array) : (result.data as Uint8Array).slice();
    } finally {
      await probe.close();
    }
  }

  /** Screen position (page px) of the centre of voxel (i, j) in the axial view (radiological: i to the left). */
  async function axialPoint(i: number, j: number) {
    const box = (await page.locator('[data-view="axial"] canvas').boundingBox())!;
    const scale = Math.min(box.width / (NX * SPACING[0]!), box.height / (NY * SPACING[1]!)) ;
    const x = box.x + box.width / 2 + (i + 0.5 - NX / 2) * SPACING[0]! * scale;
    const y = box.y + box.height / 2 + (j + 0.5 - NY / 2) * SPACING[1]! * scale;
    return { x, y };
  }

  const axialSlice = async () => Number(await page.locator('[data-view="axial"]').getAttribute('data-slice'));
  const pixel = (p: { x: number; y: number }) =>
    page.locator('[data-view="axial"] canvas').evaluate((el, [px, py]) => {
      const c = el as unknown as { width: number; height: number; getBoundingClientRect(): { left: number; top: number; width: number }; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const r = c.getBoundingClientRect();
      const ratio = c.width / r.width;
      const d = c.getContext('2d').getImageData(Math.floor((px! - r.left) * ratio), Math.floor((py! - r.top) * ratio), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!];
    }, [p.x, p.y]);

  test('a mouse stroke paints the voxels along it, in this slice only, and the overlay shows them', async () => {
    await page.locator('[data-testid="edit-paint"]').click();
    await page.locator('[data-testid="brush-mm"]').fill('2');
    const k = await axialSlice();
    const from = await axialPoint(10, 20);
    const to = await axialPoint(36, 20);
    await page.mouse.move(from.x, from.y);
    await page.locator('[data-testid="brush-outline"]').waitFor();
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 3 }); // a fast drag: three moves across 26 voxels
    // the overlay follows the brush while the button is still down, before the edit is committed
    const tinted = ([r, g, b]: number[]) => !(r === g && g === b);
    await waitUntil(async () => pixel(await axialPoint(30, 20)), tinted);
    await page.mouse.up();
    const labels = await storedLabels();
    const at = (i: number, j: number, kk = k) => labels[i + NX * (j + NY * kk)]!;
    for (let i = 10; i <= 36; i++) assert.equal(at(i, 20), 1, `voxel ${i},20 on the stroke`);
    // a 2 mm brush on 0.8 mm pixels reaches 2 voxels either side of the line, never 4
    assert.equal(at(23, 22), 1);
    assert.equal(at(23, 24), 0);
    assert.equal(at(5, 20), 0, 'nothing before the start');
    const painted = labels.reduce((n, v) => n + v, 0);
    const inSlice = labels.subarray(k * NX * NY, (k + 1) * NX * NY).reduce((n, v) => n + v, 0);
    assert.equal(painted, inSlice, 'only the viewed slice changed');
    // the overlay is tinted where the stroke is, grey elsewhere
    const [r, g, b] = await pixel(await axialPoint(23, 20));
    assert.ok(!(r === g && g === b), `the stroke is drawn in the segment colour: ${r},${g},${b}`);
    const [r2, g2, b2] = await pixel(await axialPoint(23, 30));
    assert.ok(r2 === g2 && g2 === b2, `away from the stroke stays grey: ${r2},${g2},${b2}`);
    await screenshot(page, 'editing-stroke');
  });

  test('undo restores the stored mask bit for bit; redo brings the stroke back', async () => {
    const painted = await storedLabels();
    await page.locator('[data-testid="undo"]').click();
    const undone = await storedLabels();
    assert.ok(undone.every((v) => v === 0), 'the mask before the stroke was empty');
    await page.keyboard.press('Control+Shift+Z');
    assert.deepEqual(await storedLabels(), painted);
    await page.keyboard.press('Control+z');
    assert.deepEqual(await storedLabels(), undone);
    await page.keyboard.press('Control+Shift+Z');
  });

  test('a locked segment is untouched by paint and by fill', async () => {
    const before = await storedLabels();
    const segment1 = before.reduce((n, v) => n + (v === 1 ? 1 : 0), 0);
    assert.ok(segment1 > 50);
    await page.locator('[data-testid="segment-row"][data-value="1"] [data-testid="segment-lock"]').check();
    await page.locator('[data-testid="add-segment"]').click();
    await page.locator('[data-testid="segment-row"][data-value="2"]').waitFor();
    // paint segment 2 right across segment 1's stroke
    await page.locator('[data-testid="brush-mm"]').fill('4');
    const a = await axialPoint(23, 10);
    const b = await axialPoint(23, 30);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 4 });
    await page.mouse.up();
    // and flood-fill the whole slice (tolerance covers every value) with segment 2
    await page.locator('[data-testid="edit-fill"]').click();
    await page.locator('[data-testid="fill-tolerance"]').fill('100000');
    const c = await axialPoint(2, 2);
    await page.mouse.click(c.x, c.y);
    const after = await storedLabels();
    assert.equal(after.reduce((n, v) => n + (v === 1 ? 1 : 0), 0), segment1, 'segment 1 keeps every voxel');
    before.forEach((v, i) => v === 1 && assert.equal(after[i], 1));
    const k = await axialSlice();
    const slice = after.subarray(k * NX * NY, (k + 1) * NX * NY);
    assert.equal(slice.reduce((n, v) => n + (v === 2 ? 1 : 0), 0), NX * NY - segment1, 'segment 2 filled the rest of the slice');
    await screenshot(page, 'editing-locked');
  });

  test('fill between slices interpolates a segment painted on two slices', async () => {
    await page.locator('[data-testid="add-segment"]').click();
    await page.locator('[data-testid="segment-row"][data-value="3"]').waitFor();
    await page.locator('[data-testid="edit-paint"]').click();
    await page.locator('[data-testid="brush-mm"]').fill('3');
    const k = await axialSlice();
    const canvas = page.locator('[data-view="axial"] canvas');
    const dabAt = async () => {
      const p = await axialPoint(24, 9);
      await page.mouse.move(p.x, p.y);
      await page.mouse.down();
      await page.mouse.up();
    };
    await canvas.focus();
    for (let n = 0; n < 3; n++) await page.keyboard.press('ArrowUp');
    await waitUntil(axialSlice, (s) => s === k - 3);
    await dabAt();
    for (let n = 0; n < 6; n++) await page.keyboard.press('ArrowDown');
    await waitUntil(axialSlice, (s) => s === k + 3);
    await dabAt();
    await page.locator('[data-testid="operation"]').selectOption('interpolate');
    await page.locator('[data-testid="apply-operation"]').click();
    await page.locator('[data-testid="operation-result"]').waitFor();
    const labels = await storedLabels();
    const perSlice = (kk: number) => labels.subarray(kk * NX * NY, (kk + 1) * NX * NY).reduce((n, v) => n + (v === 3 ? 1 : 0), 0);
    const ends = [perSlice(k - 3), perSlice(k + 3)];
    assert.ok(ends[0]! > 20 && ends[0] === ends[1], `the two painted discs: ${ends}`);
    for (let kk = k - 2; kk <= k + 2; kk++) assert.equal(perSlice(kk), ends[0], `slice ${kk} holds the interpolated disc (a cylinder)`);
    assert.equal(perSlice(k - 4) + perSlice(k + 4 < NZ ? k + 4 : k - 4), 0, 'nothing outside the span');
    await page.locator('[data-testid="undo"]').click();
    const undone = await storedLabels();
    assert.equal(undone.subarray(k * NX * NY, (k + 1) * NX * NY).filter((v) => v === 3).length, 0, 'undo takes the interpolation back');
    assert.equal(undone.subarray((k + 3) * NX * NY, (k + 4) * NX * NY).filter((v) => v === 3).length, ends[1], 'and keeps the painted disc');
  });

  test('grow from seeds previews, cancels back to the stored mask, and accepts as one undoable edit', async () => {
    const before = await storedLabels();
    await page.locator('[data-testid="grow-preview"]').click();
    await page.locator('[data-testid="grow-accept"]').waitFor();
    await page.locator('[data-testid="grow-cancel"]').click();
    assert.deepEqual(await storedLabels(), before, 'a cancelled preview stores nothing');
    await page.locator('[data-testid="grow-preview"]').click();
    await page.locator('[data-testid="grow-accept"]').click();
    const grown = await storedLabels();
    const labelled = (a: Uint8Array) => a.reduce((n, v) => n + (v ? 1 : 0), 0);
    assert.ok(labelled(grown) > labelled(before), `growing labelled more voxels: ${labelled(before)} → ${labelled(grown)}`);
    before.forEach((v, i) => v === 1 && assert.equal(grown[i], 1, 'the locked segment keeps its voxels'));
    await page.locator('[data-testid="undo"]').click();
    assert.deepEqual(await storedLabels(), before);
  });

  test('threshold paint tints the voxels in its range live, before anything is painted', async () => {
    const canvas = page.locator('[data-view="axial"] canvas');
    await canvas.focus();
    const k = (await axialSlice()) - 1;
    await page.keyboard.press('ArrowUp');
    await waitUntil(axialSlice, (s) => s === k);
    const grey = ([r, g, b]: number[]) => r === g && g === b;
    const inRange = await axialPoint(10, 30);
    const outside = await axialPoint(11, 30);
    assert.ok(grey(await pixel(inRange)) && grey(await pixel(outside)), 'this slice has no labels there');
    await page.locator('[data-testid="edit-threshold"]').click();
    const value = String(seriesValue(10, 30, k));
    await page.locator('[data-testid="threshold-min"]').fill(value);
    await page.locator('[data-testid="threshold-max"]').fill(value);
    await waitUntil(() => pixel(inRange), (p) => !grey(p));
    assert.ok(grey(await pixel(outside)), `voxel 11,30 (value ${seriesValue(11, 30, k)}) is outside the range`);
    await page.locator('[data-testid="edit-threshold"]').click(); // tool off: the preview goes
    await waitUntil(() => pixel(inRange), grey);
  });

  test('a segment gets coded terminology (for DICOM SEG), and a default name takes its meaning', async () => {
    await page.locator('[data-testid="segment-row"][data-value="2"] [data-testid="segment-term"]').selectOption('10200004');
    await page.locator('[data-testid="save-state"]', { hasText: 'saved' }).waitFor();
    const probe = createServices({ dataDir, host: 'test' });
    try {
      const outcome = await dispatch(probe.handlers, 'segmentation.open', { seriesId }, { host: 'test' });
      const segment = (outcome.ok ? (outcome.result as { segments: { value: number; name: string; category?: { value: string }; type?: { value: string } }[] }).segments : []).find((s) => s.value === 2);
      assert.equal(segment?.name, 'Liver');
      assert.equal(segment?.category?.value, '91723000');
      assert.equal(segment?.type?.value, '10200004');
    } finally {
      await probe.close();
    }
  });

  test('submitting for review makes the segmentation read-only; requesting changes (with a comment) opens it again', async () => {
    const before = await storedLabels();
    await page.locator('[data-testid="review-submitted"]').click();
    await page.locator('[data-testid="review"][data-state="submitted"]').waitFor();
    assert.ok(await page.locator('[data-testid="edit-paint"]').isDisabled(), 'tools are disabled while submitted');
    const p = await axialPoint(20, 30);
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 40, p.y, { steps: 3 });
    await page.mouse.up();
    assert.deepEqual(await storedLabels(), before, 'a drag on a submitted segmentation changes nothing');
    await page.locator('[data-testid="review-changes-requested"]').click();
    await page.locator('[role="alert"]', { hasText: 'needs a comment' }).waitFor();
    await page.locator('[data-testid="review-comment"]').fill('add the left lobe');
    await page.locator('[data-testid="review-changes-requested"]').click();
    await page.locator('[data-testid="review"][data-state="changes-requested"]').waitFor();
    assert.ok(await page.locator('[data-testid="edit-paint"]').isEnabled());
    const probe = createServices({ dataDir, host: 'test' });
    try {
      const outcome = await dispatch(probe.handlers, 'audit.list', {}, { host: 'test' });
      const reviews = (outcome.ok ? (outcome.result as { action: string; detail: string }[]) : []).filter((e) => e.action === 'review');
      assert.deepEqual(reviews.map((e) => e.detail), ['draft → submitted', 'submitted → changes-requested: add the left lobe']);
    } finally {
      await probe.close();
    }
  });

  async function usePaint() {
    if ((await page.locator('[data-testid="edit-paint"].active').count()) === 0) await page.locator('[data-testid="edit-paint"]').click();
  }

  async function stroke(i0: number, i1: number, j: number) {
    const from = await axialPoint(i0, j);
    const to = await axialPoint(i1, j);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(to.x, to.y, { steps: 3 });
    await page.mouse.up();
  }

  async function probeCall(method: string, params: unknown): Promise<Record<string, unknown>> {
    const probe = createServices({ dataDir, host: 'test', author: 'Other window' });
    try {
      const outcome = await dispatch(probe.handlers, method, params, { host: 'test' });
      assert.ok(outcome.ok, JSON.stringify(!outcome.ok && outcome.error));
      return outcome.result as Record<string, unknown>;
    } finally {
      await probe.close();
    }
  }

  test('save a version as a newly chosen local user, edit, compare with it (metrics and a diff overlay)', async () => {
    await page.locator('[data-testid="author"]').selectOption({ label: 'New user…' });
    await page.locator('[data-testid="new-author"]').fill('Dr E2E');
    await page.locator('[data-testid="new-author"]').press('Enter');
    await waitUntil(() => page.locator('[data-testid="author"]').inputValue(), (v) => v === 'Dr E2E'); // once the host has it
    await page.locator('[data-testid="version-name"]').fill('before the lobe');
    await page.locator('[data-testid="save-version"]').click();
    await page.locator('[data-testid="version-1"]', { hasText: 'before the lobe' }).waitFor();
    assert.match((await page.locator('[data-testid="version-1"]').textContent())!, /Dr E2E/);
    await usePaint();
    await stroke(8, 30, 34);
    await storedLabels();
    await page.locator('[data-testid="compare-version-1"]').click();
    await page.locator('[data-testid="comparison-table"] tr[data-label]').first().waitFor();
    const dices = (await page.locator('[data-testid="comparison-table"] tr[data-label] td:nth-child(2)').allTextContents()).map(Number);
    assert.ok(dices.some((d) => d > 0 && d < 1), `the new stroke lowers one segment's Dice below 1: ${dices.join(', ')}`);
    assert.match((await page.locator('[data-testid="diff-counts"]').textContent())!, /Added since the version: [1-9]\d* voxels/);
    await page.locator('[data-testid="show-diff"]').check();
    assert.ok(await page.locator('[data-testid="edit-paint"]').isDisabled(), 'no editing while the diff is shown');
    const green = (p: number[]) => p[1]! > p[0]! + 20 && p[1]! > p[2]! + 20;
    await waitUntil(async () => pixel(await axialPoint(20, 34)), green);
    await screenshot(page, 'versions-compare-diff');
    await page.locator('[data-testid="show-diff"]').uncheck();
    await page.locator('[data-testid="close-comparison"]').click();
    assert.ok(await page.locator('[data-testid="edit-paint"]').isEnabled());
  });

  test('a write from another window makes the next edit a conflict; "keep mine" keeps both as versions', async () => {
    const opened = await probeCall('segmentation.open', { seriesId });
    const k = await axialSlice();
    const theirs = new Uint8Array(NX * NY).fill(2, 0, NX); // their edit: row 0 of slice k as segment 2
    await probeCall('segmentation.writeSlices', { id: opened.id, baseRevision: opened.revision, slices: [k], data: theirs });
    await usePaint();
    await stroke(8, 30, 12);
    await page.locator('[data-testid="conflict"]', { hasText: 'Other window' }).waitFor();
    assert.ok(await page.locator('[data-testid="edit-paint"]').isDisabled(), 'editing pauses until the conflict is resolved');
    await screenshot(page, 'versions-conflict');
    await page.locator('[data-testid="keep-mine"]').click();
    await page.locator('[data-testid="conflict"]').waitFor({ state: 'detached' });
    const list = (await page.locator('[data-testid="version-list"]').textContent())!;
    assert.match(list, /Unsaved work of Other window/);
    assert.match(list, /Kept after an edit conflict/);
    const mine = await storedLabels();
    assert.notEqual(mine[20 + NX * (12 + NY * k)], 0, 'my stroke is the working state');
    assert.equal(mine[NX * NY * k], 0, 'their row is not in mine');
    const versions = (await probeCall('segmentation.versions', { id: opened.id })) as unknown as { id: number; name: string }[];
    const theirsVersion = versions.find((v) => v.name === 'Unsaved work of Other window')!;
    const loaded = await probeCall('segmentation.loadVersion', { id: opened.id, versionId: theirsVersion.id });
    const theirLabels = loaded.encoding === 'runs' ? decodeRuns(loaded.data as Uint32Array, new Uint8Array(NX * NY * NZ)) : (loaded.data as Uint8Array);
    assert.equal(theirLabels[NX * NY * k], 2, 'their edit is kept as a version');
    // editing goes on after the conflict
    await usePaint();
    await stroke(8, 30, 16);
    assert.notEqual((await storedLabels())[20 + NX * (16 + NY * k)], 0);
  });
});
