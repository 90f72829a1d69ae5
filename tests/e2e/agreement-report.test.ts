// The agreement report from real masks: the DICOM SEG in ../shared/data on its series (when that data
// is on this machine; otherwise a synthetic two-label cohort, saying so) as the accepted reference,
// perturbed copies of it as the "AI" versions. Its CSV numbers must be exactly what `delineate metrics`
// prints for the same two versions, and a full-page screenshot in Chromium is the artifact
// test-results/e2e/agreement-report.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { maskFileFormat } from '../../src/main/interchange/mask-format.js';
import { readSegFile } from '../../src/main/interchange/seg-file.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import type { AgreementReportResult } from '../../src/shared/curation.js';
import type { ImportMaskResult } from '../../src/shared/interchange.js';
import type { ImportReport } from '../../src/shared/studies.js';
import type { Vec3 } from '../../src/shared/volume.js';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { csvRecords } from '../helpers/csv.js';
import { assertCsvMatchesMetrics } from '../helpers/report-checks.js';
import { ballVolume, importCohort } from '../helpers/curation-fixtures.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

const SHARED = path.resolve(process.env.DELINEATE_SHARED_DATA ?? path.join('..', 'shared', 'data'));
const work = tempDir('agreement-report');
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A reviewer-like disagreement: every label moved one voxel along i, and label 1 missing on one slice. */
function perturbed(labels: Uint8Array, dims: Vec3, variant: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(labels.length);
  const shift = variant % 2 ? 1 : -1;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const from = i - shift;
    out[p] = from >= 0 && from < nx ? labels[p - shift]! : 0;
  }
  const k = Math.floor(nz / 2) + (variant % 3) - 1;
  for (let p = k * nx * ny; p < (k + 1) * nx * ny; p++) if (out[p] === 1) out[p] = 0;
  return out;
}

/** The first DICOM SEG under ../shared/data (outside bad-input), or null. */
function findSeg(dir: string): string | null {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'bad-input') {
      const found = findSeg(full);
      if (found) return found;
    } else if (entry.isFile() && !/\.(nii|gz|json|txt|md|zip|onnx)$/i.test(entry.name)) {
      try {
        if (maskFileFormat(full) === 'seg') return full;
      } catch {
        // not DICOM
      }
    }
  }
  return null;
}

/** Real data: the SEG becomes the reference on its series (imported from the SEG's dataset folder). */
async function realCases(services: AppServices): Promise<{ seriesId: number; reference: Uint8Array; dims: Vec3 }[] | string> {
  if (!fs.existsSync(SHARED)) return `${SHARED} is not on this machine`;
  const seg = findSeg(SHARED);
  if (!seg) return `no DICOM SEG under ${SHARED}`;
  const referenced = readSegFile(fs.readFileSync(seg), path.basename(seg)).referencedSeries[0];
  const job = services.jobs.start('studies.import', { paths: [path.dirname(path.dirname(seg))] });
  const report = (await services.jobs.wait(job.id)).result as ImportReport;
  const series = report.series.find((s) => s.seriesInstanceUid === referenced);
  if (!series) return `the series ${referenced} that ${seg} references is not beside it`;
  const imported = await services.jobs.wait(services.jobs.start('masks.import', { seriesId: series.id, path: seg }).id);
  assert.equal(imported.state, 'succeeded', JSON.stringify(imported.error));
  const result = imported.result as ImportMaskResult;
  const reference = services.segmentations.loadVersion(result.segmentationId, result.versionId, { dims: series.dims }).labels;
  return [{ seriesId: series.id, reference, dims: series.dims }];
}

/** Synthetic: six cases with two labels (a ball; its upper half is label 2). */
async function syntheticCases(services: AppServices): Promise<{ seriesId: number; reference: Uint8Array; dims: Vec3 }[]> {
  const dims: Vec3 = [32, 32, 16];
  const volumes = Array.from({ length: 6 }, (_, i) => ballVolume([{ center: [16, 16, 8], radius: 4 + i * 0.7 }], 300 + i, dims));
  const ids = await importCohort(services, path.join(work, 'cohort'), volumes);
  return volumes.map((v, i) => ({
    seriesId: ids[i]!,
    dims,
    reference: Uint8Array.from(v.data as Float32Array, (x, p) => (x > 50 ? (Math.floor(p / (dims[0] * dims[1])) >= 8 ? 2 : 1) : 0)),
  }));
}

test('agreement report from perturbed copies: numbers equal `delineate metrics`; full-page screenshot', { timeout: 600_000 }, async () => {
  const dataDir = path.join(work, 'store');
  const services = createServices({ dataDir, host: 'test', author: 'reviewer' });
  let source: string;
  try {
    const real = await realCases(services);
    const cases = typeof real === 'string' ? await syntheticCases(services) : real;
    source = typeof real === 'string' ? `synthetic cohort (${real})` : 'DICOM SEG from ../shared/data';
    for (const [variant, { seriesId, reference, dims }] of cases.entries()) {
      const grid = { dims };
      const { info } = services.segmentations.openForSeries(seriesId, grid);
      const segments = [1, 2].map((value) => ({ value, name: value === 1 ? 'Lower' : 'Upper', color: [200, 80 * value, 60] as [number, number, number], visible: true, locked: false }));
      const keep = info.headVersion?.segments ?? segments;
      services.segmentations.addVersion(info.id, perturbed(reference, dims, variant), { name: 'perturbed copy', source: 'ai', segments: keep, provenance: { modelId: 'perturbed-copy', modelVersion: '1', note: 'the reference shifted one voxel, label 1 cleared on one slice' } }, grid);
      services.segmentations.addVersion(info.id, reference, { name: 'reference', source: 'import', segments: keep, provenance: { note: 'the reference, after its perturbed AI copy' } }, grid);
      await services.handlers['worklist.decide']({ seriesId, decision: 'accept', comment: '' }, { host: 'test' });
    }
  } finally {
    await services.close();
  }

  const out = path.join(work, 'report');
  const captured = { stdout: '', stderr: '' };
  const io = { stdout: (t: string) => (captured.stdout += t), stderr: (t: string) => (captured.stderr += t), env: process.env };
  assert.equal(await runCli(['report', 'agreement', '--out', out, '--data-dir', dataDir, '--json'], io), 0, captured.stderr);
  const result = JSON.parse(captured.stdout) as AgreementReportResult;
  const rows = csvRecords(fs.readFileSync(result.csvFile, 'utf8'));
  assert.ok(rows.length >= 1, source);
  await assertCsvMatchesMetrics(rows, dataDir, source);
  assert.ok(rows.every((r) => Number(r.dice) < 1), 'the perturbation shows in every row');

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`file://${result.htmlFile}`);
    await page.locator('[data-testid="report-scatter-volume"]').waitFor();
    const file = await screenshot(page, 'agreement-report');
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await browser.close();
  }
});
