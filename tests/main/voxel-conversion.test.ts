// The fused sample → voxel conversion (SIMD kernel and JavaScript loop) against the two-pass reference:
// stored values first (toStoredValues), then Rescale Slope/Intercept (rescaleFrame).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rescaleFrame, samplesToVoxels } from '../../src/main/studies/dicom/pixels/rescale.js';
import { samplesToVoxels16, simdKernels } from '../../src/main/studies/dicom/pixels/simd-kernels.js';
import { toStoredValues, type IntegerSamples, type SampleLayout } from '../../src/main/studies/dicom/pixels/stored-values.js';
import type { VoxelType } from '../../src/shared/volume.js';

/** A small deterministic generator, so a failure names a reproducible case. */
function words(n: number, seed: number, Ctor: new (n: number) => IntegerSamples): IntegerSamples {
  const out = new Ctor(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 8;
  }
  return out;
}

function reference(samples: IntegerSamples, layout: SampleLayout, signedValues: boolean, type: VoxelType, slope: number, intercept: number) {
  const stored = toStoredValues(samples.slice() as IntegerSamples, layout, signedValues);
  return rescaleFrame(stored, type, slope, intercept);
}

const LAYOUTS: SampleLayout[] = [
  { bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 0 },
  { bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1 },
  { bitsAllocated: 16, bitsStored: 12, highBit: 15, pixelRepresentation: 1 },
  { bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 0 },
  { bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 1 },
  { bitsAllocated: 16, bitsStored: 10, highBit: 12, pixelRepresentation: 0 },
  { bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 0 },
  { bitsAllocated: 8, bitsStored: 7, highBit: 6, pixelRepresentation: 1 },
  { bitsAllocated: 32, bitsStored: 20, highBit: 19, pixelRepresentation: 1 },
];
const RESCALES: [number, number][] = [[1, 0], [1, -1024], [2, -3], [-1, 100], [0.5, 0.25], [3, 40000]];
const TYPES: VoxelType[] = ['int16', 'uint16', 'int32', 'float32', 'uint8'];

function containerOf(layout: SampleLayout): new (n: number) => IntegerSamples {
  const signed = layout.pixelRepresentation === 1;
  if (layout.bitsAllocated === 8) return signed ? Int8Array : Uint8Array;
  if (layout.bitsAllocated === 16) return signed ? Int16Array : Uint16Array;
  return signed ? Int32Array : Uint32Array;
}

describe('samples to voxels', () => {
  test('the SIMD kernel module is built and loads', () => {
    assert.ok(simdKernels(), 'dist/…/wasm/voxel-kernels.wasm did not load: run npm run build');
  });

  test('every layout, rescale and voxel type gives what the two-pass reference gives', () => {
    let cases = 0;
    let simdCases = 0;
    for (const [li, layout] of LAYOUTS.entries()) {
      for (const [slope, intercept] of RESCALES) {
        for (const type of TYPES) {
          // lengths that are and are not a multiple of the kernel's 8 lanes
          for (const n of [1, 13, 4096]) {
            const samples = words(n, li * 977 + n, containerOf(layout));
            const before = samples.slice();
            const expected = reference(samples, layout, false, type, slope, intercept);
            const actual = samplesToVoxels(samples, layout, false, type, slope, intercept);
            const label = `layout ${li}, ${slope}x+${intercept} → ${type}, n=${n}`;
            assert.equal(actual.overflow, expected.overflow, `${label}: overflow`);
            assert.equal(actual.min, expected.min, `${label}: min`);
            assert.equal(actual.max, expected.max, `${label}: max`);
            if (!expected.overflow) assert.deepEqual(actual.data, expected.data, `${label}: values`);
            assert.deepEqual(samples, before, `${label}: the input was written`);
            cases++;
            if (samplesToVoxels16(samples, layout, type, slope, intercept)) simdCases++;
          }
        }
      }
    }
    assert.equal(cases, LAYOUTS.length * RESCALES.length * TYPES.length * 3);
    assert.ok(simdCases >= 100, `the SIMD path ran in only ${simdCases} cases`);
  });

  test('a view into a larger buffer (as native frames are) is read in place and left untouched', () => {
    const file = new Uint8Array(2 + 2 * 20);
    const all = new Uint16Array(file.buffer, 2, 20);
    all.forEach((_, i) => (all[i] = 0xf000 | (i * 200))); // garbage above High Bit must be masked off
    const view = new Uint16Array(file.buffer, 2 + 2 * 4, 9);
    const copy = file.slice();
    const layout: SampleLayout = { bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 0 };
    const r = samplesToVoxels(view, layout, false, 'int16', 1, -1024);
    assert.deepEqual(Array.from(r.data), Array.from({ length: 9 }, (_, i) => ((i + 4) * 200) - 1024));
    assert.equal(r.min, 800 - 1024);
    assert.equal(r.max, 12 * 200 - 1024);
    assert.deepEqual(file, copy);
  });

  test('signed codec values are clamped, not wrapped, on the fused path too', () => {
    const layout: SampleLayout = { bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1 };
    const r = samplesToVoxels(Int16Array.from([2052, -2050, 100]), layout, true, 'int16', 1, 0);
    assert.deepEqual(Array.from(r.data), [2047, -2048, 100]);
  });

  test('a value that does not fit the voxel type is reported, from the stored range mapped exactly', () => {
    const layout: SampleLayout = { bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 0 };
    const r = samplesToVoxels(Uint16Array.from([0, 40000, 7]), layout, false, 'int16', 1, -1024);
    assert.equal(r.overflow, true);
    assert.equal(r.max, 40000 - 1024);
    assert.equal(samplesToVoxels(Uint16Array.from([0, 30000, 7]), layout, false, 'int16', 1, -1024).overflow, false);
  });
});

describe('rescaleFrame', () => {
  test('32-bit integers widened to float32 are converted, not reinterpreted, when done in place', () => {
    const frame = Uint32Array.from([0, 7, 3_000_000_000]);
    const r = rescaleFrame(frame, 'float32', 1, 0);
    assert.deepEqual(Array.from(r.data), [0, 7, 3_000_000_000]);
    assert.equal(r.overflow, false);
  });
});
