import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalise, percentile } from '../../src/shared/inference/normalise.js';
import type { NormalisationStep } from '../../src/shared/inference/manifest.js';

const run = (values: number[], ...steps: NormalisationStep[]): number[] => {
  const data = Float32Array.from(values);
  normalise(data, steps);
  return Array.from(data);
};
const close = (a: number[], b: number[], tol = 1e-6) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol, `[${i}]: ${v} vs ${b[i]}`));
};

describe('normalise', () => {
  test('min-max scales to [0, 1]; NaN becomes 0; a constant image becomes 0', () => {
    close(run([2, 4, 6, NaN, 3], { kind: 'min-max' }), [0, 0.5, 1, 0, 0.25]);
    close(run([5, 5, 5], { kind: 'min-max' }), [0, 0, 0]);
  });

  test('z-score uses the population std; nonZero uses and changes only the non-zero voxels', () => {
    const std = Math.sqrt(1.25);
    close(run([1, 2, 3, 4], { kind: 'z-score', nonZero: false }), [-1.5 / std, -0.5 / std, 0.5 / std, 1.5 / std]);
    close(run([0, 0, 2, 4, NaN], { kind: 'z-score', nonZero: true }), [0, 0, -1, 1, 0]);
    close(run([7, 7, 7], { kind: 'z-score', nonZero: false }), [0, 0, 0]);
  });

  test('fixed z-score and CT window', () => {
    close(run([100, -50], { kind: 'fixed-z-score', mean: 50, std: 25 }), [2, -4]);
    // window 40 ± 200 HU
    close(run([-1000, -160, 40, 140, 1000], { kind: 'ct-window', center: 40, width: 400 }), [0, 0, 0.5, 0.75, 1]);
  });

  test('percentile clip clips to the percentiles without rescaling', () => {
    const values = Array.from({ length: 101 }, (_, i) => i);
    const out = run(values, { kind: 'percentile-clip', lower: 10, upper: 90 });
    close(out, values.map((v) => Math.min(90, Math.max(10, v))));
  });

  test('steps run in order', () => {
    close(run([0, 10, 20], { kind: 'min-max' }, { kind: 'fixed-z-score', mean: 0.5, std: 0.5 }), [-1, 0, 1]);
  });

  describe('robust-uint8 (FastSurfer getscale/scalecrop)', () => {
    // expected values from conform.py's getscale (numpy) with src_min = 0, then rint and clip
    const ten = [0, 0, 0, 0, 0, 1, 2, 3, 4, 100];

    test('f_high 0.5: src_max is the edge two bins below the cutoff bin (2.9), scale 255 / 2.9', () => {
      // cutoff = 10 − int(0.5 · 5 non-zero) = 8 voxels; cum reaches 8 at edge index 31 → edge 29 = 2.9
      assert.deepEqual(run(ten, { kind: 'robust-uint8', upperQuantile: 0.5 }), [0, 0, 0, 0, 0, 88, 176, 255, 255, 255]);
    });

    test('f_high 0.9: int((1 − 0.9) · 5) = 0 voxels dropped, src_max = 99.8', () => {
      assert.deepEqual(run(ten, { kind: 'robust-uint8', upperQuantile: 0.9 }), [0, 0, 0, 0, 0, 3, 5, 8, 10, 255]);
    });

    test('a positive minimum still scales from 0; a negative one from the minimum, with 0 kept at 0', () => {
      assert.deepEqual(run([5, 10, 20, 30, 40, 50, 60, 70, 80, 1000, 0, 0], { kind: 'robust-uint8', upperQuantile: 0.8 }), [16, 32, 65, 97, 129, 161, 194, 226, 255, 255, 0, 0]);
      assert.deepEqual(run([-10, 0, 10, 20, 30, 40, 50, 60, 70, 80], { kind: 'robust-uint8', upperQuantile: 0.8 }), [0, 0, 64, 96, 128, 160, 192, 224, 255, 255]);
      // no zeros at all: src_min is still 0 (FastSurfer would take 5 and map 5 → 0)
      assert.deepEqual(run([5, 10, 20, 30, 40, 50, 60, 70, 80, 1000], { kind: 'robust-uint8', upperQuantile: 0.8 }), [16, 32, 65, 97, 130, 162, 195, 227, 255, 255]);
    });

    test('matches numpy on a larger image (checksum)', () => {
      const values = Array.from({ length: 50000 }, (_, n) => (n % 5 === 0 ? 0 : Math.floor((((n * 2654435761) % 4294967296) / 4294967296) ** 3 * 3000)));
      const out = run(values, { kind: 'robust-uint8', upperQuantile: 0.999 });
      assert.deepEqual(out.slice(0, 12), [0, 60, 3, 160, 27, 0, 91, 9, 216, 46, 0, 130]);
      assert.equal(out.reduce((a, b) => a + b, 0), 2559538);
      const out9 = run(values, { kind: 'robust-uint8', upperQuantile: 0.9 });
      assert.equal(out9.reduce((a, b) => a + b, 0), 3263842);
    });

    test('constant and empty images do not divide by zero', () => {
      assert.deepEqual(run([42, 42, 42], { kind: 'robust-uint8', upperQuantile: 0.999 }), [0, 0, 0]);
      assert.deepEqual(run([NaN, NaN], { kind: 'robust-uint8', upperQuantile: 0.999 }), [0, 0]);
    });
  });
});

describe('percentile', () => {
  test("numpy's linear method, ignoring NaN", () => {
    const data = Float32Array.of(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, NaN);
    // np.nanpercentile(data, p)
    const expected: [number, number][] = [[0, 1], [10, 1], [25, 2.5], [33.3, 3], [50, 4], [90, 6], [99.9, 8.97], [100, 9]];
    for (const [p, v] of expected) assert.ok(Math.abs(percentile(data, p) - v) < 1e-9, `p${p}: ${percentile(data, p)} vs ${v}`);
    assert.ok(Number.isNaN(percentile(Float32Array.of(NaN), 50)));
    assert.throws(() => percentile(data, 101), RangeError);
  });

  test('is exact on large arrays with crowded buckets (against a sort)', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    // 2.2 million values in [0, 1) plus one far outlier: every value but one shares the first coarse bucket
    const data = Float32Array.from({ length: 2_200_000 }, () => next());
    data[12345] = 1e6;
    for (let i = 0; i < 300_000; i++) data[i * 7] = 0.5; // a heavy tie
    const sorted = Float64Array.from(data).sort();
    for (const p of [0, 0.5, 13.37, 50, 77.7, 99.99, 100]) {
      const rank = (p / 100) * (sorted.length - 1);
      const lo = Math.floor(rank);
      const t = rank - lo;
      const a = sorted[lo]!;
      const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
      const expected = t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
      assert.equal(percentile(data, p), expected, `p${p}`);
    }
  });
});
