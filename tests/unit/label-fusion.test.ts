import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelArray } from '../../src/shared/editing/grid.js';
import { majorityVote, staple } from '../../src/shared/metrics/label-fusion.js';
import { random } from '../helpers/random.js';

const u8 = (...values: number[]) => Uint8Array.from(values);

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

/** Majority by definition: count every value at every voxel; most votes, then the smallest value. */
function bruteMajority(maps: LabelArray[]): number[] {
  return Array.from(maps[0]!, (_, p) => {
    const votes = new Map<number, number>();
    for (const m of maps) votes.set(m[p]!, (votes.get(m[p]!) ?? 0) + 1);
    return [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  });
}

/**
 * STAPLE written straight from its definition, per voxel with a full posterior table W[v][t] over the
 * disagreement voxels (no grouping by pattern), to check the module's pattern-grouped EM against.
 */
function referenceStaple(maps: LabelArray[], maxIterations: number, tolerance: number) {
  const R = maps.length;
  const n = maps[0]!.length;
  const values = [...new Set(maps.flatMap((m) => [...m]))].sort((a, b) => a - b);
  const K = values.length;
  const idx = new Map(values.map((v, i) => [v, i]));
  const prior = values.map((v) => maps.reduce((s, m) => s + m.filter((x) => x === v).length, 0) / (R * n));
  const d = (r: number, v: number) => idx.get(maps[r]![v]!)!;
  const disagree = [...Array(n).keys()].filter((v) => maps.some((m) => m[v] !== maps[0]![v]));
  const consensus = [...Array(n).keys()].filter((v) => !disagree.includes(v));
  // theta[r][s][t]
  let theta = Array.from({ length: R }, () => Array.from({ length: K }, (_, s) => Array.from({ length: K }, (_, t) => (s === t ? 0.99 : 0.01 / (K - 1)))));
  const posteriors = () =>
    disagree.map((v) => {
      const w = values.map((_, t) => prior[t]! * theta.reduce((p, th, r) => p * th[d(r, v)]![t]!, 1));
      const sum = w.reduce((a, b) => a + b, 0);
      return w.map((x) => x / sum);
    });
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    const W = posteriors();
    const next = theta.map((_, r) =>
      values.map((_, s) =>
        values.map((_, t) => {
          let num = 0;
          let den = 0;
          for (const v of consensus) if (idx.get(maps[0]![v]!) === t) (num += d(r, v) === s ? 1 : 0), (den += 1);
          disagree.forEach((v, q) => ((num += d(r, v) === s ? W[q]![t]! : 0), (den += W[q]![t]!)));
          return num / den;
        }),
      ),
    );
    const change = Math.max(...next.flatMap((a, r) => a.flatMap((b, s) => b.map((x, t) => Math.abs(x - theta[r]![s]![t]!)))));
    theta = next;
    iterations++;
    if (change <= tolerance) {
      converged = true;
      break;
    }
  }
  const labels = [...maps[0]!];
  posteriors().forEach((w, q) => (labels[disagree[q]!] = values[w.indexOf(Math.max(...w))]!));
  return { labels, theta, values, iterations, converged };
}

/** `truth` with each voxel replaced, with probability `error`, by another of `labels` picked at random. */
function noisy(truth: Uint8Array, error: number, labels: number[], next: () => number): Uint8Array {
  return truth.map((v) => {
    if (next() >= error) return v;
    const others = labels.filter((l) => l !== v);
    return others[Math.floor(next() * others.length)]!;
  });
}

function errors(a: LabelArray, truth: LabelArray): number {
  let n = 0;
  for (let p = 0; p < a.length; p++) if (a[p] !== truth[p]) n++;
  return n;
}

describe('majorityVote', () => {
  test('three raters on a 1D grid: most votes win, ties go to background, then to the smaller label', () => {
    const a = u8(0, 1, 1, 2, 0, 3, 5, 0);
    const b = u8(0, 1, 2, 2, 1, 4, 4, 7);
    const c = u8(0, 0, 2, 1, 1, 5, 3, 9);
    // voxel 5: 3/4/5 one vote each → 3; voxel 6: 5/4/3 → 3; voxel 7: 0/7/9 → background
    const r = majorityVote([a, b, c]);
    assert.deepEqual([...r.labels], [0, 1, 2, 2, 1, 3, 3, 0]);
    assert.equal(r.disagreementVoxels, 7);
    assert.ok(r.labels instanceof Uint8Array);
  });

  test('two raters: their agreement (disagreement with background is background; two foregrounds, the smaller)', () => {
    const a = u8(0, 1, 1, 2, 2, 0, 5);
    const b = u8(0, 1, 0, 2, 0, 3, 3);
    const r = majorityVote([a, b]);
    assert.deepEqual([...r.labels], [0, 1, 0, 2, 0, 0, 3]);
    assert.equal(r.disagreementVoxels, 4);
  });

  test('uint16 label values such as 1000 and 2 keep their type and values', () => {
    const a = Uint16Array.from([1000, 1000, 2, 0, 1000]);
    const b = Uint16Array.from([1000, 2, 2, 1000, 0]);
    const c = Uint16Array.from([2, 2, 1000, 1000, 0]);
    const r = majorityVote([a, b, c]);
    assert.ok(r.labels instanceof Uint16Array);
    assert.deepEqual([...r.labels], [1000, 2, 2, 1000, 0]);
  });

  test('random maps, 2 to 6 raters: matches counting every vote', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const next = random(seed);
      const raters = 2 + (seed % 5);
      const maps = Array.from({ length: raters }, () => Uint8Array.from({ length: 300 }, () => Math.floor(next() * 4) * (seed % 2 ? 1 : 60)));
      const r = majorityVote(maps);
      assert.deepEqual([...r.labels], bruteMajority(maps), `seed ${seed}`);
      assert.equal(r.disagreementVoxels, maps[0]!.filter((v, p) => maps.some((m) => m[p] !== v)).length);
    }
  });

  test('inputs are not modified', () => {
    const a = u8(1, 2, 3);
    const b = u8(3, 2, 1);
    majorityVote([a, b]);
    assert.deepEqual([[...a], [...b]], [[1, 2, 3], [3, 2, 1]]);
  });
});

describe('staple', () => {
  test('hand-computed single EM iteration on 4 voxels, 2 raters', () => {
    // A = 0 0 1 1, B = 0 1 1 1: priors 3/8, 5/8; voxel 1 is the only disagreement.
    // E-step (θ₀ diagonal 0.99): W = prior·0.99·0.01 for both → W = [3/8, 5/8].
    // M-step: den₀ = 1 + 3/8, den₁ = 2 + 5/8; A says 0 at voxel 1, B says 1.
    const r = staple([u8(0, 0, 1, 1), u8(0, 1, 1, 1)], { maxIterations: 1 });
    const den0 = 1 + 3 / 8;
    const den1 = 2 + 5 / 8;
    const a01 = 5 / 8 / den1; // P(A says 0 | truth 1)
    const b10 = 3 / 8 / den0; // P(B says 1 | truth 0)
    close(r.raters[0]!.sensitivity[0]!, 1, 1e-12, 'A sens 0');
    close(r.raters[0]!.sensitivity[1]!, 2 / den1, 1e-12, 'A sens 1');
    close(r.raters[1]!.sensitivity[0]!, 1 / den0, 1e-12, 'B sens 0');
    close(r.raters[1]!.sensitivity[1]!, 1, 1e-12, 'B sens 1');
    // with two labels, specificity of l = 1 − θ[l][other]
    close(r.raters[0]!.specificity[0]!, 1 - a01, 1e-12, 'A spec 0');
    close(r.raters[0]!.specificity[1]!, 1, 1e-12, 'A spec 1');
    close(r.raters[1]!.specificity[1]!, 1 - b10, 1e-12, 'B spec 1');
    // final E-step: truth 0 ∝ 3/8 · θA[0][0] · θB[1][0] = 3/8 · 1 · b10; truth 1 ∝ 5/8 · a01 · 1
    assert.ok((5 / 8) * a01 > (3 / 8) * b10);
    assert.deepEqual([...r.labels], [0, 1, 1, 1]);
    assert.deepEqual([r.iterations, r.converged, r.disagreementVoxels], [1, false, 1]);
  });

  test('a symmetric disagreement is an exact tie and goes to the smaller label', () => {
    // swapping labels 1 ↔ 3 (with voxels 0↔2, 1↔3, 4↔5) maps both raters onto themselves, so both
    // disagreement voxels have equal posteriors for 1 and 3
    const r = staple([u8(1, 1, 3, 3, 1, 3), u8(1, 1, 3, 3, 3, 1)]);
    assert.deepEqual([...r.labels], [1, 1, 3, 3, 1, 1]);
    close(r.raters[0]!.sensitivity[1]!, r.raters[1]!.sensitivity[3]!, 1e-12, 'mirrored sensitivities');
  });

  test('all raters agree: the map comes back unchanged, no disagreement, perfect raters', () => {
    const map = u8(0, 3, 3, 7, 0, 7);
    const r = staple([map, map.slice(), map.slice()]);
    assert.deepEqual([...r.labels], [...map]);
    assert.equal(r.disagreementVoxels, 0);
    assert.ok(r.converged);
    for (const rater of r.raters) {
      assert.deepEqual(rater.sensitivity, { 0: 1, 3: 1, 7: 1 });
      assert.deepEqual(rater.specificity, { 0: 1, 3: 1, 7: 1 });
    }
  });

  test('one good rater and two noisy ones: STAPLE follows the good one, majority does not', () => {
    const next = random(42);
    const labels = [0, 1, 2];
    const truth = Uint8Array.from({ length: 6000 }, (_, p) => (p % 100 < 50 ? 0 : p % 100 < 80 ? 1 : 2));
    const good = noisy(truth, 0.02, labels, next);
    const noisyA = noisy(truth, 0.3, labels, next);
    const noisyB = noisy(truth, 0.3, labels, next);
    const fused = staple([noisyA, good, noisyB], { maxIterations: 500 }); // EM converges linearly: ~100 iterations here
    const majority = majorityVote([noisyA, good, noisyB]);
    const stapleErrors = errors(fused.labels, truth);
    const majorityErrors = errors(majority.labels, truth);
    assert.ok(fused.converged, `converged in ${fused.iterations}`);
    const capped = staple([noisyA, good, noisyB]);
    assert.deepEqual([capped.iterations, capped.converged], [50, false], 'the default cap of 50 is reported as not converged');
    assert.ok(stapleErrors < majorityErrors / 2, `STAPLE ${stapleErrors} errors, majority ${majorityErrors}`);
    assert.ok(errors(fused.labels, good) < errors(majority.labels, good));
    for (const l of labels) {
      assert.ok(fused.raters[1]!.sensitivity[l]! > fused.raters[0]!.sensitivity[l]!, `label ${l}: good rater's sensitivity is higher`);
      assert.ok(fused.raters[1]!.sensitivity[l]! > fused.raters[2]!.sensitivity[l]!);
      assert.ok(fused.raters[1]!.specificity[l]! > fused.raters[0]!.specificity[l]!);
      // true figures 0.98 and 0.7 (the estimate reads the good rater's rarer labels a little low)
      assert.ok(fused.raters[1]!.sensitivity[l]! > 0.9, `good rater's sensitivity for ${l}: ${fused.raters[1]!.sensitivity[l]}`);
      close(fused.raters[0]!.sensitivity[l]!, 0.7, 0.05, `noisy rater's sensitivity for ${l}`);
    }
  });

  test('uint16 labels such as 1000 and 2 are handled sparsely and keep their values', () => {
    const next = random(5);
    const truth = Uint16Array.from({ length: 2000 }, (_, p) => [0, 2, 1000][p % 3]!);
    const noise = (error: number) => Uint16Array.from(noisy(Uint8Array.from(truth, (v) => (v === 1000 ? 1 : v)), error, [0, 1, 2], next), (v) => (v === 1 ? 1000 : v));
    const r = staple([noise(0.01), noise(0.25), noise(0.25)]);
    assert.ok(r.labels instanceof Uint16Array);
    assert.deepEqual(Object.keys(r.raters[0]!.sensitivity).map(Number), [0, 2, 1000]);
    assert.ok(new Set(r.labels).size === 3 && r.labels.every((v) => v === 0 || v === 2 || v === 1000));
    assert.ok(errors(r.labels, truth) < 0.03 * truth.length, `${errors(r.labels, truth)} errors`);
    assert.ok(r.raters[0]!.sensitivity[1000]! > r.raters[1]!.sensitivity[1000]!);
  });

  test('random small maps: same labels, θ and iterations as a per-voxel reference implementation', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const next = random(100 + seed);
      const raters = 2 + (seed % 3);
      const labels = seed % 2 ? [0, 1, 2] : [0, 4, 9, 200];
      const truth = Uint8Array.from({ length: 120 }, () => labels[Math.floor(next() * labels.length)]!);
      const maps = Array.from({ length: raters }, (_, r) => noisy(truth, 0.1 + 0.1 * r, labels, next));
      const maxIterations = seed <= 4 ? 3 : 50;
      const r = staple(maps, { maxIterations, tolerance: 1e-6 });
      const ref = referenceStaple(maps, maxIterations, 1e-6);
      assert.deepEqual([r.iterations, r.converged], [ref.iterations, ref.converged], `seed ${seed}: iterations`);
      assert.deepEqual([...r.labels], ref.labels, `seed ${seed}: labels`);
      ref.values.forEach((v, l) => ref.theta.forEach((th, q) => close(r.raters[q]!.sensitivity[v]!, th[l]![l]!, 1e-9, `seed ${seed} rater ${q} sensitivity ${v}`)));
      // consensus voxels are kept as they are
      maps[0]!.forEach((v, p) => maps.every((m) => m[p] === v) && assert.equal(r.labels[p], v));
    }
  });

  test('uint16 maps from 4 raters (patterns too many for a numeric key) match the reference too', () => {
    const next = random(77);
    const labels = [0, 2, 1000, 65535];
    const truth = Uint8Array.from({ length: 150 }, () => Math.floor(next() * 4));
    const maps = [0.05, 0.15, 0.2, 0.3].map((e) => Uint16Array.from(noisy(truth, e, [0, 1, 2, 3], next), (v) => labels[v]!));
    const r = staple(maps);
    const ref = referenceStaple(maps, 50, 1e-6);
    assert.deepEqual([...r.labels], ref.labels);
    assert.equal(r.iterations, ref.iterations);
    ref.values.forEach((v, l) => ref.theta.forEach((th, q) => close(r.raters[q]!.sensitivity[v]!, th[l]![l]!, 1e-9, `rater ${q} sensitivity ${v}`)));
  });

  test('options are checked', () => {
    const maps = [u8(0, 1), u8(1, 1)];
    assert.throws(() => staple(maps, { maxIterations: 0 }), /maxIterations must be a whole number ≥ 1, got 0/);
    assert.throws(() => staple(maps, { tolerance: -1 }), /tolerance must be ≥ 0/);
  });
});

describe('input checks', () => {
  for (const [name, fuse] of [['majorityVote', majorityVote], ['staple', staple]] as const) {
    test(`${name}: fewer than 2 maps, different lengths or types throw`, () => {
      assert.throws(() => fuse([u8(1, 2)]), /at least 2 label maps, got 1/);
      assert.throws(() => fuse([]), /at least 2 label maps, got 0/);
      assert.throws(() => fuse([u8(1, 2), u8(1, 2, 3)]), /label map 1 has 3 voxels, map 0 has 2/);
      assert.throws(() => fuse([u8(1, 2), Uint16Array.from([1, 2])]), /label map 1 is a Uint16Array, map 0 a Uint8Array/);
    });
  }
});
