// The pieces of the pixel decoder that fixtures reach only partly: bit handling, frame splitting, RLE, colour.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJpegLossless } from '../../src/main/studies/dicom/pixels/codecs/jpeg.js';
import { decodeJpegSequential } from '../../src/main/studies/dicom/pixels/codecs/jpeg12.js';
import { planarToInterleaved, ybrFull422ToRgb, ybrFullToRgb } from '../../src/main/studies/dicom/pixels/colour.js';
import type { PixelFormat } from '../../src/main/studies/dicom/pixels/format.js';
import { FrameSplitError, splitFrames } from '../../src/main/studies/dicom/pixels/frames.js';
import { decodeNative } from '../../src/main/studies/dicom/pixels/native.js';
import { decodeRle, RleError } from '../../src/main/studies/dicom/pixels/rle.js';
import { toStoredValues } from '../../src/main/studies/dicom/pixels/stored-values.js';
import { lookupTransferSyntax, TRANSFER_SYNTAXES } from '../../src/main/studies/dicom/pixels/transfer-syntaxes.js';

function format(overrides: Partial<PixelFormat>): PixelFormat {
  return {
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: 0,
    photometricInterpretation: 'MONOCHROME2',
    planarConfiguration: 0,
    numberOfFrames: 1,
    ...overrides,
  };
}

describe('transfer syntaxes', () => {
  test('the table names each supported syntax and its decoder', () => {
    const decoders = Object.fromEntries([...TRANSFER_SYNTAXES.values()].map((ts) => [ts.uid.replace('1.2.840.10008.1.2', ''), ts.decoder]));
    assert.deepEqual(decoders, {
      '': 'native', '.1': 'native', '.1.99': 'native', '.2': 'native', '.5': 'rle',
      '.4.50': 'jpeg-baseline', '.4.51': 'jpeg-extended', '.4.57': 'jpeg-lossless', '.4.70': 'jpeg-lossless',
      '.4.80': 'jpeg-ls', '.4.81': 'jpeg-ls', '.4.90': 'jpeg-2000', '.4.91': 'jpeg-2000',
      '.4.201': 'htj2k', '.4.202': 'htj2k', '.4.203': 'htj2k',
    });
    assert.equal(TRANSFER_SYNTAXES.get('1.2.840.10008.1.2.2')?.littleEndian, false);
  });

  test('an unsupported syntax is refused by UID and, when known, by name', () => {
    assert.equal(lookupTransferSyntax('1.2.840.10008.1.2.4.110'), 'unsupported transfer syntax 1.2.840.10008.1.2.4.110 (JPEG XL Lossless)');
    assert.equal(lookupTransferSyntax('1.2.3.4'), 'unsupported transfer syntax 1.2.3.4 (unknown UID)');
  });
});

describe('toStoredValues', () => {
  test('masks bits above High Bit and sign-extends 12-bit signed data', () => {
    const raw = Uint16Array.from([0xf800, 0x37ff, 0xa001, 0x5fff]); // garbage nibble on top of -2048, 2047, 1, -1
    assert.deepEqual(Array.from(toStoredValues(raw, format({ bitsStored: 12, highBit: 11, pixelRepresentation: 1 }))), [-2048, 2047, 1, -1]);
    assert.deepEqual(Array.from(toStoredValues(raw, format({ bitsStored: 12, highBit: 11 }))), [0x800, 0x7ff, 0x001, 0xfff]);
  });

  test('High Bit above Bits Stored - 1 shifts the stored bits down', () => {
    const raw = Uint16Array.from([0xfff0, 0x0010]);
    assert.deepEqual(Array.from(toStoredValues(raw, format({ bitsStored: 12, highBit: 15, pixelRepresentation: 1 }))), [-1, 1]);
  });

  test('returns the natural array type, reusing an exact input', () => {
    const exact = Int16Array.from([-5, 7]);
    assert.equal(toStoredValues(exact, format({ pixelRepresentation: 1 })), exact);
    assert.ok(toStoredValues(Uint8Array.from([200]), format({ bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 1 })) instanceof Int8Array);
    const wide = toStoredValues(Uint32Array.from([0xff800000]), format({ bitsAllocated: 32, bitsStored: 24, highBit: 23, pixelRepresentation: 1 }));
    assert.ok(wide instanceof Int32Array);
    assert.equal(wide[0], -(2 ** 23));
  });

  test('signed codec values are clamped to the Bits Stored range, not wrapped', () => {
    const values = Int16Array.from([2052, -2050, 100]);
    assert.deepEqual(Array.from(toStoredValues(values, format({ bitsStored: 12, highBit: 11, pixelRepresentation: 1 }), true)), [2047, -2048, 100]);
  });
});

describe('splitFrames', () => {
  const f = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

  test('the Extended Offset Table groups fragments that have no end markers', () => {
    const fragments = [f(1, 2), f(3, 4), f(5, 6, 7, 8), f(9, 10)];
    const offsets = new Uint8Array(16);
    new DataView(offsets.buffer).setBigUint64(8, 20n, true); // frame 2 starts at the third item: (8 + 2) * 2
    const frames = splitFrames(fragments, 2, offsets, false);
    assert.deepEqual(frames.map((x) => Array.from(x)), [[1, 2, 3, 4], [5, 6, 7, 8, 9, 10]]);
    assert.throws(() => splitFrames(fragments, 2, offsets.fill(1, 8, 9), false), /does not point at a fragment/);
  });

  test('BOT-grouped frames (as dcmjs returns them) are concatenated', () => {
    const frames = splitFrames([[f(1), f(2)], f(3)], 2, undefined, true);
    assert.deepEqual(frames.map((x) => Array.from(x)), [[1, 2], [3]]);
    assert.throws(() => splitFrames([[f(1), f(2)]], 2, undefined, true), FrameSplitError);
  });

  test('end-of-codestream markers split fragments (with a pad byte), otherwise counts decide', () => {
    const frames = splitFrames([f(0xff, 0xd8, 1), f(2, 0xff, 0xd9, 0), f(0xff, 0xd8, 0xff, 0xd9)], 2, undefined, true);
    assert.deepEqual(frames.map((x) => x.length), [7, 4]);
    assert.deepEqual(splitFrames([f(1), f(2)], 1, undefined, false).map((x) => Array.from(x)), [[1, 2]]);
    assert.throws(() => splitFrames([f(1), f(2), f(3)], 2, undefined, false), /3 fragments for 2 frames and no offset table/);
    assert.throws(() => splitFrames([f(0xff, 0xd9), f(1)], 3, undefined, true), /found 2 codestreams in 2 fragments but Number of Frames is 3/);
  });
});

describe('RLE', () => {
  function rleFrame(segments: number[][]): Uint8Array {
    const header = new Uint8Array(64);
    const view = new DataView(header.buffer);
    view.setUint32(0, segments.length, true);
    let offset = 64;
    segments.forEach((s, i) => {
      view.setUint32(4 + 4 * i, offset, true);
      offset += s.length;
    });
    return Uint8Array.from([...header, ...segments.flat()]);
  }

  test('literal and replicate runs; the first segment of a sample is its high byte', () => {
    // high bytes: literal [0x12, 0x34] then 2 × 0xff; low bytes: 4 × 0x01 (replicate: header 257 - 4)
    const samples = decodeRle(rleFrame([[1, 0x12, 0x34, 255, 0xff], [253, 0x01]]), 4, 1, 16);
    assert.deepEqual(Array.from(samples), [0x1201, 0x3401, 0xff01, 0xff01]);
  });

  test('colour segments come back pixel-interleaved; short segments are errors', () => {
    assert.deepEqual(Array.from(decodeRle(rleFrame([[1, 1, 2], [1, 3, 4], [1, 5, 6]]), 2, 3, 8)), [1, 3, 5, 2, 4, 6]);
    assert.throws(() => decodeRle(rleFrame([[0, 7]]), 2, 1, 8), /segment 1 decodes to 1 bytes, expected 2/);
    assert.throws(() => decodeRle(rleFrame([[0, 7]]), 1, 3, 8), RleError);
  });
});

describe('colour', () => {
  test('YBR_FULL grey and primaries convert to RGB', () => {
    assert.deepEqual(Array.from(ybrFullToRgb(Uint8Array.from([128, 128, 128, 76, 85, 255]))), [128, 128, 128, 254, 0, 0]);
  });

  test('YBR_FULL_422 pairs share chroma; planar becomes interleaved', () => {
    assert.deepEqual(Array.from(ybrFull422ToRgb(Uint8Array.from([10, 200, 128, 128]), 2)), [10, 10, 10, 200, 200, 200]);
    assert.deepEqual(Array.from(planarToInterleaved(Uint8Array.from([1, 2, 3, 4, 5, 6]), 2)), [1, 3, 5, 2, 4, 6]);
  });
});

describe('native data', () => {
  test('1-bit frames unpack least significant bit first, across byte boundaries', () => {
    const bits = format({ rows: 1, columns: 3, bitsAllocated: 1, bitsStored: 1, highBit: 0, numberOfFrames: 3 });
    const frames = decodeNative(Uint8Array.from([0b10110101, 0b1]), 'OB', bits, true, 'x.dcm');
    assert.deepEqual(frames.map((fr) => Array.from(fr)), [[1, 0, 1], [0, 1, 1], [0, 1, 1]]);
  });

  test('truncated data names the file and the sizes', () => {
    assert.throws(() => decodeNative(new Uint8Array(10), 'OW', format({ rows: 2, numberOfFrames: 2 }), true, 'MR-1.dcm'), {
      message: 'MR-1.dcm: pixel data is 10 bytes but 2 frames of 2×4×1 16-bit needs 32 (truncated?)',
    });
  });
});

describe('hand-made JPEG streams', () => {
  test('JPEG lossless keeps the last sample when its code ends right before EOI', () => {
    // 8×1, 8-bit, SV1; every difference is category 0 (code "0"): the whole scan is one 0x00 byte.
    const stream = Uint8Array.from([
      0xff, 0xd8, 0xff, 0xc4, 0x00, 0x14, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00,
      0xff, 0xc3, 0x00, 0x0b, 8, 0, 1, 0, 8, 1, 1, 0x11, 0,
      0xff, 0xda, 0, 8, 1, 1, 0, 1, 0, 0,
      0x00, 0xff, 0xd9,
    ]);
    assert.deepEqual(Array.from(decodeJpegLossless(stream).samples), [128, 128, 128, 128, 128, 128, 128, 128]);
  });

  test('12-bit extended: restart markers are skipped and reset the DC predictor', () => {
    // 16×8, two blocks, restart interval 1, all quantizers 8. DC codes: "00" = category 0, "01" = category 1;
    // AC: "0" = end of block. Block 1: DC diff +1 (01 1, EOB 0) = 0x6F; block 2: diff -1 (01 0, EOB 0) = 0x4F.
    const stream = Uint8Array.from([
      0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array<number>(64).fill(8),
      0xff, 0xc4, 0x00, 0x27, 0x00, 0, 2, ...new Array<number>(14).fill(0), 0x00, 0x01, 0x10, 1, ...new Array<number>(15).fill(0), 0x00,
      0xff, 0xdd, 0x00, 0x04, 0x00, 0x01,
      0xff, 0xc1, 0x00, 0x0b, 12, 0, 8, 0, 16, 1, 1, 0x11, 0,
      0xff, 0xda, 0x00, 0x08, 1, 1, 0x00, 0, 0x3f, 0,
      0x6f, 0xff, 0xd0, 0x4f, 0xff, 0xd9,
    ]);
    const { frame, samples } = decodeJpegSequential(stream);
    assert.deepEqual([frame.width, frame.height, frame.precision], [16, 8, 12]);
    // DC 1 × quantizer 8 → +1 over the 2048 level shift; after the restart the predictor is 0 again: -1.
    for (let y = 0; y < 8; y++) {
      assert.deepEqual(Array.from(samples.subarray(y * 16, y * 16 + 16)), [...new Array<number>(8).fill(2049), ...new Array<number>(8).fill(2047)]);
    }
  });
});
