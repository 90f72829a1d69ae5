/**
 * The order a reviewer works through cases: each case's AI result is compared with the rest of the
 * cohort (the cases passed in), and every finding is a reason with a score; a case's score is the sum.
 * Highest score first, ties by seriesId ascending. Only reasons scoring above 0 are listed, largest first.
 *
 * Rules (a case lacking an input simply gets no reason from the rules that need it):
 * - Uncertainty (weight 1): the share of the other cases with an uncertainty that have a strictly
 *   lower one, 0…1. The most uncertain case scores 1; the least scores 0 (no reason).
 * - Volume outlier, per label: robust z of log(volume ml) against the cases having that label,
 *   z = (x − median) / (1.4826 · MAD), which reads as standard deviations for normal data (the text
 *   says "MADs"). Labels in fewer than 5 cases, or with MAD 0, are skipped. Scores min(|z| / 3, 2)
 *   when |z| > 2. Logs, because organ volumes vary by ratios, and a doubling should weigh as a halving.
 * - Islands, per label: when the case has more islands than max(1, cohort median for that label),
 *   scores min((islands − median) / 5, 1).
 * - Missing label: a label this case lacks that at least half of the cases with stats have (and at
 *   least 4 cases have stats) scores 1.
 *
 * Cases without stats take no part in the label rules, as the cohort or as the case; cases without an
 * uncertainty likewise for uncertainty.
 */
import type { CaseStatus, QueueReason, ReviewQueueEntry } from '../curation.js';
import type { LabelStats } from './label-stats.js';

export interface QueueCase {
  seriesId: number;
  segmentationId: number;
  aiVersionId: number;
  status: CaseStatus;
  /** the AI version's mean entropy proxy, 0 (sure) … 1 (unsure); null: unknown */
  uncertainty: number | null;
  /** share of the AI version's voxels below its confidence threshold, 0…1; shown, not scored */
  lowConfidenceFraction: number | null;
  /** labelStats of the AI version; null: not computed */
  stats: LabelStats | null;
  /** label value (as a string) → name */
  labelNames: Record<string, string>;
}

const MAD_TO_SIGMA = 1.4826;
const MIN_CASES_FOR_VOLUME = 5;
const VOLUME_Z_THRESHOLD = 2;
const VOLUME_Z_PER_POINT = 3;
const MAX_VOLUME_SCORE = 2;
const EXCESS_ISLANDS_PER_POINT = 5;
const MAX_ISLANDS_SCORE = 1;
const MIN_CASES_FOR_MISSING = 4;
const MISSING_SHARE = 0.5;
const MISSING_SCORE = 1;

const KIND_ORDER: readonly QueueReason['kind'][] = ['uncertainty', 'volume', 'islands', 'missing-label'];

/** A label's figures in one case. */
interface Present {
  volumeMl: number;
  islands: number;
}

/** What the cohort says about one label. */
interface LabelCohort {
  /** cases having it */
  cases: number;
  /** median log volume and 1.4826·MAD; null when the label is skipped for volumes */
  logVolume: { median: number; scale: number } | null;
  islandsMedian: number;
}

interface Cohort {
  /** ascending */
  uncertainties: number[];
  casesWithStats: number;
  labels: Map<number, LabelCohort>;
  /** a name for each label, from the first case naming it */
  names: Map<number, string>;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ascending = (a: number, b: number): number => a - b;

/** The labels a case has (voxels > 0), by label value. */
function presentLabels(stats: LabelStats): Map<number, Present> {
  const present = new Map<number, Present>();
  for (const [key, s] of Object.entries(stats.labels)) {
    const label = Number(key);
    if (Number.isInteger(label) && label > 0 && s.voxels > 0 && s.volumeMl > 0) present.set(label, { volumeMl: s.volumeMl, islands: s.islands });
  }
  return present;
}

const usableUncertainty = (u: number | null): u is number => u !== null && Number.isFinite(u);

function describeCohort(cases: readonly QueueCase[], present: readonly (Map<number, Present> | null)[]): Cohort {
  const uncertainties = cases.map((c) => c.uncertainty).filter(usableUncertainty).sort(ascending);
  const perLabel = new Map<number, { logVolumes: number[]; islands: number[] }>();
  for (const labels of present) {
    for (const [label, p] of labels ?? []) {
      const l = perLabel.get(label) ?? { logVolumes: [], islands: [] };
      l.logVolumes.push(Math.log(p.volumeMl));
      l.islands.push(p.islands);
      perLabel.set(label, l);
    }
  }
  const labels = new Map<number, LabelCohort>();
  for (const [label, { logVolumes, islands }] of perLabel) {
    logVolumes.sort(ascending);
    const m = median(logVolumes);
    const scale = MAD_TO_SIGMA * median(logVolumes.map((x) => Math.abs(x - m)).sort(ascending));
    const logVolume = logVolumes.length >= MIN_CASES_FOR_VOLUME && scale > 0 ? { median: m, scale } : null;
    labels.set(label, { cases: logVolumes.length, logVolume, islandsMedian: median(islands.sort(ascending)) });
  }
  const names = new Map<number, string>();
  for (const c of cases) {
    for (const [key, name] of Object.entries(c.labelNames)) {
      const label = Number(key);
      if (name && !names.has(label)) names.set(label, name);
    }
  }
  return { uncertainties, casesWithStats: present.filter((p) => p !== null).length, labels, names };
}

/** Number of entries of ascending `sorted` strictly below `x`. */
function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** "2,310 ml", "45.3 ml", "0.42 ml" */
function formatMl(ml: number): string {
  if (ml >= 100) return `${Math.round(ml).toLocaleString('en-US')} ml`;
  if (ml >= 1) return `${ml.toFixed(1)} ml`;
  return `${ml.toPrecision(2)} ml`;
}

const formatPercent = (share: number): string => `${Math.round(share * 100)}%`;

function uncertaintyReason(c: QueueCase, cohort: Cohort): QueueReason | null {
  if (!usableUncertainty(c.uncertainty) || cohort.uncertainties.length < 2) return null;
  const rank = countBelow(cohort.uncertainties, c.uncertainty) / (cohort.uncertainties.length - 1);
  const lowConfidence = c.lowConfidenceFraction !== null && Number.isFinite(c.lowConfidenceFraction) ? `; ${formatPercent(c.lowConfidenceFraction)} of voxels low-confidence` : '';
  return {
    kind: 'uncertainty',
    label: null,
    text: `Uncertainty ${c.uncertainty.toFixed(2)}, higher than ${formatPercent(rank)} of the other cases${lowConfidence}`,
    score: rank,
  };
}

function volumeReason(label: number, name: string, p: Present, cohort: LabelCohort): QueueReason | null {
  if (!cohort.logVolume) return null;
  const z = (Math.log(p.volumeMl) - cohort.logVolume.median) / cohort.logVolume.scale;
  if (!(Math.abs(z) > VOLUME_Z_THRESHOLD)) return null;
  const side = z > 0 ? 'above' : 'below';
  return {
    kind: 'volume',
    label,
    text: `${name} volume ${formatMl(p.volumeMl)} is ${Math.abs(z).toFixed(1)} MADs ${side} the cohort median ${formatMl(Math.exp(cohort.logVolume.median))}`,
    score: Math.min(Math.abs(z) / VOLUME_Z_PER_POINT, MAX_VOLUME_SCORE),
  };
}

function islandsReason(label: number, name: string, p: Present, cohort: LabelCohort): QueueReason | null {
  const expected = Math.max(1, cohort.islandsMedian);
  if (!(p.islands > expected)) return null;
  return {
    kind: 'islands',
    label,
    text: `${name} has ${p.islands} islands (cohort median ${cohort.islandsMedian})`,
    score: Math.min((p.islands - cohort.islandsMedian) / EXCESS_ISLANDS_PER_POINT, MAX_ISLANDS_SCORE),
  };
}

function missingReasons(present: Map<number, Present>, cohort: Cohort, nameOf: (label: number) => string): QueueReason[] {
  if (cohort.casesWithStats < MIN_CASES_FOR_MISSING) return [];
  const reasons: QueueReason[] = [];
  for (const [label, l] of cohort.labels) {
    if (present.has(label) || l.cases < MISSING_SHARE * cohort.casesWithStats) continue;
    reasons.push({ kind: 'missing-label', label, text: `${nameOf(label)} missing (present in ${l.cases} of ${cohort.casesWithStats} cases)`, score: MISSING_SCORE });
  }
  return reasons;
}

function labelReasons(c: QueueCase, present: Map<number, Present>, cohort: Cohort): QueueReason[] {
  const nameOf = (label: number): string => c.labelNames[String(label)] || cohort.names.get(label) || `Label ${label}`;
  const reasons: QueueReason[] = [];
  for (const [label, p] of present) {
    const l = cohort.labels.get(label)!;
    for (const r of [volumeReason(label, nameOf(label), p, l), islandsReason(label, nameOf(label), p, l)]) if (r) reasons.push(r);
  }
  return [...reasons, ...missingReasons(present, cohort, nameOf)];
}

function byWeight(a: QueueReason, b: QueueReason): number {
  return b.score - a.score || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.label ?? 0) - (b.label ?? 0);
}

export function rankReviewQueue(cases: readonly QueueCase[]): ReviewQueueEntry[] {
  const present = cases.map((c) => (c.stats ? presentLabels(c.stats) : null));
  const cohort = describeCohort(cases, present);
  const entries = cases.map((c, n): ReviewQueueEntry => {
    const labels = present[n];
    const found = [uncertaintyReason(c, cohort), ...(labels ? labelReasons(c, labels, cohort) : [])];
    const reasons = found.filter((r): r is QueueReason => r !== null && r.score > 0).sort(byWeight);
    return {
      seriesId: c.seriesId,
      segmentationId: c.segmentationId,
      aiVersionId: c.aiVersionId,
      status: c.status,
      score: reasons.reduce((sum, r) => sum + r.score, 0),
      reasons,
    };
  });
  return entries.sort((a, b) => b.score - a.score || a.seriesId - b.seriesId);
}
