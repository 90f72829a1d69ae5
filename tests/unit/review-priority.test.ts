import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReviewQueueEntry } from '../../src/shared/curation.js';
import type { LabelStats } from '../../src/shared/curation/label-stats.js';
import { rankReviewQueue, type QueueCase } from '../../src/shared/curation/review-priority.js';

const NAMES: Record<string, string> = { 1: 'Liver', 2: 'Spleen', 3: 'Kidney' };

interface CaseSpec {
  uncertainty?: number | null;
  lowConfidenceFraction?: number | null;
  /** label → volume ml; null: no stats at all */
  volumes?: Record<number, number> | null;
  islands?: Record<number, number>;
}

function queueCase(seriesId: number, spec: CaseSpec): QueueCase {
  let stats: LabelStats | null = null;
  if (spec.volumes !== null) {
    stats = { labels: {} };
    for (const [label, ml] of Object.entries(spec.volumes ?? {})) {
      const voxels = Math.round(ml * 1000);
      stats.labels[label] = { voxels, volumeMl: ml, islands: spec.islands?.[Number(label)] ?? 1, largestIslandVoxels: voxels };
    }
  }
  return {
    seriesId,
    segmentationId: seriesId + 1000,
    aiVersionId: seriesId + 2000,
    status: 'ai-done',
    uncertainty: spec.uncertainty ?? null,
    lowConfidenceFraction: spec.lowConfidenceFraction ?? null,
    stats,
    labelNames: NAMES,
  };
}

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);
const entryOf = (queue: ReviewQueueEntry[], seriesId: number) => queue.find((e) => e.seriesId === seriesId)!;
const kinds = (e: ReviewQueueEntry) => e.reasons.map((r) => r.kind);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * 12 cases: volumes spread evenly over ±10 % in log around a base per label (each label in its own
 * order, so no case is extreme in all), one island each, uncertainties 0.10…0.17; and four outliers.
 */
function cohort(): QueueCase[] {
  const base = { 1: 1500, 2: 200, 3: 150 };
  const spread = (n: number, shift: number) => Math.exp(0.1 * ((((n + shift) % 11) / 10) * 2 - 1));
  const cases: QueueCase[] = [];
  for (let n = 0; n < 12; n++) {
    const seriesId = 101 + n;
    const volumes: Record<number, number> = { 1: base[1] * spread(n, 0), 2: base[2] * spread(n, 4), 3: base[3] * spread(n, 7) };
    const spec: CaseSpec = { volumes, uncertainty: 0.1 + 0.01 * (n - 4) };
    if (seriesId === 101) Object.assign(spec, { uncertainty: 0.05, volumes: { ...volumes, 1: 6000 } });
    if (seriesId === 102) Object.assign(spec, { uncertainty: 0.06, islands: { 2: 9 } });
    if (seriesId === 103) Object.assign(spec, { uncertainty: 0.07, volumes: { 1: volumes[1], 2: volumes[2] } });
    if (seriesId === 104) Object.assign(spec, { uncertainty: 0.9, lowConfidenceFraction: 0.234 });
    cases.push(queueCase(seriesId, spec));
  }
  return cases;
}

describe('rankReviewQueue: a cohort with four outliers', () => {
  const cases = cohort();
  const queue = rankReviewQueue(cases);

  test('each outlier lands at the top, with its reason first', () => {
    assert.deepEqual(queue.slice(0, 4).map((e) => e.seriesId), [101, 103, 102, 104]);
    assert.deepEqual(queue.slice(0, 4).map((e) => e.reasons[0]!.kind), ['volume', 'missing-label', 'islands', 'uncertainty']);
    assert.equal(queue.length, 12);
    assert.deepEqual(entryOf(queue, 104), { seriesId: 104, segmentationId: 1104, aiVersionId: 2104, status: 'ai-done', score: 1, reasons: [{ kind: 'uncertainty', label: null, text: 'Uncertainty 0.90, higher than 100% of the other cases; 23% of voxels low-confidence', score: 1 }] });
  });

  test('the volume reason: robust z of the log volume, in words', () => {
    const logs = cases.map((c) => Math.log(c.stats!.labels['1']!.volumeMl));
    const m = median(logs);
    const z = (Math.log(6000) - m) / (1.4826 * median(logs.map((x) => Math.abs(x - m))));
    const reason = entryOf(queue, 101).reasons[0]!;
    assert.ok(z > 6);
    assert.deepEqual(reason, { kind: 'volume', label: 1, text: `Liver volume 6,000 ml is ${z.toFixed(1)} MADs above the cohort median ${Math.round(Math.exp(m)).toLocaleString('en-US')} ml`, score: 2 });
    assert.deepEqual(kinds(entryOf(queue, 101)), ['volume'], 'the least uncertain case has no uncertainty reason');
  });

  test('the islands and missing-label reasons', () => {
    const islands = entryOf(queue, 102);
    assert.deepEqual(islands.reasons[0], { kind: 'islands', label: 2, text: 'Spleen has 9 islands (cohort median 1)', score: 1 });
    close(islands.score, 1 + 1 / 11, 'islands case score (with uncertainty rank 1/11)');
    const missing = entryOf(queue, 103);
    assert.deepEqual(missing.reasons[0], { kind: 'missing-label', label: 3, text: 'Kidney missing (present in 11 of 12 cases)', score: 1 });
    close(missing.score, 1 + 2 / 11, 'missing case score');
  });

  test('the other cases have uncertainty reasons only, ranked by uncertainty', () => {
    const rest = queue.slice(4);
    for (const e of rest) assert.ok(kinds(e).every((k) => k === 'uncertainty'), `case ${e.seriesId}: ${kinds(e).join(', ')}`);
    assert.deepEqual(rest.map((e) => e.seriesId), [112, 111, 110, 109, 108, 107, 106, 105]);
    close(entryOf(queue, 112).score, 10 / 11, 'second most uncertain');
  });
});

describe('rankReviewQueue: rules in detail', () => {
  test('a uniform cohort gets no outlier reasons', () => {
    const cases = Array.from({ length: 10 }, (_, n) =>
      queueCase(n + 1, { uncertainty: 0.2, volumes: { 1: 1000 * Math.exp(0.05 * Math.sin(n)), 2: 300 * Math.exp(0.04 * Math.cos(n)) }, islands: { 2: 2 } }),
    );
    const queue = rankReviewQueue(cases);
    assert.deepEqual(queue.map((e) => [e.seriesId, e.score, e.reasons.length]), cases.map((c) => [c.seriesId, 0, 0]));
  });

  test('uncertainty: share of the other cases strictly below; ties by seriesId; nulls score 0', () => {
    const cases = [queueCase(5, { uncertainty: 0.2 }), queueCase(4, { uncertainty: 0.1 }), queueCase(3, { uncertainty: 0.4, lowConfidenceFraction: 0.123 }), queueCase(2, { uncertainty: 0.2 }), queueCase(1, {})];
    const queue = rankReviewQueue(cases);
    assert.deepEqual(queue.map((e) => e.seriesId), [3, 2, 5, 1, 4]);
    assert.deepEqual(entryOf(queue, 3).reasons[0]!.text, 'Uncertainty 0.40, higher than 100% of the other cases; 12% of voxels low-confidence');
    assert.deepEqual(entryOf(queue, 2).reasons, [{ kind: 'uncertainty', label: null, text: 'Uncertainty 0.20, higher than 33% of the other cases', score: 1 / 3 }]);
    assert.deepEqual([entryOf(queue, 4).reasons, entryOf(queue, 1).reasons], [[], []]);
  });

  test('volume: min(|z| / 3, 2) beyond |z| > 2 on log volumes, from 5 cases with the label on', () => {
    // log offsets −0.1, 0, 0, 0.1, 0.5: median 0, MAD 0.1 → z = 0.5 / 0.14826 for the last
    const offsets = [-0.1, 0, 0, 0.1, 0.5];
    const cases = offsets.map((o, n) => queueCase(n + 1, { volumes: { 1: 100 * Math.exp(o) } }));
    const queue = rankReviewQueue(cases);
    const z = 0.5 / 0.14826;
    assert.equal(queue[0]!.seriesId, 5);
    assert.equal(queue[0]!.reasons[0]!.text, 'Liver volume 165 ml is 3.4 MADs above the cohort median 100 ml');
    close(queue[0]!.reasons[0]!.score, z / 3, 'score');
    assert.deepEqual(queue.slice(1).map((e) => e.reasons.length), [0, 0, 0, 0]);
    // a small volume reads "below"; with 4 cases the rule is off
    const small = rankReviewQueue(offsets.map((o, n) => queueCase(n + 1, { volumes: { 1: 100 * Math.exp(-o) } })));
    assert.match(small[0]!.reasons[0]!.text, /^Liver volume 60\.7 ml is 3\.4 MADs below the cohort median 100 ml$/);
    assert.deepEqual(rankReviewQueue(cases.slice(1)).map((e) => e.reasons.length), [0, 0, 0, 0]);
  });

  test('islands: excess over the median, one point per 5, capped at 1', () => {
    const counts = [1, 1, 2, 3, 9];
    const cases = counts.map((islands, n) => queueCase(n + 1, { volumes: { 2: 200 }, islands: { 2: islands } }));
    const queue = rankReviewQueue(cases);
    assert.deepEqual(queue.map((e) => [e.seriesId, e.score]), [[5, 1], [4, 1 / 5], [1, 0], [2, 0], [3, 0]]);
    assert.equal(entryOf(queue, 4).reasons[0]!.text, 'Spleen has 3 islands (cohort median 2)');
  });

  test('missing label: needs 4 cases with stats and a label in at least half of them', () => {
    const four = ([{ 1: 10, 3: 5 }, { 1: 11, 3: 6 }, { 1: 12 }, { 1: 13 }] as Record<number, number>[]).map((volumes, n) => queueCase(n + 1, { volumes }));
    const queue = rankReviewQueue(four);
    assert.deepEqual(queue.map((e) => e.seriesId), [3, 4, 1, 2]);
    assert.deepEqual(entryOf(queue, 3).reasons, [{ kind: 'missing-label', label: 3, text: 'Kidney missing (present in 2 of 4 cases)', score: 1 }]);
    assert.deepEqual(rankReviewQueue(four.slice(0, 3)).map((e) => e.score), [0, 0, 0], 'three cases are too few');
    // a label in 1 of 4 is not expected elsewhere
    const rare = ([{ 1: 10, 3: 5 }, { 1: 11 }, { 1: 12 }, { 1: 13 }] as Record<number, number>[]).map((volumes, n) => queueCase(n + 1, { volumes }));
    assert.deepEqual(rankReviewQueue(rare).map((e) => e.score), [0, 0, 0, 0]);
  });

  test('cases without stats or uncertainty still appear, scored on what they have, and do not count in the cohort', () => {
    const cases = [...cohort(), queueCase(201, { uncertainty: 0.95, volumes: null }), queueCase(202, { volumes: null }), queueCase(203, { uncertainty: null, volumes: { 1: 1500, 2: 200 } })];
    const queue = rankReviewQueue(cases);
    assert.equal(queue.length, 15);
    assert.deepEqual(kinds(entryOf(queue, 201)), ['uncertainty']);
    assert.equal(entryOf(queue, 201).score, 1);
    assert.deepEqual(entryOf(queue, 202), { seriesId: 202, segmentationId: 1202, aiVersionId: 2202, status: 'ai-done', score: 0, reasons: [] });
    assert.deepEqual(entryOf(queue, 203).reasons, [{ kind: 'missing-label', label: 3, text: 'Kidney missing (present in 11 of 13 cases)', score: 1 }]);
    assert.equal(queue.at(-1)!.seriesId, 202);
    assert.deepEqual(rankReviewQueue([]), []);
  });

  test('label names: the case\'s own, another case\'s, or "Label N"', () => {
    const named = (seriesId: number, volumes: Record<number, number>, labelNames: Record<string, string>): QueueCase => ({ ...queueCase(seriesId, { volumes }), labelNames });
    const cases = [named(1, { 1: 1, 7: 1 }, { 1: 'Liver', 7: 'Aorta' }), named(2, { 1: 1, 7: 1, 9: 1 }, {}), named(3, { 1: 1, 9: 1 }, {}), named(4, { 1: 1 }, {})];
    const texts = rankReviewQueue(cases).flatMap((e) => e.reasons.map((r) => `${e.seriesId}: ${r.text}`));
    assert.deepEqual(texts.sort(), ['1: Label 9 missing (present in 2 of 4 cases)', '3: Aorta missing (present in 2 of 4 cases)', '4: Aorta missing (present in 2 of 4 cases)', '4: Label 9 missing (present in 2 of 4 cases)']);
  });
});
