import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../src/shared/errors.js';
import type { MaskLabel } from '../../src/shared/interchange.js';
import { traceContours } from '../../src/shared/interchange/contours.js';
import { buildRtstruct } from '../../src/main/interchange/rtstruct-export.js';
import { readRtstruct } from '../../src/main/interchange/rtstruct-import.js';
import { toSourceSeries, type SourceSeries } from '../../src/main/interchange/source-series.js';
import { readDicomInstance } from '../../src/main/studies/dicom/read-header.js';
import { planVolumes } from '../../src/main/studies/dicom/series-builder.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { random } from '../helpers/random.js';

/**
 * RTSTRUCT export → file → import on synthetic series (axial; double-oblique and anisotropic; one
 * with a missing slice; an enhanced multi-frame one, frames stored in reverse), with organ-like masks: noisy ellipsoids, a hollow organ, labels that touch,
 * a small lesion inside another organ. Checked by our reader (voxel-exact), by pydicom (attributes,
 * contour counts, every point on its referenced image's plane), dcmdump and dciodvfy.
 */
const SERIES = [
  { name: 'axial', rows: 64, cols: 56, slices: 24, spacing: [0.8, 0.7], slice_step: 2.5 },
  { name: 'oblique', rows: 48, cols: 60, slices: 20, spacing: [1.1, 0.6], orientation: [0.8, 0.6, 0, -0.36, 0.48, 0.8], slice_step: -1.7, origin: [12.5, -3.25, 40.0] },
  { name: 'gapped', rows: 40, cols: 40, slices: 12, spacing: [0.9, 0.9], slice_step: 3, drop_slices: [5] },
  { name: 'wide', rows: 96, cols: 512, slices: 2, spacing: [0.5, 0.5], slice_step: 2 },
];

function loadSeries(dir: string): SourceSeries {
  const instances = fs.readdirSync(dir).map((f) => readDicomInstance(path.join(dir, f)));
  const volumes = planVolumes(instances);
  assert.equal(volumes.length, 1);
  return toSourceSeries(volumes[0]!, instances);
}

const LABELS: MaskLabel[] = [
  { value: 1, name: 'Liver', color: [221, 130, 101], algorithmType: 'MANUAL' },
  { value: 2, name: 'Stomach', color: [216, 132, 105], algorithmType: 'SEMIAUTOMATIC', algorithmName: 'Delineate merge' },
  { value: 3, name: 'Kidney right', color: [185, 102, 83], algorithmType: 'AUTOMATIC', algorithmName: 'TotalSegmentator 2.4', type: { scheme: 'SCT', value: '9846003', meaning: 'Right kidney' } },
  { value: 4, name: 'Lesion', color: [255, 255, 0], algorithmType: 'MANUAL' },
];

/**
 * Organs in patient mm around the volume's centre, so they cut the grid obliquely on oblique series:
 * a noisy liver, a hollow stomach touching it, a kidney overlapping it (the kidney wins, so they
 * touch), and a small lesion inside the liver (a hole in the liver's contours, an island inside).
 */
function organs(source: SourceSeries, values: number[], seed: number): Uint8Array | Uint16Array {
  const [w, h, d] = source.geometry.dims;
  const m = source.geometry.affineLps;
  const world = (i: number, j: number, k: number) => [0, 1, 2].map((r) => m[4 * r]! * i + m[4 * r + 1]! * j + m[4 * r + 2]! * k + m[4 * r + 3]!);
  const centre = world((w - 1) / 2, (h - 1) / 2, (d - 1) / 2);
  const labels = Math.max(...values) > 255 ? new Uint16Array(w * h * d) : new Uint8Array(w * h * d);
  const rnd = random(seed);
  const inside = (p: number[], c: number[], axes: number[], jitter: number) =>
    [0, 1, 2].reduce((s, a) => s + ((p[a]! - centre[a]! - c[a]!) / axes[a]!) ** 2, 0) + (rnd() - 0.5) * jitter;
  for (let k = 0; k < d; k++)
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++) {
        const p = world(i, j, k);
        const at = i + w * (j + h * k);
        if (inside(p, [-6, 0, 0], [13, 10, 12], 0.25) <= 1) labels[at] = values[0]!;
        const stomach = inside(p, [9, 6, 0], [7, 9, 10], 0.1);
        if (stomach <= 1 && stomach > 0.35) labels[at] = values[1]!;
        if (inside(p, [3, -10, 2], [5, 4.5, 8], 0.2) <= 1) labels[at] = values[2]!;
        if (inside(p, [-8, 2, 1], [2.2, 2.2, 3], 0.3) <= 1) labels[at] = values[3]!;
      }
  return labels;
}

/** pydicom's view of the file: required attributes, ROIs, contour counts, distance of points from their image's plane. */
const PYDICOM_CHECK = `
import json, os, sys
import numpy as np, pydicom
rs = pydicom.dcmread(sys.argv[1])
images = {}
for f in os.listdir(sys.argv[2]):
    d = pydicom.dcmread(os.path.join(sys.argv[2], f), stop_before_pixels=True)
    if 'NumberOfFrames' in d:  # enhanced multi-frame: per-frame positions, shared orientation and spacing
        shared = d.SharedFunctionalGroupsSequence[0]
        iop = np.array(shared.PlaneOrientationSequence[0].ImageOrientationPatient, float)
        spacing = np.array(shared.PixelMeasuresSequence[0].PixelSpacing, float)
        for n, frame in enumerate(d.PerFrameFunctionalGroupsSequence):
            images[(d.SOPInstanceUID, n + 1)] = (np.array(frame.PlanePositionSequence[0].ImagePositionPatient, float), iop, spacing, int(d.Rows), int(d.Columns))
    else:
        images[(d.SOPInstanceUID, None)] = (np.array(d.ImagePositionPatient, float), np.array(d.ImageOrientationPatient, float), np.array(d.PixelSpacing, float), int(d.Rows), int(d.Columns))
required = ['SOPClassUID', 'SOPInstanceUID', 'Modality', 'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID',
            'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'SeriesInstanceUID', 'SeriesNumber', 'OperatorsName',
            'Manufacturer', 'FrameOfReferenceUID', 'StructureSetLabel', 'StructureSetDate', 'StructureSetTime', 'ReferencedFrameOfReferenceSequence',
            'StructureSetROISequence', 'ROIContourSequence', 'RTROIObservationsSequence']
series = rs.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
rois, off_plane, outside, unreferenced, count_mismatch = [], 0.0, 0, 0, 0
for roi, rc, obs in zip(rs.StructureSetROISequence, rs.ROIContourSequence, rs.RTROIObservationsSequence):
    n = 0
    for c in rc.get('ContourSequence', []):
        n += 1
        pts = np.array(c.ContourData, float).reshape(-1, 3)
        count_mismatch += len(pts) != int(c.NumberOfContourPoints)
        if 'ContourImageSequence' not in c:
            unreferenced += 1
            continue
        ref = c.ContourImageSequence[0]
        ipp, iop, spacing, rows, cols = images[(ref.ReferencedSOPInstanceUID, int(ref.ReferencedFrameNumber) if 'ReferencedFrameNumber' in ref else None)]
        off_plane = max(off_plane, float(np.abs((pts - ipp) @ np.cross(iop[:3], iop[3:])).max()))
        col = (pts - ipp) @ iop[:3] / spacing[1]
        row = (pts - ipp) @ iop[3:] / spacing[0]
        outside += int(((col < -0.5001) | (col > cols - 0.4999) | (row < -0.5001) | (row > rows - 0.4999)).sum())
    rois.append(dict(number=int(roi.ROINumber), name=str(roi.ROIName), algorithm=roi.ROIGenerationAlgorithm, contours=n,
                     referenced=int(rc.ReferencedROINumber), observed=int(obs.ReferencedROINumber), color=[int(v) for v in rc.ROIDisplayColor],
                     interpreted=obs.RTROIInterpretedType, same_for=roi.ReferencedFrameOfReferenceUID == rs.FrameOfReferenceUID))
print(json.dumps(dict(sop_class=rs.SOPClassUID, modality=rs.Modality, missing=[k for k in required if k not in rs], rois=rois,
                      listed_images=len(series.ContourImageSequence), series_uid=series.SeriesInstanceUID, off_plane=off_plane,
                      outside=outside, unreferenced=unreferenced, count_mismatch=count_mismatch, patient=str(rs.PatientName))))
`;

interface PydicomView {
  sop_class: string;
  modality: string;
  missing: string[];
  rois: { number: number; name: string; algorithm: string; contours: number; referenced: number; observed: number; color: number[]; interpreted: string; same_for: boolean }[];
  listed_images: number;
  series_uid: string;
  off_plane: number;
  outside: number;
  unreferenced: number;
  count_mismatch: number;
  patient: string;
}

function dice(a: ArrayLike<number>, av: number, b: ArrayLike<number>, bv: number): number {
  let both = 0;
  let na = 0;
  let nb = 0;
  for (let n = 0; n < a.length; n++) {
    const x = a[n] === av;
    const y = b[n] === bv;
    if (x) na++;
    if (y) nb++;
    if (x && y) both++;
  }
  return na + nb === 0 ? 1 : (2 * both) / (na + nb);
}

/** Contours per label as our tracer makes them, counted independently of the file. */
function expectedContours(source: SourceSeries, labels: ArrayLike<number>, value: number): number {
  const [w, h, d] = source.geometry.dims;
  let n = 0;
  for (let k = 0; k < d; k++) n += traceContours(labels, w, h, value, { offset: k * w * h }).length;
  return n;
}

describe('RTSTRUCT round trip', () => {
  let root: string;
  before(() => {
    root = tempDir('rtstruct');
    makeSeries(path.join(root, 'in'), SERIES, { enhanced: [{ name: 'enhanced', rows: 36, cols: 30, slices: 10, slice_step: 2.0 }] });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const cases = [
    { series: 'enhanced', values: [1, 2, 3, 4] },
    { series: 'axial', values: [1, 2, 3, 4] },
    { series: 'oblique', values: [2, 7, 300, 1000] },
    { series: 'gapped', values: [1, 2, 3, 4] },
  ];
  for (const { series, values } of cases) {
    test(`${series}: export → file → import is voxel-exact; pydicom, dcmdump and dciodvfy accept the file`, (t) => {
      const dir = path.join(root, 'in', series);
      const source = loadSeries(dir);
      const labels = organs(source, values, 17);
      const segments = LABELS.map((l, n) => ({ ...l, value: values[n]! }));
      const progress: number[] = [];
      const result = buildRtstruct({ source, labels, segments, seriesDescription: `Organs on ${series}`, structureSetLabel: 'ORGANS', onProgress: (f) => progress.push(f) });
      assert.ok(progress.every((f, n) => n === 0 || f >= progress[n - 1]!) && progress.at(-1) === 1, 'progress rises to 1');
      const file = path.join(root, `${series}.dcm`);
      fs.writeFileSync(file, result.bytes);

      const imported = readRtstruct(result.bytes, source, file);
      assert.deepEqual(imported.warnings, []);
      assert.equal(imported.labels.constructor, labels.constructor);
      for (const label of segments) {
        const score = dice(labels, label.value, imported.labels, label.value);
        t.diagnostic(`${series} ${label.name}: Dice ${score}`);
        assert.ok(score >= 0.98);
      }
      assert.ok(Buffer.from(imported.labels.buffer).equals(Buffer.from(labels.buffer)), 'every voxel comes back with its value');
      assert.deepEqual(imported.segments, segments);

      const view = JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', PYDICOM_CHECK, file, dir], { encoding: 'utf8' })) as PydicomView;
      assert.equal(view.sop_class, '1.2.840.10008.5.1.4.1.1.481.3');
      assert.equal(view.modality, 'RTSTRUCT');
      assert.deepEqual(view.missing, []);
      assert.equal(view.patient, series === 'enhanced' ? 'Test^Enhanced' : 'Test^Phantom');
      assert.equal(view.series_uid, source.seriesInstanceUid);
      assert.equal(view.listed_images, source.slices.filter(Boolean).length);
      assert.deepEqual(
        view.rois.map((r) => [r.number, r.name, r.algorithm, r.referenced, r.observed, r.color, r.interpreted, r.same_for]),
        segments.map((s) => [s.value, s.name, s.algorithmType, s.value, s.value, s.color, 'ORGAN', true]),
      );
      const perRoi = segments.map((s) => expectedContours(source, labels, s.value));
      assert.deepEqual(view.rois.map((r) => r.contours), perRoi);
      assert.equal(result.contours, perRoi.reduce((a, b) => a + b, 0));
      assert.ok(view.off_plane < 1e-3, `contour points lie ${view.off_plane} mm off their image's plane`);
      assert.equal(view.outside, 0, 'contour points outside their image');
      assert.equal(view.count_mismatch, 0, 'Number of Contour Points matches Contour Data');
      const gapContours = series === 'gapped' ? segments.reduce((n, s) => n + traceContours(labels, 40, 40, s.value, { offset: 5 * 40 * 40 }).length, 0) : 0;
      if (series === 'gapped') assert.ok(gapContours > 0, 'the organs cross the missing slice');
      assert.equal(view.unreferenced, gapContours, 'only contours on the missing slice reference no image');

      const dump = spawnSync('dcmdump', ['-q', file], { encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      assert.equal(dump.stderr, '');
      const verify = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
      const lines = `${verify.stdout}${verify.stderr}`.split('\n').filter(Boolean);
      assert.deepEqual(lines.filter((l) => /^Error/.test(l)), [], 'dciodvfy errors');
      t.diagnostic(`dciodvfy: ${lines.join(' | ')}`);
    });
  }

  test('a contour too long for one Contour Data value is written as pieces that fill the same voxels', (t) => {
    const source = loadSeries(path.join(root, 'in', 'wide'));
    const [w, h, d] = source.geometry.dims;
    // a comb: spines every 4 rows with one-voxel teeth both sides, joined by a trunk: ~50 000 corners
    const labels = new Uint8Array(w * h * d);
    for (let k = 0; k < d; k++)
      for (let j = 0; j <= h - 4; j++)
        for (let i = 0; i < w; i++) if (j % 4 === 0 || (i % 2 === 0 && j % 4 !== 2) || i < 2) labels[i + w * (j + h * k)] = 5;
    assert.equal(traceContours(labels, w, h, 5).length, 1, 'one outline per slice when traced whole');
    const result = buildRtstruct({ source, labels, segments: [{ value: 5, name: 'Comb', color: [1, 2, 3], algorithmType: 'MANUAL' }] });
    assert.ok(result.contours > 2 * 8, `split into ${result.contours} pieces`);
    t.diagnostic(`2 slices of one comb outline written as ${result.contours} contours`);
    const imported = readRtstruct(result.bytes, source, 'comb.dcm');
    assert.ok(Buffer.from(imported.labels).equals(Buffer.from(labels)));
    const file = path.join(root, 'comb.dcm');
    fs.writeFileSync(file, result.bytes);
    assert.equal(spawnSync('dcmdump', ['-q', file]).status, 0);
  });

  test('empty labels are declared ROIs without contours; other values in the mask are left out', () => {
    const source = loadSeries(path.join(root, 'in', 'axial'));
    const labels = organs(source, [1, 2, 3, 4], 3);
    const result = buildRtstruct({ source, labels, segments: [LABELS[3]!, { ...LABELS[0]!, value: 9, name: 'Empty' }] });
    assert.equal(result.rois, 2);
    const imported = readRtstruct(result.bytes, source, 'subset.dcm');
    assert.deepEqual(imported.warnings, ['ROI 9 "Empty" has no contours; its label is empty']);
    assert.deepEqual(imported.segments.map((s) => [s.value, s.name]), [[4, 'Lesion'], [9, 'Empty']]);
    for (let n = 0; n < labels.length; n++) if ((labels[n] === 4 ? 4 : 0) !== imported.labels[n]) assert.fail(`voxel ${n}`);
  });

  test('bad export requests: wrong mask size, long label, duplicate values, cancellation', () => {
    const source = loadSeries(path.join(root, 'in', 'axial'));
    const labels = organs(source, [1, 2, 3, 4], 5);
    const expectError = (fn: () => unknown, code: string, pattern: RegExp) =>
      assert.throws(fn, (err: unknown) => err instanceof DelineateError && err.code === code && pattern.test(err.message));
    expectError(() => buildRtstruct({ source, labels: labels.subarray(1), segments: LABELS }), 'invalid_input', /mask has 86015 voxels but series .* is 56×64×24/);
    expectError(() => buildRtstruct({ source, labels, segments: LABELS, structureSetLabel: 'A label that is too long' }), 'invalid_params', /1 to 16 characters/);
    expectError(() => buildRtstruct({ source, labels, segments: [LABELS[0]!, LABELS[0]!] }), 'invalid_params', /Two segments have label value 1/);
    const controller = new AbortController();
    controller.abort();
    expectError(() => buildRtstruct({ source, labels, segments: LABELS, signal: controller.signal }), 'cancelled', /cancelled/);
  });
});
