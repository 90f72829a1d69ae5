// `delineate export seg|rtstruct|nifti|dataset` and `delineate import-mask` on real DICOM, a real store
// and real files: one-shot conversions (no store) round-trip a NIfTI label map through SEG and RTSTRUCT
// voxel for voxel; store mode exports a saved version and imports a mask as a new version; bad input is
// refused with the file and the reason, storing nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { createServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { readNiftiFile, writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import { flipAxis } from '../../src/shared/reorient.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

const [NX, NY, NZ] = [36, 30, 7];
const dir = tempDir('cli-interchange');
const dataDir = path.join(dir, 'data');
const env = { DELINEATE_DATA_DIR: dataDir };

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  return { code, stdout, stderr, json: code === 0 && argv.includes('--json') ? JSON.parse(stdout) : null };
}

/** A ring (label 1, with a hole) and a blob (label 3) on an oblique, anisotropic series. */
function maskLabels(): Uint8Array {
  const labels = new Uint8Array(NX * NY * NZ);
  for (let k = 1; k < NZ - 1; k++)
    for (let j = 0; j < NY; j++)
      for (let i = 0; i < NX; i++) {
        const r = Math.hypot(i - 12, j - 14);
        if (r < 8 && r >= 3) labels[i + NX * (j + NY * k)] = 1;
        else if ((i - 27) ** 2 / 16 + (j - 10) ** 2 / 9 + (k - 3) ** 2 / 4 < 1) labels[i + NX * (j + NY * k)] = 3;
      }
  return labels;
}

describe('delineate export / import-mask', () => {
  let input: string;
  let seriesId: number;
  let seriesUid: string;
  const labels = maskLabels();
  let maskFile: string;
  let labelsFile: string;

  before(async () => {
    const c = Math.cos(0.2);
    const s = Math.sin(0.2);
    input = path.join(makeSeries(path.join(dir, 'in'), [{ name: 'oblique', rows: NY, cols: NX, slices: NZ, spacing: [0.9, 0.7], slice_step: 2.5, orientation: [c, s, 0, -s, c, 0] }]), 'oblique');
    // the series as `delineate convert` (= dcm2niix) lays it out, with our labels on it
    const converted = path.join(dir, 'image.nii.gz');
    assert.equal((await cli('convert', input, '--out', converted)).code, 0);
    const image = await readNiftiFile(converted);
    const onSeries = flipAxis(image, 1); // back to the DICOM row order our label array uses
    maskFile = path.join(dir, 'mask.nii.gz');
    await writeNiftiFile(maskFile, flipAxis({ ...onSeries, voxelType: 'uint8', data: labels }, 1));
    labelsFile = path.join(dir, 'labels.json');
    fs.writeFileSync(
      labelsFile,
      JSON.stringify({ labels: [{ value: 1, name: 'Ring', color: [250, 10, 10] }, { value: 3, name: 'Blob', color: [10, 250, 10], algorithmType: 'AUTOMATIC', algorithmName: 'blobfinder 2.1' }] }),
    );
    const services = createServices({ dataDir, host: 'test' });
    try {
      const job = services.jobs.start('studies.import', { paths: [input] });
      const series = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!;
      seriesId = series.id;
      seriesUid = series.seriesInstanceUid;
    } finally {
      await services.close();
    }
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of ['seg', 'rtstruct'] as const) {
    test(`one-shot: NIfTI → ${format.toUpperCase()} → NIfTI gives the same voxels, names and colours`, async () => {
      const out = path.join(dir, `oneshot-${format}.dcm`);
      const exported = await cli('export', format, '--input', input, '--mask', maskFile, '--labels', labelsFile, '--out', out, '--json');
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(exported.json.labels, 2);
      const sop = execFileSync(DEBIAN_PYTHON, ['-c', 'import sys,pydicom; print(pydicom.dcmread(sys.argv[1]).SOPClassUID)', out], { encoding: 'utf8' }).trim();
      assert.equal(sop, format === 'seg' ? '1.2.840.10008.5.1.4.1.1.66.4' : '1.2.840.10008.5.1.4.1.1.481.3');

      const back = path.join(dir, `back-${format}.nii.gz`);
      const imported = await cli('import-mask', out, '--input', input, '--out', back, '--json');
      assert.equal(imported.code, 0, imported.stderr);
      const original = await readNiftiFile(maskFile);
      const roundTrip = await readNiftiFile(back);
      assert.deepEqual(roundTrip.dims, original.dims);
      assert.ok(roundTrip.affineLps.every((v, i) => Math.abs(v - original.affineLps[i]!) < 1e-4));
      // SEG numbers its segments 1..n (label 3 comes back as 2); RTSTRUCT keeps ROI numbers: compare by name
      const sidecar = JSON.parse(fs.readFileSync(back.replace(/\.nii\.gz$/, '.json'), 'utf8')) as { labels: { value: number; name: string; algorithmType: string; algorithmName?: string }[] };
      assert.deepEqual(sidecar.labels.map((l) => l.name).sort(), ['Blob', 'Ring']);
      const originalValue = new Map(sidecar.labels.map((l) => [l.value, l.name === 'Ring' ? 1 : 3]));
      assert.deepEqual(Array.from(roundTrip.data, (v) => (v === 0 ? 0 : originalValue.get(v))), Array.from(original.data));
      if (format === 'rtstruct') assert.deepEqual(sidecar.labels.map((l) => l.value).sort(), [1, 3]);
      const blob = sidecar.labels.find((l) => l.name === 'Blob')!;
      if (format === 'seg') assert.deepEqual([blob.algorithmType, blob.algorithmName], ['AUTOMATIC', 'blobfinder 2.1']);
    });
  }

  test('store mode: import a mask as a version, export it as SEG and NIfTI', async () => {
    const imported = await cli('import-mask', maskFile, '--series', seriesUid, '--labels', labelsFile, '--json');
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.json.format, 'nifti');
    assert.equal(imported.json.versionNumber, 1);
    assert.deepEqual(imported.json.voxelCounts, { 1: labels.filter((v) => v === 1).length, 3: labels.filter((v) => v === 3).length });

    const seg = path.join(dir, 'stored.dcm');
    const exported = await cli('export', 'seg', '--series', String(seriesId), '--out', seg, '--json');
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.json.versionNumber, 1);
    assert.equal(exported.json.labels, 2);
    const nifti = path.join(dir, 'stored.nii.gz');
    assert.equal((await cli('export', 'nifti', '--series', seriesUid, '--version', '1', '--out', nifti)).code, 0);
    assert.deepEqual(Array.from((await readNiftiFile(nifti)).data), Array.from((await readNiftiFile(maskFile)).data));

    // the SEG imported back onto the stored series is a second version with the same voxels
    const again = await cli('import-mask', seg, '--series', seriesUid, '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.versionNumber, 2);
    assert.deepEqual(again.json.voxelCounts, imported.json.voxelCounts);
  });

  test('de-identified SEG export: no patient name, ID or original study UID survives', async () => {
    const out = path.join(dir, 'deid.dcm');
    const mapping = path.join(dir, 'mapping.json');
    const done = await cli('export', 'seg', '--series', seriesUid, '--out', out, '--deidentify', '--pseudonym', 'CASE-7', '--mapping', mapping, '--json');
    assert.equal(done.code, 0, done.stderr);
    const text = fs.readFileSync(out).toString('latin1');
    const services = createServices({ dataDir, host: 'test' });
    const study = ((await dispatch(services.handlers, 'studies.list', {}, { host: 'test' })) as { ok: true; result: { studyInstanceUid: string; patientName: string; patientId: string }[] }).result[0]!;
    await services.close();
    for (const secret of [study.studyInstanceUid, study.patientId, 'Phantom', seriesUid]) assert.ok(!text.includes(secret), `${secret} is in the de-identified file`);
    assert.ok(text.includes('CASE-7'));
    assert.ok(fs.readFileSync(mapping, 'utf8').includes(study.studyInstanceUid));
  });

  test('bad input: wrong grid, not a mask, missing version, another series — each says why, nothing stored', async () => {
    const wrong = path.join(dir, 'wrong.nii.gz');
    await writeNiftiFile(wrong, { dims: [NX, NY, NZ], spacing: [1, 1, 1], affineLps: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], voxelType: 'uint8', components: 1, data: labels });
    const refused = await cli('import-mask', wrong, '--series', seriesUid);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /wrong\.nii\.gz is not on the series grid: .*mm from the nearest mask voxel/);
    const resampled = await cli('import-mask', wrong, '--series', seriesUid, '--resample', '--json');
    assert.equal(resampled.code, 0, resampled.stderr);
    assert.equal(resampled.json.resampled, true);

    const notMask = path.join(dir, 'in', 'oblique', fs.readdirSync(path.join(dir, 'in', 'oblique'))[0]!);
    assert.match((await cli('import-mask', notMask, '--series', seriesUid)).stderr, /is DICOM but not a Segmentation or RT Structure Set/);
    assert.match((await cli('export', 'seg', '--series', seriesUid, '--version', '99', '--out', path.join(dir, 'x.dcm'))).stderr, /has no version 99/);
    assert.equal(fs.existsSync(path.join(dir, 'x.dcm')), false);

    // a SEG of another series is refused by the store import, naming both series
    const other = path.join(makeSeries(path.join(dir, 'other'), [{ name: 'other', rows: NY, cols: NX, slices: NZ }]), 'other');
    const otherMask = path.join(dir, 'other-mask.nii.gz');
    const otherImage = await readNiftiFile((await cli('convert', other, '--out', path.join(dir, 'other.nii.gz'))).code === 0 ? path.join(dir, 'other.nii.gz') : '');
    await writeNiftiFile(otherMask, { ...otherImage, voxelType: 'uint8', data: new Uint8Array(NX * NY * NZ).fill(1) });
    const otherSeg = path.join(dir, 'other-seg.dcm');
    assert.equal((await cli('export', 'seg', '--input', other, '--mask', otherMask, '--out', otherSeg)).code, 0);
    const versionsBefore = await versionCount();
    const crossed = await cli('import-mask', otherSeg, '--series', seriesUid);
    assert.equal(crossed.code, 1);
    assert.match(crossed.stderr, /other-seg\.dcm/);
    assert.equal(await versionCount(), versionsBefore);
  });

  async function versionCount(): Promise<number> {
    const services = createServices({ dataDir, host: 'test' });
    try {
      const id = services.segmentations.segmentationOfSeries(seriesId)!;
      return services.segmentations.listVersions(id).length;
    } finally {
      await services.close();
    }
  }
});
