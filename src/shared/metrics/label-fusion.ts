/**
 * Label fusion: one label map from N ≥ 2 raters' label maps of one grid (same length, same array type).
 *
 * - majorityVote: per voxel the value most raters gave. Background 0 is a candidate like any label.
 *   Ties go to the smallest tied value; background is the smallest value, so a tie that includes
 *   background is background. With 2 raters this is their agreement: where they differ and one says
 *   background the result is background (only two different foreground labels give the smaller one).
 * - staple: multi-label STAPLE (Warfield, Zou & Wells 2004, in the multi-class form of Rohlfing et al.
 *   2004), which weighs each rater by a per-rater confusion matrix estimated by EM, so one reliable
 *   rater can outvote two unreliable ones.
 *
 * Both keep voxels where every rater agrees as they are (STAPLE's usual "consensus region"
 * restriction) and spend their work on the disagreement voxels only.
 */
import type { LabelArray } from '../editing/grid.js';

export interface FusionResult {
  /** the fused map, the same array type as the inputs */
  labels: LabelArray;
  /** voxels where not all raters gave the same value */
  disagreementVoxels: number;
}

export interface StapleOptions {
  /** EM iterations at most; default 50 */
  maxIterations?: number;
  /** stop once no confusion-matrix entry moves by more than this; default 1e-6 */
  tolerance?: number;
}

/** One rater's performance as STAPLE estimated it, keyed by label value (background 0 included). */
export interface StapleRater {
  /** θ[l][l] = P(rater says l | truth is l) */
  sensitivity: Record<number, number>;
  /** 1 − P(rater says l | truth is not l), the truth weighted by the priors; NaN when l is the only label present */
  specificity: Record<number, number>;
}

export interface StapleResult extends FusionResult {
  /** in the order of the input maps */
  raters: StapleRater[];
  /** EM iterations run (M-steps) */
  iterations: number;
  /** whether the tolerance was reached within maxIterations */
  converged: boolean;
}

const INITIAL_SENSITIVITY = 0.99;
/** Posteriors this close (relative) are a tie: symmetric inputs can differ in the last bits by summation order. */
const POSTERIOR_TIE = 1e-12;

function checkMaps(maps: readonly LabelArray[]): void {
  if (maps.length < 2) throw new Error(`label fusion needs at least 2 label maps, got ${maps.length}`);
  const first = maps[0]!;
  maps.forEach((m, r) => {
    if (m.constructor !== first.constructor) throw new Error(`label map ${r} is a ${m.constructor.name}, map 0 a ${first.constructor.name}: all maps must have one type`);
    if (m.length !== first.length) throw new Error(`label map ${r} has ${m.length} voxels, map 0 has ${first.length}: all maps must lie on one grid`);
  });
}

/** Index of the first map that differs from map 0 at voxel p, or maps.length when all agree. */
function firstDissent(maps: readonly LabelArray[], p: number): number {
  const v = maps[0]![p]!;
  let r = 1;
  while (r < maps.length && maps[r]![p] === v) r++;
  return r;
}

/**
 * Per voxel the value with most votes, ties to the smallest value (so to background when it is among
 * them). With 2 raters: their agreement, background where one of them says background.
 */
export function majorityVote(maps: readonly LabelArray[]): FusionResult {
  checkMaps(maps);
  const raters = maps.length;
  const labels = maps[0]!.slice(); // agreeing voxels are already right
  const values = new Int32Array(raters);
  let disagreementVoxels = 0;
  for (let p = 0; p < labels.length; p++) {
    if (firstDissent(maps, p) === raters) continue;
    disagreementVoxels++;
    for (let r = 0; r < raters; r++) values[r] = maps[r]![p]!;
    labels[p] = plurality(values);
  }
  return { labels, disagreementVoxels };
}

/** The value with most occurrences in `values`, the smallest on ties. O(N²), N is a handful of raters. */
function plurality(values: Int32Array): number {
  let best = -1;
  let bestVotes = 0;
  for (let r = 0; r < values.length; r++) {
    const v = values[r]!;
    let votes = 0;
    for (let q = 0; q < values.length; q++) if (values[q] === v) votes++;
    if (votes > bestVotes || (votes === bestVotes && v < best)) {
      best = v;
      bestVotes = votes;
    }
  }
  return best;
}

/**
 * The disagreement voxels grouped by their pattern: the tuple of labels the raters gave. With priors
 * the same at every voxel, a voxel's posterior depends on its pattern alone, so the EM runs over the
 * distinct patterns weighted by their voxel counts: exact, and far fewer than the voxels. Labels are
 * dense indices 0…K−1 over the values present, ascending, so "the smaller label" is the smaller index.
 */
interface Disagreements {
  /** label value per dense index, ascending */
  values: number[];
  /** per dense label: its share of all raters' voxels (the fixed priors) */
  prior: Float64Array;
  /** per dense label: voxels where every rater gave it */
  consensus: Float64Array;
  /** per pattern, the raters' dense labels: pattern u, rater r at u·R + r */
  patternLabels: Int32Array;
  /** voxels per pattern */
  patternVoxels: Float64Array;
  /** per disagreement voxel, in raster order: its flat index and its pattern */
  voxelIndex: Int32Array;
  voxelPattern: Int32Array;
}

/** A key per pattern of label values: a number when the tuple fits a double exactly, else a string. */
function patternKeyOf(maps: readonly LabelArray[], valueRange: number): (p: number) => number | string {
  const raters = maps.length;
  if (valueRange ** raters <= Number.MAX_SAFE_INTEGER) {
    return (p) => {
      let key = 0;
      for (let r = raters - 1; r >= 0; r--) key = key * valueRange + maps[r]![p]!;
      return key;
    };
  }
  return (p) => {
    let key = '';
    for (let r = 0; r < raters; r++) key += `${maps[r]![p]},`;
    return key;
  };
}

/** A growable list of whole numbers in an Int32Array. */
class IntList {
  items = new Int32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.items.length) {
      const grown = new Int32Array(2 * this.length);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = x;
  }
  view(): Int32Array {
    return this.items.subarray(0, this.length);
  }
}

/** One pass over the grid: consensus counts per value, and the disagreement voxels by pattern. */
function collectDisagreements(maps: readonly LabelArray[]): Disagreements {
  const raters = maps.length;
  const first = maps[0]!;
  const valueRange = first instanceof Uint8Array ? 256 : 65536;
  const consensusByValue = new Float64Array(valueRange);
  const keyOf = patternKeyOf(maps, valueRange);
  const patterns = new Map<number | string, number>();
  const patternValues: number[] = [];
  const patternVoxels: number[] = [];
  const voxelIndex = new IntList();
  const voxelPattern = new IntList();
  for (let p = 0; p < first.length; p++) {
    if (firstDissent(maps, p) === raters) {
      consensusByValue[first[p]!]!++;
      continue;
    }
    const key = keyOf(p);
    let u = patterns.get(key);
    if (u === undefined) {
      u = patternVoxels.push(0) - 1;
      patterns.set(key, u);
      for (let r = 0; r < raters; r++) patternValues.push(maps[r]![p]!);
    }
    patternVoxels[u]!++;
    voxelIndex.push(p);
    voxelPattern.push(u);
  }

  // pooled counts per value → the values present, their dense indices and priors
  const pooled = Float64Array.from(consensusByValue, (c) => c * raters);
  patternValues.forEach((v, at) => (pooled[v]! += patternVoxels[Math.floor(at / raters)]!));
  const values: number[] = [];
  const dense = new Int32Array(valueRange).fill(-1);
  for (let v = 0; v < valueRange; v++) if (pooled[v]! > 0) dense[v] = values.push(v) - 1;
  const total = first.length * raters;
  return {
    values,
    prior: Float64Array.from(values, (v) => pooled[v]! / total),
    consensus: Float64Array.from(values, (v) => consensusByValue[v]!),
    patternLabels: Int32Array.from(patternValues, (v) => dense[v]!),
    patternVoxels: Float64Array.from(patternVoxels),
    voxelIndex: voxelIndex.view(),
    voxelPattern: voxelPattern.view(),
  };
}

/** θ[r][s][t] = P(rater r says s | truth t), flat at (r·K + s)·K + t. */
type Confusion = Float64Array;

/**
 * Posterior over the true label of pattern u into `out`: prior[t] · Π_r θ[r][s_r][t], normalised.
 * Falls back to the priors if every product underflowed to 0.
 */
function posterior(theta: Confusion, prior: Float64Array, labels: Int32Array, u: number, raters: number, out: Float64Array): void {
  const K = prior.length;
  let sum = 0;
  for (let t = 0; t < K; t++) {
    let w = prior[t]!;
    for (let r = 0; r < raters; r++) w *= theta[(r * K + labels[u * raters + r]!) * K + t]!;
    out[t] = w;
    sum += w;
  }
  if (sum > 0) for (let t = 0; t < K; t++) out[t]! /= sum;
  else out.set(prior);
}

/**
 * One EM iteration: E-step posteriors per pattern, M-step θ[r][s][t] = Σ_v W[v][t]·[rater r says s at v]
 * / Σ_v W[v][t], consensus voxels counted with W = 1 for their label. Writes the new θ into `theta`
 * and returns the largest change of an entry.
 */
function emStep(theta: Confusion, prior: Float64Array, d: Disagreements, raters: number): number {
  const K = prior.length;
  const numerator = new Float64Array(theta.length);
  const denominator = new Float64Array(K);
  for (let t = 0; t < K; t++) {
    const c = d.consensus[t]!;
    denominator[t] = c;
    for (let r = 0; r < raters; r++) numerator[(r * K + t) * K + t] = c;
  }
  const w = new Float64Array(K);
  for (let u = 0; u < d.patternVoxels.length; u++) {
    posterior(theta, prior, d.patternLabels, u, raters, w);
    const voxels = d.patternVoxels[u]!;
    for (let t = 0; t < K; t++) {
      const weight = voxels * w[t]!;
      denominator[t]! += weight;
      for (let r = 0; r < raters; r++) numerator[(r * K + d.patternLabels[u * raters + r]!) * K + t]! += weight;
    }
  }
  let change = 0;
  for (let r = 0; r < raters; r++) {
    for (let s = 0; s < K; s++) {
      for (let t = 0; t < K; t++) {
        if (!(denominator[t]! > 0)) continue; // no evidence for truth t: keep the column
        const at = (r * K + s) * K + t;
        const next = numerator[at]! / denominator[t]!;
        change = Math.max(change, Math.abs(next - theta[at]!));
        theta[at] = next;
      }
    }
  }
  return change;
}

function initialConfusion(raters: number, K: number): Confusion {
  const theta = new Float64Array(raters * K * K);
  const off = K > 1 ? (1 - INITIAL_SENSITIVITY) / (K - 1) : 0;
  for (let r = 0; r < raters; r++) for (let s = 0; s < K; s++) for (let t = 0; t < K; t++) theta[(r * K + s) * K + t] = s === t ? (K > 1 ? INITIAL_SENSITIVITY : 1) : off;
  return theta;
}

function raterPerformance(theta: Confusion, prior: Float64Array, values: number[], r: number): StapleRater {
  const K = values.length;
  const sensitivity: Record<number, number> = {};
  const specificity: Record<number, number> = {};
  for (let l = 0; l < K; l++) {
    sensitivity[values[l]!] = theta[(r * K + l) * K + l]!;
    let falsePositive = 0;
    for (let t = 0; t < K; t++) if (t !== l) falsePositive += theta[(r * K + l) * K + t]! * prior[t]!;
    const otherPrior = 1 - prior[l]!;
    specificity[values[l]!] = otherPrior > 0 ? 1 - falsePositive / otherPrior : NaN;
  }
  return { sensitivity, specificity };
}

function checkOptions(maxIterations: number, tolerance: number): void {
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new Error(`STAPLE maxIterations must be a whole number ≥ 1, got ${maxIterations}`);
  if (!(tolerance >= 0)) throw new Error(`STAPLE tolerance must be ≥ 0, got ${tolerance}`);
}

/**
 * Multi-label STAPLE. Priors are the label frequencies pooled over all raters, held fixed; θ starts at
 * 0.99 on the diagonal, the rest spread evenly. The EM's posteriors cover the disagreement voxels only
 * (kept per distinct rater pattern, not per voxel); consensus voxels are fixed to their label but
 * count in every M-step with certainty. Output per voxel: the label of highest posterior (ties: the
 * smaller label value), from the last θ.
 */
export function staple(maps: readonly LabelArray[], options: StapleOptions = {}): StapleResult {
  checkMaps(maps);
  const { maxIterations = 50, tolerance = 1e-6 } = options;
  checkOptions(maxIterations, tolerance);
  const raters = maps.length;
  const d = collectDisagreements(maps);
  const { values, prior } = d;
  const K = values.length;

  const theta = initialConfusion(raters, K);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    const change = emStep(theta, prior, d, raters);
    iterations++;
    if (change <= tolerance) {
      converged = true;
      break;
    }
  }

  const fusedByPattern = new Int32Array(d.patternVoxels.length);
  const w = new Float64Array(K);
  for (let u = 0; u < fusedByPattern.length; u++) {
    posterior(theta, prior, d.patternLabels, u, raters, w);
    let best = 0;
    for (let t = 1; t < K; t++) if (w[t]! > w[best]! * (1 + POSTERIOR_TIE)) best = t;
    fusedByPattern[u] = values[best]!;
  }
  const labels = maps[0]!.slice();
  for (let q = 0; q < d.voxelIndex.length; q++) labels[d.voxelIndex[q]!] = fusedByPattern[d.voxelPattern[q]!]!;

  return {
    labels,
    disagreementVoxels: d.voxelPattern.length,
    raters: Array.from({ length: raters }, (_, r) => raterPerformance(theta, prior, values, r)),
    iterations,
    converged,
  };
}
