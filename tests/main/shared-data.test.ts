/**
 * Real data: every DICOM series under ../shared/data converted by us and by dcm2niix must agree
 * (dims, affine within 1e-3 mm, identical voxels), and ../shared/data/bad-input must import with each
 * bad file named and the store intact. Skipped, saying so, on a machine without ../shared/data.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/main/cli/main.js';
import { createServices } from '../../src/main/services/app-services.js';
import { integrityCheck } from '../../src/main/store/database.js';
import { createDecoder } from '../../src/main/studies/decoder.js';
import { planVolumes } from '../../src/main/studies/dicom/series-builder.js';
import { scanInputs } from '../../src/main/studies/scan.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { compareNifti, tempDir } from '../helpers/dicom-fixtures.js';

const SHARED = path.resolve(process.env.DELINEATE_SHARED_DATA ?? path.join('..', 'shared', 'data'));
const BAD = path.join(SHARED, 'bad-input');
const present = fs.existsSync(SHARED);

describe('../shared/data', { skip: present ? false : `${SHARED} is not on this machine` }, async () => {
  const work = tempDir('shared-data');
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  const decoder = createDecoder();
  const scan = present ? await scanInputs([SHARED], { extractDir: path.join(work, 'zip'), readHeader: decoder.readHeader }) : null;
  await decoder.close();
  const volumes = scan ? planVolumes(scan.dicom).filter((v) => !v.files.some((f) => f.startsWith(BAD + path.sep))) : [];

  for (const [index, volume] of volumes.entries()) {
    // one folder per series, holding links to exactly its files, so both tools see the same input
    test(`series ${volume.key} (${volume.series.modality} ${volume.series.seriesDescription}) matches dcm2niix`, async (t) => {
      if (volume.plan.splitReason || volume.plan.warnings.some((w) => w.code === 'gantry_tilt' || w.code === 'missing_slices')) {
        t.skip('split, tilted or gapped: dcm2niix resamples or merges these differently by design');
        return;
      }
      const dir = path.join(work, `s${index}`);
      fs.mkdirSync(dir);
      volume.files.forEach((f, i) => fs.symlinkSync(f, path.join(dir, `${String(i).padStart(5, '0')}.dcm`)));
      const ours = path.join(work, `s${index}.nii.gz`);
      const errors: string[] = [];
      assert.equal(await runCli(['convert', dir, '--series', '1', '--out', ours], { stdout: () => undefined, stderr: (e) => errors.push(e), env: process.env }), 0, errors.join(''));
      const ref = path.join(work, `ref${index}`);
      fs.mkdirSync(ref);
      execFileSync('dcm2niix', ['-z', 'n', '-b', 'n', '-f', 'ref', '-o', ref, dir], { stdio: 'ignore' });
      const produced = fs.readdirSync(ref).filter((f) => f.endsWith('.nii'));
      assert.equal(produced.length, 1, `dcm2niix wrote ${produced.join(', ')}`);
      const result = compareNifti(ours, path.join(ref, produced[0]!));
      assert.deepEqual(result.shapeA, result.shapeB);
      assert.ok(result.maxAffineDiff <= 1e-3, `affine differs by ${result.maxAffineDiff} mm`);
      assert.equal(result.maxValueDiff, 0);
    });
  }

  test('bad-input: each bad file is named with its problem and the store stays intact', { skip: fs.existsSync(BAD) ? false : `${BAD} is not there` }, async () => {
    const services = createServices({ dataDir: path.join(work, 'store'), host: 'test' });
    try {
      const job = services.jobs.start('studies.import', { paths: [BAD] });
      const done = await services.jobs.wait(job.id);
      assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
      const report = done.result as ImportReport;
      for (const s of report.skipped) {
        assert.ok(s.path.startsWith(BAD) || s.path.includes('extracted'), s.path);
        assert.ok(s.reason.length > 10, `${s.path}: reason "${s.reason}"`);
      }
      assert.ok(report.skipped.length + report.failed.length > 0, 'bad-input produced no skipped or failed entries');
      assert.equal(integrityCheck(services.db).ok, true);
    } finally {
      await services.close();
    }
  });
});
