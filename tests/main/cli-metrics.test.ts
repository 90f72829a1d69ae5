// `delineate metrics A B` on real NIfTI label files: exact figures for two offset boxes, and clear
// errors for files that are not comparable label maps.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import type { Vec3, VoxelArray, VoxelType } from '../../src/shared/volume.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

const dir = tempDir('metrics');
const dims: Vec3 = [20, 10, 4];
const spacing: Vec3 = [0.5, 0.5, 2];
const affineLps = [0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];

/** Label 1 fills columns [i0, i1] of every row and slice; label 2 is one fixed voxel. */
async function labelFile(name: string, i0: number, i1: number, options: { type?: VoxelType; dims?: Vec3; value?: number } = {}): Promise<string> {
  const d = options.dims ?? dims;
  const data = new (options.type === 'float32' ? Float32Array : Uint8Array)(d[0] * d[1] * d[2]) as VoxelArray;
  for (let index = 0; index < data.length; index++) {
    const i = index % d[0];
    if (i >= i0 && i <= i1) data[index] = options.value ?? 1;
  }
  data[0] = 2;
  const file = path.join(dir, name);
  await writeNiftiFile(file, { dims: d, spacing, affineLps, voxelType: options.type ?? 'uint8', components: 1, data });
  return file;
}

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['metrics', ...argv], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

describe('delineate metrics', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('two boxes offset by two columns: exact overlap figures per label, in JSON and as a table', async () => {
    const a = await labelFile('a.nii.gz', 4, 11); // 8 columns
    const b = await labelFile('b.nii', 6, 13); // 8 columns, 6 shared
    const { code, stdout } = await cli(a, b, '--json');
    assert.equal(code, 0);
    const result = JSON.parse(stdout) as { labels: { label: number; dice: number; iou: number; sensitivity: number; specificity: number; volumeAMl: number; truePositives: number }[] };
    const one = result.labels.find((l) => l.label === 1)!;
    const perColumn = 10 * 4; // rows × slices
    assert.equal(one.truePositives, 6 * perColumn);
    assert.equal(one.dice, 6 / 8);
    assert.equal(one.iou, 6 / 10);
    assert.equal(one.sensitivity, 6 / 8);
    // negatives of A for label 1: the other 12 columns (label 2's voxel among them); B takes 2 of them
    assert.equal(one.specificity, (12 * perColumn - 2 * perColumn) / (12 * perColumn));
    assert.equal(one.volumeAMl, (8 * perColumn * 0.5 * 0.5 * 2) / 1000);
    assert.equal(result.labels.find((l) => l.label === 2)!.dice, 1);
    const table = await cli(a, b);
    assert.match(table.stdout, /^label +dice/);
    assert.match(table.stdout, /\n +1 +0\.7500 +0\.6000/);
    assert.deepEqual((JSON.parse((await cli(a, b, '--labels', '2', '--json')).stdout) as { labels: { label: number }[] }).labels.map((l) => l.label), [2]);
  });

  test('files that cannot be compared are refused with what is wrong', async () => {
    const a = await labelFile('c.nii', 4, 11);
    const other = await labelFile('d.nii', 4, 11, { dims: [20, 10, 5] });
    const fractional = await labelFile('e.nii', 4, 11, { type: 'float32', value: 1.5 });
    let r = await cli(a, other);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /c\.nii \(20×10×4\) and d\.nii \(20×10×5\) are not on the same grid/);
    r = await cli(a, fractional);
    assert.match(r.stderr, /e\.nii: voxel \d+ holds 1\.5; label values are whole numbers/);
    r = await cli(a);
    assert.equal(r.code, 2);
    r = await cli(a, path.join(dir, 'missing.nii'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.nii/);
  });
});
