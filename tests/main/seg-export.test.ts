// DICOM SEG export checked by others' readers: pydicom rebuilds the label map from the frames through
// their source-image references (its own bit unpacking), dcmdump parses the file, and dciodvfy
// (dicom3tools) validates it against the Segmentation IOD.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildSeg, DEFAULT_CATEGORY, dicomLabToRgb, DEFAULT_TYPE, SEGMENTATION_STORAGE, type SegExportResult } from '../../src/main/interchange/seg-export.js';
import { toSourceSeries, type SourceSeries } from '../../src/main/interchange/source-series.js';
import { planVolumes } from '../../src/main/studies/dicom/series-builder.js';
import { scanInputs } from '../../src/main/studies/scan.js';
import { DelineateError } from '../../src/shared/errors.js';
import { voxelToWorld } from '../../src/shared/geometry.js';
import type { MaskLabel } from '../../src/shared/interchange.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

const SERIES = [
  { name: 'axial-aniso', rows: 9, cols: 11, slices: 7, spacing: [0.8, 0.6], slice_step: 3.0 },
  { name: 'double-oblique', rows: 7, cols: 10, slices: 6, spacing: [1.1, 0.9], orientation: [0.8, 0.6, 0, -0.36, 0.48, 0.8], slice_step: -1.7 },
  { name: 'gapped', rows: 6, cols: 8, slices: 6, drop_slices: [3] },
];

/** pydicom reads the SEG back: label map rebuilt from frames, segment descriptions, keyword paths present. */
const READ_BACK = String.raw`
import json, sys
import numpy as np
import pydicom
ds = pydicom.dcmread(sys.argv[1])
spec = json.loads(sys.argv[2])
W, H, D = spec["dims"]
inverse = np.linalg.inv(np.array(spec["affine"], float).reshape(4, 4))
frames = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)  # pydicom unpacks the bits
labels = np.zeros((D, H, W), np.int64)
out = {"frames": [], "segments": [], "paths": [], "values": {}}
for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
    segment = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
    position = [float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient]
    frame = {"segment": segment, "position": position, "dimension": [int(v) for v in item.FrameContentSequence[0].DimensionIndexValues]}
    if len(item.get("DerivationImageSequence") or []):
        derivation = item.DerivationImageSequence[0]
        source = derivation.SourceImageSequence[0]
        number = str(int(source.ReferencedFrameNumber)) if "ReferencedFrameNumber" in source else ""
        k = spec["slices"][source.ReferencedSOPInstanceUID + "#" + number]
        frame["purpose"] = [source.PurposeOfReferenceCodeSequence[0].CodingSchemeDesignator, source.PurposeOfReferenceCodeSequence[0].CodeValue]
        frame["derivation"] = [derivation.DerivationCodeSequence[0].CodingSchemeDesignator, derivation.DerivationCodeSequence[0].CodeValue]
        frame["sopClass"] = source.ReferencedSOPClassUID
    else:
        k = int(round((inverse @ np.array(position + [1.0]))[2]))
    frame["k"] = k
    mask = frames[f] != 0
    if (labels[k][mask] != 0).any():
        raise SystemExit("segments overlap on slice %d" % k)
    labels[k][mask] = segment
    out["frames"].append(frame)
for s in ds.SegmentSequence:
    code = lambda q: [q[0].CodingSchemeDesignator, q[0].CodeValue, q[0].CodeMeaning]
    out["segments"].append({"number": int(s.SegmentNumber), "label": s.SegmentLabel, "algorithmType": s.SegmentAlgorithmType,
        "algorithmName": s.get("SegmentAlgorithmName"), "category": code(s.SegmentedPropertyCategoryCodeSequence),
        "type": code(s.SegmentedPropertyTypeCodeSequence), "lab": [int(v) for v in s.RecommendedDisplayCIELabValue]})
def walk(dataset, prefix):
    for element in dataset:
        name = prefix + element.keyword
        out["paths"].append(name)
        if element.VR == "SQ" and len(element.value):
            walk(element.value[0], name + ">")
walk(ds, "")
for keyword in ["SOPClassUID", "Modality", "SegmentationType", "BitsAllocated", "BitsStored", "HighBit", "LossyImageCompression", "ImageType",
                "Manufacturer", "ContentLabel", "ContentCreatorName", "PatientName", "PatientID", "StudyInstanceUID", "FrameOfReferenceUID", "NumberOfFrames",
                "Rows", "Columns", "SamplesPerPixel", "PhotometricInterpretation", "PixelRepresentation", "SeriesDescription"]:
    value = ds.get(keyword)
    out["values"][keyword] = list(value) if isinstance(value, pydicom.multival.MultiValue) else str(value)
shared = ds.SharedFunctionalGroupsSequence[0]
out["values"]["PixelSpacing"] = [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing]
out["values"]["SpacingBetweenSlices"] = float(shared.PixelMeasuresSequence[0].SpacingBetweenSlices)
out["values"]["ImageOrientationPatient"] = [float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient]
out["values"]["ReferencedSeries"] = [s.SeriesInstanceUID for s in ds.ReferencedSeriesSequence]
out["values"]["ReferencedInstances"] = len(ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence)
out["values"]["DimensionIndexPointers"] = [str(d.DimensionIndexPointer) for d in ds.DimensionIndexSequence]
out["labels"] = labels.ravel().tolist()
print(json.dumps(out))
`;

/** What the Segmentation IOD needs (PS3.3 A.51) and the brief asks for, as pydicom keyword paths (first items). */
const REQUIRED_PATHS = [
  'SOPClassUID', 'SOPInstanceUID', 'StudyInstanceUID', 'SeriesInstanceUID', 'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex',
  'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'Modality', 'SeriesNumber', 'InstanceNumber',
  'ContentDate', 'ContentTime', 'Manufacturer', 'ManufacturerModelName', 'DeviceSerialNumber', 'SoftwareVersions',
  'FrameOfReferenceUID', 'PositionReferenceIndicator', 'ImageType', 'SamplesPerPixel', 'PhotometricInterpretation', 'Rows', 'Columns',
  'BitsAllocated', 'BitsStored', 'HighBit', 'PixelRepresentation', 'PixelData', 'NumberOfFrames', 'ContentLabel', 'ContentDescription',
  'ContentCreatorName', 'SegmentationType', 'LossyImageCompression',
  'SegmentSequence>SegmentNumber', 'SegmentSequence>SegmentLabel', 'SegmentSequence>SegmentAlgorithmType',
  'SegmentSequence>SegmentedPropertyCategoryCodeSequence>CodeValue', 'SegmentSequence>SegmentedPropertyCategoryCodeSequence>CodingSchemeDesignator',
  'SegmentSequence>SegmentedPropertyCategoryCodeSequence>CodeMeaning', 'SegmentSequence>SegmentedPropertyTypeCodeSequence>CodeValue',
  'SegmentSequence>RecommendedDisplayCIELabValue',
  'SharedFunctionalGroupsSequence>PixelMeasuresSequence>PixelSpacing', 'SharedFunctionalGroupsSequence>PixelMeasuresSequence>SliceThickness',
  'SharedFunctionalGroupsSequence>PixelMeasuresSequence>SpacingBetweenSlices', 'SharedFunctionalGroupsSequence>PlaneOrientationSequence>ImageOrientationPatient',
  'PerFrameFunctionalGroupsSequence>DerivationImageSequence>SourceImageSequence>ReferencedSOPClassUID',
  'PerFrameFunctionalGroupsSequence>DerivationImageSequence>SourceImageSequence>ReferencedSOPInstanceUID',
  'PerFrameFunctionalGroupsSequence>DerivationImageSequence>SourceImageSequence>PurposeOfReferenceCodeSequence>CodeValue',
  'PerFrameFunctionalGroupsSequence>DerivationImageSequence>DerivationCodeSequence>CodeValue',
  'PerFrameFunctionalGroupsSequence>FrameContentSequence>DimensionIndexValues',
  'PerFrameFunctionalGroupsSequence>PlanePositionSequence>ImagePositionPatient',
  'PerFrameFunctionalGroupsSequence>SegmentIdentificationSequence>ReferencedSegmentNumber',
  'DimensionOrganizationSequence>DimensionOrganizationUID', 'DimensionIndexSequence>DimensionIndexPointer', 'DimensionIndexSequence>FunctionalGroupPointer',
  'ReferencedSeriesSequence>SeriesInstanceUID', 'ReferencedSeriesSequence>ReferencedInstanceSequence>ReferencedSOPClassUID',
  'ReferencedSeriesSequence>ReferencedInstanceSequence>ReferencedSOPInstanceUID',
];

const LABELS: MaskLabel[] = [
  { value: 1, name: 'Liver', color: [221, 130, 101], algorithmType: 'MANUAL', category: { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' }, type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' } },
  { value: 2, name: 'Lesion', color: [30, 200, 60], algorithmType: 'AUTOMATIC', algorithmName: 'LesionNet 2.1', type: { scheme: 'SCT', value: '52988006', meaning: 'Lesion' } },
  { value: 3, name: 'Never drawn', color: [0, 0, 255], algorithmType: 'MANUAL' },
  { value: 4, name: 'Edited region', color: [255, 255, 255], algorithmType: 'SEMIAUTOMATIC', algorithmName: 'Delineate grow-cut' },
];

/** A mask with labels 1, 2 and 4 (3 is described but never drawn) and a hole and stripes to catch bit-order slips. */
function maskFor(dims: [number, number, number]): Uint8Array {
  const [W, H, D] = dims;
  const labels = new Uint8Array(W * H * D);
  for (let k = 0; k < D; k++)
    for (let j = 0; j < H; j++)
      for (let i = 0; i < W; i++) {
        let v = 0;
        if (k >= 1 && i < W - 2 && j >= 1 && !(i === 3 && j === 3)) v = 1;
        if (k >= 2 && k <= 4 && (i + 2 * j) % 5 === 0) v = 2;
        if (k === D - 1 && i === W - 1) v = 4;
        labels[(k * H + j) * W + i] = v;
      }
  return labels;
}

async function sourceOf(dir: string): Promise<SourceSeries> {
  const scan = await scanInputs([dir], { extractDir: path.join(dir, '..', 'x') });
  const [volume] = planVolumes(scan.dicom);
  assert.ok(volume, `no series in ${dir}`);
  return toSourceSeries(volume, scan.dicom);
}

interface ReadBack {
  frames: { segment: number; k: number; position: number[]; dimension: number[]; purpose?: string[]; derivation?: string[]; sopClass?: string }[];
  segments: { number: number; label: string; algorithmType: string; algorithmName: string | null; category: string[]; type: string[]; lab: number[] }[];
  paths: string[];
  values: Record<string, unknown>;
  labels: number[];
}

function readBack(file: string, source: SourceSeries): ReadBack {
  const slices: Record<string, number> = {};
  source.slices.forEach((s, k) => s && (slices[`${s.sopInstanceUid}#${s.frameNumber ?? ''}`] = k));
  const spec = { dims: source.geometry.dims, affine: source.geometry.affineLps, slices };
  return JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', READ_BACK, file, JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 64 << 20 })) as ReadBack;
}

/** dciodvfy's findings: it prints to stderr, errors as lines starting "Error". */
function dciodvfy(file: string): { errors: string[]; warnings: string[] } {
  const run = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return { errors: lines.filter((l) => l.startsWith('Error')), warnings: lines.filter((l) => l.startsWith('Warning')) };
}

describe('DICOM SEG export', () => {
  let root: string;
  const sources = new Map<string, SourceSeries>();
  before(async () => {
    root = tempDir('seg-export');
    makeSeries(path.join(root, 'in'), SERIES, { enhanced: [{ name: 'enhanced', rows: 6, cols: 5, slices: 4 }] });
    for (const name of [...SERIES.map((s) => s.name), 'enhanced']) sources.set(name, await sourceOf(path.join(root, 'in', name)));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const name of [...SERIES.map((s) => s.name), 'enhanced']) {
    test(`${name}: pydicom rebuilds the same voxels, dcmdump parses it, dciodvfy finds no errors`, (t) => {
      const source = sources.get(name)!;
      const labels = maskFor(source.geometry.dims);
      const result: SegExportResult = buildSeg({ source, labels, segments: LABELS, seriesDescription: 'Liver & lesion (v2)', contentCreatorName: 'Doe^Jane' });
      const file = path.join(root, `${name}.dcm`);
      fs.writeFileSync(file, result.bytes);

      // label 3 is empty: no segment; the others are numbered 1, 2, 3 in label order
      assert.equal(result.segments, 3);
      assert.deepEqual([...result.segmentNumbers], [[1, 1], [2, 2], [4, 3]]);
      const back = readBack(file, source);
      const expected = Array.from(labels, (v) => (v === 4 ? 3 : v));
      assert.equal(back.labels.length, expected.length);
      assert.deepEqual(back.labels, expected, 'voxels differ');
      assert.equal(back.frames.length, result.frames);

      // frames: non-empty only, ordered by segment then slice, dimension indices and positions from the grid
      const [W, H, D] = source.geometry.dims;
      const nonEmpty: [number, number][] = [];
      for (const [value, number] of result.segmentNumbers)
        for (let k = 0; k < D; k++) if (labels.subarray(k * W * H, (k + 1) * W * H).includes(value)) nonEmpty.push([number, k]);
      assert.deepEqual(back.frames.map((f) => [f.segment, f.k]), nonEmpty);
      for (const f of back.frames) {
        assert.deepEqual(f.dimension, [f.segment, f.k + 1]);
        const expectedPosition = voxelToWorld(source.geometry, [0, 0, f.k]);
        assert.ok(f.position.every((v, i) => Math.abs(v - expectedPosition[i]!) < 1e-6), `frame position ${f.position} vs ${expectedPosition}`);
        if (source.slices[f.k]) {
          assert.deepEqual(f.purpose, ['DCM', '121322']);
          assert.deepEqual(f.derivation, ['DCM', '113076']);
          assert.equal(f.sopClass, source.slices[f.k]!.sopClassUid);
        } else assert.equal(f.purpose, undefined, 'a missing slice has no source image to reference');
      }
      if (name === 'gapped') {
        assert.equal(source.slices[3], null, 'slice 3 was dropped from the series');
        assert.ok(back.frames.some((f) => f.k === 3), 'the missing slice still gets its frames, placed by position');
      }

      // segment descriptions
      assert.deepEqual(
        back.segments.map((s) => [s.number, s.label, s.algorithmType, s.algorithmName]),
        [[1, 'Liver', 'MANUAL', null], [2, 'Lesion', 'AUTOMATIC', 'LesionNet 2.1'], [3, 'Edited region', 'SEMIAUTOMATIC', 'Delineate grow-cut']],
      );
      assert.deepEqual(back.segments[0]!.type, ['SCT', '10200004', 'Liver']);
      assert.deepEqual(back.segments[0]!.category, ['SCT', '123037004', 'Anatomical Structure']);
      assert.deepEqual(back.segments[1]!.category, ['SCT', '49755003', 'Morphologically Altered Structure'], 'category from the terminology list');
      assert.deepEqual(back.segments[2]!.category, [DEFAULT_CATEGORY.scheme, DEFAULT_CATEGORY.value, DEFAULT_CATEGORY.meaning]);
      assert.deepEqual(back.segments[2]!.type, [DEFAULT_TYPE.scheme, DEFAULT_TYPE.value, DEFAULT_TYPE.meaning]);
      // sRGB white is CIELab (100, 0, 0): L at the top of 0..65535, a* and b* at 0x8080 (D50-adapted, as DCMTK and highdicom write it)
      assert.deepEqual(back.segments[2]!.lab, [65535, 0x8080, 0x8080]);
      assert.deepEqual(dicomLabToRgb(back.segments[0]!.lab), [221, 130, 101]);

      // required attributes, tag by tag
      const missing = REQUIRED_PATHS.filter((p) => !back.paths.includes(p));
      assert.deepEqual(missing, [], `missing: ${missing.join(', ')}`);
      const v = back.values;
      assert.equal(v.SOPClassUID, SEGMENTATION_STORAGE);
      assert.equal(v.Modality, 'SEG');
      assert.equal(v.SegmentationType, 'BINARY');
      assert.deepEqual([v.BitsAllocated, v.BitsStored, v.HighBit, v.SamplesPerPixel, v.PixelRepresentation], ['1', '1', '0', '1', '0']);
      assert.equal(v.PhotometricInterpretation, 'MONOCHROME2');
      assert.equal(v.LossyImageCompression, '00');
      assert.deepEqual(v.ImageType, ['DERIVED', 'PRIMARY']);
      assert.equal(v.Manufacturer, 'Delineate');
      assert.equal(v.ContentLabel, 'LIVER _ LESION _');
      assert.equal(v.ContentCreatorName, 'Doe^Jane');
      assert.equal(v.SeriesDescription, 'Liver & lesion (v2)');
      assert.deepEqual([v.PatientName, v.PatientID], name === 'enhanced' ? ['Test^Enhanced', 'ENH-1'] : ['Test^Phantom', 'PHANTOM-1']);
      assert.equal(v.StudyInstanceUID, source.header.StudyInstanceUID);
      assert.equal(v.FrameOfReferenceUID, source.frameOfReferenceUid);
      assert.deepEqual([v.Rows, v.Columns, v.NumberOfFrames], [String(H), String(W), String(result.frames)]);
      assert.deepEqual(v.ReferencedSeries, [source.seriesInstanceUid]);
      assert.equal(v.ReferencedInstances, new Set(source.slices.filter(Boolean).map((s) => s!.sopInstanceUid)).size);
      assert.deepEqual(v.DimensionIndexPointers, ['(0062, 000b)', '(0020, 0032)']);
      assert.ok((v.PixelSpacing as number[]).every((s, i) => Math.abs(s - [source.geometry.spacing[1], source.geometry.spacing[0]][i]!) < 1e-9));
      assert.ok(Math.abs((v.SpacingBetweenSlices as number) - source.geometry.spacing[2]) < 1e-6);

      const dump = spawnSync('dcmdump', ['-q', file], { encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      assert.equal(dump.stderr.trim(), '', 'dcmdump complains');
      const check = dciodvfy(file);
      t.diagnostic(`dciodvfy warnings: ${check.warnings.join(' | ') || 'none'}`);
      assert.deepEqual(check.errors, []);
    });
  }

  test('a multi-frame source is referenced by frame number', () => {
    const source = sources.get('enhanced')!;
    assert.ok(source.slices.every((s) => s?.frameNumber !== null), 'the enhanced source is multi-frame');
    const result = buildSeg({ source, labels: maskFor(source.geometry.dims), segments: LABELS });
    const file = path.join(root, 'enhanced-frames.dcm');
    fs.writeFileSync(file, result.bytes);
    assert.ok(readBack(file, source).paths.includes('PerFrameFunctionalGroupsSequence>DerivationImageSequence>SourceImageSequence>ReferencedFrameNumber'));
  });

  test('uint16 label maps with large label values export', () => {
    const source = sources.get('axial-aniso')!;
    const [W, H, D] = source.geometry.dims;
    const labels = new Uint16Array(W * H * D);
    labels[5] = 1000;
    labels[W * H * 3 + 7] = 40000;
    const result = buildSeg({ source, labels, segments: [{ value: 1000, name: 'A', color: [1, 2, 3], algorithmType: 'MANUAL' }, { value: 40000, name: 'B', color: [4, 5, 6], algorithmType: 'MANUAL' }] });
    const file = path.join(root, 'u16.dcm');
    fs.writeFileSync(file, result.bytes);
    const back = readBack(file, source);
    assert.equal(back.labels[5], 1);
    assert.equal(back.labels[W * H * 3 + 7], 2);
    assert.equal(back.labels.filter((v) => v !== 0).length, 2);
  });

  test('progress rises to 1; an aborted signal cancels', () => {
    const source = sources.get('axial-aniso')!;
    const labels = maskFor(source.geometry.dims);
    const seen: number[] = [];
    buildSeg({ source, labels, segments: LABELS, onProgress: (f) => seen.push(f) });
    assert.ok(seen.length >= 3);
    assert.ok(seen.every((f, i) => i === 0 || f >= seen[i - 1]!), 'progress never goes back');
    assert.equal(seen.at(-1), 1);
    const controller = new AbortController();
    controller.abort();
    assert.throws(() => buildSeg({ source, labels, segments: LABELS, signal: controller.signal }), (err: unknown) => err instanceof DelineateError && err.code === 'cancelled');
  });

  test('bad masks are refused with what is wrong', () => {
    const source = sources.get('axial-aniso')!;
    const [W, H, D] = source.geometry.dims;
    const refused = (labels: Uint8Array, segments: MaskLabel[], pattern: RegExp) =>
      assert.throws(() => buildSeg({ source, labels, segments }), (err: unknown) => err instanceof DelineateError && err.code === 'invalid_input' && pattern.test(err.message));
    refused(new Uint8Array(W * H * D - 1), LABELS, /has \d+ voxels but series .* has 11×9×7/);
    refused(new Uint8Array(W * H * D), LABELS, /mask is empty/);
    const undescribed = maskFor(source.geometry.dims);
    undescribed[0] = 9;
    refused(undescribed, LABELS, /Label value 9 occurs in the mask but no segment describes it/);
  });
});
