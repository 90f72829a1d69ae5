import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../src/shared/errors.js';
import { encodePart10, newUid, type DicomItem } from '../../src/main/interchange/dicom-writer.js';
import { buildRtstruct, RT_STRUCTURE_SET_STORAGE } from '../../src/main/interchange/rtstruct-export.js';
import { readRtstruct } from '../../src/main/interchange/rtstruct-import.js';
import { toSourceSeries, type SourceSeries } from '../../src/main/interchange/source-series.js';
import { readDicomInstance } from '../../src/main/studies/dicom/read-header.js';
import { planVolumes } from '../../src/main/studies/dicom/series-builder.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

/**
 * RTSTRUCT import of structure sets written the way other systems write them (holes as separate
 * contours, keyholes, contours through voxel centres, markers, overlapping ROIs), and of broken ones:
 * each broken file gives an error naming the file, the ROI and the contour, and what is wrong.
 * Files are written with our Part 10 writer from voxel coordinates, or edited with pydicom.
 */
const SERIES = [
  { name: 'axial', rows: 40, cols: 36, slices: 12, spacing: [0.8, 0.7], slice_step: 2.5 },
  { name: 'other', rows: 8, cols: 8, slices: 4 },
];
const FILE = 'from-elsewhere.dcm';

function loadSeries(dir: string): SourceSeries {
  const instances = fs.readdirSync(dir).map((f) => readDicomInstance(path.join(dir, f)));
  return toSourceSeries(planVolumes(instances)[0]!, instances);
}

interface Contour {
  type?: string;
  /** points in voxel (i, j, k) of the series */
  ijk: number[][];
  /** Contour Data as written instead of the points' (for malformed data) */
  data?: number[];
}
interface Roi {
  number: number;
  name: string;
  frameOfReference?: string;
  contours: Contour[];
}

/** The corners of the box [i0, i1] × [j0, j1] (voxel coordinates) on slice k. */
const rect = (i0: number, j0: number, i1: number, j1: number, k: number): number[][] => [[i0, j0, k], [i1, j0, k], [i1, j1, k], [i0, j1, k]];

/** A structure set with these ROIs on the series, points converted voxel → patient mm through its affine. */
function structureSet(source: SourceSeries, rois: Roi[], contourRefs: Record<string, unknown>[] = []): Uint8Array {
  const m = source.geometry.affineLps;
  const mm = (p: number[]) => [0, 1, 2].map((r) => m[4 * r]! * p[0]! + m[4 * r + 1]! * p[1]! + m[4 * r + 2]! * p[2]! + m[4 * r + 3]!);
  const dataset: DicomItem = {
    PatientName: 'Test^Phantom',
    PatientID: 'PHANTOM-1',
    StudyInstanceUID: source.header.StudyInstanceUID as string,
    SeriesInstanceUID: newUid(),
    Modality: 'RTSTRUCT',
    StructureSetLabel: 'ELSEWHERE',
    ReferencedFrameOfReferenceSequence: [{ FrameOfReferenceUID: source.frameOfReferenceUid }],
    StructureSetROISequence: rois.map((r) => ({ ROINumber: r.number, ReferencedFrameOfReferenceUID: r.frameOfReference ?? source.frameOfReferenceUid, ROIName: r.name, ROIGenerationAlgorithm: 'MANUAL' })),
    ROIContourSequence: rois.map((r, n) => ({
      ReferencedROINumber: r.number,
      ROIDisplayColor: [10 * n, 20, 30],
      ContourSequence: r.contours.map((c, index) => ({
        ContourGeometricType: c.type ?? 'CLOSED_PLANAR',
        NumberOfContourPoints: c.ijk.length,
        ContourNumber: index + 1,
        ContourData: c.data ?? c.ijk.flatMap(mm),
        ...(contourRefs[index] ?? {}),
      })),
    })),
    RTROIObservationsSequence: rois.map((r, n) => ({ ObservationNumber: n + 1, ReferencedROINumber: r.number, RTROIInterpretedType: r.contours[0]?.type === 'POINT' ? 'MARKER' : 'ORGAN', ROIInterpreter: '' })),
  };
  return encodePart10(dataset, { sopClassUid: RT_STRUCTURE_SET_STORAGE, sopInstanceUid: newUid() });
}

describe('RTSTRUCT import from other systems and of broken files', () => {
  let root: string;
  let source: SourceSeries;
  let other: SourceSeries;
  before(() => {
    root = tempDir('rtstruct-bad');
    makeSeries(path.join(root, 'in'), SERIES);
    source = loadSeries(path.join(root, 'in', 'axial'));
    other = loadSeries(path.join(root, 'in', 'other'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const [W, H] = [36, 40];
  const voxel = (i: number, j: number, k: number) => i + W * (j + H * k);
  const expectMask = (labels: ArrayLike<number>, value: number, k: number, inside: (i: number, j: number) => boolean, what: string) => {
    for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) assert.equal(labels[voxel(i, j, k)] === value, inside(i, j), `${what}: voxel (${i}, ${j}, ${k})`);
  };
  const box = (i: number, j: number, i0: number, j0: number, i1: number, j1: number) => i >= i0 && i <= i1 && j >= j0 && j <= j1;

  test('holes as separate contours, islands in holes, keyhole contours, contours through voxel centres', () => {
    const keyhole = [[1.5, 1.5], [10.5, 1.5], [10.5, 5.5], [5.5, 5.5], [5.5, 16.5], [16.5, 16.5], [16.5, 5.5], [10.5, 5.5], [10.5, 1.5], [20.5, 1.5], [20.5, 20.5], [1.5, 20.5]];
    const bytes = structureSet(source, [
      { number: 1, name: 'Ring XOR', contours: [{ ijk: rect(1.5, 1.5, 20.5, 20.5, 3) }, { ijk: rect(5.5, 5.5, 16.5, 16.5, 3) }, { ijk: rect(8.5, 8.5, 12.5, 12.5, 3), type: 'CLOSEDPLANAR_XOR' }] },
      { number: 2, name: 'Ring keyhole', contours: [{ ijk: keyhole.map(([i, j]) => [i!, j!, 4]) }] },
      // through voxel centres, first point repeated at the end (as some exporters write them)
      { number: 3, name: 'Through centres', contours: [{ ijk: [[25, 25, 5], [30, 25, 5], [30, 30, 5], [25, 30, 5], [25, 25, 5]] }] },
      // partly beyond the image: clipped, with a warning
      { number: 4, name: 'Clipped', contours: [{ ijk: rect(-6, 30.5, 3.5, 45, 6) }] },
    ]);
    const mask = readRtstruct(bytes, source, FILE);
    assert.deepEqual(mask.warnings, ['ROI 4 "Clipped": 1 contour(s) reach beyond the image and were clipped to it']);
    assert.deepEqual(mask.segments.map((s) => [s.value, s.name, s.color]), [[1, 'Ring XOR', [0, 20, 30]], [2, 'Ring keyhole', [10, 20, 30]], [3, 'Through centres', [20, 20, 30]], [4, 'Clipped', [30, 20, 30]]]);
    const ring = (i: number, j: number) => box(i, j, 2, 2, 20, 20) && !box(i, j, 6, 6, 16, 16);
    expectMask(mask.labels, 1, 3, (i, j) => ring(i, j) || box(i, j, 9, 9, 12, 12), 'XOR with an island');
    expectMask(mask.labels, 2, 4, ring, 'keyhole');
    expectMask(mask.labels, 3, 5, (i, j) => box(i, j, 25, 25, 30, 30), 'through centres');
    expectMask(mask.labels, 4, 6, (i, j) => box(i, j, 0, 31, 3, 39), 'clipped');
    assert.equal(Array.from(mask.labels).filter((v) => v !== 0).length, 19 * 19 - 11 * 11 + 16 + (19 * 19 - 11 * 11) + 36 + 4 * 9, 'nothing else painted');
  });

  test('markers and lines are skipped with a warning; overlapping ROIs: the later wins, voxels counted', () => {
    const bytes = structureSet(source, [
      { number: 1, name: 'A', contours: [{ ijk: rect(1.5, 1.5, 9.5, 9.5, 2) }, { ijk: rect(1.5, 1.5, 9.5, 9.5, 3) }] },
      { number: 2, name: 'Isocenter', contours: [{ type: 'POINT', ijk: [[5, 5, 2]] }] },
      { number: 3, name: 'Line', contours: [{ type: 'OPEN_PLANAR', ijk: [[1, 1, 2], [9, 9, 2]] }] },
      { number: 4, name: 'B', contours: [{ ijk: rect(5.5, 5.5, 12.5, 12.5, 2) }, { ijk: rect(5.5, 5.5, 12.5, 12.5, 3) }, { type: 'POINT', ijk: [[20, 20, 3]] }] },
    ]);
    const mask = readRtstruct(bytes, source, FILE);
    assert.deepEqual(mask.warnings, [
      'ROI 2 "Isocenter" was skipped: it has only POINT contours (a marker, MARKER), no region',
      'ROI 3 "Line" was skipped: it has only open contours (lines), no region',
      'ROI 4 "B": 1 POINT contour(s) ignored',
      'ROI 4 "B" overlaps ROI 1 "A" on 32 voxel(s); they now belong to ROI 4 "B" (later ROIs win)',
    ]);
    assert.deepEqual(mask.segments.map((s) => s.value), [1, 4]);
    expectMask(mask.labels, 4, 3, (i, j) => box(i, j, 6, 6, 12, 12), 'B on top');
    expectMask(mask.labels, 1, 2, (i, j) => box(i, j, 2, 2, 9, 9) && !box(i, j, 6, 6, 12, 12), 'A under B');
  });

  test('an Implicit VR Little Endian copy (as many planning systems write) imports the same', () => {
    const labels = new Uint8Array(W * H * 12);
    for (let k = 2; k < 9; k++) for (let j = 5; j < 30; j++) for (let i = 4 + k; i < 25; i++) if ((i - 15) ** 2 + (j - 17) ** 2 > 9) labels[voxel(i, j, k)] = 3;
    const ours = path.join(root, 'explicit.dcm');
    const implicit = path.join(root, 'implicit.dcm');
    fs.writeFileSync(ours, buildRtstruct({ source, labels, segments: [{ value: 3, name: 'Ring', color: [1, 2, 3], algorithmType: 'MANUAL' }] }).bytes);
    execFileSync(DEBIAN_PYTHON, ['-c', `
import sys, pydicom
from pydicom.uid import ImplicitVRLittleEndian
ds = pydicom.dcmread(sys.argv[1])
ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
ds.is_implicit_VR, ds.is_little_endian = True, True
ds.save_as(sys.argv[2], write_like_original=False)
assert pydicom.dcmread(sys.argv[2]).is_implicit_VR`, ours, implicit]);
    const mask = readRtstruct(new Uint8Array(fs.readFileSync(implicit)), source, implicit);
    assert.deepEqual(mask.warnings, []);
    assert.ok(Buffer.from(mask.labels).equals(Buffer.from(labels)));
  });

  test('ROI Numbers that cannot be label values: numbered in file order, with a warning', () => {
    const bytes = structureSet(source, [
      { number: 0, name: 'Zero', contours: [{ ijk: rect(1.5, 1.5, 3.5, 3.5, 1) }] },
      { number: 70000, name: 'Huge', contours: [{ ijk: rect(5.5, 5.5, 7.5, 7.5, 1) }] },
    ]);
    const mask = readRtstruct(bytes, source, FILE);
    assert.deepEqual(mask.warnings, ['ROI Numbers are missing, repeated or outside 1..65535; labels are numbered 1..n in file order instead']);
    assert.deepEqual(mask.segments.map((s) => [s.value, s.name]), [[1, 'Zero'], [2, 'Huge']]);
    assert.equal(mask.labels[voxel(6, 6, 1)], 2);
  });

  const rejects = (bytes: Uint8Array, pattern: RegExp, file = FILE) =>
    assert.throws(
      () => readRtstruct(bytes, source, file),
      (err: unknown) => {
        assert.ok(err instanceof DelineateError, String(err));
        assert.equal(err.code, 'invalid_input');
        assert.match(err.message, pattern);
        assert.ok(err.message.startsWith(`${file}: `), `names the file: ${err.message}`);
        return true;
      },
    );
  const good = { ijk: rect(1.5, 1.5, 6.5, 6.5, 3) };

  test('an open contour: two points, or three with the first repeated', () => {
    rejects(structureSet(source, [{ number: 7, name: 'Open', contours: [good, { ijk: [[2, 2, 3], [6, 2, 3]] }] }]), /ROI 7 "Open" contour 2 is open: it has 2 distinct point\(s\), and a closed contour needs at least 3/);
    rejects(structureSet(source, [{ number: 7, name: 'Open', contours: [{ ijk: [[2, 2, 3], [6, 2, 3], [2, 2, 3]] }] }]), /ROI 7 "Open" contour 1 is open: it has 2 distinct/);
  });

  test('an OPEN_PLANAR contour among closed ones, an undefined geometric type, malformed data', () => {
    rejects(structureSet(source, [{ number: 2, name: 'Mixed', contours: [good, good, { type: 'OPEN_PLANAR', ijk: [[1, 1, 3], [5, 5, 3]] }] }]), /ROI 2 "Mixed" contour 3 is OPEN_PLANAR \(an open line, not a region boundary\) among closed contours/);
    rejects(structureSet(source, [{ number: 2, name: 'Odd', contours: [{ type: 'CIRCLE', ijk: rect(1, 1, 3, 3, 3) }] }]), /ROI 2 "Odd" contour 1 has Contour Geometric Type "CIRCLE"/);
    rejects(structureSet(source, [{ number: 2, name: 'Short', contours: [{ ijk: rect(1, 1, 5, 5, 3), data: [1, 2, 3, 4, 5, 6, 7, 8] }] }]), /ROI 2 "Short" contour 1 has malformed Contour Data \(8 values/);
  });

  test('a self-intersecting (bow-tie) contour, located in patient coordinates', () => {
    // crossing at voxel (5, 5) of slice 3 = (-10 + 5·0.7, -20 + 5·0.8, 30 + 3·2.5) mm
    rejects(structureSet(source, [{ number: 8, name: 'Bowtie', contours: [good, { ijk: [[2, 2, 3], [8, 8, 3], [8, 2, 3], [2, 8, 3]] }] }]), /ROI 8 "Bowtie" contour 2 crosses itself near \(-6\.50, -16\.00, 37\.50\) mm/);
  });

  test('contours off the slice planes: shifted, tilted, beyond the last slice, outside the image', () => {
    rejects(structureSet(source, [{ number: 3, name: 'Shifted', contours: [{ ijk: rect(2, 2, 6, 6, 3.4) }] }]), /ROI 3 "Shifted" contour 1 is not on a slice plane of series .*: a point lies 1\.000 mm from the plane of slice 3 \(tolerance 0\.125 mm\); was it drawn on another series/);
    rejects(structureSet(source, [{ number: 3, name: 'Tilted', contours: [{ ijk: [[2, 2, 3], [6, 2, 3], [6, 6, 3.2], [2, 6, 3.2]] }] }]), /ROI 3 "Tilted" contour 1 is not on a slice plane .*: a point lies 0\.500 mm from the plane of slice 3/);
    rejects(structureSet(source, [{ number: 3, name: 'Beyond', contours: [good, { ijk: rect(2, 2, 6, 6, 14) }] }]), /ROI 3 "Beyond" contour 2 lies outside the volume: 7\.50 mm beyond its last slice/);
    rejects(structureSet(source, [{ number: 3, name: 'Aside', contours: [{ ijk: rect(100, 2, 106, 6, 3) }] }]), /ROI 3 "Aside" contour 1 lies outside the image of slice 3/);
  });

  test('a Frame of Reference of another series (written by us, and edited with pydicom)', () => {
    rejects(
      structureSet(source, [{ number: 1, name: 'Liver', frameOfReference: other.frameOfReferenceUid, contours: [good] }]),
      new RegExp(`ROI 1 "Liver" is in Frame of Reference ${other.frameOfReferenceUid.replace(/\./g, '\\.')}, not that of series .* \\(${source.frameOfReferenceUid.replace(/\./g, '\\.')}\\)`),
    );
    const labels = new Uint8Array(W * H * 12);
    labels[voxel(3, 3, 3)] = 1;
    const ours = path.join(root, 'ours.dcm');
    fs.writeFileSync(ours, buildRtstruct({ source, labels, segments: [{ value: 1, name: 'Dot', color: [1, 2, 3], algorithmType: 'MANUAL' }] }).bytes);
    assert.equal(readRtstruct(fs.readFileSync(ours), source, ours).labels[voxel(3, 3, 3)], 1, 'the unedited file imports');
    const edited = path.join(root, 'edited.dcm');
    execFileSync(DEBIAN_PYTHON, ['-c', `
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
ds.FrameOfReferenceUID = ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID = sys.argv[3]
for roi in ds.StructureSetROISequence: roi.ReferencedFrameOfReferenceUID = sys.argv[3]
ds.save_as(sys.argv[2])`, ours, edited, other.frameOfReferenceUid]);
    rejects(new Uint8Array(fs.readFileSync(edited)), /ROI 1 "Dot" is in Frame of Reference .*; it was drawn on another scan/, edited);
  });

  test('not a structure set, not DICOM, a contour of an undefined ROI', () => {
    const ct = path.join(root, 'in', 'axial', 'IM0000.dcm');
    rejects(new Uint8Array(fs.readFileSync(ct)), /not an RT Structure Set \(SOP Class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2, Modality CT\)/, ct);
    rejects(new TextEncoder().encode('just some text, not a DICOM file'), /not a readable DICOM file/);
    const bytes = structureSet(source, [{ number: 1, name: 'A', contours: [good] }]);
    // point the ROI Contour item at ROI 9 by rewriting the IS value "1" of Referenced ROI Number (3006,0084)
    const tag = [0x06, 0x30, 0x84, 0x00, 0x49, 0x53, 0x02, 0x00, 0x31];
    const at = bytes.findIndex((_, n) => tag.every((b, o) => bytes[n + o] === b));
    assert.ok(at > 0);
    bytes[at + 8] = 0x39;
    rejects(bytes, /ROI Contour Sequence item 1 refers to ROI 9, which the Structure Set ROI Sequence does not define/);
  });
});
