// NIfTI export of stored versions over a real store: DICOM series (axial, oblique, double-oblique,
// anisotropic) export on dcm2niix's grid and affine (nibabel, 1e-3 mm), every voxel of the label map at
// its world position, the image equal to dcm2niix's; NIfTI-imported series keep the source affine; the
// sidecar is a valid LABELS.json carrying how the mask was made and nothing about the patient.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { exportVersionNifti } from '../../src/main/interchange/nifti-export.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { LabelsFileSchema } from '../../src/shared/interchange.js';
import { maskLabelsOf } from '../../src/shared/interchange/mask-labels.js';
import type { SeriesSummary } from '../../src/shared/studies.js';
import { compareNifti, DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { call, importSeries, rasOf, readNifti, saveLabels, segment } from '../helpers/mask-exports.js';

const DICOM = [
  { name: 'axial', slices: 6, rows: 7, cols: 5 },
  { name: 'oblique', slices: 5, rows: 6, cols: 7, orientation: [0.9848077, 0.1736482, 0, -0.1736482, 0.9848077, 0], slice_step: -3.0, spacing: [1.1, 0.6] },
  { name: 'double-oblique', modality: 'MR', slices: 4, rows: 5, cols: 6, orientation: [0.8, 0.6, 0, -0.36, 0.48, 0.8], slice_step: 1.7, spacing: [0.9, 1.3], signed: false },
  { name: 'unsaved', slices: 2, rows: 3, cols: 3 },
  { name: 'wide', slices: 2, rows: 3, cols: 4 },
];

/** A label map with both labels scattered, different in every row, column and slice. */
function pattern(series: SeriesSummary): Uint8Array {
  const [nx, ny, nz] = series.dims;
  const labels = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) labels[(k * ny + j) * nx + i] = (i + 2 * j + 3 * k) % 5 === 0 ? 1 : (i * j + k) % 7 === 3 ? 2 : 0;
  return labels;
}

/** Every voxel's world position and expected value. */
function everyVoxel(series: SeriesSummary, labels: Uint8Array): { points: [number, number, number][]; expected: number[] } {
  const [nx, ny, nz] = series.dims;
  const points: [number, number, number][] = [];
  const expected: number[] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        points.push(rasOf(series, i, j, k));
        expected.push(labels[(k * ny + j) * nx + i]!);
      }
  return { points, expected };
}

const LIVER = segment(1, 'Liver', { category: { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' }, type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' } });
const SPLEEN = segment(2, 'Spleen');

describe('NIfTI export of a stored version', () => {
  let root: string;
  let services: AppServices;
  let series: Map<string, SeriesSummary>;
  let niftiSource: string;

  before(async () => {
    root = tempDir('nifti-export');
    makeSeries(path.join(root, 'in'), DICOM);
    // a NIfTI source with an oblique, anisotropic affine, written by nibabel
    niftiSource = path.join(root, 'nifti', 'mr-source.nii.gz');
    fs.mkdirSync(path.dirname(niftiSource));
    execFileSync(DEBIAN_PYTHON, [
      '-c',
      `import sys, numpy as np, nibabel as nib
a = np.array([[0.9, -0.3, 0.1, -40.5], [0.25, 1.4, 0.2, 12.25], [-0.05, -0.1, 2.5, 7.0], [0, 0, 0, 1]])
d = (np.arange(5 * 4 * 3).reshape(5, 4, 3) * 7 - 100).astype(np.int16)
nib.Nifti1Image(d, a).to_filename(sys.argv[1])`,
      niftiSource,
    ]);
    services = createServices({ dataDir: path.join(root, 'data'), host: 'test', author: 'Ann' });
    series = await importSeries(services, [path.join(root, 'in'), niftiSource]);
  });

  after(async () => {
    await services.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const spec of DICOM.slice(0, 3)) {
    test(`${spec.name}: dcm2niix's grid and affine, every label voxel in place, the image equal to dcm2niix's`, async () => {
      const s = series.get(spec.name)!;
      const labels = pattern(s);
      const saved = await saveLabels(services, s, labels, [LIVER, SPLEEN]);
      const out = path.join(root, `${spec.name}-labels.nii.gz`);
      const imageOut = path.join(root, `${spec.name}-image.nii.gz`);
      const progress: number[] = [];
      const result = await exportVersionNifti(services, { segmentationId: saved.id, out, imageOut }, { onProgress: (f) => progress.push(f) });
      assert.equal(result.versionId, saved.versionId, 'the head version by default');
      assert.equal(result.sidecar, path.join(root, `${spec.name}-labels.json`));
      assert.equal(result.labels, 2);
      assert.deepEqual(progress.at(-1), 1);

      const refDir = path.join(root, `ref-${spec.name}`);
      fs.mkdirSync(refDir);
      execFileSync('dcm2niix', ['-z', 'n', '-b', 'n', '-f', 'ref', '-o', refDir, path.join(root, 'in', spec.name)], { stdio: 'ignore' });
      const ref = path.join(refDir, 'ref.nii');
      const labelVsRef = compareNifti(out, ref);
      assert.deepEqual(labelVsRef.shapeA, labelVsRef.shapeB);
      assert.ok(labelVsRef.maxAffineDiff <= 1e-3, `label affine differs from dcm2niix's by ${labelVsRef.maxAffineDiff} mm`);
      const imageVsRef = compareNifti(imageOut, ref);
      assert.ok(imageVsRef.maxAffineDiff <= 1e-3, `image affine differs by ${imageVsRef.maxAffineDiff} mm`);
      assert.equal(imageVsRef.maxValueDiff, 0, 'the image voxels are dcm2niix’s');

      const { points, expected } = everyVoxel(s, labels);
      const read = readNifti(out, points);
      assert.equal(read.dtype, 'uint8');
      assert.deepEqual(read.values, expected, 'every voxel of the label map at its world position');
      assert.deepEqual(read.shape, [...s.dims]);
      assert.deepEqual(result.affine.map((v) => Math.round(v * 1e4) / 1e4), read.affine.flat().map((v) => Math.round(v * 1e4) / 1e4), 'the result reports the affine written');
      assert.equal(read.descrip, 'Delineate label map');

      const sidecar = LabelsFileSchema.parse(JSON.parse(fs.readFileSync(result.sidecar, 'utf8')));
      assert.deepEqual(sidecar.labels, [
        { value: 1, name: 'Liver', color: [10, 100, 200], category: LIVER.category, type: LIVER.type, algorithmType: 'MANUAL' },
        { value: 2, name: 'Spleen', color: [20, 100, 200], algorithmType: 'MANUAL' },
      ]);
      const everything = Buffer.concat([zlib.gunzipSync(fs.readFileSync(out)), fs.readFileSync(result.sidecar)]);
      for (const needle of ['Test^Phantom', 'PHANTOM-1', s.seriesInstanceUid, 'Ann']) assert.equal(everything.includes(Buffer.from(needle)), false, `no ${needle}`);
    });
  }

  test('an AI version: AUTOMATIC with the model name; a value no segment declares still gets a label; older versions stay exportable', async () => {
    const s = series.get('axial')!;
    const id = (await call<{ id: number }>(services, 'segmentation.open', { seriesId: s.id })).id;
    const manual = services.segmentations.listVersions(id).at(-1)!;
    const labels = new Uint8Array(s.dims[0] * s.dims[1] * s.dims[2]);
    labels[0] = 1;
    labels[labels.length - 1] = 3;
    const { version } = services.segmentations.addVersion(
      id,
      labels,
      { name: 'AI', source: 'ai', provenance: { modelId: 'liver-net', modelVersion: '1.2.0' }, segments: [segment(1, 'Liver')] },
      { dims: s.dims },
    );
    const out = path.join(root, 'ai.nii');
    const result = await exportVersionNifti(services, { segmentationId: id, out });
    assert.equal(result.versionId, version.id);
    assert.deepEqual(LabelsFileSchema.parse(JSON.parse(fs.readFileSync(path.join(root, 'ai.json'), 'utf8'))).labels, [
      { value: 1, name: 'Liver', color: [10, 100, 200], algorithmType: 'AUTOMATIC', algorithmName: 'liver-net 1.2.0' },
      { value: 3, name: 'Segment 3', color: [177, 122, 101], algorithmType: 'AUTOMATIC', algorithmName: 'liver-net 1.2.0' },
    ]);
    assert.deepEqual(readNifti(out).counts, { '0': labels.length - 2, '1': 1, '3': 1 });
    const older = await exportVersionNifti(services, { segmentationId: id, versionId: manual.id, out: path.join(root, 'older.nii.gz') });
    assert.deepEqual(readNifti(older.out).counts['2'] !== undefined, true, 'the manual version, with its label 2');
  });

  test('a 16-bit label map is written as uint16 with its values', async () => {
    const s = series.get('wide')!;
    const id = (await call<{ id: number }>(services, 'segmentation.open', { seriesId: s.id })).id;
    // no contract call makes a 16-bit segmentation yet; the store's schema has them
    services.db.prepare("UPDATE segmentations SET label_type = 'uint16' WHERE id = ?").run(id);
    const labels = new Uint16Array(s.dims[0] * s.dims[1] * s.dims[2]);
    labels[1] = 300;
    labels[5] = 65535;
    const bytes = new Uint8Array(labels.buffer);
    const { version } = services.segmentations.addVersion(id, bytes, { name: 'wide', source: 'import', provenance: { sourceFile: 'x.nii' }, segments: [segment(300, 'Wide', { color: [1, 2, 3] }), segment(65535, 'Widest', { color: [4, 5, 6] })] }, { dims: s.dims });
    const out = path.join(root, 'wide.nii.gz');
    await exportVersionNifti(services, { segmentationId: id, versionId: version.id, out });
    const read = readNifti(out);
    assert.equal(read.dtype, 'uint16');
    assert.deepEqual(read.counts, { '0': labels.length - 2, '300': 1, '65535': 1 });
    const sidecar = LabelsFileSchema.parse(JSON.parse(fs.readFileSync(path.join(root, 'wide.json'), 'utf8')));
    assert.deepEqual(sidecar.labels.map((l) => [l.value, l.name, l.algorithmType]), [[300, 'Wide', 'MANUAL'], [65535, 'Widest', 'MANUAL']]);
  });

  test('a NIfTI-imported series keeps its source affine and voxels', async () => {
    const s = series.get('mr-source')!;
    const labels = pattern(s);
    const saved = await saveLabels(services, s, labels, [LIVER, SPLEEN]);
    const out = path.join(root, 'nifti-labels.nii.gz');
    const imageOut = path.join(root, 'nifti-image.nii');
    await exportVersionNifti(services, { segmentationId: saved.id, out, imageOut });
    const source = readNifti(niftiSource);
    const { points, expected } = everyVoxel(s, labels);
    const read = readNifti(out, points);
    assert.deepEqual(read.shape, source.shape);
    const diff = Math.max(...read.affine.flat().map((v, i) => Math.abs(v - source.affine.flat()[i]!)));
    assert.ok(diff <= 1e-5, `affine differs from the source's by ${diff}`);
    assert.deepEqual(read.values, expected);
    const image = compareNifti(imageOut, niftiSource);
    assert.equal(image.maxValueDiff, 0);
    assert.ok(image.maxAffineDiff <= 1e-5);
  });

  test('bad requests get specific errors; a cancelled export leaves no file', async () => {
    const rejects = (p: Promise<unknown>, code: string, message: RegExp) => assert.rejects(p, (err: Error & { code?: string }) => err.code === code && message.test(err.message));
    const axial = (await call<{ id: number }>(services, 'segmentation.open', { seriesId: series.get('axial')!.id })).id;
    const unsaved = (await call<{ id: number }>(services, 'segmentation.open', { seriesId: series.get('unsaved')!.id })).id;
    const other = (await call<{ id: number }>(services, 'segmentation.open', { seriesId: series.get('oblique')!.id })).id;
    const otherVersion = services.segmentations.listVersions(other)[0]!.id;
    const out = path.join(root, 'err.nii.gz');
    await rejects(exportVersionNifti(services, { segmentationId: 9999, out }), 'not_found', /No segmentation 9999/);
    await rejects(exportVersionNifti(services, { segmentationId: axial, versionId: otherVersion, out }), 'not_found', new RegExp(`has no version ${otherVersion}`));
    await rejects(exportVersionNifti(services, { segmentationId: unsaved, out }), 'invalid_input', /has no saved version yet/);
    await rejects(exportVersionNifti(services, { segmentationId: axial, out: path.join(root, 'labels.png') }), 'invalid_params', /\.nii or \.nii\.gz, not labels\.png/);
    await rejects(exportVersionNifti(services, { segmentationId: axial, out, imageOut: out }), 'invalid_params', /different file names/);
    await rejects(exportVersionNifti(services, { segmentationId: axial, out: path.join(root, 'missing', 'x.nii') }), 'not_found', /does not exist/);
    const abort = new AbortController();
    abort.abort();
    await rejects(exportVersionNifti(services, { segmentationId: axial, out }, { signal: abort.signal }), 'cancelled', /cancelled/);
    assert.equal(fs.existsSync(out), false);
    assert.equal(fs.existsSync(path.join(root, 'err.json')), false);
  });

  test('maskLabelsOf: algorithm type by source, names made valid for DICOM', () => {
    const segs = [segment(2, ''), segment(1, `  ${'x'.repeat(80)}  `)];
    assert.deepEqual(
      maskLabelsOf(segs, 'manual', {}).map((l) => [l.value, l.name.length, l.name.slice(0, 9), l.algorithmType, l.algorithmName]),
      [
        [1, 64, 'xxxxxxxxx', 'MANUAL', undefined],
        [2, 9, 'Segment 2', 'MANUAL', undefined],
      ],
    );
    assert.deepEqual(maskLabelsOf(segs, 'merge', { mergedFrom: [1, 2] }).map((l) => [l.algorithmType, l.algorithmName]), [['SEMIAUTOMATIC', 'Delineate merge'], ['SEMIAUTOMATIC', 'Delineate merge']]);
    assert.deepEqual(maskLabelsOf(segs, 'import', { sourceFile: '/x/seg.dcm' })[0]!.algorithmType, 'MANUAL');
    assert.deepEqual(maskLabelsOf(segs, 'import', { modelId: 'TotalSegmentator', modelVersion: '2' })[0]!.algorithmName, 'TotalSegmentator 2');
    assert.deepEqual(maskLabelsOf(segs, 'ai', { modelId: 'm'.repeat(70), modelVersion: '1' })[0]!.algorithmName!.length, 64);
    assert.deepEqual(maskLabelsOf(segs, 'ai', {})[0]!.algorithmName, 'unknown model');
    for (const labels of [maskLabelsOf(segs, 'ai', { modelId: 'a' }), maskLabelsOf(segs, 'manual', {})]) LabelsFileSchema.parse({ labels });
  });
});
