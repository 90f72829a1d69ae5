import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/main/cli/main.js';
import { createDecoder } from '../../src/main/studies/decoder.js';
import { assembleVolume } from '../../src/main/studies/dicom/assemble-volume.js';
import { planVolumes } from '../../src/main/studies/dicom/series-builder.js';
import { scanInputs } from '../../src/main/studies/scan.js';
import { transformPoint } from '../../src/shared/geometry.js';
import { compareNifti, makeSeries, seriesValue, tempDir } from '../helpers/dicom-fixtures.js';

describe('multi-frame DICOM', () => {
  let root: string;
  before(() => {
    root = tempDir('multiframe');
    makeSeries(path.join(root, 'in'), [], { enhanced: [{ name: 'enhanced', slices: 5 }], mosaic: [{ name: 'mosaic', tiles: 5, rows: 4, cols: 3 }] });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('enhanced multi-frame (frames stored in reverse, shared rescale) converts like dcm2niix', async () => {
    const input = path.join(root, 'in', 'enhanced');
    const ours = path.join(root, 'enhanced.nii.gz');
    const errors: string[] = [];
    assert.equal(await runCli(['convert', input, '--out', ours], { stdout: () => undefined, stderr: (t) => errors.push(t), env: process.env }), 0, errors.join(''));
    const refDir = path.join(root, 'ref-enhanced');
    fs.mkdirSync(refDir);
    execFileSync('dcm2niix', ['-z', 'n', '-b', 'n', '-f', 'ref', '-o', refDir, input], { stdio: 'ignore' });
    const result = compareNifti(ours, path.join(refDir, 'ref.nii'));
    assert.deepEqual(result.shapeA, [5, 6, 5]);
    assert.deepEqual(result.shapeA, result.shapeB);
    assert.ok(result.maxAffineDiff <= 1e-3, `affine differs by ${result.maxAffineDiff}`);
    assert.equal(result.maxValueDiff, 0);
  });

  test('a Siemens mosaic is unpacked into slices at the right positions', async () => {
    const scan = await scanInputs([path.join(root, 'in', 'mosaic')], { extractDir: path.join(root, 'x') });
    assert.deepEqual(scan.skipped, []);
    const [planned] = planVolumes(scan.dicom);
    assert.ok(planned);
    assert.deepEqual(planned.plan.dims, [3, 4, 5]);
    const decoder = createDecoder(1);
    try {
      const volume = await assembleVolume(planned, decoder.decode);
      // 3×3 grid of 3×4 tiles in a 9×12 frame: tile 0's corner is 3 columns (2.1 mm) and 4 rows (3.2 mm) in
      assert.deepEqual(transformPoint(volume.affineLps, [0, 0, 0]).map((v) => Math.round(v * 1e6) / 1e6), [-7.9, -16.8, 30]);
      assert.deepEqual(transformPoint(volume.affineLps, [0, 0, 4]).map((v) => Math.round(v * 1e6) / 1e6), [-7.9, -16.8, 42]);
      for (const [c, r, t] of [[0, 0, 0], [2, 3, 4], [1, 2, 3]] as const) {
        assert.equal(volume.data[(t * 4 + r) * 3 + c], seriesValue(c, r, t, false), `tile ${t} voxel ${c},${r}`);
      }
    } finally {
      await decoder.close();
    }
  });
});
