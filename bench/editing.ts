/**
 * Editing core on a 512×512×600 synthetic CT with a full-size label map (uint8, 150 MiB) already
 * holding a large segment: per-dab latency of a 10 mm brush (disc and sphere) with its policy checks
 * and undo snapshots, against a bare disc-filling loop on the same array (the reference); the
 * commit of a stroke; a large 3D flood fill; and the memory 1,000 undo steps hold.
 */
import { applyRegion } from '../src/shared/editing/apply-region.js';
import { Brush } from '../src/shared/editing/brush.js';
import { floodRegion } from '../src/shared/editing/flood-fill.js';
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
    return metrics;
  },
};
