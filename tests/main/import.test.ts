import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { integrityCheck } from '../../src/main/store/database.js';
import { readVolumeFile } from '../../src/main/studies/volume-cache.js';
import { StudiesRepo } from '../../src/main/store/studies-repo.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { transformPoint } from '../../src/shared/geometry.js';
import { makeSeries, seriesValue, tempDir } from '../helpers/dicom-fixtures.js';

async function runImport(services: AppServices, paths: string[]): Promise<ImportReport> {
  const job = services.jobs.start('studies.import', { paths });
  const done = await services.jobs.wait(job.id);
  assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
  return done.result as ImportReport;
}

describe('DICOM import into the store', () => {
  let dataDir: string;
  let inputDir: string;
  let services: AppServices;

  before(() => {
    dataDir = tempDir('import-store');
    inputDir = makeSeries(tempDir('import-in'), [
      { name: 'ct', slices: 8, rows: 6, cols: 5, shuffle: true, intercept: -1024, series_number: 2 },
      { name: 'mr', modality: 'MR', slices: 4, rows: 4, cols: 4, signed: false, slope: 0.5, intercept: 1.25, series_number: 3 },
    ]);
    services = createServices({ dataDir, host: 'test' });
  });
  after(async () => {
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  test('imports each series with exact geometry and rescaled voxel values', async () => {
    const report = await runImport(services, [inputDir]);
    assert.deepEqual(report.skipped, []);
    assert.deepEqual(report.failed, []);
    assert.equal(report.series.length, 2);
    const ct = report.series.find((s) => s.modality === 'CT')!;
    assert.equal(ct.status, 'imported');
    assert.deepEqual(ct.dims, [5, 6, 8]);
    assert.equal(ct.voxelType, 'int16');
    assert.deepEqual(ct.transferSyntaxes, ['1.2.840.10008.1.2.1']);
    // slice k sits at z = 30 + 2.5 k; column step 0.7 mm along x, row step 0.8 mm along y
    assert.deepEqual(transformPoint(ct.affineLps, [1, 2, 3]).map((v) => Math.round(v * 1e6) / 1e6), [-9.3, -18.4, 37.5]);
    const repo = new StudiesRepo(services.db);
    const stored = repo.getSeries(ct.id)!;
    const voxels = readVolumeFile(dataDir, stored.volumeFile, stored.voxelType, stored.volumeBytes);
    for (const [c, r, k] of [[0, 0, 0], [4, 5, 7], [2, 3, 4]] as const) {
      assert.equal(voxels[(k * 6 + r) * 5 + c], seriesValue(c, r, k) - 1024, `voxel ${c},${r},${k}`);
    }
    const mr = report.series.find((s) => s.modality === 'MR')!;
    assert.equal(mr.voxelType, 'float32');
    const mrStored = repo.getSeries(mr.id)!;
    const mrVoxels = readVolumeFile(dataDir, mrStored.volumeFile, mrStored.voxelType, mrStored.volumeBytes);
    assert.equal(mrVoxels[(3 * 4 + 2) * 4 + 1], seriesValue(1, 2, 3, false) * 0.5 + 1.25);
    const studies = services.handlers['studies.list']({}, { host: 'test' }) as ReturnType<StudiesRepo['listStudies']>;
    assert.equal(studies.length, 2);
    assert.equal(studies[0]!.patientName, 'Test^Phantom');
  });

  test('an unchanged re-import is a no-op', async () => {
    const volumesBefore = fs.readdirSync(path.join(dataDir, 'volumes')).sort();
    const report = await runImport(services, [inputDir]);
    assert.deepEqual(report.series.map((s) => s.status), ['unchanged', 'unchanged']);
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'volumes')).sort(), volumesBefore);
  });

  test('a changed source is re-imported and a vanished one is reported', async () => {
    const ctDir = path.join(inputDir, 'ct');
    const files = fs.readdirSync(ctDir).sort();
    const changed = path.join(ctDir, files[2]!);
    const bytes = fs.readFileSync(changed);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01; // flip one pixel bit
    fs.writeFileSync(changed, bytes);
    fs.rmSync(path.join(ctDir, files.at(-1)!));
    const report = await runImport(services, [inputDir]);
    const ct = report.series.find((s) => s.modality === 'CT')!;
    assert.equal(ct.status, 'reimported');
    assert.deepEqual(ct.sourceChanges.map((c) => [path.basename(c.path), c.change]).sort(), [[files[2], 'changed'], [files.at(-1), 'vanished']].sort());
    assert.equal(report.series.find((s) => s.modality === 'MR')!.status, 'unchanged');
    assert.equal(fs.readdirSync(path.join(dataDir, 'volumes')).length, 2, 'the replaced volume file is removed');
    assert.equal(integrityCheck(services.db).ok, true);
  });
});

describe('splitting a series', () => {
  test('localizer slices and a second echo become separate volumes with reasons', async () => {
    const dataDir = tempDir('split-store');
    const inputDir = makeSeries(tempDir('split-in'), [
      { name: 'loc', slices: 5, localizer: true },
      { name: 'echo', modality: 'MR', slices: 3, echoes: 2 },
    ]);
    const services = createServices({ dataDir, host: 'test' });
    try {
      const report = await runImport(services, [inputDir]);
      assert.equal(report.series.length, 4);
      const reasons = report.series.map((s) => s.splitReason);
      assert.ok(reasons.some((r) => r !== null && /3 slices: orientation differs/.test(r)), String(reasons));
      assert.ok(reasons.some((r) => r !== null && /echo 2/.test(r)), String(reasons));
      assert.ok(report.series.some((s) => s.key.endsWith('#2')));
    } finally {
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(inputDir, { recursive: true, force: true });
    }
  });
});

describe('zip archives', () => {
  test('a zipped series imports; a corrupt zip is skipped with its reason', async () => {
    const { zipSync } = await import('fflate');
    const dataDir = tempDir('zip-store');
    const inputDir = makeSeries(tempDir('zip-in'), [{ name: 'zipped', slices: 3 }]);
    const files = Object.fromEntries(fs.readdirSync(path.join(inputDir, 'zipped')).map((f) => [`export/zipped/${f}`, new Uint8Array(fs.readFileSync(path.join(inputDir, 'zipped', f)))]));
    const archive = path.join(inputDir, 'study.zip');
    fs.writeFileSync(archive, zipSync(files));
    fs.writeFileSync(path.join(inputDir, 'broken.zip'), Buffer.from('PK\u0003\u0004 this is not really a zip'));
    fs.rmSync(path.join(inputDir, 'zipped'), { recursive: true });
    const services = createServices({ dataDir, host: 'test' });
    try {
      const report = await runImport(services, [inputDir]);
      assert.deepEqual(report.series.map((s) => [s.description, s.dims[2]]), [['zipped', 3]]);
      assert.equal(report.skipped.length, 1);
      assert.match(report.skipped[0]!.path, /broken\.zip$/);
      assert.match(report.skipped[0]!.reason, /not a readable zip archive/);
    } finally {
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(inputDir, { recursive: true, force: true });
    }
  });
});
