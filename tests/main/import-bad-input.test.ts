import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { integrityCheck } from '../../src/main/store/database.js';
import { writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

/** A folder of good and bad files side by side, as a clinician's export might be. */
async function buildMessyFolder(dir: string): Promise<void> {
  makeSeries(dir, [
    { name: 'good', slices: 5, series_number: 1 },
    { name: 'partial', slices: 6, series_number: 2 },
    { name: 'gap', slices: 6, drop_slices: [2], series_number: 3 },
    { name: 'oddsize', slices: 5, different_dims_slice: 3, series_number: 4 },
  ]);
  // a slice whose pixel data is cut short, inside an otherwise good series
  const victim = path.join(dir, 'partial', 'IM0003.dcm');
  const bytes = fs.readFileSync(victim);
  fs.writeFileSync(victim, bytes.subarray(0, bytes.length - 400));
  fs.writeFileSync(path.join(dir, 'zero.dcm'), '');
  fs.writeFileSync(path.join(dir, 'notes.dcm'), 'Patient notes, not an image.\n'.repeat(20));
  fs.writeFileSync(path.join(dir, 'garbage.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0xff, 0xff]), Buffer.alloc(300, 0xab)]));
  const nifti = { dims: [4, 4, 3] as [number, number, number], spacing: [1, 1, 1] as [number, number, number], affineLps: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], voxelType: 'int16' as const, components: 1 as const, data: new Int16Array(48).fill(7) };
  await writeNiftiFile(path.join(dir, 'good.nii.gz'), nifti);
  const gz = fs.readFileSync(path.join(dir, 'good.nii.gz'));
  fs.writeFileSync(path.join(dir, 'corrupt.nii.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  await writeNiftiFile(path.join(dir, 'short.nii'), nifti);
  const raw = fs.readFileSync(path.join(dir, 'short.nii'));
  fs.writeFileSync(path.join(dir, 'short.nii'), raw.subarray(0, raw.length - 40));
}

describe('bad input next to good input', () => {
  let dataDir: string;
  let inputDir: string;
  let services: AppServices;
  let report: ImportReport;

  before(async () => {
    dataDir = tempDir('bad-store');
    inputDir = tempDir('bad-in');
    await buildMessyFolder(inputDir);
    services = createServices({ dataDir, host: 'test' });
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    const done = await services.jobs.wait(job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    report = done.result as ImportReport;
  });
  after(async () => {
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  const skippedReason = (name: string) => report.skipped.find((s) => path.basename(s.path) === name)?.reason ?? '(not skipped)';

  test('each bad file is skipped with a specific reason naming it', () => {
    assert.match(skippedReason('zero.dcm'), /empty file \(0 bytes\)/);
    assert.match(skippedReason('notes.dcm'), /not DICOM: no "DICM" marker at byte 128/);
    assert.match(skippedReason('garbage.dcm'), /unreadable DICOM header/);
    assert.match(skippedReason('IM0003.dcm'), /IM0003\.dcm.*(truncated|bytes)/);
    assert.match(skippedReason('corrupt.nii.gz'), /corrupt\.nii\.gz.*gzip/i);
    assert.match(skippedReason('short.nii'), /short\.nii.*header says/);
    assert.equal(report.skipped.length, 6, JSON.stringify(report.skipped, null, 1));
  });

  test('good files in the same folder still import', () => {
    const dicom = report.series.find((s) => s.description === 'good' && s.sourceKind === 'dicom')!;
    assert.deepEqual(dicom.dims, [24, 32, 5]);
    assert.deepEqual(dicom.warnings, []);
    const nifti = report.series.filter((s) => s.sourceKind === 'nifti');
    assert.deepEqual(nifti.map((s) => [s.description, s.dims]), [['good', [4, 4, 3]]]);
  });

  test('a series with one unreadable slice keeps the rest, with the slot marked missing', () => {
    const partial = report.series.find((s) => s.description === 'partial')!;
    assert.deepEqual(partial.dims, [24, 32, 6]);
    assert.match(partial.warnings.join(' '), /1 slice\(s\) missing at k=3/);
  });

  test('a missing slice and a slice of another size are reported', () => {
    const gap = report.series.find((s) => s.description === 'gap')!;
    assert.match(gap.warnings.join(' '), /missing at k=2/);
    const odd = report.series.filter((s) => s.description === 'oddsize');
    assert.equal(odd.length, 2);
    assert.match(odd.find((s) => s.splitReason)!.splitReason!, /dimensions 24×33 differ from 24×32/);
  });

  test('the store is intact', () => {
    assert.equal(integrityCheck(services.db).ok, true);
    const listed = services.handlers['studies.list']({}, { host: 'test' }) as { series: unknown[] }[];
    assert.equal(listed.reduce((n, s) => n + s.series.length, 0), report.series.length);
  });
});

describe('cancelling an import', () => {
  test('leaves no half-written series and no volume file', async () => {
    const dataDir = tempDir('cancel-store');
    const inputDir = makeSeries(tempDir('cancel-in'), [{ name: 'big', slices: 80, rows: 256, cols: 256 }]);
    // every progress step is emitted (no throttle), so the cancel lands mid-decode however fast this machine is
    const services = createServices({ dataDir, host: 'test', progressIntervalMs: 0 });
    try {
      const job = services.jobs.start('studies.import', { paths: [inputDir] });
      await new Promise<void>((resolve) => {
        const off = services.bus.subscribe((name, payload) => {
          const info = payload as { id: string; stage: string; message: string };
          if (info.id !== job.id) return;
          if (name === 'job.progress' && info.stage === 'decoding' && /slice \d+ of/.test(info.message)) {
            off();
            services.jobs.cancel(job.id);
            resolve();
          } else if (name === 'job.done') {
            off(); // ended before any slice was reported: the state assertion below says how
            resolve();
          }
        });
      });
      const done = await services.jobs.wait(job.id);
      assert.equal(done.state, 'cancelled');
      const rows = services.db.prepare('SELECT count(*) AS n FROM series').get() as { n: number };
      assert.equal(rows.n, 0);
      const volumes = path.join(dataDir, 'volumes');
      assert.deepEqual(fs.existsSync(volumes) ? fs.readdirSync(volumes) : [], []);
    } finally {
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(inputDir, { recursive: true, force: true });
    }
  });
});
