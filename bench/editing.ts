/**
 * Editing core on a 512×512×600 synthetic CT with a full-size label map (uint8, 150 MiB) already
 * holding a large segment: per-dab latency of a 10 mm brush (disc and sphere) with its policy checks
 * and undo snapshots, against a bare disc-filling loop on the same array (the reference); the
 * commit of a stroke; a large 3D flood fill; the memory 1,000 undo steps hold; grow from seeds on a
 * 256³ crop; and fill-between-slices across 50 slices of 512².
 */
import { applyRegion } from '../src/shared/editing/apply-region.js';
import { Brush } from '../src/shared/editing/brush.js';
import { floodRegion } from '../src/shared/editing/flood-fill.js';
import { growFromSeeds } from '../src/shared/editing/grow-from-seeds.js';
import { interpolateBetweenSlices } from '../src/shared/editing/interpolate.js';
import { LabelEditor } from '../src/shared/editing/label-editor.js';
import { DEFAULT_POLICY } from '../src/shared/editing/write-policy.js';
import type { Vec3 } from '../src/shared/volume.js';
import type { Benchmark } from './harness.js';

const DIMS: Vec3 = [512, 512, 600];
const SPACING: Vec3 = [0.7, 0.7, 1];

/** Air around an elliptic body (40 HU) holding a 70 mm "organ" ball (60 HU ± noise). */
export function syntheticCt(): Int16Array {
  const [nx, ny, nz] = DIMS;
  const image = new Int16Array(nx * ny * nz);
  for (let k = 0, p = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p++) {
        const body = ((i - 256) / 200) ** 2 + ((j - 256) / 160) ** 2 < 1;
        const organ = ((i - 300) * 0.7) ** 2 + ((j - 240) * 0.7) ** 2 + (k - 300) ** 2 < 70 ** 2;
        image[p] = organ ? 60 + ((p * 2654435761) >>> 29) : body ? 40 : -1000;
      }
  return image;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A drag of `dabs` moves, 1.5 voxels apart, in slice k. */
const dragPath = (k: number, dabs: number, start: number): Vec3[] => Array.from({ length: dabs }, (_, d) => [100 + ((start + d * 1.5) % 300), 150 + 40 * Math.sin((start + d) / 20), k]);

export const editingBenchmark: Benchmark = {
  name: 'editing',
  description: 'brush dab latency, stroke commit, 3D flood fill and undo memory on a 512×512×600 CT',
  async run() {
    const image = syntheticCt();
    const labels = new Uint8Array(image.length);
    // a full-size mask: the body is segment 2 already, so dabs overwrite real labels
    for (let i = 0; i < image.length; i++) if (image[i] === 40) labels[i] = 2;
    const editor = new LabelEditor({ dims: DIMS, spacing: SPACING, data: labels });
    const metrics: Record<string, number> = {};

    const dabTimes = (shape: 'disc' | 'sphere', strokes: number, dabs: number): number[] => {
      const times: number[] = [];
      for (let s = 0; s < strokes; s++) {
        editor.begin();
        const brush = new Brush(editor, { radiusMm: 10, shape, axis: 2, value: 1 + (s % 3), policy: DEFAULT_POLICY });
        for (const p of dragPath(100 + ((s * 37) % 400), dabs, s * 13)) {
          const t0 = performance.now();
          brush.strokeTo(p);
          times.push(performance.now() - t0);
        }
        editor.commit('bench');
      }
      return times.sort((a, b) => a - b);
    };
    dabTimes('disc', 20, 20); // warm-up
    const disc = dabTimes('disc', 200, 25);
    Object.assign(metrics, { dab_disc_p50_ms: percentile(disc, 0.5), dab_disc_p95_ms: percentile(disc, 0.95), dab_disc_p99_ms: percentile(disc, 0.99) });
    const sphere = dabTimes('sphere', 40, 25);
    Object.assign(metrics, { dab_sphere_p50_ms: percentile(sphere, 0.5), dab_sphere_p95_ms: percentile(sphere, 0.95), dab_sphere_p99_ms: percentile(sphere, 0.99) });

    // reference: the same 10 mm disc written by a bare loop (no policy, no undo), same array
    const bare: number[] = [];
    const [rx, ry] = [10 / SPACING[0], 10 / SPACING[1]];
    for (let d = 0; d < 5000; d++) {
      const [ci, cj, k] = dragPath(100 + (d % 400), 1, d)[0]!;
      const t0 = performance.now();
      for (let j = Math.ceil(cj - ry); j <= Math.floor(cj + ry); j++) {
        const half = rx * Math.sqrt(Math.max(0, 1 - ((j - cj) / ry) ** 2));
        const row = DIMS[0] * (j + DIMS[1] * k);
        labels.fill(3, row + Math.ceil(ci - half), row + Math.floor(ci + half) + 1);
      }
      bare.push(performance.now() - t0);
    }
    bare.sort((a, b) => a - b);
    metrics.dab_bare_loop_p95_ms = percentile(bare, 0.95);
    metrics.dab_disc_p95_vs_bare = percentile(disc, 0.95) / percentile(bare, 0.95);

    // commit of one 50-dab stroke (runs computed for the touched slice)
    const commits: number[] = [];
    for (let s = 0; s < 50; s++) {
      editor.begin();
      const brush = new Brush(editor, { radiusMm: 10, shape: 'disc', axis: 2, value: 1, policy: DEFAULT_POLICY });
      for (const p of dragPath(200 + s, 50, s)) brush.strokeTo(p);
      const t0 = performance.now();
      editor.commit('bench');
      commits.push(performance.now() - t0);
    }
    commits.sort((a, b) => a - b);
    metrics.stroke_commit_p95_ms = percentile(commits, 0.95);

    // 3D flood fill of the organ (about 1.4 million voxels) through the policy, with its undo step
    let t0 = performance.now();
    const region = floodRegion(image, DIMS, { seed: [300, 240, 300], tolerance: 10, mode: '3d' });
    editor.begin();
    applyRegion(editor, region.mask, region.box, 4, DEFAULT_POLICY);
    editor.commit('fill');
    metrics.flood_fill_3d_ms = performance.now() - t0;
    metrics.flood_fill_3d_voxels = region.voxels;
    t0 = performance.now();
    editor.undo();
    metrics.undo_flood_fill_ms = performance.now() - t0;
    editor.redo();

    // memory of 1,000 undo steps: strokes of 10 dabs of a 10 mm brush
    const fresh = new LabelEditor({ dims: DIMS, spacing: SPACING, data: labels });
    for (let s = 0; s < 1000; s++) {
      fresh.begin();
      const brush = new Brush(fresh, { radiusMm: 10, shape: 'disc', axis: 2, value: 1 + (s % 4), policy: DEFAULT_POLICY });
      for (const p of dragPath(50 + ((s * 7) % 500), 10, s * 3)) brush.strokeTo(p);
      fresh.commit('bench');
    }
    metrics.undo_1000_steps_mib = fresh.historyBytes() / 2 ** 20;

    // grow from seeds on a 256³ crop of the CT: organ, body and air seeded by short strokes
    const crop: Vec3 = [256, 256, 256];
    const cropImage = new Int16Array(256 ** 3);
    const seeds = new Uint8Array(256 ** 3);
    for (let k = 0; k < 256; k++)
      for (let j = 0; j < 256; j++) cropImage.set(image.subarray(DIMS[0] * (j + 120 + DIMS[1] * (k + 172)) + 200, DIMS[0] * (j + 120 + DIMS[1] * (k + 172)) + 456), 256 * (j + 256 * k));
    // strokes as a user paints them: a cross through the organ (centre (100, 120, 128) in the crop,
    // radius 100 voxels in-plane and 70 slices), and lines in the body and in the air
    const seed = (i: number, j: number, k: number, value: number) => (seeds[i + 256 * (j + 256 * k)] = value);
    for (let d = -60; d <= 60; d++) seed(100 + d, 120, 128, 1), seed(100, 120 + d, 128, 1);
    for (let d = -40; d <= 40; d++) seed(100, 120, 128 + d, 1);
    for (let d = 0; d < 200; d++) seed(30 + d / 4, 235, 28 + d, 2), seed(220, 250 - d / 2, 28 + d, 2);
    for (let d = 0; d < 200; d++) seed(250, 3 + d / 10, 28 + d, 3);
    t0 = performance.now();
    const grown = growFromSeeds({ dims: crop, spacing: SPACING, data: cropImage }, { dims: crop, spacing: SPACING, data: seeds });
    metrics.grow_from_seeds_256_ms = performance.now() - t0;
    let organ = 0;
    let organTruth = 0;
    for (let i = 0; i < cropImage.length; i++) {
      const truth = cropImage[i]! >= 60;
      organTruth += truth ? 1 : 0;
      organ += truth && grown.labels[i] === 1 ? 1 : 0;
    }
    metrics.grow_from_seeds_organ_recall = organ / organTruth;

    // fill between two discs 50 slices apart on the full grid
    const sparse = new Uint8Array(image.length);
    for (const [k, r] of [[200, 40], [250, 90]] as const)
      for (let j = 0; j < DIMS[1]; j++)
        for (let i = 0; i < DIMS[0]; i++) if (((i - 256) * SPACING[0]) ** 2 + ((j - 256) * SPACING[1]) ** 2 <= r * r) sparse[i + DIMS[0] * (j + DIMS[1] * k)] = 1;
    t0 = performance.now();
    const filled = interpolateBetweenSlices({ dims: DIMS, spacing: SPACING, data: sparse }, 1, 2);
    metrics.interpolate_50_slices_ms = performance.now() - t0;
    metrics.interpolate_filled_slices = filled.filledSlices.length;
    return metrics;
  },
};
