/**
 * Import speed and memory: our import (scan, decode in workers, cache, store) of a synthetic
 * 512×512×600 CT and of the largest series in ../shared/data, against dcm2niix on the same files in
 * the same run. Peak memory is the import process's RSS above its idle baseline, per voxel byte.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planVolumes } from '../src/main/studies/dicom/series-builder.js';
import { scanInputs } from '../src/main/studies/scan.js';
import { bytesPerVoxel, type VoxelType } from '../src/shared/volume.js';
import type { Benchmark } from './harness.js';

const CACHE = path.join(os.tmpdir(), 'delineate-bench-ct-512x512x600');
const SHARED_DATA = path.resolve('..', 'shared', 'data');
/** The compiled child beside this module, so a build into any output dir benchmarks itself. */
const IMPORT_CHILD = fileURLToPath(new URL('./import-child.js', import.meta.url));

/** The synthetic 512×512×600 CT (generated once per machine into the temp dir). */
export function syntheticCtDir(): string {
  if (fs.existsSync(path.join(CACHE, 'CT0599.dcm'))) return CACHE;
  execFileSync('/usr/bin/python3', ['bench/make_ct_series.py', CACHE], { stdio: 'inherit' });
  return CACHE;
}

/** The DICOM series with the most voxels under ../shared/data, as a folder of links to its files. */
async function largestSharedSeries(): Promise<string | null> {
  if (!fs.existsSync(SHARED_DATA)) return null;
  const scan = await scanInputs([SHARED_DATA], { extractDir: fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-zip-')) });
  const volumes = planVolumes(scan.dicom).sort((a, b) => b.plan.dims.reduce((x, y) => x * y) - a.plan.dims.reduce((x, y) => x * y));
  const largest = volumes[0];
  if (!largest) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-largest-'));
  largest.files.forEach((f, i) => fs.symlinkSync(f, path.join(dir, `${String(i).padStart(5, '0')}-${path.basename(f)}`)));
  return dir;
}

function timeDcm2niix(dir: string): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-d2n-'));
  const t0 = performance.now();
  const r = spawnSync('dcm2niix', ['-z', 'n', '-b', 'n', '-o', out, dir], { stdio: 'ignore' });
  const ms = performance.now() - t0;
  fs.rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`dcm2niix failed on ${dir}`);
  return ms;
}

function timeOurs(dir: string): { wallMs: number; peakOverVoxels: number; voxelBytes: number } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-store-'));
  const r = spawnSync(process.execPath, [IMPORT_CHILD, dataDir, dir], { encoding: 'utf8' });
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
  const result = JSON.parse(r.stdout) as { wallMs: number; baselineRss: number; peakRss: number; series: { dims: number[]; voxelType: VoxelType }[] };
  const voxelBytes = result.series.reduce((n, s) => n + s.dims.reduce((a, b) => a * b) * bytesPerVoxel(s.voxelType), 0);
  return { wallMs: result.wallMs, voxelBytes, peakOverVoxels: (result.peakRss - result.baselineRss) / voxelBytes };
}

/** Best of `runs` (each side warmed by the same page cache) to damp noise on a 2-core machine. */
function compare(dir: string, runs: number) {
  timeDcm2niix(dir); // warm the page cache for both
  const d2n = Math.min(...Array.from({ length: runs }, () => timeDcm2niix(dir)));
  const ours = Array.from({ length: runs }, () => timeOurs(dir)).sort((a, b) => a.wallMs - b.wallMs)[0]!;
  return { d2n, ours };
}

export const importBenchmark: Benchmark = {
  name: 'import',
  description: 'DICOM import vs dcm2niix (wall time ratio) and peak memory per voxel byte',
  async run() {
    const metrics: Record<string, number> = {};
    const record = (prefix: string, r: ReturnType<typeof compare>) =>
      Object.assign(metrics, {
        [`${prefix}_ms`]: r.ours.wallMs,
        [`${prefix}_dcm2niix_ms`]: r.d2n,
        [`${prefix}_ratio`]: r.ours.wallMs / r.d2n,
        [`${prefix}_peak_memory_x_voxels`]: r.ours.peakOverVoxels,
        [`${prefix}_voxel_mib`]: r.ours.voxelBytes / 2 ** 20,
      });
    record('ct600', compare(syntheticCtDir(), 3));
    const largest = await largestSharedSeries();
    if (largest) record('largest', compare(largest, 3));
    return metrics;
  },
};
