// The header pass's Pixel Data locator and the decode pass's fast path that trusts it: the location
// must be exactly where dcmjs finds the value, odd files must get none, and the fast path must give
// the full decode's voxels and hash or decline.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDicomHeader } from '../../src/main/studies/dicom/dcmjs-reader.js';
import { readLeanHeader } from '../../src/main/studies/dicom/lean-header.js';
import { readDicomInstance } from '../../src/main/studies/dicom/read-header.js';
import { locatePixelData, nativePixelDataOf, type NativePixelData, type PixelDataLocation } from '../../src/main/studies/dicom/pixel-data-locator.js';
import { parseDataset } from '../../src/main/studies/dicom/pixels/dicom-dataset.js';
import { fastRescale } from '../../src/main/studies/dicom/pixels/native-fast-path.js';
import { decodeSlices } from '../../src/main/studies/dicom/pixels/place-slices.js';
import type { OutputSpec } from '../../src/main/studies/dicom/pixels/worker-protocol.js';
import type { VoxelType } from '../../src/shared/volume.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

const VARIANTS = fileURLToPath(new URL('../../../tests/fixtures/make-pixel-variants.py', import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function variants(families: string): { file: string; ts: string; name: string }[] {
  const dir = tempDir('locator-variants');
  dirs.push(dir);
  const run = spawnSync(DEBIAN_PYTHON, [VARIANTS, dir, '--only', families], { encoding: 'utf8', env: { ...process.env, NODE: process.execPath } });
  if (run.status !== 0) throw new Error(`make-pixel-variants.py failed: ${run.stderr}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { variants: { name: string; file: string; ts: string }[] };
  return manifest.variants.map((v) => ({ ...v, file: path.join(dir, v.file) }));
}

const readOwn = (file: string) => new Uint8Array(fs.readFileSync(file));

/** The location holds exactly the Pixel Data value dcmjs (the full parse) reads, after its element header. */
function assertDcmjsValue(bytes: Uint8Array, found: PixelDataLocation | null, label: string): void {
  assert.ok(found, `${label}: no location`);
  const pixels = parseDataset(bytes, () => false).pixels;
  assert.ok(pixels && !pixels.encapsulated && pixels.tag === '7FE00010', label);
  assert.equal(found.length, pixels.bytes.byteLength, label);
  assert.ok(Buffer.from(bytes.subarray(found.offset, found.offset + found.length)).equals(pixels.bytes), label);
  const header = found.offset - (found.explicitVr ? 12 : 8);
  assert.deepEqual([...bytes.subarray(header, header + 4)], [0xe0, 0x7f, 0x10, 0x00], label);
}

/** The header pass's fast-path record, straight from the header (also for files without patient geometry). */
function nativeOf(file: string): NativePixelData | null {
  const bytes = readOwn(file);
  const parsed = parseDicomHeader(bytes);
  return nativePixelDataOf(bytes, parsed.transferSyntaxUid, parsed.dataset);
}

function spec(native: NativePixelData | null, voxelType: VoxelType, slope: number, intercept: number): OutputSpec {
  const output: OutputSpec = { voxelType, sliceLength: native ? native.rows * native.columns : 0, slices: [{ k: 0, frame: 0, slope, intercept, tile: null }] };
  if (native) output.native = native;
  return output;
}

async function fullDecode(file: string, output: OutputSpec) {
  const { native: _native, ...rest } = output;
  return decodeSlices(fs.readFileSync(file), file, rest);
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('locatePixelData', () => {
  const all = variants('ct,mf,ov');

  test('explicit and implicit VR little endian: exactly the value dcmjs reads', () => {
    const le = all.filter((v) => v.ts === '1.2.840.10008.1.2' || v.ts === '1.2.840.10008.1.2.1');
    assert.ok(le.some((v) => v.ts === '1.2.840.10008.1.2') && le.some((v) => v.ts === '1.2.840.10008.1.2.1'));
    for (const v of le) {
      const bytes = readOwn(v.file);
      const found = locatePixelData(bytes, v.ts);
      assertDcmjsValue(bytes, found, v.name);
      assert.equal(found!.explicitVr, v.ts === '1.2.840.10008.1.2.1');
    }
  });

  test('big endian, deflated and encapsulated syntaxes get no location', () => {
    const others = all.filter((v) => v.ts !== '1.2.840.10008.1.2' && v.ts !== '1.2.840.10008.1.2.1');
    assert.ok(others.some((v) => v.ts === '1.2.840.10008.1.2.2') && others.some((v) => v.ts === '1.2.840.10008.1.2.1.99'));
    for (const v of others) assert.equal(locatePixelData(readOwn(v.file), v.ts), null, v.name);
  });

  test('sequences of undefined length (nested, in both VR encodings) are walked past', () => {
    const dir = tempDir('locator-seq');
    dirs.push(dir);
    execFileSync(DEBIAN_PYTHON, ['-c', SEQUENCE_FILES, dir]);
    for (const [name, ts] of [
      ['seq-explicit.dcm', '1.2.840.10008.1.2.1'],
      ['seq-implicit.dcm', '1.2.840.10008.1.2'],
    ] as const) {
      const bytes = readOwn(path.join(dir, name));
      assertDcmjsValue(bytes, locatePixelData(bytes, ts), name);
    }
  });

  test('odd input gets no location, never a wrong one', () => {
    const v = all.find((x) => x.name === 'ct-explicit-le')!;
    const bytes = readOwn(v.file);
    const at = locatePixelData(bytes, v.ts)!.offset;
    // the head read ends before the Pixel Data element header is complete
    assert.equal(locatePixelData(bytes.subarray(0, at - 1), v.ts), null);
    // not a Part 10 file at all, or a syntax it does not walk
    assert.equal(locatePixelData(bytes.subarray(0, 100), v.ts), null);
    assert.equal(locatePixelData(bytes, '1.2.840.10008.1.2.2'), null);
    // a garbage VR somewhere before Pixel Data
    const broken = bytes.slice();
    broken[132 + 4] = 0x3f;
    assert.equal(locatePixelData(broken, v.ts), null);
  });
});

describe('native fast path', () => {
  const all = variants('ct,mf,ov,wide');

  test('every variant: the same voxels, range and hash as the full decode, or declined', async () => {
    let taken = 0;
    for (const v of all) {
      const native = nativeOf(v.file);
      if (!native) continue;
      for (const [voxelType, slope, intercept] of [
        ['int16', 1, 0],
        ['int16', 1, -1024],
        ['uint16', 2, 3],
        ['int16', 1, 40000], // overflows
      ] as const) {
        const output = spec(native, voxelType, slope, intercept);
        const fast = fastRescale(v.file, output);
        assert.ok(fast, `${v.name}: fast path declined`);
        const full = await fullDecode(v.file, output);
        assert.equal(fast.overflow, full.overflow, v.name);
        assert.equal(fast.min, full.min, v.name);
        assert.equal(fast.max, full.max, v.name);
        assert.deepEqual(fast.slices, full.slices, `${v.name} ${voxelType} ${slope} ${intercept}`);
        assert.equal(fast.sha256, sha256(v.file));
      }
      taken++;
    }
    assert.ok(taken >= 3, `only ${taken} variants took the fast path`);
  });

  test('writes the slice into the cache file at its place, like the full decode', async () => {
    const dir = makeSeries(tempDir('fast-fd'), [{ name: 'ct', slices: 2, rows: 9, cols: 7, intercept: -1024, bits_stored: 12, signed: false, transfer_syntax: 'implicit' }]);
    dirs.push(dir);
    const file = path.join(dir, 'ct', fs.readdirSync(path.join(dir, 'ct')).sort()[0]!);
    const native = nativeOf(file);
    assert.ok(native && !native.explicitVr);
    assert.deepEqual(readDicomInstance(file).slices[0]!.native, native, 'the header pass records it on the slice');
    const written = async (run: (output: OutputSpec) => unknown) => {
      const out = path.join(dir, 'out.raw');
      const fd = fs.openSync(out, 'w+');
      try {
        fs.ftruncateSync(fd, 3 * 9 * 7 * 2);
        await run({ ...spec(native, 'int16', 1, -1024), slices: [{ k: 2, frame: 0, slope: 1, intercept: -1024, tile: null }], fd });
      } finally {
        fs.closeSync(fd);
      }
      return fs.readFileSync(out);
    };
    const fast = await written((output) => assert.ok(fastRescale(file, output)));
    const full = await written((output) => fullDecode(file, output));
    assert.ok(fast.subarray(0, 2 * 9 * 7 * 2).every((b) => b === 0));
    assert.deepEqual(fast, full);
  });

  test('declines when the file is not the one the header pass read', () => {
    const dir = makeSeries(tempDir('fast-changed'), [{ name: 'ct', slices: 1, rows: 8, cols: 8 }]);
    dirs.push(dir);
    const file = path.join(dir, 'ct', fs.readdirSync(path.join(dir, 'ct'))[0]!);
    const native = nativeOf(file)!;
    const output = spec(native, 'int16', 1, 0);
    assert.ok(fastRescale(file, output));
    const original = fs.readFileSync(file);
    // a header byte changed (the patient name's last character)
    const changed = Buffer.from(original);
    const name = changed.indexOf('Phantom');
    changed[name] = 0x51;
    fs.writeFileSync(file, changed);
    assert.equal(fastRescale(file, output), null);
    // bytes after the Pixel Data value
    fs.writeFileSync(file, Buffer.concat([original, Buffer.from([0xfc, 0xff, 0xfc, 0xff, 0x4f, 0x42, 0, 0, 0, 0, 0, 0])]));
    assert.equal(fastRescale(file, output), null);
    // shorter than the value
    fs.writeFileSync(file, original.subarray(0, original.length - 2));
    assert.equal(fastRescale(file, output), null);
    // gone
    fs.rmSync(file);
    assert.equal(fastRescale(file, output), null);
  });

  test('declines what it does not handle: tiles, float or 32-bit voxels, fractional rescale, no record', () => {
    const dir = makeSeries(tempDir('fast-cases'), [{ name: 'ct', slices: 1, rows: 8, cols: 8 }]);
    dirs.push(dir);
    const file = path.join(dir, 'ct', fs.readdirSync(path.join(dir, 'ct'))[0]!);
    const native = nativeOf(file)!;
    assert.equal(fastRescale(file, spec(native, 'float32', 1, 0)), null);
    assert.equal(fastRescale(file, spec(native, 'int32', 1, 0)), null);
    assert.equal(fastRescale(file, spec(native, 'int16', 0.5, 0)), null);
    assert.equal(fastRescale(file, spec(null, 'int16', 1, 0)), null);
    const tile = { ...spec(native, 'int16', 1, 0), slices: [{ k: 0, frame: 0, slope: 1, intercept: 0, tile: { index: 0, columns: 4, rows: 4, mosaicColumns: 8 } }] };
    assert.equal(fastRescale(file, tile), null);
  });
});

// Two files whose Pixel Data follows undefined-length sequences with undefined-length items, a nested
// sequence and a private element (pydicom 2.3).
const SEQUENCE_FILES = `
import sys, os, numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid
for name, ts in (("seq-explicit.dcm", ExplicitVRLittleEndian), ("seq-implicit.dcm", ImplicitVRLittleEndian)):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ts
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, ts == ImplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ref = Dataset(); ref.ReferencedSOPInstanceUID = generate_uid()
    code = Dataset(); code.CodeValue = "121311"; code.CodingSchemeDesignator = "DCM"
    ref.PurposeOfReferenceCodeSequence = Sequence([code])
    ref.is_undefined_length_sequence_item = True
    ds.ReferencedImageSequence = Sequence([ref, Dataset()])
    ds["ReferencedImageSequence"].is_undefined_length = True
    ds.add_new(0x00091001, "LO", "private")
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 4, 6, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelData = (np.arange(24, dtype="<i2") * 37 - 300).tobytes()
    ds.save_as(os.path.join(sys.argv[1], name), write_like_original=False)
`;

describe('lean header reader', () => {
  /** Every file under dir, recursively. */
  const filesUnder = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith('.dcm') || !e.name.includes('.') ? [path.join(dir, e.name)] : []));

  const outcome = (file: string, lean: boolean) => {
    try {
      return { instance: readDicomInstance(file, { lean }) };
    } catch (err) {
      return { error: `${(err as Error).name}: ${(err as Error).message}` };
    }
  };

  test('gives exactly the instance dcmjs gives, or leaves the file to dcmjs', () => {
    const dir = tempDir('lean');
    dirs.push(dir);
    makeSeries(
      dir,
      [
        { name: 'ct', slices: 3, rows: 6, cols: 5, intercept: -1024, series_number: 2 },
        { name: 'mr', modality: 'MR', slices: 2, rows: 4, cols: 4, signed: false, slope: 0.5, intercept: 1.25, bits_stored: 12, transfer_syntax: 'implicit' },
        { name: 'loc', slices: 2, localizer: true, patient_name: 'Doe^Jane^^Dr' },
        { name: 'echo', modality: 'MR', slices: 2, echoes: 2, photometric: 'MONOCHROME1', patient_name: '' },
        { name: 'odd-name', slices: 1, patient_name: 'Müller^Jörg' },
        { name: 'ideographic', slices: 1, patient_name: 'Yamada^Tarou=山田^太郎' },
      ],
      { enhanced: [{ name: 'enhanced', slices: 3 }], mosaic: [{ name: 'mosaic', tiles: 4, rows: 4, cols: 3 }] },
    );
    execFileSync(DEBIAN_PYTHON, ['-c', SEQUENCE_FILES, dir]);
    const files = [...filesUnder(dir), ...all.map((v) => v.file)];
    let leanRead = 0;
    for (const file of files) {
      const viaDcmjs = outcome(file, false);
      assert.deepEqual(outcome(file, true), viaDcmjs, file);
      const bytes = readOwn(file);
      if (readLeanHeader(bytes.subarray(0, 64 * 1024))) leanRead++;
    }
    assert.ok(leanRead >= 10, `the lean reader read only ${leanRead} of ${files.length} files`);
    // what it must leave to dcmjs
    for (const sub of ['enhanced', 'mosaic', 'odd-name', 'ideographic']) {
      for (const file of filesUnder(path.join(dir, sub))) assert.equal(readLeanHeader(readOwn(file)), null, file);
    }
  });

  const all = variants('ct,mr,rgb,mf,ov,wide');

  test('headers longer than the first read (8 KiB) or the head (64 KiB): the same instance and fast-path record as the whole file gives', () => {
    const dir = tempDir('lean-long');
    dirs.push(dir);
    execFileSync(DEBIAN_PYTHON, ['-c', LONG_HEADERS, dir]);
    for (const name of ['long-7k.dcm', 'long-20k.dcm', 'long-100k.dcm']) {
      const file = path.join(dir, name);
      assert.deepEqual(outcome(file, true), outcome(file, false), file);
      const native = readDicomInstance(file).slices[0]!.native;
      assert.ok(native, `${name}: no fast-path record`);
      assert.deepEqual(native, nativeOf(file), name);
    }
  });
});

// Files whose Pixel Data element header lies just before 8 KiB, past it, and past 64 KiB (a private OB
// value pads the header).
const LONG_HEADERS = `
import sys, os, numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
for name, pad in (("long-7k.dcm", 7000), ("long-20k.dcm", 20000), ("long-100k.dcm", 100000)):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.add_new(0x00091010, "OB", bytes(pad))
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.ImagePositionPatient, ds.ImageOrientationPatient, ds.PixelSpacing = [0, 0, 0], [1, 0, 0, 0, 1, 0], [1, 1]
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 4, 6, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.PixelData = (np.arange(24, dtype="<u2") * 37).tobytes()
    ds.save_as(os.path.join(sys.argv[1], name), write_like_original=False)
`;
