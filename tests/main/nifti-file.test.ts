// Cross-checks NIfTI reading and writing against nibabel (Debian's python3-nibabel, see scripts/setup.sh).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { readNiftiFile, writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import { affineMaxDifference, lpsToRasAffine, type Mat4 } from '../../src/shared/geometry.js';
import { NiftiFormatError } from '../../src/shared/nifti.js';
import { VOXEL_TYPES, allocateVoxels, type Vec3, type Volume, type VoxelType } from '../../src/shared/volume.js';

// The `python3` on PATH may be a pyenv without nibabel; Debian's has it.
const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, os, struct, sys
import numpy as np, nibabel as nib

def rot(axis, angle):
    x, y, z = np.asarray(axis, float) / np.linalg.norm(axis)
    c, s = np.cos(angle), np.sin(angle); t = 1 - c
    return np.array([[t*x*x+c, t*x*y-s*z, t*x*z+s*y], [t*x*y+s*z, t*y*y+c, t*y*z-s*x], [t*x*z-s*y, t*y*z+s*x, t*z*z+c]])

def aff(R, zooms, origin):
    A = np.eye(4); A[:3, :3] = R @ np.diag(zooms); A[:3, 3] = origin; return A

def export(img, path):
    """The first volume's values (RGB: the interleaved bytes), i fastest, as little-endian float64."""
    if img.get_data_dtype().names:
        arr = np.asanyarray(img.dataobj)
        data = np.frombuffer(arr.ravel(order='F').tobytes(), np.uint8)
    else:
        arr = img.get_fdata(dtype=np.float64)
        if arr.ndim > 3: arr = arr.reshape(arr.shape[:3] + (-1,), order='F')[..., 0]
        data = arr.ravel(order='F')
    data.astype('<f8').tofile(path)

def generate(out):
    rng = np.random.default_rng(1234)
    OBLIQUE = aff(rot([1, 2, 3], 0.4), [0.8, 0.9, 3.0], [-100.5, 33.25, 80])
    IMPROPER = aff(rot([-2, 0.5, 1], 1.1), [1.2, 1.0, -1.5], [12, -250, 3])
    SHEARED = OBLIQUE.copy(); SHEARED[0, 1] += 0.05
    manifest = []
    def values(dtype, shape=(5, 4, 3)):
        dt = np.dtype(dtype)
        if dt.kind == 'f': return (rng.standard_normal(shape) * 1000).astype(dt)
        info = np.iinfo(dt)
        return rng.integers(max(info.min, -2**53), min(info.max, 2**53), size=shape, endpoint=True, dtype=dt)
    def patch_scale(slope, inter):
        def patch(path):
            with open(path, 'r+b') as f:
                f.seek(112); f.write(struct.pack('<ff', slope, inter))
        return patch
    def save(name, img, expect_type=None, patch=None):
        path = os.path.join(out, name)
        nib.save(img, path)
        if patch: patch(path)
        loaded = nib.load(path); hdr = loaded.header
        export(loaded, path + '.f64')
        slope, inter = (None, None) if hdr.get_data_dtype().names else (float(loaded.dataobj.slope), float(loaded.dataobj.inter))  # nibabel moves scaling from the header to the proxy
        manifest.append(dict(name=name, shape=[int(s) for s in loaded.shape], affine=loaded.affine.tolist(),
            sform_code=int(hdr['sform_code']), qform_code=int(hdr['qform_code']), big_endian=hdr.endianness == '>',
            version=2 if isinstance(hdr, nib.Nifti2Header) else 1, slope=slope, inter=inter, expect_type=expect_type))
    for dt in ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'int64', 'uint64']:
        save('dtype-%s.nii' % dt, nib.Nifti1Image(values(dt), SHEARED, dtype=dt), 'float64' if dt.endswith('int64') else dt)
    rgb = np.zeros((4, 3, 2), dtype=[('R', 'u1'), ('G', 'u1'), ('B', 'u1')])
    for c in 'RGB': rgb[c] = rng.integers(0, 256, (4, 3, 2))
    save('rgb24.nii', nib.Nifti1Image(rgb, OBLIQUE), 'uint8')
    img = nib.Nifti1Image(values('int16'), None); img.set_qform(IMPROPER, code=1); img.set_sform(None, code=0)
    save('qform-only.nii', img)
    img = nib.Nifti1Image(values('float32'), None); img.header.set_zooms((2, 3, 4))
    save('no-transform.nii', img)
    for dt in ['int16', 'float64']:
        data = values(dt)
        header = nib.Nifti1Image(data, OBLIQUE, dtype=dt).header.as_byteswapped('>')
        save('big-endian-%s.nii' % dt, nib.Nifti1Image(data, OBLIQUE, header=header), dt)
    img = nib.Nifti1Image(values('uint16'), None, header=nib.Nifti1Header().as_byteswapped('>'), dtype=np.uint16)
    img.set_qform(IMPROPER, code=2); img.set_sform(None, code=0)
    save('big-endian-qform.nii', img, 'uint16')
    save('nifti2.nii', nib.Nifti2Image(values('float32', (6, 5, 4)), SHEARED), 'float32')
    data = values('int32')
    save('nifti2-big-endian.nii', nib.Nifti2Image(data, IMPROPER, header=nib.Nifti2Image(data, IMPROPER).header.as_byteswapped('>')), 'int32')
    save('nifti2-4d.nii.gz', nib.Nifti2Image(values('int16', (3, 4, 5, 2)), OBLIQUE), 'int16')
    save('scaled-by-nibabel.nii', nib.Nifti1Image(rng.standard_normal((5, 4, 3)) * 100 + 20, OBLIQUE, dtype=np.int16), 'float32')
    save('scaled-int16.nii', nib.Nifti1Image(rng.integers(-1000, 1000, (5, 4, 3), dtype=np.int16), OBLIQUE), 'int16', patch_scale(3, -1024))
    save('scaled-uint8.nii', nib.Nifti1Image(values('uint8'), OBLIQUE), 'int16', patch_scale(2, 0))
    save('scaled-float64.nii', nib.Nifti1Image(values('float64'), OBLIQUE), 'float64', patch_scale(0.5, 10))
    save('gzipped.nii.gz', nib.Nifti1Image(values('int16'), SHEARED), 'int16')
    save('four-d.nii', nib.Nifti1Image(values('float32', (4, 3, 2, 5)), OBLIQUE), 'float32')
    img = nib.Nifti1Image(values('int16'), OBLIQUE)
    img.header.extensions.append(nib.nifti1.Nifti1Extension('comment', b'an extension before the data ' * 5))
    save('extension.nii', img, 'int16')
    json.dump(manifest, open(os.path.join(out, 'manifest.json'), 'w'))

def inspect(paths):
    for path in paths:
        img = nib.load(path); hdr = img.header
        export(img, path + '.f64')
        info = dict(sform=hdr.get_sform().tolist(), qform=hdr.get_qform().tolist(), sform_code=int(hdr['sform_code']),
            qform_code=int(hdr['qform_code']), shape=[int(s) for s in img.shape], dtype=str(hdr.get_data_dtype()),
            zooms=[float(z) for z in hdr.get_zooms()], xyzt_units=int(hdr['xyzt_units']), descrip=hdr['descrip'].item().decode())
        json.dump(info, open(path + '.json', 'w'))

if sys.argv[1] == 'generate': generate(sys.argv[2])
else: inspect(sys.argv[2:])
`;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-nifti-test-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const scriptPath = path.join(root, 'nibabel_reference.py');
fs.writeFileSync(scriptPath, SCRIPT);
const python = (...args: string[]) => execFileSync(PYTHON, [scriptPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONWARNINGS: 'ignore' } });

interface Reference {
  name: string; shape: number[]; affine: number[][]; sform_code: number; qform_code: number; big_endian: boolean; version: 1 | 2;
  slope: number | null; inter: number | null; expect_type: VoxelType | null;
}

const referenceDir = path.join(root, 'nibabel');
fs.mkdirSync(referenceDir);
python('generate', referenceDir);
const references = JSON.parse(fs.readFileSync(path.join(referenceDir, 'manifest.json'), 'utf8')) as Reference[];

const float64s = (file: string) => new Float64Array(new Uint8Array(fs.readFileSync(file)).buffer);
const near = (a: Mat4, b: Mat4, tol: number, what: string) => assert.ok(affineMaxDifference(a, b) <= tol, `${what}: ${a.join(',')} vs ${b.join(',')}`);

describe('reading files nibabel wrote', () => {
  test('the reference set covers every case', () => {
    const names = references.map((r) => r.name);
    for (const name of ['dtype-uint64.nii', 'rgb24.nii', 'qform-only.nii', 'no-transform.nii', 'big-endian-int16.nii', 'nifti2.nii', 'gzipped.nii.gz', 'four-d.nii'])
      assert.ok(names.includes(name), name);
    const byName = Object.fromEntries(references.map((r) => [r.name, r]));
    // The cases test what their names say only if nibabel wrote them that way.
    assert.deepEqual([byName['qform-only.nii']!.sform_code, byName['qform-only.nii']!.qform_code], [0, 1]);
    assert.deepEqual([byName['no-transform.nii']!.sform_code, byName['no-transform.nii']!.qform_code], [0, 0]);
    assert.deepEqual([byName['big-endian-qform.nii']!.big_endian, byName['big-endian-qform.nii']!.sform_code], [true, 0]);
    assert.deepEqual([byName['nifti2-big-endian.nii']!.big_endian, byName['nifti2-big-endian.nii']!.version], [true, 2]);
    assert.deepEqual([byName['scaled-int16.nii']!.slope, byName['scaled-int16.nii']!.inter], [3, -1024]);
    assert.ok(!Number.isInteger(byName['scaled-by-nibabel.nii']!.slope), 'nibabel chose a fractional slope');
    assert.ok(fs.readFileSync(path.join(referenceDir, 'gzipped.nii.gz'))[0] === 0x1f);
  });

  for (const ref of references)
    test(ref.name, async () => {
      const image = await readNiftiFile(path.join(referenceDir, ref.name));
      const h = image.header;
      assert.deepEqual(image.dims, [0, 1, 2].map((k) => ref.shape[k] ?? 1));
      assert.equal(h.dim4, ref.shape.slice(3).reduce((a, b) => a * b, 1));
      assert.deepEqual([h.version, h.littleEndian, h.sformCode, h.qformCode], [ref.version, !ref.big_endian, ref.sform_code, ref.qform_code]);
      near(lpsToRasAffine(image.affineLps), ref.affine.flat(), 1e-6, 'affine');
      if (ref.expect_type) assert.equal(image.voxelType, ref.expect_type);
      const expected = float64s(path.join(referenceDir, `${ref.name}.f64`));
      assert.equal(image.data.length, expected.length);
      const tolerance = image.voxelType === 'float32' && h.scaled ? 1e-6 : 0; // our float32 vs nibabel's float64
      for (let i = 0; i < expected.length; i++) {
        const [ours, theirs] = [image.data[i]!, expected[i]!];
        if (Math.abs(ours - theirs) > tolerance * Math.max(1, Math.abs(theirs))) assert.fail(`voxel ${i}: ${ours} vs nibabel ${theirs}`);
      }
      if (ref.name === 'extension.nii') assert.ok(h.voxOffset > 352);
    });
});

function rotation(axis: Vec3, angle: number): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n) as Vec3;
  const [c, s, t] = [Math.cos(angle), Math.sin(angle), 1 - Math.cos(angle)];
  return [t * x * x + c, t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c, t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c];
}
function lps(r: number[], zooms: Vec3, origin: Vec3): Mat4 {
  const m = r.map((v, k) => v * zooms[k % 3]!);
  return [m[0]!, m[1]!, m[2]!, origin[0], m[3]!, m[4]!, m[5]!, origin[1], m[6]!, m[7]!, m[8]!, origin[2], 0, 0, 0, 1];
}
const WRITE_AFFINES: Mat4[] = [
  lps([1, 0, 0, 0, 1, 0, 0, 0, 1], [0.7, 0.7, 2.5], [-120, -100, 40]),
  lps(rotation([1, -2, 0.5], 0.7), [0.9, 1.1, 3], [55.5, -20, 101]),
  lps(rotation([0.2, 1, -0.4], 2.9), [1.5, 1.25, -2], [-3, 4, -5]), // improper: det < 0
];

function volumeFor(type: VoxelType, affineLps: Mat4, seed: number, components: 1 | 3 = 1): Volume {
  const dims: Vec3 = [6, 5, 4];
  const data = allocateVoxels(type, 120 * components);
  const range = { uint8: 256, int8: 256, uint16: 65536, int16: 65536, uint32: 2 ** 32, int32: 2 ** 32, float32: 0, float64: 0 }[type];
  const offset = type.startsWith('int') ? -range / 2 : 0;
  for (let i = 0; i < data.length; i++) {
    const r = Math.abs(Math.sin(seed * 1000 + i * 12.9898) * 43758.5453) % 1;
    data[i] = range ? Math.floor(r * range) + offset : (r - 0.5) * 1e4 * (i % 3 === 0 ? 1e-3 : 1);
  }
  const spacing = [0, 1, 2].map((c) => Math.hypot(affineLps[c]!, affineLps[4 + c]!, affineLps[8 + c]!)) as Vec3;
  return { dims, spacing, affineLps, voxelType: type, components, data };
}

describe('files we write, read by nibabel', () => {
  const dir = path.join(root, 'written');
  fs.mkdirSync(dir);
  const cases: { file: string; volume: Volume }[] = [];
  VOXEL_TYPES.forEach((type, t) =>
    WRITE_AFFINES.forEach((affineLps, a) =>
      cases.push({ file: path.join(dir, `${type}-${a}.nii${(t + a) % 2 ? '.gz' : ''}`), volume: volumeFor(type, affineLps, t * 3 + a) })));
  cases.push({ file: path.join(dir, 'rgb.nii.gz'), volume: volumeFor('uint8', WRITE_AFFINES[2]!, 99, 3) });

  test('sform, qform, dtype and data match', async () => {
    for (const c of cases) await writeNiftiFile(c.file, c.volume, { description: 'written by Delineate' });
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left');
    python('inspect', ...cases.map((c) => c.file));
    for (const { file, volume } of cases) {
      const name = path.basename(file);
      assert.equal(fs.readFileSync(file)[0] === 0x1f, file.endsWith('.gz'), `${name}: gzip exactly when the name ends .gz`);
      const info = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as { sform: number[][]; qform: number[][]; sform_code: number; qform_code: number; shape: number[]; dtype: string; zooms: number[]; xyzt_units: number; descrip: string };
      const ras = lpsToRasAffine(volume.affineLps);
      near(info.sform.flat(), ras, 1e-4, `${name} sform`);
      near(info.qform.flat(), ras, 1e-4, `${name} qform`);
      assert.deepEqual([info.sform_code, info.qform_code, info.xyzt_units, info.descrip, info.shape], [1, 1, 10, 'written by Delineate', [6, 5, 4]], name);
      assert.equal(info.dtype, volume.components === 3 ? "[('R', 'u1'), ('G', 'u1'), ('B', 'u1')]" : volume.voxelType, name);
      info.zooms.forEach((z, k) => assert.ok(Math.abs(z - volume.spacing[k]!) < 1e-5, `${name} zoom ${k}`));
      const values = float64s(`${file}.f64`);
      assert.deepEqual([...values], [...volume.data], name);
    }
  });

  test('our reader reads back what we wrote', async () => {
    const { file, volume } = cases[4]!;
    const image = await readNiftiFile(file);
    assert.deepEqual([...image.data], [...volume.data]);
    near(image.affineLps, volume.affineLps, 1e-4, 'affine');
  });

  test('an existing file is replaced whole, and a failed write leaves nothing behind', async () => {
    const target = path.join(dir, 'replace.nii');
    fs.writeFileSync(target, 'old contents');
    await writeNiftiFile(target, volumeFor('int16', WRITE_AFFINES[0]!, 5));
    assert.equal((await readNiftiFile(target)).dims[0], 6);
    const missing = path.join(dir, 'no-such-dir', 'x.nii');
    await assert.rejects(writeNiftiFile(missing, volumeFor('int16', WRITE_AFFINES[0]!, 5)), { code: 'ENOENT' });
    assert.equal(fs.existsSync(`${missing}.tmp`), false);
  });
});

describe('bad files are rejected with the file name and the problem', () => {
  const dir = path.join(root, 'bad');
  fs.mkdirSync(dir);
  const good = path.join(referenceDir, 'dtype-int16.nii');

  const cases: [string, () => Buffer, RegExp][] = [
    ['truncated.nii.gz', () => fs.readFileSync(path.join(referenceDir, 'gzipped.nii.gz')).subarray(0, 200), /^truncated\.nii\.gz: the gzip stream is corrupt or truncated/],
    ['bit-flipped.nii.gz', () => {
      const bytes = Buffer.from(fs.readFileSync(path.join(referenceDir, 'gzipped.nii.gz')));
      for (let i = 40; i < 60; i++) bytes[i] = bytes[i]! ^ 0x5a;
      return bytes;
    }, /^bit-flipped\.nii\.gz: the gzip stream is corrupt or truncated/],
    ['cut.nii', () => fs.readFileSync(good).subarray(0, 400), /^cut\.nii: header says 5×4×3 int16 \(120 bytes from offset 352\) but the file has only 48 bytes after it$/],
    ['cut-inside-gzip.nii.gz', () => zlib.gzipSync(fs.readFileSync(good).subarray(0, 300)), /^cut-inside-gzip\.nii\.gz: the file is too short for a NIfTI-1 header: 300 bytes/],
    ['empty.nii', () => Buffer.alloc(0), /^empty\.nii: the file is empty$/],
    ['notes.nii', () => Buffer.from('These are not voxels, just some notes about a patient.\n'.repeat(10)), /^notes\.nii: not a NIfTI file: sizeof_hdr is \d+/],
    ['picture.nii.gz', () => zlib.gzipSync(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array<number>(400).fill(0)])), /^picture\.nii\.gz: not a NIfTI file/],
  ];
  for (const [name, make, pattern] of cases)
    test(name, async () => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, make());
      await assert.rejects(readNiftiFile(file), (err: unknown) => {
        assert.ok(err instanceof NiftiFormatError, String(err));
        assert.match(err.message, pattern);
        return true;
      });
    });

  test('gzip is recognised by content, not by the name', async () => {
    const gzNamedNii = path.join(dir, 'compressed-but-named.nii');
    fs.writeFileSync(gzNamedNii, zlib.gzipSync(fs.readFileSync(good)));
    const plainNamedGz = path.join(dir, 'plain-but-named.nii.gz');
    fs.copyFileSync(good, plainNamedGz);
    const [a, b] = [await readNiftiFile(gzNamedNii), await readNiftiFile(plainNamedGz)];
    assert.deepEqual([...a.data], [...b.data]);
    assert.deepEqual([...a.data], [...float64s(`${good}.f64`)]);
  });
});
