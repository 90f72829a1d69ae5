import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/main/cli/main.js';
import { compareNifti, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

/**
 * `delineate convert` against dcm2niix (Debian's) on the same series: same dims, affine within
 * 1e-3 mm, identical voxel values as nibabel reads both. Gantry-tilted and gapped series are left
 * out on purpose: dcm2niix resamples those, we keep the acquired voxels with an exact affine.
 */
const SERIES = [
  { name: 'axial-shuffled', slices: 7, rows: 6, cols: 5, shuffle: true, intercept: -1024 },
  { name: 'oblique', slices: 6, rows: 5, cols: 7, orientation: [0.9848077, 0.1736482, 0, -0.1736482, 0.9848077, 0], slice_step: -3.0 },
  { name: 'coronal', slices: 5, rows: 6, cols: 4, orientation: [1, 0, 0, 0, 0, -1], spacing: [1.1, 0.9] },
  { name: 'sagittal', modality: 'MR', slices: 5, rows: 6, cols: 4, orientation: [0, 1, 0, 0, 0, -1], signed: false },
  { name: 'double-oblique', slices: 4, rows: 5, cols: 5, orientation: [0.8, 0.6, 0, -0.36, 0.48, 0.8], slice_step: 1.7 },
  { name: 'rescaled-float', modality: 'MR', slices: 4, rows: 4, cols: 3, signed: false, slope: 0.25, intercept: 3.5 },
  { name: 'monochrome1', slices: 3, rows: 4, cols: 4, photometric: 'MONOCHROME1', signed: false, bits_stored: 12 },
];

describe('convert matches dcm2niix', () => {
  let root: string;
  before(() => {
    root = tempDir('convert');
    makeSeries(path.join(root, 'in'), SERIES);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const spec of SERIES) {
    test(spec.name, async () => {
      const input = path.join(root, 'in', spec.name);
      const ours = path.join(root, `${spec.name}.nii.gz`);
      const errors: string[] = [];
      const code = await runCli(['convert', input, '--out', ours, '--json'], { stdout: () => undefined, stderr: (t) => errors.push(t), env: process.env });
      assert.equal(code, 0, errors.join(''));
      const refDir = path.join(root, `ref-${spec.name}`);
      fs.mkdirSync(refDir);
      execFileSync('dcm2niix', ['-z', 'n', '-b', 'n', '-f', 'ref', '-o', refDir, input], { stdio: 'ignore' });
      const result = compareNifti(ours, path.join(refDir, 'ref.nii'));
      assert.deepEqual(result.shapeA, result.shapeB);
      assert.ok(result.maxAffineDiff <= 1e-3, `affine differs by ${result.maxAffineDiff} mm`);
      assert.equal(result.maxValueDiff, 0, `voxels differ by up to ${result.maxValueDiff}`);
    });
  }
});
