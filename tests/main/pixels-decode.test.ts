// decodeDicomFile against every transfer-syntax variant written by tests/fixtures/make-pixel-variants.py
// (pydicom + dcmtk + gdcm + openjph, generated into a temp dir at test time).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeDicomFile, PixelDataError, TRANSFER_SYNTAXES, type StoredFrame } from '../../src/main/studies/dicom/pixels/index.js';

const PYTHON = '/usr/bin/python3'; // Debian's, with pydicom and numpy (not the pyenv python3 on PATH)
const GENERATOR = fileURLToPath(new URL('../../../tests/fixtures/make-pixel-variants.py', import.meta.url));
const DTYPES = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array };

interface Variant {
  name: string;
  file: string;
  ts: string;
  expect: string;
  dtype: keyof typeof DTYPES;
  expect_dtype: keyof typeof DTYPES;
  rows: number;
  cols: number;
  spp: number;
  frames: number;
  lossy: boolean;
  slope: number;
  intercept: number;
  reference?: string;
}
interface Manifest {
  variants: Variant[];
  bad: { name: string; file: string }[];
}

function makeFixtures(): { dir: string; manifest: Manifest } {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: the pixel fixtures need Debian's python3 with pydicom and numpy`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-pixels-'));
  const run = spawnSync(PYTHON, [GENERATOR, dir], { encoding: 'utf8', env: { ...process.env, NODE: process.execPath } });
  if (run.status !== 0) throw new Error(`make-pixel-variants.py failed (exit ${run.status}): ${run.stderr || run.error?.message}`);
  return { dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest };
}

const { dir, manifest } = makeFixtures();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const variant = (name: string): Variant => {
  const found = manifest.variants.find((v) => v.name === name);
  assert.ok(found, `the fixture generator wrote no ${name}`);
  return found;
};
const decode = (file: string) => decodeDicomFile(fs.readFileSync(path.join(dir, file)), file);
function readRaw(file: string, dtype: keyof typeof DTYPES): StoredFrame {
  const bytes = fs.readFileSync(path.join(dir, file));
  return new DTYPES[dtype](Uint8Array.prototype.slice.call(bytes).buffer);
}
function joined(frames: StoredFrame[]): number[] {
  return frames.flatMap((frame) => Array.from(frame as ArrayLike<number>));
}
function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) return `sample ${i}: ${got[i]}, expected ${want[i]}`;
  return null;
}

describe('coverage', () => {
  test('every supported transfer syntax has at least one fixture, and every lossless one a lossless fixture', () => {
    for (const syntax of TRANSFER_SYNTAXES.values()) {
      const variants = manifest.variants.filter((v) => v.ts === syntax.uid);
      assert.ok(variants.length > 0, `no fixture for ${syntax.uid} (${syntax.name})`);
      if (!syntax.lossy) assert.ok(variants.some((v) => !v.lossy), `no lossless fixture for ${syntax.uid}`);
    }
  });
});

describe('lossless variants decode to exactly the original stored values', () => {
  for (const v of manifest.variants.filter((x) => !x.lossy)) {
    test(`${v.name} (${v.ts})`, async () => {
      const { format, frames } = await decode(v.file);
      assert.equal(format.transferSyntaxUid, v.ts);
      assert.equal(format.numberOfFrames, v.frames);
      assert.equal(frames.length, v.frames);
      for (const frame of frames) {
        assert.ok(frame instanceof DTYPES[v.dtype], `${v.name}: got ${frame.constructor.name}, expected ${v.dtype}`);
        assert.equal(frame.length, v.rows * v.cols * v.spp);
      }
      assert.equal(firstMismatch(joined(frames), readRaw(v.expect, v.dtype)), null);
      if (v.spp === 3) assert.deepEqual([format.photometricInterpretation, format.planarConfiguration], ['RGB', 0]);
    });
  }
});

describe('stored-value semantics', () => {
  test('signed 12-bit data is sign-extended whatever the codec returns', async () => {
    for (const name of ['ct-explicit-le', 'ct-rle', 'ct-jpeg-lossless', 'ct-jpeg-sv1', 'ct-jpegls', 'ct-j2k', 'ct-htj2k']) {
      const [frame] = (await decode(variant(name).file)).frames;
      assert.ok(frame instanceof Int16Array, name);
      assert.deepEqual([Math.min(...frame), Math.max(...frame), frame[0]], [-2048, 2047, -2048], name);
    }
  });

  test('overlay bits above High Bit are masked off (every stored word had garbage in bits 12-15)', async () => {
    const unsigned = (await decode(variant('ov-unsigned').file)).frames[0]!;
    assert.ok(Math.max(...unsigned) <= 4095 && Math.min(...unsigned) >= 0);
    for (const name of ['ov-signed', 'ov-signed-be']) {
      const signed = (await decode(variant(name).file)).frames[0]!;
      assert.deepEqual([Math.min(...signed), Math.max(...signed)], [-2048, 2047], name);
    }
  });

  test('colour comes back interleaved RGB from planar, YBR and encapsulated data', async () => {
    const reference = (await decode(variant('rgb-explicit-le').file)).frames[0]!;
    // rgb_values(): red ramps with the column, green with the row, blue = 128 + 100 sin((c + r) / 6)
    assert.deepEqual(Array.from(reference.subarray(0, 3)), [0, 0, 128]);
    assert.deepEqual(Array.from(reference.subarray(63 * 3, 63 * 3 + 2)), [255, 0]);
    for (const name of ['rgb-planar1', 'rgb-rle', 'rgb-jpegls', 'rgb-j2k', 'rgb-htj2k', 'rgb-jpeg-sv1']) {
      assert.deepEqual((await decode(variant(name).file)).frames[0], reference, name);
    }
  });

  test('multi-frame files keep their frame count and order', async () => {
    const expected = readRaw(variant('mf-explicit-le').expect, 'int16');
    const size = 48 * 64;
    for (const v of manifest.variants.filter((x) => x.name.startsWith('mf-'))) {
      const { frames } = await decode(v.file);
      assert.equal(frames.length, 3, v.name);
      frames.forEach((frame, k) => assert.equal(firstMismatch(frame, expected.subarray(k * size, (k + 1) * size)), null, `${v.name} frame ${k + 1}`));
      assert.notDeepEqual(frames[0], frames[1], 'the frames differ, so order is observable');
    }
  });

  test('big endian decodes to the same values as little endian (16-bit, 8-bit OW, 32-bit, float, double)', async () => {
    for (const [big, little] of [
      ['ct-explicit-be', 'ct-explicit-le'],
      ['mr-big-ow', 'mr-explicit-le'],
      ['f32-explicit-be', 'f32-explicit-le'],
      ['f64-explicit-be', 'f64-explicit-le'],
    ] as const) {
      assert.deepEqual((await decode(variant(big).file)).frames, (await decode(variant(little).file)).frames, big);
    }
    const s32 = (await decode(variant('s32-explicit-be').file)).frames[0]!;
    assert.deepEqual([s32[0], s32.length], [-204800000, 48 * 64]);
  });

  test('float pixel data is reported as such', async () => {
    const { format, frames } = await decode(variant('f32-explicit-le').file);
    assert.equal(format.floatPixelData, true);
    assert.ok(frames[0] instanceof Float32Array);
  });
});

/**
 * Bounds for lossy variants: `original` is the largest |error| against the original image in
 * modality units; `reference` the largest |difference| from dcmtk/gdcm decoding the same file
 * (values the reference leaves outside Bits Stored are clamped first, as our decoder clamps signed
 * JPEG 2000 samples). `reference` null: no independent decoder exists here (HTJ2K).
 */
const LOSSY_BOUNDS: Record<string, { original: number; reference: number | null }> = {
  // IJG quality 95, 12-bit. Our decoder implements IJG's islow IDCT, as dcmdjpeg: identical output.
  'ct-jpeg-ext12': { original: 12, reference: 0 },
  // JPEG-LS guarantees |error| <= NEAR (3); CharLS and dcmtk reconstruct the same integers.
  'ct-jpegls-near': { original: 3, reference: 0 },
  'ctu-jpegls-near': { original: 3, reference: 0 },
  // gdcm -q 80 (about 29:1); OpenJPEG on both sides, so at most rounding differences.
  'ct-j2k-lossy': { original: 60, reference: 1 },
  // openjph irreversible path, quantization step 0.002.
  'ct-htj2k-lossy': { original: 20, reference: null },
  // IJG quality 90/95, 8-bit; libjpeg-turbo and IJG 6b share the islow IDCT and YCbCr tables.
  'mr-jpeg-baseline': { original: 40, reference: 1 },
  'mr-jpeg-ext8': { original: 40, reference: 1 },
  'rgb-jpeg-baseline': { original: 16, reference: 1 },
};

describe('lossy variants stay within the codec error and match the reference decoder', () => {
  test('every lossy fixture has a bound', () => {
    const lossy = manifest.variants.filter((v) => v.lossy).map((v) => v.name);
    assert.deepEqual(lossy.sort(), Object.keys(LOSSY_BOUNDS).sort());
  });

  for (const v of manifest.variants.filter((x) => x.lossy)) {
    test(`${v.name} (${v.ts})`, async () => {
      const bound = LOSSY_BOUNDS[v.name]!;
      const { format, frames } = await decode(v.file);
      const got = joined(frames);
      assert.ok(frames[0] instanceof DTYPES[v.dtype], `got ${frames[0]!.constructor.name}`);
      const original = readRaw(v.expect, v.expect_dtype);
      assert.equal(got.length, original.length);
      const errors = got.map((value, i) => Math.abs(value * v.slope + v.intercept - original[i]!));
      assert.ok(Math.max(...errors) <= bound.original, `max error vs original ${Math.max(...errors)} > ${bound.original}`);
      assert.ok(errors.some((e) => e > 0), 'lossy output identical to the original: is this fixture really lossy?');
      if (bound.reference === null) return;
      assert.ok(v.reference, 'no reference decoding in the manifest');
      const low = format.pixelRepresentation === 1 ? -(2 ** (format.bitsStored - 1)) : 0;
      const high = format.pixelRepresentation === 1 ? 2 ** (format.bitsStored - 1) - 1 : 2 ** format.bitsStored - 1;
      const reference = Array.from(readRaw(v.reference, v.dtype) as ArrayLike<number>, (x) => Math.min(high, Math.max(low, x)));
      const worst = Math.max(...got.map((value, i) => Math.abs(value - reference[i]!)));
      assert.ok(worst <= bound.reference, `max difference from the reference decoder ${worst} > ${bound.reference}`);
    });
  }
});

const BAD: Record<string, RegExp> = {
  'bad-truncated': /^bad-truncated\.dcm: pixel data is 2000 bytes but 48×64×1 16-bit needs 6144 \(truncated\?\)$/,
  'bad-truncated-file': /^bad-truncated-file\.dcm: pixel data is 5144 bytes but 48×64×1 16-bit needs 6144 \(truncated\?\)$/,
  'bad-no-pixels': /^bad-no-pixels\.dcm: no Pixel Data element$/,
  'bad-jpeg-corrupt': /^bad-jpeg-corrupt\.dcm: JPEG baseline decoder failed: corrupt stream/,
  'bad-jpeg-truncated': /^bad-jpeg-truncated\.dcm: JPEG baseline decoder failed: the codec rejected the stream/,
  'bad-j2k-corrupt': /^bad-j2k-corrupt\.dcm: JPEG 2000 decoder failed: .*header/,
  'bad-jpegls-corrupt': /^bad-jpegls-corrupt\.dcm: JPEG-LS decoder failed: Invalid JPEG-LS stream/,
  'bad-rle-corrupt': /^bad-rle-corrupt\.dcm: RLE decoder failed: segment 2 offset \d+ is outside the frame$/,
  'bad-unsupported': /^bad-unsupported\.dcm: unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2 Main Profile \/ Main Level\)$/,
};

describe('bad input fails with a PixelDataError naming the file and the problem', () => {
  test('every bad fixture has an expectation', () => {
    assert.deepEqual(manifest.bad.map((b) => b.name).sort(), Object.keys(BAD).sort());
  });

  for (const bad of manifest.bad) {
    test(bad.name, async () => {
      await assert.rejects(decode(bad.file), (error: unknown) => {
        assert.ok(error instanceof PixelDataError, `not a PixelDataError: ${String(error)}`);
        assert.match(error.message, BAD[bad.name]!);
        assert.equal(error.source, bad.file);
        return true;
      });
    });
  }

  test('a file that is not DICOM', async () => {
    await assert.rejects(decodeDicomFile(new Uint8Array(300), 'notes.txt'), (error: Error) => {
      assert.ok(error instanceof PixelDataError);
      assert.match(error.message, /^notes\.txt: not a readable DICOM file: /);
      return true;
    });
  });

  test('a codec failure does not break the next decode with the same codec', async () => {
    await assert.rejects(decode('bad-jpeg-truncated.dcm'), PixelDataError);
    const again = await decode(variant('mr-jpeg-baseline').file);
    assert.equal(again.frames[0]!.length, 48 * 64);
  });
});
