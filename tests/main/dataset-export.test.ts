// Training-dataset export over a real store: accepted cases only, nnU-Net v2 layout and dataset.json,
// each label map on its image's grid (nibabel), MONAI datalist folds, label consistency (errors naming
// both cases, or renumbering by name), no patient identifier in any byte written, the mapping file only
// when asked and never inside the dataset, and nothing left behind by a failed or cancelled export.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { assignFolds, exportDataset } from '../../src/main/interchange/dataset-export.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import type { SeriesSummary, StudySummary } from '../../src/shared/studies.js';
import { compareNifti, DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { accept, call, importSeries, rasOf, readNifti, saveLabels, segment } from '../helpers/mask-exports.js';

const SERIES = [
  { name: 'a', slices: 4, rows: 5, cols: 6 },
  { name: 'b', slices: 5, rows: 6, cols: 7, orientation: [0.9848077, 0.1736482, 0, -0.1736482, 0.9848077, 0], slice_step: -3.0, spacing: [1.1, 0.6] },
  { name: 'c', slices: 3, rows: 5, cols: 5, spacing: [0.5, 0.9], slice_step: 4.0 },
  { name: 'd', slices: 3, rows: 4, cols: 4 },
  { name: 'e', slices: 3, rows: 4, cols: 4 },
  { name: 'f', slices: 3, rows: 4, cols: 4 },
  { name: 'h', slices: 3, rows: 4, cols: 4 },
  { name: 'mr', modality: 'MR', slices: 3, rows: 4, cols: 4, signed: false },
];
const LIVER = segment(1, 'Liver');
const SPLEEN = segment(2, 'Spleen');
const BIRTH_DATE = '19580317';

const voxelsOf = (s: SeriesSummary) => s.dims[0] * s.dims[1] * s.dims[2];
/** Liver and spleen in every case, placed differently per case. */
function organs(s: SeriesSummary, shift: number): Uint8Array {
  const labels = new Uint8Array(voxelsOf(s));
  for (let n = 0; n < labels.length; n++) labels[n] = (n + shift) % 4 === 0 ? 1 : (n + shift) % 5 === 0 ? 2 : 0;
  return labels;
}
const only = (s: SeriesSummary, value: number) => new Uint8Array(voxelsOf(s)).map((_, n) => (n % 3 === 0 ? value : 0));

/** Every file under a folder, recursively, relative to it. */
function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe('training dataset export (nnU-Net v2 + MONAI datalist)', () => {
  let root: string;
  let services: AppServices;
  let series: Map<string, SeriesSummary>;
  const seg: Record<string, { id: number; labels: Uint8Array }> = {};
  const rejects = (p: Promise<unknown>, code: string, message: RegExp) => assert.rejects(p, (err: Error & { code?: string }) => err.code === code && message.test(err.message));
  const out = (name: string) => path.join(root, 'out', name);
  const noLeftovers = () => assert.deepEqual(fs.readdirSync(path.join(root, 'out')).filter((n) => n.includes('partial') || n.endsWith('.tmp')), [], 'no temporary folder or file left');

  before(async () => {
    root = tempDir('dataset-export');
    makeSeries(path.join(root, 'in'), SERIES.map((s) => ({ ...s, patient_name: `Secret^Patient${s.name.toUpperCase()}` })));
    // identifiers the fixture does not write: a birth date and a patient ID per series
    execFileSync(DEBIAN_PYTHON, [
      '-c',
      `import sys, os, pydicom
for folder in os.listdir(sys.argv[1]):
    for f in os.listdir(os.path.join(sys.argv[1], folder)):
        p = os.path.join(sys.argv[1], folder, f)
        ds = pydicom.dcmread(p); ds.PatientBirthDate = '${BIRTH_DATE}'; ds.PatientID = 'MRN-' + folder.upper() + '-77'; ds.save_as(p)`,
      path.join(root, 'in'),
    ]);
    fs.mkdirSync(path.join(root, 'out'));
    services = createServices({ dataDir: path.join(root, 'data'), host: 'test', author: 'Ann' });
    series = await importSeries(services, [path.join(root, 'in')]);
    const save = async (name: string, labels: Uint8Array, segments = [LIVER, SPLEEN]) => {
      seg[name] = { id: (await saveLabels(services, series.get(name)!, labels, segments)).id, labels };
    };
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      await save(name, organs(series.get(name)!, i));
      await accept(services, seg[name]!.id);
    }
    await save('d', only(series.get('d')!, 2)); // draft: left out by default
    await save('e', organs(series.get('e')!, 0), [segment(2, 'Liver'), segment(1, 'Spleen')]); // values swapped
    await save('f', only(series.get('f')!, 2));
    await save('h', new Uint8Array(voxelsOf(series.get('h')!)));
    await save('mr', organs(series.get('mr')!, 0));
  });

  after(async () => {
    await services.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('3 accepted cases (the draft left out): layout, dataset.json, grids, labels, folds, progress', async () => {
    const outDir = out('Dataset501_Liver');
    const progress: [number, string | undefined][] = [];
    const result = await exportDataset(services, { outDir, name: 'Dataset501_Liver', folds: 3 }, { onProgress: (f, m) => progress.push([f, m]) });
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.cases.map((c) => [c.caseId, c.segmentationId]), [['Liver_001', seg.a!.id], ['Liver_002', seg.b!.id], ['Liver_003', seg.c!.id]]);
    assert.deepEqual(listFiles(outDir), [
      'datalist.json',
      'dataset.json',
      'imagesTr/Liver_001_0000.nii.gz',
      'imagesTr/Liver_002_0000.nii.gz',
      'imagesTr/Liver_003_0000.nii.gz',
      'labelsTr/Liver_001.nii.gz',
      'labelsTr/Liver_002.nii.gz',
      'labelsTr/Liver_003.nii.gz',
    ]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(outDir, 'dataset.json'), 'utf8')), {
      channel_names: { '0': 'CT' },
      labels: { background: 0, Liver: 1, Spleen: 2 },
      numTraining: 3,
      file_ending: '.nii.gz',
    });
    const datalist = JSON.parse(fs.readFileSync(path.join(outDir, 'datalist.json'), 'utf8')) as { training: { image: string; label: string; fold: number }[] };
    assert.deepEqual(datalist.training.map((t) => [t.image, t.label]), [1, 2, 3].map((n) => [`imagesTr/Liver_00${n}_0000.nii.gz`, `labelsTr/Liver_00${n}.nii.gz`]));
    assert.deepEqual(datalist.training.map((t) => t.fold).sort(), [0, 1, 2], 'three folds of one case each');
    assert.deepEqual(datalist.training.map((t) => t.fold), assignFolds(3, 3, 'Dataset501_Liver'), 'the same folds every time for this dataset');
    assert.deepEqual(progress.map(([f]) => Math.round(f * 100)), [0, 33, 67, 100]);
    assert.equal(progress[1]![1], 'Case 2 of 3');

    for (const [n, name] of ['a', 'b', 'c'].entries()) {
      const s = series.get(name)!;
      const image = path.join(outDir, `imagesTr/Liver_00${n + 1}_0000.nii.gz`);
      const label = path.join(outDir, `labelsTr/Liver_00${n + 1}.nii.gz`);
      const grid = compareNifti(label, image);
      assert.deepEqual(grid.shapeA, grid.shapeB, `case ${n + 1}: label and image shapes`);
      assert.ok(grid.maxAffineDiff <= 1e-6, `case ${n + 1}: label affine differs from the image's by ${grid.maxAffineDiff}`);
      assert.deepEqual(grid.shapeA, [...s.dims]);
      const points: [number, number, number][] = [];
      for (let k = 0; k < s.dims[2]; k++) for (let j = 0; j < s.dims[1]; j++) for (let i = 0; i < s.dims[0]; i++) points.push(rasOf(s, i, j, k));
      const read = readNifti(label, points);
      assert.deepEqual(read.values, [...seg[name]!.labels], `case ${n + 1}: every label voxel at its world position`);
      assert.equal(read.descrip, 'Delineate dataset label map');
      assert.equal(read.intentName, '');
    }
  });

  test('no patient name, ID, birth date or UID in any byte written (NIfTI decompressed)', async () => {
    const outDir = out('Dataset501_Liver');
    const studies = await call<StudySummary[]>(services, 'studies.list', {});
    const needles = ['Secret^Patient', 'MRN-', BIRTH_DATE, 'PHANTOM', ...studies.flatMap((st) => [st.studyInstanceUid, ...st.series.map((s) => s.seriesInstanceUid)])];
    assert.ok(needles.length > 10);
    for (const file of listFiles(outDir)) {
      const raw = fs.readFileSync(path.join(outDir, file));
      const bytes = file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw;
      for (const needle of needles) assert.equal(bytes.includes(Buffer.from(needle)), false, `${file} contains ${needle}`);
    }
  });

  test('the mapping file: only when asked, outside the dataset, linking case ids to patients', async () => {
    assert.deepEqual(fs.readdirSync(path.join(root, 'out')), ['Dataset501_Liver'], 'no mapping file when not asked');
    const outDir = out('Dataset502_Liver');
    await rejects(exportDataset(services, { outDir, name: 'Dataset502_Liver', folds: 3, mappingFile: path.join(outDir, 'mapping.json') }), 'invalid_params', /cannot go inside the dataset/);
    await rejects(exportDataset(services, { outDir, name: 'Dataset502_Liver', folds: 3, mappingFile: outDir }), 'invalid_params', /cannot go inside the dataset/);
    assert.equal(fs.existsSync(outDir), false);
    const mappingFile = path.join(root, 'private', 'mapping.json');
    fs.mkdirSync(path.dirname(mappingFile));
    const result = await exportDataset(services, { outDir, name: 'Dataset502_Liver', folds: 2, mappingFile });
    assert.equal(result.mappingFile, mappingFile);
    const mapping = JSON.parse(fs.readFileSync(mappingFile, 'utf8')) as { cases: { caseId: string; patientId: string; patientName: string; seriesInstanceUid: string; studyInstanceUid: string }[] };
    assert.deepEqual(mapping.cases.map((c) => [c.caseId, c.patientId, c.patientName, c.seriesInstanceUid]), ['a', 'b', 'c'].map((name, n) => [`Liver_00${n + 1}`, `MRN-${name.toUpperCase()}-77`, `Secret^Patient${name.toUpperCase()}`, series.get(name)!.seriesInstanceUid]));
    assert.ok(mapping.cases.every((c) => /^[0-9.]+$/.test(c.studyInstanceUid)));
    assert.equal(fs.statSync(mappingFile).mode & 0o777, 0o600);
    assert.ok(!listFiles(outDir).some((f) => f.includes('mapping')));
    noLeftovers();
  });

  test('label disagreement between cases is an error naming both; remapLabels numbers labels by name', async () => {
    const outDir = out('Dataset503_Mixed');
    await rejects(
      exportDataset(services, { outDir, name: 'Dataset503_Mixed', folds: 2, segmentationIds: [seg.a!.id, seg.e!.id] }),
      'invalid_input',
      /Label "Spleen" is value 2 in case Mixed_001 but value 1 in case Mixed_002.*remapLabels/,
    );
    assert.equal(fs.existsSync(outDir), false, 'nothing written');
    noLeftovers();
    const result = await exportDataset(services, { outDir, name: 'Dataset503_Mixed', folds: 2, segmentationIds: [seg.a!.id, seg.e!.id], remapLabels: true });
    assert.deepEqual(result.labels, { background: 0, Liver: 1, Spleen: 2 });
    assert.match(result.warnings.join(), /Mixed_002 \(segmentation \d+\) is draft, not accepted/);
    // case e stored Liver as 2 and Spleen as 1: its file now says 1 and 2
    const stored = seg.e!.labels;
    const counts = readNifti(path.join(outDir, 'labelsTr/Mixed_002.nii.gz')).counts;
    assert.deepEqual(counts, { '0': stored.filter((v) => v === 0).length, '1': stored.filter((v) => v === 2).length, '2': stored.filter((v) => v === 1).length });
  });

  test('gaps in label values are refused unless renumbered; mixed modalities, empty masks and bad parameters are refused', async () => {
    const ids = (...names: string[]) => names.map((n) => seg[n]!.id);
    const outDir = out('Dataset504_Spleen');
    await rejects(exportDataset(services, { outDir, name: 'Dataset504_Spleen', folds: 2, segmentationIds: ids('d', 'f') }), 'invalid_input', /label values 1\.\.1 without gaps.*remapLabels/);
    fs.mkdirSync(outDir); // an existing empty folder is fine
    const remapped = await exportDataset(services, { outDir, name: 'Dataset504_Spleen', folds: 2, segmentationIds: ids('d', 'f'), remapLabels: true });
    assert.deepEqual(remapped.labels, { background: 0, Spleen: 1 });
    assert.deepEqual(Object.keys(readNifti(path.join(outDir, 'labelsTr/Spleen_001.nii.gz')).counts), ['0', '1']);

    const fresh = out('Dataset505_X');
    await rejects(exportDataset(services, { outDir: fresh, name: 'Dataset505_X', folds: 2, segmentationIds: ids('a', 'mr') }), 'invalid_input', /Case X_001 is CT but case X_002 \(segmentation \d+\) is MR/);
    await rejects(exportDataset(services, { outDir: fresh, name: 'Dataset505_X', folds: 2, segmentationIds: ids('a', 'h') }), 'invalid_input', /Case X_002 \(segmentation \d+, version 1\) has an empty label map/);
    await rejects(exportDataset(services, { outDir: fresh, name: 'Dataset505_X', segmentationIds: ids('a', 'b') }), 'invalid_params', /2 cases cannot be split into 5 folds/);
    await rejects(exportDataset(services, { outDir: fresh, name: 'Dataset505_X', segmentationIds: [seg.a!.id, seg.a!.id] }), 'invalid_params', /listed twice/);
    await rejects(exportDataset(services, { outDir: fresh, name: 'Dataset505_X', folds: 2, segmentationIds: [seg.a!.id, 9999] }), 'not_found', /No segmentation 9999/);
    for (const name of ['Liver', 'Dataset01_Liver', 'Dataset000_Liver', 'Dataset501_', 'Dataset501_Li ver'])
      await rejects(exportDataset(services, { outDir: fresh, name }), 'invalid_params', /not nnU-Net's DatasetXXX_Name/);
    await rejects(exportDataset(services, { outDir: out('Dataset501_Liver'), name: 'Dataset501_Liver', folds: 3 }), 'invalid_params', /is not empty/);
    assert.equal(fs.existsSync(fresh), false);
    noLeftovers();
  });

  test('cancel: no dataset folder, no temporary folder, no mapping file', async () => {
    const outDir = out('Dataset506_Cancel');
    const mappingFile = path.join(root, 'cancel-mapping.json');
    const abort = new AbortController();
    await rejects(
      exportDataset(services, { outDir, name: 'Dataset506_Cancel', folds: 3, mappingFile }, { signal: abort.signal, onProgress: (f) => f > 0.5 && abort.abort() }),
      'cancelled',
      /cancelled/,
    );
    assert.equal(fs.existsSync(outDir), false);
    assert.equal(fs.existsSync(mappingFile), false);
    noLeftovers();
  });

  test('folds: balanced, deterministic per dataset name', () => {
    for (const [count, folds] of [[10, 5], [7, 3], [2, 2], [23, 5]] as const) {
      const assigned = assignFolds(count, folds, 'Dataset001_X');
      const sizes = Array.from({ length: folds }, (_, f) => assigned.filter((a) => a === f).length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} in ${folds}: ${sizes}`);
      assert.deepEqual(assignFolds(count, folds, 'Dataset001_X'), assigned);
    }
    assert.notDeepEqual(assignFolds(23, 5, 'Dataset001_X'), assignFolds(23, 5, 'Dataset002_Y'), 'another dataset, another shuffle');
  });
});
