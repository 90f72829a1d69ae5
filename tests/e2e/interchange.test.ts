// Masks in and out through the real UI (delineate serve + Chromium): export a saved version as DICOM
// SEG from the Import & export panel, check the file with pydicom, import it back as a new version and
// find the same labels in the store; a mask on another grid is refused with the reason.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createServices } from '../../src/main/services/app-services.js';
import { decodeRuns } from '../../src/shared/editing/label-runs.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { callStore } from '../helpers/store-call.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const [NX, NY, NZ] = [40, 32, 6];

/** Two labels: a box (1) and a disc (2) on some slices. */
function drawnLabels(): Uint8Array {
  const labels = new Uint8Array(NX * NY * NZ);
  for (let k = 1; k < 5; k++)
    for (let j = 0; j < NY; j++)
      for (let i = 0; i < NX; i++) {
        const v = i + NX * (j + NY * k);
        if (i >= 4 && i < 14 && j >= 5 && j < 20) labels[v] = 1;
        else if ((i - 27) ** 2 + (j - 16) ** 2 < 36 && k < 4) labels[v] = 2;
      }
  return labels;
}

describe('Import & export panel (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let inputDir: string;
  let outDir: string;
  let seriesId: number;
  const expected = drawnLabels();

  const call = (method: string, params: unknown) => callStore(dataDir, method, params);

  before(async () => {
    dataDir = tempDir('x-store');
    outDir = tempDir('x-out');
    inputDir = makeSeries(tempDir('x-in'), [{ name: 'x', slices: NZ, rows: NY, cols: NX, series_number: 1 }]);
    const services = createServices({ dataDir, host: 'test' });
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    const series = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!;
    seriesId = series.id;
    await services.close();
    // a saved version to export: two named segments drawn into the store
    const opened = await call('segmentation.open', { seriesId });
    let info = await call('segmentation.setSegments', {
      id: opened.id,
      baseRevision: opened.revision,
      segments: [
        { value: 1, name: 'Liver', color: [200, 120, 80], visible: true, locked: false, category: { scheme: 'SCT', value: '91723000', meaning: 'Anatomical Structure' }, type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' } },
        { value: 2, name: 'Lesion', color: [60, 200, 90], visible: true, locked: false },
      ],
    });
    info = await call('segmentation.writeSlices', { id: opened.id, baseRevision: info.revision, slices: [...Array(NZ).keys()], data: expected });
    await call('segmentation.saveVersion', { id: opened.id, baseRevision: info.revision, name: 'drawn' });

    serve = await startServe({ dataDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${serve.url}&series=${encodeURIComponent(series.seriesInstanceUid)}`);
    await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="start-segmenting"]').click();
    await page.locator('[data-testid="interchange-panel"]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    for (const dir of [dataDir, inputDir, outDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('export the version as DICOM SEG: pydicom reads the segments and frames', { timeout: 60_000 }, async () => {
    const file = path.join(outDir, 'drawn-seg.dcm');
    await page.locator('[data-testid="export-path"]').fill(file);
    await page.locator('[data-testid="export-run"]').click();
    await page.locator('[data-testid="export-result"]', { hasText: 'drawn-seg.dcm' }).waitFor({ timeout: 30_000 });
    const summary = JSON.parse(
      execFileSync(DEBIAN_PYTHON, ['-c', 'import json,sys,pydicom; d=pydicom.dcmread(sys.argv[1]); print(json.dumps({"labels": [s.SegmentLabel for s in d.SegmentSequence], "frames": int(d.NumberOfFrames), "type": d.SegmentationType}))', file], { encoding: 'utf8' }),
    );
    // box on slices 1–4, disc on slices 1–3
    assert.deepEqual(summary, { labels: ['Liver', 'Lesion'], frames: 7, type: 'BINARY' });
    await screenshot(page, 'interchange-export-seg');
  });

  test('import the SEG back: a new version with the same labels, voxel for voxel', { timeout: 60_000 }, async () => {
    await page.locator('[data-testid="import-mask-path"]').fill(path.join(outDir, 'drawn-seg.dcm'));
    await page.locator('[data-testid="import-mask-run"]').click();
    await page.locator('[data-testid="import-mask-result"]', { hasText: 'Imported SEG as version 2' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="version-2"]', { hasText: 'imported from drawn-seg.dcm' }).waitFor();
    const opened = await call('segmentation.open', { seriesId });
    assert.equal(opened.headVersion.source, 'import');
    const labels = opened.encoding === 'runs' ? decodeRuns(opened.data as Uint32Array, new Uint8Array(NX * NY * NZ)) : (opened.data as Uint8Array);
    assert.deepEqual(labels, expected);
    assert.deepEqual(opened.headVersion.segments.map((s: { name: string }) => s.name), ['Liver', 'Lesion']);
  });

  test('a NIfTI mask on another grid is refused with the reason, and nothing is stored', { timeout: 30_000 }, async () => {
    const file = path.join(outDir, 'wrong-grid.nii.gz');
    await writeNiftiFile(file, { dims: [10, 10, 3], spacing: [1, 1, 1], affineLps: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], voxelType: 'uint8', components: 1, data: new Uint8Array(300).fill(1) });
    await page.locator('[data-testid="import-mask-path"]').fill(file);
    await page.locator('[data-testid="import-mask-run"]').click();
    await page.locator('[data-testid="import-mask-progress-error"]', { hasText: 'wrong-grid.nii.gz is not on the series grid' }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'interchange-wrong-grid');
    assert.equal((await call('segmentation.versions', { id: (await call('segmentation.open', { seriesId })).id })).length, 2);
  });
});
