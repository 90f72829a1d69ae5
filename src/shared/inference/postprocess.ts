/**
 * From network output to a label map: per-voxel argmax with its probability, connected-component clean-up,
 * hole filling, and a simple confidence summary.
 *
 * Label maps are row-major with the last axis fastest and dims [D, H, W] (slowest first), as everywhere in
 * src/shared/inference; a Volume's labels ([nx, ny, nz], x fastest) are passed as dims [nz, ny, nx].
 */
import type { Vec3 } from '../volume.js';

export type LabelArray = Uint8Array | Uint16Array;

export interface ArgmaxResult {
  /** label value per voxel: Uint16Array when any produced label exceeds 255 */
  labels: LabelArray;
  /** probability of the winning channel per voxel (softmax of the logits, or the given softmax value) */
  maxProbability: Float32Array;
}

/**
 * Argmax over C channels of scores [C, N]. Ties go to the lowest channel; NaN never wins. 'logits' are turned
 * into the winner's softmax probability 1 / Σ_c exp(s_c − max), which cannot overflow; 'softmax' scores are
 * taken as probabilities (clamped to [0, 1]). Channel c becomes label channelToLabel[c] (default c).
 *
 * `probabilities: 'labelled'` computes the probability only where the label is not 0 (0 elsewhere): the
 * uncertainty score reads nothing else, and on a head most of the grid is background, so this skips most
 * of the exp() work.
 */
export function argmaxChannels(
  scores: Float32Array,
  C: number,
  kind: 'logits' | 'softmax',
  channelToLabel?: readonly number[],
  probabilities: 'all' | 'labelled' = 'all',
): ArgmaxResult {
  const N = scores.length / C;
  if (!Number.isInteger(N)) throw new RangeError(`${scores.length} scores is not a whole number of ${C} channels`);
  if (channelToLabel && channelToLabel.length !== C) throw new RangeError(`channelToLabel has ${channelToLabel.length} entries for ${C} channels`);
  const best = new Float32Array(N).fill(-Infinity);
  const winner = new Uint16Array(N);
  // channel-major passes read the scores contiguously
  for (let c = 0; c < C; c++) {
    const base = c * N;
    for (let v = 0; v < N; v++) {
      const s = scores[base + v]!;
      if (s > best[v]!) {
        best[v] = s;
        winner[v] = c;
      }
    }
  }
  const map = channelToLabel ?? Array.from({ length: C }, (_, c) => c);
  const wide = map.some((l) => l > 255);
  const labels = wide ? new Uint16Array(N) : new Uint8Array(N);
  const lut = Uint16Array.from(map);
  for (let v = 0; v < N; v++) labels[v] = lut[winner[v]!]!;
  const all = probabilities === 'all';

  const maxProbability = new Float32Array(N);
  if (kind === 'logits') {
    // Σ exp(s − max) ≥ 1 (the winner's term); `s === max` also covers max = +∞. Terms below e^-30 cannot
    // change a float32 sum that is ≥ 1, so they are skipped.
    for (let c = 0; c < C; c++) {
      const base = c * N;
      for (let v = 0; v < N; v++) {
        if (!all && labels[v] === 0) continue;
        const s = scores[base + v]!;
        const m = best[v]!;
        if (s === m) maxProbability[v]! += 1;
        else if (s < m && s - m > -30) maxProbability[v]! += Math.exp(s - m);
      }
    }
    for (let v = 0; v < N; v++) {
      const sum = maxProbability[v]!;
      maxProbability[v] = sum > 0 ? 1 / sum : 0; // sum = 0: every score NaN, or a skipped voxel
    }
  } else {
    for (let v = 0; v < N; v++) {
      if (!all && labels[v] === 0) continue;
      const p = best[v]!;
      maxProbability[v] = p > 1 ? 1 : p > 0 ? p : 0;
    }
  }
  return { labels, maxProbability };
}

/** A growable stack of voxel indices for iterative flood fills (no recursion, memory ∝ the frontier). */
class IndexStack {
  private items = new Int32Array(1 << 16);
  size = 0;
  push(v: number): void {
    if (this.size === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.size++] = v;
  }
  pop(): number {
    return this.items[--this.size]!;
  }
}

/**
 * Scanline flood fill through 6-neighbours: from the seeds on `stack`, over voxels v where
 * (labels[v] === value) === equal, setting mark[v] = tag. Works a row segment (along W) at a time, so each
 * voxel costs a few comparisons and only segments touch the stack. Returns the number of voxels newly tagged.
 */
function flood(labels: LabelArray, dims: Vec3, stack: IndexStack, mark: Uint8Array, tag: number, value: number, equal: boolean): number {
  const [D, H, W] = dims;
  const plane = H * W;
  let reached = 0;
  while (stack.size > 0) {
    const seed = stack.pop();
    if (mark[seed] === tag) continue;
    const w = seed % W;
    const rowStart = seed - w;
    const rowEnd = rowStart + W; // exclusive
    let left = seed;
    while (left > rowStart && mark[left - 1] !== tag && (labels[left - 1] === value) === equal) left--;
    let right = seed + 1;
    while (right < rowEnd && mark[right] !== tag && (labels[right] === value) === equal) right++;
    mark.fill(tag, left, right);
    reached += right - left;
    const row = rowStart / W;
    const h = row % H;
    const d = (row - h) / H;
    // one seed per run of fillable voxels in each neighbouring row
    for (let side = 0; side < 4; side++) {
      let offset: number;
      if (side === 0) { if (h === 0) continue; offset = -W; }
      else if (side === 1) { if (h === H - 1) continue; offset = W; }
      else if (side === 2) { if (d === 0) continue; offset = -plane; }
      else { if (d === D - 1) continue; offset = plane; }
      let inRun = false;
      for (let v = left + offset, end = right + offset; v < end; v++) {
        const fillable = mark[v] !== tag && (labels[v] === value) === equal;
        if (fillable && !inRun) stack.push(v);
        inRun = fillable;
      }
    }
  }
  return reached;
}

/**
 * Keeps only the largest 6-connected component of each listed label, or of the union of all non-zero
 * labels with 'foreground' (then every label inside that component survives). Removed voxels become 0.
 * Equal sizes keep the component met first in memory order. In place; returns `labels`.
 */
export function keepLargestComponent<T extends LabelArray>(labels: T, dims: Vec3, values: readonly number[] | 'foreground'): T {
  const n = dims[0] * dims[1] * dims[2];
  if (labels.length !== n) throw new RangeError(`labels hold ${labels.length} voxels, dims ${dims.join('×')}`);
  // each group is "labels[v] === value" (equal) or, for 'foreground', "labels[v] !== 0"
  const groups: [number, boolean][] = values === 'foreground' ? [[0, false]] : [...new Set(values)].filter((v) => v !== 0).map((v) => [v, true]);
  const mark = new Uint8Array(n);
  const stack = new IndexStack();
  for (const [value, equal] of groups) {
    mark.fill(0);
    // pass 1: size every component (tag 1), remembering a seed of the largest
    let bestSeed = -1;
    let bestSize = 0;
    for (let v = 0; v < n; v++) {
      if (mark[v] !== 0 || (labels[v] === value) !== equal) continue;
      stack.push(v);
      const size = flood(labels, dims, stack, mark, 1, value, equal);
      if (size > bestSize) [bestSeed, bestSize] = [v, size];
    }
    if (bestSeed < 0) continue;
    // pass 2: re-tag the largest as 2, then clear every member voxel still tagged 1
    stack.push(bestSeed);
    flood(labels, dims, stack, mark, 2, value, equal);
    for (let v = 0; v < n; v++) if (mark[v] === 1) labels[v] = 0;
  }
  return labels;
}

/**
 * Fills the enclosed holes of each listed label: the regions of its complement (voxels ≠ value) that are not
 * 6-connected to the grid border. Only background voxels (0) of such a region take the label; other labels
 * enclosed by it (a structure inside an organ) are kept. In place; returns `labels`.
 */
export function fillHoles<T extends LabelArray>(labels: T, dims: Vec3, values: readonly number[]): T {
  const [D, H, W] = dims;
  const n = D * H * W;
  if (labels.length !== n) throw new RangeError(`labels hold ${labels.length} voxels, dims ${dims.join('×')}`);
  const mark = new Uint8Array(n);
  const stack = new IndexStack();
  for (const value of new Set(values)) {
    if (value === 0) continue;
    mark.fill(0);
    // seed with every border voxel of the complement (voxels ≠ value), then flood the complement
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++) {
        const onFace = d === 0 || d === D - 1 || h === 0 || h === H - 1;
        const row = (d * H + h) * W;
        for (let w = 0; w < W; w += onFace || w === W - 1 ? 1 : W - 1) if (labels[row + w] !== value) stack.push(row + w);
      }
    flood(labels, dims, stack, mark, 1, value, false);
    for (let v = 0; v < n; v++) if (mark[v] === 0 && labels[v] === 0) labels[v] = value;
  }
  return labels;
}

export interface UncertaintySummary {
  /** mean over foreground voxels of 1 − max probability (0 = fully confident; a cheap monotone stand-in for entropy) */
  meanEntropyProxy: number;
  /** fraction of foreground voxels whose max probability is below 0.5 (no class holds a majority) */
  lowConfidenceFraction: number;
}

/** Confidence summary over the foreground (label ≠ 0) voxels; both 0 when there is no foreground. */
export function uncertaintyScore(maxProbability: Float32Array, labels: LabelArray): UncertaintySummary {
  if (maxProbability.length !== labels.length) throw new RangeError('maxProbability and labels differ in length');
  let count = 0;
  let sum = 0;
  let low = 0;
  for (let v = 0; v < labels.length; v++) {
    if (labels[v] === 0) continue;
    const p = maxProbability[v]!;
    count++;
    sum += 1 - p;
    if (p < 0.5) low++;
  }
  return count === 0 ? { meanEntropyProxy: 0, lowConfidenceFraction: 0 } : { meanEntropyProxy: sum / count, lowConfidenceFraction: low / count };
}
