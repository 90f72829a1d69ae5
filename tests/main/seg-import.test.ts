// DICOM SEG import: our own SEGs come back voxel for voxel, SEGs written independently with pydicom
// (shuffled frames, FRACTIONAL, overlapping segments, implicit VR, frames placed only by position)
// import as pydicom's truth says, and bad files fail with errors that say what is wrong.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildSeg } from '../../src/main/interchange/seg-export.js';
import { readSeg } from '../../src/main/interchange/seg-import.js';
import { toSourceSeries, type SourceSeries } from '../../src/main/interchange/source-series.js';
import { planVolumes } from '../../src/main/studies/dicom/series-builder.js';
import { scanInputs } from '../../src/main/studies/scan.js';
import { DelineateError } from '../../src/shared/errors.js';
import type { MaskLabel } from '../../src/shared/interchange.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

/**
 * Writes a SEG with pydicom from the series' own files (UIDs, positions, orientation read there) and the
 * label map it should import as. Three segments: 1 a box and 2 a ball that overlap, 3 apart. Frames are
 * shuffled; every other one names its source image, the rest only their position. FRACTIONAL frames
 * carry values below the threshold outside the segment (and one frame has nothing above it).
 */
const WRITE_SEG = String.raw`
import json, os, random, sys
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid
from pydicom.pixel_data_handlers.util import pack_bits
out, series_dir, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
images = [pydicom.dcmread(os.path.join(series_dir, f)) for f in sorted(os.listdir(series_dir))]
by_k = {spec["slices"][im.SOPInstanceUID]: im for im in images}
D = len(by_k); H, W = int(by_k[0].Rows), int(by_k[0].Columns)
kk, jj, ii = np.mgrid[0:D, 0:H, 0:W]
inside = {1: (ii < 6) & (jj < 5) & (kk >= 1), 2: ((ii - 5) ** 2 + (jj - 3) ** 2 + (kk - 3) ** 2) <= 5, 3: (ii >= 8) & (jj >= 5) & (kk <= 2)}
expected = np.zeros((D, H, W), np.uint8)
for s in sorted(inside):
    expected[inside[s]] = s  # the higher segment number wins
overlap = int((sum(m.astype(int) for m in inside.values()) >= 2).sum())
rng = np.random.default_rng(5)
fractional, maximum = spec["fractional"], spec.get("maximum", 255)
threshold = (maximum + 1) // 2  # values at least half of the maximum are inside
frames = []
for s in sorted(inside):
    for k in range(D):
        if inside[s][k].any():
            frames.append((s, k))
if fractional:
    frames.append((3, D - 1))  # only sub-threshold noise: must add nothing
random.Random(11).shuffle(frames)

ds = Dataset()
ds.file_meta = FileMetaDataset()
ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if spec["implicit"] else ExplicitVRLittleEndian
ds.is_little_endian, ds.is_implicit_VR = True, spec["implicit"]
ref = by_k[0]
ds.SOPClassUID, ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID
ds.Modality, ds.PatientName, ds.PatientID = "SEG", ref.PatientName, ref.PatientID
ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = ref.StudyInstanceUID, generate_uid(), ref.FrameOfReferenceUID
ds.Rows, ds.Columns, ds.NumberOfFrames = H, W, len(frames)
ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
ds.SegmentationType = "FRACTIONAL" if fractional else "BINARY"
if fractional:
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.SegmentationFractionalType, ds.MaximumFractionalValue = "PROBABILITY", maximum
else:
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 1, 0
rs = Dataset(); rs.SeriesInstanceUID = ref.SeriesInstanceUID
rs.ReferencedInstanceSequence = Sequence()
for im in images:
    item = Dataset(); item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = im.SOPClassUID, im.SOPInstanceUID
    rs.ReferencedInstanceSequence.append(item)
ds.ReferencedSeriesSequence = Sequence([rs])
def code(value, scheme, meaning):
    c = Dataset(); c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return Sequence([c])
segments = []
for number, label, algorithm, lab, type_code in [(1, "Box", "MANUAL", [65535, 32896, 32896], ("10200004", "Liver")),
                                                 (2, "Ball", "SEMIAUTOMATIC", [21000, 53000, 50000], ("52988006", "Lesion")),
                                                 (3, "Corner", "AUTOMATIC", [30000, 30000, 60000], ("78961009", "Spleen"))]:
    seg = Dataset()
    seg.SegmentNumber, seg.SegmentLabel, seg.SegmentAlgorithmType = number, label, algorithm
    if algorithm != "MANUAL":
        seg.SegmentAlgorithmName = label + "Finder 1.0"
    seg.SegmentedPropertyCategoryCodeSequence = code("123037004", "SCT", "Anatomical Structure")
    seg.SegmentedPropertyTypeCodeSequence = code(*type_code[:1], "SCT", type_code[1])
    seg.RecommendedDisplayCIELabValue = lab
    segments.append(seg)
ds.SegmentSequence = Sequence(segments)
shared = Dataset()
pm = Dataset(); pm.PixelSpacing = ref.PixelSpacing; pm.SliceThickness = ref.SliceThickness
po = Dataset(); po.ImageOrientationPatient = ref.ImageOrientationPatient
shared.PixelMeasuresSequence, shared.PlaneOrientationSequence = Sequence([pm]), Sequence([po])
ds.SharedFunctionalGroupsSequence = Sequence([shared])
per_frame, pixels = [], []
for n, (s, k) in enumerate(frames):
    item = Dataset()
    if n % 2 == 0:
        src = Dataset(); src.ReferencedSOPClassUID, src.ReferencedSOPInstanceUID = by_k[k].SOPClassUID, by_k[k].SOPInstanceUID
        src.PurposeOfReferenceCodeSequence = code("121322", "DCM", "Source image for image processing operation")
        der = Dataset(); der.SourceImageSequence = Sequence([src]); der.DerivationCodeSequence = code("113076", "DCM", "Segmentation")
        item.DerivationImageSequence = Sequence([der])
    pp = Dataset(); pp.ImagePositionPatient = by_k[k].ImagePositionPatient
    si = Dataset(); si.ReferencedSegmentNumber = s
    fc = Dataset(); fc.DimensionIndexValues = [s, k + 1]
    item.PlanePositionSequence, item.SegmentIdentificationSequence, item.FrameContentSequence = Sequence([pp]), Sequence([si]), Sequence([fc])
    per_frame.append(item)
    if fractional:
        pixels.append(np.where(inside[s][k], rng.integers(threshold, maximum + 1, (H, W)), rng.integers(0, threshold, (H, W))).astype(np.uint8))
    else:
        pixels.append(inside[s][k].astype(np.uint8))
ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
stack = np.stack(pixels)
ds.PixelData = stack.tobytes() if fractional else pack_bits(stack.ravel())  # frames back to back, no per-frame padding
ds["PixelData"].VR = "OB" if not spec["implicit"] else "OW"
pydicom.dataset.FileDataset(out, ds, file_meta=ds.file_meta, preamble=b"\0" * 128).save_as(out, write_like_original=False)
open(out + ".labels", "wb").write(expected.tobytes())
print(json.dumps({"overlap": overlap, "frames": len(frames)}))
`;

/** Apply Python statements to a DICOM file (variable ds) with pydicom and save it elsewhere. */
function mutate(from: string, to: string, statements: string): string {
  const script = `import sys, pydicom\nfrom pydicom.dataset import Dataset\nfrom pydicom.sequence import Sequence\nds = pydicom.dcmread(sys.argv[1])\n${statements}\nds.save_as(sys.argv[2], write_like_original=False)\n`;
  execFileSync(DEBIAN_PYTHON, ['-c', script, from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
  return to;
}

async function sourceOf(dir: string): Promise<SourceSeries> {
  const scan = await scanInputs([dir], { extractDir: path.join(dir, '..', 'x') });
  const [volume] = planVolumes(scan.dicom);
  assert.ok(volume, `no series in ${dir}`);
  return toSourceSeries(volume, scan.dicom);
}

const LABELS: MaskLabel[] = [
  { value: 1, name: 'Liver', color: [221, 130, 101], algorithmType: 'MANUAL', category: { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' }, type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' } },
  { value: 2, name: 'Lesion', color: [30, 200, 60], algorithmType: 'AUTOMATIC', algorithmName: 'LesionNet 2.1' },
  { value: 3, name: 'Gefäß höger', color: [0, 151, 206], algorithmType: 'SEMIAUTOMATIC', algorithmName: 'Threshold' },
];

function pattern(dims: [number, number, number]): Uint8Array {
  const [W, H, D] = dims;
  const labels = new Uint8Array(W * H * D);
  for (let k = 0; k < D; k++)
    for (let j = 0; j < H; j++)
      for (let i = 0; i < W; i++) labels[(k * H + j) * W + i] = (i * 3 + j * 5 + k * 7) % 11 < 4 ? ((i + j + k) % 3) + 1 : 0;
  return labels;
}

function rejects(action: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(action, (err: unknown) => {
    assert.ok(err instanceof DelineateError, `not a DelineateError: ${String(err)}`);
    assert.equal(err.code, 'invalid_input');
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('DICOM SEG import', () => {
  let root: string;
  const sources = new Map<string, SourceSeries>();
  const names = ['oblique', 'axial', 'other', 'gapped'];
  before(async () => {
    root = tempDir('seg-import');
    // 10×7 frames are 70 bits: frames after the first start mid-byte
    makeSeries(path.join(root, 'in'), [
      { name: 'oblique', rows: 7, cols: 10, slices: 6, spacing: [1.1, 0.9], orientation: [0.8, 0.6, 0, -0.36, 0.48, 0.8], slice_step: 1.7, shuffle: true },
      { name: 'axial', rows: 8, cols: 12, slices: 5, spacing: [0.7, 0.7], slice_step: 2.0 },
      { name: 'other', rows: 8, cols: 12, slices: 5, spacing: [0.7, 0.7], slice_step: 2.0 },
      { name: 'gapped', rows: 6, cols: 8, slices: 6, drop_slices: [3] },
    ], { enhanced: [{ name: 'enhanced', rows: 6, cols: 5, slices: 4 }] });
    for (const name of [...names, 'enhanced']) sources.set(name, await sourceOf(path.join(root, 'in', name)));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  // gapped: the filled-in slice 3 has no source image, so its frames are placed by position
  for (const name of ['oblique', 'axial', 'enhanced', 'gapped']) {
    test(`${name}: our SEG imports back to the same label map and segment descriptions`, () => {
      const source = sources.get(name)!;
      const labels = pattern(source.geometry.dims);
      const { bytes } = buildSeg({ source, labels, segments: LABELS });
      const mask = readSeg(bytes, source, 'ours.dcm');
      assert.ok(mask.labels instanceof Uint8Array);
      assert.equal(Buffer.compare(Buffer.from(mask.labels), Buffer.from(labels)), 0, 'label maps differ');
      assert.deepEqual(mask.warnings, []);
      assert.deepEqual(mask.segments.map((s) => [s.value, s.name, s.algorithmType, s.algorithmName]), [[1, 'Liver', 'MANUAL', undefined], [2, 'Lesion', 'AUTOMATIC', 'LesionNet 2.1'], [3, 'Gefäß höger', 'SEMIAUTOMATIC', 'Threshold']]);
      mask.segments.forEach((s, n) => assert.ok(s.color.every((c, i) => Math.abs(c - LABELS[n]!.color[i]!) <= 1), `colour ${s.color} vs ${LABELS[n]!.color}`));
      assert.deepEqual(mask.segments[0]!.type, LABELS[0]!.type);
      assert.deepEqual(mask.segments[0]!.category, LABELS[0]!.category);
      assert.deepEqual(mask.segments[1]!.type, { scheme: 'SCT', value: '85756007', meaning: 'Tissue' });
    });
  }

  for (const variant of [
    { name: 'FRACTIONAL, explicit VR', fractional: true, implicit: false, maximum: 200 },
    { name: 'BINARY, implicit VR, unaligned frames', fractional: false, implicit: true },
  ]) {
    test(`a pydicom SEG (${variant.name}, shuffled frames, overlapping segments) imports as written`, () => {
      const source = sources.get('oblique')!;
      const slices: Record<string, number> = {};
      source.slices.forEach((s, k) => (slices[s!.sopInstanceUid] = k));
      const file = path.join(root, `pydicom-${variant.fractional ? 'fractional' : 'binary'}.dcm`);
      const written = JSON.parse(
        execFileSync(DEBIAN_PYTHON, ['-c', WRITE_SEG, file, path.join(root, 'in', 'oblique'), JSON.stringify({ slices, ...variant })], { encoding: 'utf8' }),
      ) as { overlap: number; frames: number };
      const expected = new Uint8Array(fs.readFileSync(`${file}.labels`));
      const mask = readSeg(new Uint8Array(fs.readFileSync(file)), source, path.basename(file));
      assert.equal(mask.labels.length, expected.length);
      let differ = 0;
      for (let n = 0; n < expected.length; n++) if (mask.labels[n] !== expected[n]) differ++;
      assert.equal(differ, 0, `${differ} voxels differ`);
      assert.ok(written.overlap > 0, 'the fixture has overlapping segments');
      assert.ok(mask.warnings.some((w) => w.startsWith(`${written.overlap} voxels belong to more than one segment`)), mask.warnings.join('\n'));
      if (variant.fractional) assert.ok(mask.warnings.some((w) => /FRACTIONAL segmentation: voxels with a value of at least 100 of 200/.test(w)), mask.warnings.join('\n'));
      assert.deepEqual(mask.segments.map((s) => [s.value, s.name, s.algorithmType, s.algorithmName ?? null, s.type?.value]), [
        [1, 'Box', 'MANUAL', null, '10200004'],
        [2, 'Ball', 'SEMIAUTOMATIC', 'BallFinder 1.0', '52988006'],
        [3, 'Corner', 'AUTOMATIC', 'CornerFinder 1.0', '78961009'],
      ]);
      assert.deepEqual(mask.segments[0]!.color, [255, 255, 255], 'CIELab (100, 0, 0) is white');
    });
  }

  test('a SEG of another series names both series', () => {
    const other = sources.get('other')!;
    const axial = sources.get('axial')!;
    const { bytes } = buildSeg({ source: other, labels: pattern(other.geometry.dims), segments: LABELS });
    rejects(() => readSeg(bytes, axial, 'other.dcm'), /^other\.dcm: /, new RegExp(`references series ${other.seriesInstanceUid.replace(/\./g, '\\.')}`), new RegExp(`not series ${axial.seriesInstanceUid.replace(/\./g, '\\.')}`));
    // without a Referenced Series Sequence, the frame of reference tells
    const file = path.join(root, 'other-for.dcm');
    fs.writeFileSync(file, bytes);
    mutate(file, file, 'del ds.ReferencedSeriesSequence');
    rejects(() => readSeg(new Uint8Array(fs.readFileSync(file)), axial, 'other-for.dcm'), /frame of reference/, new RegExp(other.frameOfReferenceUid.replace(/\./g, '\\.')), new RegExp(axial.frameOfReferenceUid.replace(/\./g, '\\.')));
  });

  test('a frame outside the volume is named with its position', () => {
    const source = sources.get('axial')!;
    const file = path.join(root, 'outside.dcm');
    fs.writeFileSync(file, buildSeg({ source, labels: pattern(source.geometry.dims), segments: LABELS }).bytes);
    // frame 2 loses its source reference and moves 10 slices (20 mm) past the last one along z
    mutate(file, file, 'f = ds.PerFrameFunctionalGroupsSequence[1]\nf.DerivationImageSequence = Sequence()\np = f.PlanePositionSequence[0]\np.ImagePositionPatient = [p.ImagePositionPatient[0], p.ImagePositionPatient[1], float(p.ImagePositionPatient[2]) + 30]');
    rejects(() => readSeg(new Uint8Array(fs.readFileSync(file)), source, 'outside.dcm'), /^outside\.dcm: frame 2 at \(/, /lies outside the volume/, /the series has slices 0\.\.4/);
    // a frame off the grid in-plane
    mutate(file, file, 'p = ds.PerFrameFunctionalGroupsSequence[1].PlanePositionSequence[0]\np.ImagePositionPatient = [float(p.ImagePositionPatient[0]) + 0.35, p.ImagePositionPatient[1], float(p.ImagePositionPatient[2]) - 30]');
    rejects(() => readSeg(new Uint8Array(fs.readFileSync(file)), source, 'outside.dcm'), /frame 2 starts at .* 0\.350 mm off the series' pixel grid/);
  });

  test('frames of another size or orientation are refused', () => {
    const source = sources.get('axial')!;
    const file = path.join(root, 'size.dcm');
    fs.writeFileSync(file, buildSeg({ source, labels: pattern(source.geometry.dims), segments: LABELS }).bytes);
    const rows = mutate(file, path.join(root, 'rows.dcm'), 'ds.Rows = ds.Rows + 1');
    rejects(() => readSeg(new Uint8Array(fs.readFileSync(rows)), source, 'rows.dcm'), /^rows\.dcm: the SEG's frames are 12×9 \(columns×rows\) but series .* has 12×8 images/);
    const turned = mutate(file, path.join(root, 'turned.dcm'), 'ds.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0].ImageOrientationPatient = [1, 0, 0, 0, 0, -1]');
    rejects(() => readSeg(new Uint8Array(fs.readFileSync(turned)), source, 'turned.dcm'), /frame 1 has orientation 1\\0\\0\\0\\0\\-1, the series 1\\0\\0\\0\\1\\0/);
  });

  test('files that are not SEGs, or not readable ones, say so', () => {
    const source = sources.get('axial')!;
    const ct = path.join(root, 'in', 'axial', fs.readdirSync(path.join(root, 'in', 'axial'))[0]!);
    rejects(() => readSeg(new Uint8Array(fs.readFileSync(ct)), source, 'IM0000.dcm'), /^IM0000\.dcm: not a DICOM SEG \(its SOP Class is 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2;/);
    rejects(() => readSeg(new TextEncoder().encode('label,x,y\n1,2,3\n'), source, 'labels.csv'), /^labels\.csv: not a DICOM file/);
    const file = path.join(root, 'rle.dcm');
    fs.writeFileSync(file, buildSeg({ source, labels: pattern(source.geometry.dims), segments: LABELS }).bytes);
    // encapsulated as one fragment (the bytes are not RLE-coded: the transfer syntax alone is refused)
    mutate(file, file, 'from pydicom.encaps import encapsulate\nds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"\nds.PixelData = encapsulate([bytes(ds.PixelData)])\nds["PixelData"].is_undefined_length = True');
    rejects(() => readSeg(new Uint8Array(fs.readFileSync(file)), source, 'rle.dcm'), /transfer syntax 1\.2\.840\.10008\.1\.2\.5 \(RLE Lossless\) is not supported for SEG import; decompress/);
    const cut = buildSeg({ source, labels: pattern(source.geometry.dims), segments: LABELS }).bytes;
    rejects(() => readSeg(cut.subarray(0, cut.byteLength - 20), source, 'cut.dcm'), /^cut\.dcm: .*(truncated)/);
  });
});
