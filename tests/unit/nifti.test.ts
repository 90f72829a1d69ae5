import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DelineateError } from '../../src/shared/errors.js';
import { affineMaxDifference, det3, linearPart, lpsToRasAffine, multiply4, nearestOrthogonal3, quaternionToRotation, rotationToQuaternion, type Mat4 } from '../../src/shared/geometry.js';
import { NiftiFormatError, encodeNifti, parseNifti } from '../../src/shared/nifti.js';
import { VOXEL_TYPES, allocateVoxels, type Vec3, type Volume, type VoxelArray, type VoxelType } from '../../src/shared/volume.js';

type RawType = VoxelType | 'int64' | 'uint64';
const SIZES: Record<RawType, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8, int64: 8, uint64: 8 };
const CODES: Record<RawType, number> = { uint8: 2, int16: 4, int32: 8, float32: 16, float64: 64, int8: 256, uint16: 512, uint32: 768, int64: 1024, uint64: 1280 };

/** Raw voxel bytes in a chosen byte order, written value by value (independent of the code under test). */
function raw(type: RawType, values: (number | bigint)[], le = true): Uint8Array {
  const size = SIZES[type];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    if (type === 'int64') view.setBigInt64(at, BigInt(v), le);
    else if (type === 'uint64') view.setBigUint64(at, BigInt(v), le);
    else {
      const n = Number(v);
      ({
        uint8: () => view.setUint8(at, n), int8: () => view.setInt8(at, n), uint16: () => view.setUint16(at, n, le), int16: () => view.setInt16(at, n, le),
        uint32: () => view.setUint32(at, n, le), int32: () => view.setInt32(at, n, le), float32: () => view.setFloat32(at, n, le), float64: () => view.setFloat64(at, n, le),
      })[type]();
    }
  });
  return out;
}

interface Spec {
  version?: 1 | 2; le?: boolean; sizeofHdr?: number; magic?: string; dim: number[]; datatype: number; pixdim?: number[]; voxOffset?: number;
  slope?: number; inter?: number; qformCode?: number; sformCode?: number; quatern?: number[]; qoffset?: number[]; srow?: number[];
  units?: number; description?: string; intentName?: string; intentCode?: number; intentP?: number[]; calMin?: number; calMax?: number; data?: Uint8Array;
}

/** A NIfTI file built field by field from the standard's offsets (nifti1.h / nifti2.h). */
function build(spec: Spec): Uint8Array {
  const v2 = spec.version === 2;
  const le = spec.le ?? true;
  const voxOffset = spec.voxOffset ?? (v2 ? 544 : 352);
  const data = spec.data ?? new Uint8Array(0);
  const out = new Uint8Array(Math.max(voxOffset, v2 ? 544 : 352) + data.length);
  const view = new DataView(out.buffer);
  const put = (kind: 'i16' | 'i32' | 'i64' | 'f32' | 'f64' | 'u8', at: number, values: number[]) =>
    values.forEach((v, k) => {
      if (kind === 'u8') view.setUint8(at + k, v);
      else if (kind === 'i16') view.setInt16(at + 2 * k, v, le);
      else if (kind === 'i32') view.setInt32(at + 4 * k, v, le);
      else if (kind === 'i64') view.setBigInt64(at + 8 * k, BigInt(v), le);
      else if (kind === 'f32') view.setFloat32(at + 4 * k, v, le);
      else view.setFloat64(at + 8 * k, v, le);
    });
  const text = (at: number, s: string) => out.set([...s].map((c) => c.charCodeAt(0)), at);
  const dim = [...spec.dim, ...Array<number>(8).fill(1)].slice(0, 8);
  const pixdim = [...(spec.pixdim ?? [1, 1, 1, 1]), ...Array<number>(8).fill(1)].slice(0, 8);
  const f = v2 ? 'f64' : 'f32';
  const at = v2
    ? { dim: 16, intentP: 80, datatype: 12, pixdim: 104, slope: 176, calMax: 192, descrip: 240, codes: 344, quatern: 352, srow: 400, intentName: 508 }
    : { dim: 40, intentP: 56, datatype: 70, pixdim: 76, slope: 112, calMax: 124, descrip: 148, codes: 252, quatern: 256, srow: 280, intentName: 328 };
  put('i32', 0, [spec.sizeofHdr ?? (v2 ? 540 : 348)]);
  text(v2 ? 4 : 344, spec.magic ?? (v2 ? 'n+2\0\r\n\x1a\n' : 'n+1\0'));
  put(v2 ? 'i64' : 'i16', at.dim, dim);
  put(f, at.intentP, spec.intentP ?? [0, 0, 0]);
  put('i16', at.datatype, [spec.datatype, 0]);
  put(f, at.pixdim, pixdim);
  if (v2) put('i64', 168, [voxOffset]);
  else put('f32', 108, [voxOffset]);
  put(f, at.slope, [spec.slope ?? 0, spec.inter ?? 0]);
  put(f, at.calMax, [spec.calMax ?? 0, spec.calMin ?? 0]);
  text(at.descrip, spec.description ?? '');
  put(v2 ? 'i32' : 'i16', at.codes, [spec.qformCode ?? 0, spec.sformCode ?? 0]);
  put(f, at.quatern, [...(spec.quatern ?? [0, 0, 0]), ...(spec.qoffset ?? [0, 0, 0])]);
  put(f, at.srow, spec.srow ?? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  if (v2) put('i32', 500, [spec.units ?? 0, spec.intentCode ?? 0]);
  else put('u8', 123, [spec.units ?? 0]);
  if (!v2) put('i16', 68, [spec.intentCode ?? 0]);
  text(at.intentName, spec.intentName ?? '');
  out.set(data, voxOffset);
  return out;
}

/** dim array [ndim, ...sizes] from sizes. */
const dimOf = (...sizes: number[]) => [sizes.length, ...sizes];
const near = (a: Mat4, b: Mat4, tol: number, what = 'affine') => assert.ok(affineMaxDifference(a, b) <= tol, `${what}: ${a.join(',')} vs ${b.join(',')}`);
const bytesOf = (a: VoxelArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const OBLIQUE_SROW = [0.9, -0.3, 0.1, -91.5, 0.35, 1.1, 0.2, 20.25, -0.05, -0.25, 2.4, 7];

function expectFormatError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NiftiFormatError, `not a NiftiFormatError: ${String(err)}`);
    assert.ok(err instanceof DelineateError && err.code === 'invalid_input');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('parseNifti: headers', () => {
  test('a little-endian NIfTI-1 with an sform: geometry, data and header fields', () => {
    const values = Array.from({ length: 24 }, (_, i) => (i - 12) * 100);
    const image = parseNifti(build({
      dim: dimOf(4, 3, 2), datatype: 4, pixdim: [1, 9, 9, 9], sformCode: 2, srow: OBLIQUE_SROW, units: 10, description: 'hand built',
      intentName: 'labels', intentCode: 1002, intentP: [1.5, 2, 3], calMin: -5, calMax: 50, data: raw('int16', values),
    }), 'x.nii');
    assert.deepEqual(image.dims, [4, 3, 2]);
    assert.equal(image.voxelType, 'int16');
    assert.deepEqual([...image.data], values);
    near(lpsToRasAffine(image.affineLps), [...OBLIQUE_SROW.map(Math.fround), 0, 0, 0, 1], 1e-12);
    assert.ok(Math.abs(image.spacing[2] - Math.hypot(0.1, 0.2, 2.4)) < 1e-6);
    const h = image.header;
    assert.deepEqual([h.version, h.littleEndian, h.datatype, h.datatypeName, h.sformCode, h.qformCode, h.affineSource], [1, true, 4, 'int16', 2, 0, 'sform']);
    assert.deepEqual([h.description, h.intent.name, h.intent.code, h.intent.params, h.calMin, h.calMax], ['hand built', 'labels', 1002, [1.5, 2, 3], -5, 50]);
    assert.deepEqual([h.xyztUnits, h.dim4, h.voxOffset, h.scaled], [{ code: 10, spatial: 'mm', temporal: 8 }, 1, 352, false]);
  });

  for (const version of [1, 2] as const) {
    test(`NIfTI-${version}: big-endian files give the same image as little-endian ones, for every datatype`, () => {
      for (const type of ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const) {
        const values = Array.from({ length: 30 }, (_, i) => (type.startsWith('u') ? i * 7 : (i - 15) * 3) + (type.startsWith('float') ? 0.5 : 0));
        const spec = { version, dim: dimOf(5, 3, 2), datatype: CODES[type], sformCode: 1, srow: OBLIQUE_SROW };
        const le = parseNifti(build({ ...spec, data: raw(type, values, true) }));
        const be = parseNifti(build({ ...spec, le: false, data: raw(type, values, false) }));
        assert.equal(be.header.littleEndian, false);
        assert.equal(be.header.version, version);
        assert.deepEqual([...be.data], values, type);
        assert.deepEqual(be.affineLps, le.affineLps);
        assert.equal(be.voxelType, type);
      }
    });
  }

  test('qform (with qfac -1) when sform_code is 0, ignoring the sform rows', () => {
    const s = Math.SQRT1_2; // 90° about z: quaternion (cos 45°, 0, 0, sin 45°)
    const image = parseNifti(build({
      dim: dimOf(2, 2, 2), datatype: 2, pixdim: [-1, 2, 3, 4], qformCode: 1, quatern: [0, 0, s], qoffset: [10, 20, 30], srow: OBLIQUE_SROW, data: new Uint8Array(8),
    }));
    near(lpsToRasAffine(image.affineLps), [0, -3, 0, 10, 2, 0, 0, 20, 0, 0, -4, 30, 0, 0, 0, 1], 1e-6);
    assert.equal(image.header.affineSource, 'qform');
    assert.deepEqual(image.spacing.map((v) => +v.toFixed(6)), [2, 3, 4]);
  });

  test('a 180° qform (quaternion a = 0) and the sform winning when both are coded', () => {
    const spec = { dim: dimOf(2, 2, 2), datatype: 2, pixdim: [1, 1, 1, 1], qformCode: 1, quatern: [1, 0, 0], data: new Uint8Array(8) };
    near(lpsToRasAffine(parseNifti(build(spec)).affineLps), [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1], 1e-6);
    const both = parseNifti(build({ ...spec, sformCode: 4, srow: OBLIQUE_SROW }));
    assert.equal(both.header.affineSource, 'sform');
    near(lpsToRasAffine(both.affineLps), [...OBLIQUE_SROW.map(Math.fround), 0, 0, 0, 1], 1e-12);
  });

  test('no transform: nibabel’s fallback (x flipped, centred), also for a 2D image', () => {
    const image = parseNifti(build({ dim: dimOf(3, 5, 7), datatype: 2, pixdim: [0, 3, 2, 1], data: new Uint8Array(105) }));
    assert.equal(image.header.affineSource, 'fallback');
    near(lpsToRasAffine(image.affineLps), [-3, 0, 0, 3, 0, 2, 0, -4, 0, 0, 1, -3, 0, 0, 0, 1], 1e-12);
    const flat = parseNifti(build({ dim: dimOf(4, 3), datatype: 2, pixdim: [0, 2, 2, 7], data: new Uint8Array(12) }));
    assert.deepEqual(flat.dims, [4, 3, 1]);
    near(lpsToRasAffine(flat.affineLps), [-2, 0, 0, 3, 0, 2, 0, -2, 0, 0, 1, 0, 0, 0, 0, 1], 1e-12);
  });

  test('a singular sform falls through to the qform', () => {
    const image = parseNifti(build({ dim: dimOf(2, 2, 2), datatype: 2, pixdim: [1, 2, 2, 2], sformCode: 1, qformCode: 1, data: new Uint8Array(8) }));
    assert.equal(image.header.affineSource, 'qform');
    near(lpsToRasAffine(image.affineLps), [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], 1e-12);
  });

  test('transforms in meters or microns are converted to mm', () => {
    const srow = [0.001, 0, 0, 0.1, 0, 0.002, 0, 0.2, 0, 0, 0.003, 0.3];
    const meters = parseNifti(build({ dim: dimOf(2, 2, 2), datatype: 2, sformCode: 1, srow, units: 1, data: new Uint8Array(8) }));
    assert.equal(meters.header.xyztUnits.spatial, 'meter');
    near(lpsToRasAffine(meters.affineLps), [1, 0, 0, 100, 0, 2, 0, 200, 0, 0, 3, 300, 0, 0, 0, 1], 1e-4);
    const microns = parseNifti(build({ dim: dimOf(2, 2, 2), datatype: 2, sformCode: 1, srow: [500, 0, 0, 0, 0, 500, 0, 0, 0, 0, 500, 1000], units: 3, data: new Uint8Array(8) }));
    assert.deepEqual(microns.spacing.map((v) => +v.toFixed(9)), [0.5, 0.5, 0.5]);
  });

  test('4D and 5D files: the first volume, and dim4 counts the volumes', () => {
    const values = Array.from({ length: 24 }, (_, i) => i + 1);
    const image = parseNifti(build({ dim: dimOf(2, 2, 2, 3), datatype: 2, data: raw('uint8', values) }));
    assert.deepEqual([image.dims, image.header.dim4, image.header.shape], [[2, 2, 2], 3, [2, 2, 2, 3]]);
    assert.deepEqual([...image.data], values.slice(0, 8));
    const five = parseNifti(build({ dim: dimOf(2, 2, 1, 2, 3), datatype: 2, data: new Uint8Array(24) }));
    assert.deepEqual([five.dims, five.header.dim4], [[2, 2, 1], 6]);
  });

  test('int64 and uint64 become float64; beyond 2^53 is an error', () => {
    const big = 2n ** 53n;
    const signed = parseNifti(build({ dim: dimOf(4), datatype: 1024, le: false, data: raw('int64', [-big, -1, 0, big], false) }));
    assert.equal(signed.voxelType, 'float64');
    assert.deepEqual([...signed.data], [-(2 ** 53), -1, 0, 2 ** 53]);
    const unsigned = parseNifti(build({ dim: dimOf(2), datatype: 1280, data: raw('uint64', [7, big]) }));
    assert.deepEqual([...unsigned.data], [7, 2 ** 53]);
    expectFormatError(() => parseNifti(build({ dim: dimOf(2), datatype: 1280, data: raw('uint64', [1, big + 1n]) }), 'u.nii'), /^u\.nii: uint64 voxel 1 is 9007199254740993, beyond ±2\^53/);
  });

  test('RGB24 becomes 3 interleaved uint8 components', () => {
    const rgb = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const image = parseNifti(build({ dim: dimOf(2, 2, 1), datatype: 128, le: false, slope: 2, inter: 5, data: rgb }));
    assert.deepEqual([image.components, image.voxelType, [...image.data], image.header.scaled], [3, 'uint8', [...rgb], false]);
  });

  test('data after extensions: vox_offset beyond 352 is honoured', () => {
    const image = parseNifti(build({ dim: dimOf(3), datatype: 4, voxOffset: 400, data: raw('int16', [7, -8, 9]) }));
    assert.deepEqual([...image.data], [7, -8, 9]);
  });
});

describe('parseNifti: scl_slope / scl_inter', () => {
  const scaled = (type: RawType, values: number[], slope: number, inter: number) =>
    parseNifti(build({ dim: dimOf(values.length), datatype: CODES[type], slope, inter, data: raw(type, values) }));
  const cases: { name: string; type: RawType; values: number[]; slope: number; inter: number; expect: VoxelType }[] = [
    { name: 'integer scaling that fits keeps the source type', type: 'int16', values: [-1000, 0, 1000], slope: 3, inter: -1024, expect: 'int16' },
    { name: 'uint8 scaled past 255 widens to int16', type: 'uint8', values: [0, 100, 255], slope: 2, inter: 0, expect: 'int16' },
    { name: 'negative integer results from uint16 go to int32', type: 'uint16', values: [0, 65535], slope: 1, inter: -10, expect: 'int32' },
    { name: 'int16 scaled past int16 widens to int32', type: 'int16', values: [-30000, 30000], slope: 2, inter: 1, expect: 'int32' },
    { name: 'int32 scaled past int32 becomes float64', type: 'int32', values: [2 ** 31 - 1, -5], slope: 4, inter: 0, expect: 'float64' },
    { name: 'a fractional slope on uint8 gives float32', type: 'uint8', values: [0, 1, 255], slope: 0.5, inter: 0, expect: 'float32' },
    { name: 'a fractional intercept on int16 gives float32', type: 'int16', values: [-3, 4], slope: 1, inter: 0.25, expect: 'float32' },
    { name: 'a fractional slope on int32 gives float64', type: 'int32', values: [123456789, -1], slope: 0.5, inter: 0, expect: 'float64' },
    { name: 'int64 with integer scaling that fits becomes int16', type: 'int64', values: [-7, 9], slope: 3, inter: 1, expect: 'int16' },
    { name: 'float32 stays float32', type: 'float32', values: [1.5, -2.25], slope: 2, inter: 1, expect: 'float32' },
    { name: 'float64 stays float64', type: 'float64', values: [1.1, -2.2], slope: 0.1, inter: 3, expect: 'float64' },
  ];
  for (const c of cases)
    test(c.name, () => {
      const image = scaled(c.type, c.values, c.slope, c.inter);
      assert.equal(image.voxelType, c.expect);
      assert.equal(image.header.scaled, true);
      const slope32 = Math.fround(c.slope); // NIfTI-1 stores the factors as float32
      const expected = c.values.map((v) => (c.type === 'float32' ? Math.fround(v) : v) * slope32 + Math.fround(c.inter));
      assert.deepEqual([...image.data], c.expect === 'float32' ? expected.map(Math.fround) : expected);
    });

  test('slope 0, slope NaN and (1, 0) leave the data as stored', () => {
    for (const [slope, inter] of [[0, 5], [NaN, 5], [1, 0]] as const) {
      const image = scaled('int16', [-3, 4], slope, inter);
      assert.deepEqual([image.voxelType, [...image.data], image.header.scaled], ['int16', [-3, 4], false]);
    }
  });

  test('a valid slope with a non-finite intercept is an error', () => {
    expectFormatError(() => parseNifti(build({ dim: dimOf(1), datatype: 2, slope: 2, inter: Infinity, data: new Uint8Array(1) }), 's.nii'), /^s\.nii: scl_slope is 2 but scl_inter is Infinity/);
  });
});

describe('parseNifti: malformed files name the source and the problem', () => {
  const good = { dim: dimOf(2, 2, 2), datatype: 2, data: new Uint8Array(8) };
  const withSize = (bytes: Uint8Array, size: number, le = true) => {
    new DataView(bytes.buffer).setInt32(0, size, le);
    return bytes;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /^brain\.nii: the file is empty$/],
    ['3 bytes', new Uint8Array([1, 2, 3]), /^brain\.nii: not a NIfTI file: only 3 bytes/],
    ['text', new Uint8Array([...'hello, this is not an image'].map((c) => c.charCodeAt(0))), /^brain\.nii: not a NIfTI file: sizeof_hdr is \d+ \(expected 348/],
    ['sizeof_hdr 1234', withSize(build(good), 1234), /sizeof_hdr is 1234 \(expected 348 for NIfTI-1 or 540 for NIfTI-2/],
    ['truncated header', build(good).subarray(0, 200), /^brain\.nii: the file is too short for a NIfTI-1 header: 200 bytes, the header needs 348$/],
    ['bad magic', build({ ...good, magic: 'abc\0' }), /^brain\.nii: not a NIfTI file: bad magic "abc\\u0000" \(expected "n\+1"\)$/],
    ['NIfTI-1 pair', build({ ...good, magic: 'ni1\0' }), /^brain\.nii: is the header of a NIfTI-1 \.hdr\/\.img pair, which is not supported/],
    ['NIfTI-2 pair', build({ ...good, version: 2, magic: 'ni2\0' }), /NIfTI-2 \.hdr\/\.img pair, which is not supported/],
    ['NIfTI-2 size with n+1 magic', build({ ...good, version: 2, magic: 'n+1\0' }), /bad magic "n\+1\\u0000" \(expected "n\+2"\)/],
    ['complex64', build({ ...good, datatype: 32 }), /^brain\.nii: unsupported datatype 32 \(complex64\)$/],
    ['unknown datatype', build({ ...good, datatype: 9999 }), /unsupported datatype 9999 \(unknown code\)/],
    ['dim[0] = 0', build({ ...good, dim: [0, 2, 2, 2] }), /header says the image has 0 dimensions \(dim\[0\] must be 1 to 7\)/],
    ['dim[0] = 9', build({ ...good, dim: [9, 2, 2, 2] }), /has 9 dimensions/],
    ['dim[2] = 0', build({ ...good, dim: dimOf(2, 0, 2) }), /^brain\.nii: header says dim\[2\] = 0; every dimension must be at least 1$/],
    ['dim[3] < 0', build({ ...good, dim: dimOf(2, 2, -5), le: false }), /dim\[3\] = -5/],
    ['vox_offset in the header', build({ ...good, voxOffset: 100 }), /^brain\.nii: vox_offset 100 is inside the header \(the data must start at byte 352 or later\)$/],
    ['NIfTI-2 vox_offset 352', build({ ...good, version: 2, voxOffset: 352 }), /vox_offset 352 is inside the header \(the data must start at byte 544/],
    ['vox_offset past the end', build({ ...good, data: new Uint8Array(0), voxOffset: 352 }).subarray(0, 352), /header says 2×2×2 uint8 \(8 bytes from offset 352\) but the file has only 0 bytes after it/],
    ['4D data cut short', build({ ...good, dim: dimOf(2, 2, 2, 2), datatype: 4, data: new Uint8Array(20), le: false }), /header says 2×2×2×2 int16 \(32 bytes from offset 352\) but the file has only 20 bytes/],
  ];
  for (const [name, bytes, pattern] of cases) test(name, () => expectFormatError(() => parseNifti(bytes, 'brain.nii'), pattern));

  test('the message for a truncated volume gives the sizes exactly', () => {
    const bytes = build({ dim: dimOf(256, 256, 170), datatype: 4, data: new Uint8Array(1048576) });
    expectFormatError(() => parseNifti(bytes, 'brain.nii'), /^brain\.nii: header says 256×256×170 int16 \(22282240 bytes from offset 352\) but the file has only 1048576 bytes after it$/);
  });
});

/** Deterministic random numbers (mulberry32) so a failure can be reproduced. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rotation by `angle` about `axis` (Rodrigues), times diag(spacing), with a translation; `flip` negates the k axis (det < 0). */
function affine(axis: Vec3, angle: number, spacing: Vec3, origin: Vec3, flip = false): Mat4 {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n) as Vec3;
  const [c, s, t] = [Math.cos(angle), Math.sin(angle), 1 - Math.cos(angle)];
  const r = [t * x * x + c, t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c, t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c];
  const sp = [spacing[0], spacing[1], flip ? -spacing[2] : spacing[2]];
  const m = r.map((v, k) => v * sp[k % 3]!);
  return [m[0]!, m[1]!, m[2]!, origin[0], m[3]!, m[4]!, m[5]!, origin[1], m[6]!, m[7]!, m[8]!, origin[2], 0, 0, 0, 1];
}

const AFFINES: [string, Mat4][] = [
  ['axial LPS', [0.7, 0, 0, -120, 0, 0.7, 0, -100, 0, 0, 2.5, 40, 0, 0, 0, 1]],
  ['oblique', affine([1, 2, 3], 0.4, [0.8, 0.9, 3], [-100.5, 33.25, 80])],
  ['oblique, improper (det < 0)', affine([-2, 0.5, 1], 1.1, [1.2, 1, 1.5], [12, -250, 3], true)],
  ['nearly 180° (trace ≈ -1)', affine([0.3, -1, 0.2], Math.PI - 1e-3, [1, 1, 1], [0, 0, 0])],
  ['exactly 180° about y, improper', affine([0, 1, 0], Math.PI, [2, 2, 2], [5, 5, 5], true)],
];

function randomVolume(type: VoxelType, dims: Vec3, affineLps: Mat4, random: () => number, components: 1 | 3 = 1): Volume {
  const data = allocateVoxels(type, dims[0] * dims[1] * dims[2] * components);
  const bytes = bytesOf(data);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256); // every bit pattern, NaNs included
  if (type.startsWith('float')) data.set([0, -0, Infinity, -Infinity, NaN, 1e-30].slice(0, data.length));
  return { dims, spacing: [0, 1, 2].map((c) => Math.hypot(affineLps[c]!, affineLps[4 + c]!, affineLps[8 + c]!)) as Vec3, affineLps, voxelType: type, components, data };
}

describe('encodeNifti → parseNifti round trip', () => {
  const random = rng(20240601);
  for (const type of VOXEL_TYPES)
    test(`${type}: data bit for bit, the affine through sform and through qform`, () => {
      for (const [name, affineLps] of AFFINES) {
        const volume = randomVolume(type, [5, 4, 3], affineLps, random);
        const bytes = encodeNifti(volume, { description: 'round trip', intentName: 'test' });
        const image = parseNifti(bytes, 'rt.nii');
        assert.deepEqual([image.dims, image.voxelType, image.components, image.header.affineSource], [[5, 4, 3], type, 1, 'sform'], name);
        assert.deepEqual(bytesOf(image.data), bytesOf(volume.data), name);
        near(image.affineLps, affineLps, 1e-4, `${name} sform`);
        assert.ok(image.spacing.every((s, k) => Math.abs(s - volume.spacing[k]!) < 1e-5), name);
        const h = image.header;
        assert.deepEqual([h.sformCode, h.qformCode, h.xyztUnits.code, h.sclSlope, h.sclInter, h.voxOffset, h.description, h.intent.name], [1, 1, 10, 1, 0, 352, 'round trip', 'test']);
        new DataView(bytes.buffer).setInt16(254, 0, true); // sform_code 0: the qform alone must give the same affine
        const viaQform = parseNifti(bytes);
        assert.equal(viaQform.header.affineSource, 'qform');
        near(viaQform.affineLps, affineLps, 1e-4, `${name} qform`);
      }
    });

  test('RGB volumes are written as RGB24', () => {
    const volume = randomVolume('uint8', [3, 2, 2], AFFINES[1]![1], rng(7), 3);
    const image = parseNifti(encodeNifti(volume));
    assert.deepEqual([image.header.datatype, image.components, [...image.data]], [128, 3, [...volume.data]]);
  });

  test('a given slope and intercept are written and applied on reading', () => {
    const volume = { ...randomVolume('int16', [2, 1, 1], AFFINES[0]![1], rng(1)), data: Int16Array.from([-2, 7]) };
    const image = parseNifti(encodeNifti(volume, { sclSlope: 2, sclInter: -1 }));
    assert.deepEqual([image.voxelType, [...image.data], image.header.sclSlope, image.header.sclInter], ['int16', [-5, 13], 2, -1]);
  });

  test('a long description is cut to 79 bytes at a character boundary', () => {
    const volume = randomVolume('uint8', [1, 1, 1], AFFINES[0]![1], rng(2));
    assert.equal(parseNifti(encodeNifti(volume, { description: 'x'.repeat(100) })).header.description, 'x'.repeat(79));
    assert.equal(parseNifti(encodeNifti(volume, { description: 'a' + 'é'.repeat(50) })).header.description, 'a' + 'é'.repeat(39));
  });

  test('volumes NIfTI-1 cannot hold, or that are inconsistent, are refused', () => {
    const ok = randomVolume('int16', [2, 2, 2], AFFINES[0]![1], rng(3));
    assert.throws(() => encodeNifti({ ...ok, data: new Int16Array(7) }), /2×2×2×1 volume has 7 values/);
    assert.throws(() => encodeNifti({ ...ok, data: new Uint8Array(8) }), /volume says int16 but its data is uint8/);
    assert.throws(() => encodeNifti({ ...ok, components: 3, data: new Int16Array(24) }), /RGB volumes must be uint8/);
    assert.throws(() => encodeNifti({ ...ok, dims: [40000, 1, 1], data: new Int16Array(40000) }), /cannot store dims 40000×1×1/);
    assert.throws(() => encodeNifti({ ...ok, affineLps: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }), /not finite and invertible/);
  });
});

describe('qform math', () => {
  test('quaternion ↔ rotation round trip, including near and at 180°', () => {
    const random = rng(99);
    for (let i = 0; i < 200; i++) {
      const angle = i % 4 === 0 ? Math.PI - random() * 1e-6 : random() * Math.PI;
      const rotation = linearPart(affine([random() - 0.5, random() - 0.5, random() - 0.5], angle, [1, 1, 1], [0, 0, 0]));
      const [a, b, c, d] = rotationToQuaternion(rotation);
      assert.ok(a >= 0 && Math.abs(Math.hypot(a, b, c, d) - 1) < 1e-12);
      const back = quaternionToRotation(b, c, d);
      // a is implied by b, c, d: near 180° (a → 0) it is only good to ~√ε, so the rotation to ~1e-8
      assert.ok(back.every((v, k) => Math.abs(v - rotation[k]!) < 1e-7), `angle ${angle}`);
    }
  });

  test('nearestOrthogonal3 removes shear and keeps the sign of the determinant', () => {
    const sheared = [1, 0.2, 0, 0, 1, 0.1, 0, 0, -1];
    const q = nearestOrthogonal3(sheared);
    const qqt = multiply4([q[0]!, q[1]!, q[2]!, 0, q[3]!, q[4]!, q[5]!, 0, q[6]!, q[7]!, q[8]!, 0, 0, 0, 0, 1], [q[0]!, q[3]!, q[6]!, 0, q[1]!, q[4]!, q[7]!, 0, q[2]!, q[5]!, q[8]!, 0, 0, 0, 0, 1]);
    assert.ok(affineMaxDifference(qqt, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) < 1e-12);
    assert.ok(Math.abs(det3(q) + 1) < 1e-12);
    assert.ok(Math.abs(q[1]!) > 0.05 && Math.abs(q[1]!) < 0.2, 'the nearest orthogonal matrix moves only part way');
  });
});
