/**
 * DICOM SEG interchange on the synthetic 512×512×600 CT: export of a uint8 label map with 20
 * organ-like ellipsoids (one frame per segment per slice it touches) and import of that file back
 * onto the series, with the file's size and frame count; the same as RTSTRUCT; and de-identifying one
 * CT slice file. Imports are checked voxel for voxel. Goal (SEG): each ≤ 2 s on 2 cores.
 */
import { deidentifyPart10 } from '../src/main/interchange/deidentify-part10.js';
import { buildRtstruct } from '../src/main/interchange/rtstruct-export.js';
import { readRtstruct } from '../src/main/interchange/rtstruct-import.js';
import { buildSeg } from '../src/main/interchange/seg-export.js';
import { readSeg } from '../src/main/interchange/seg-import.js';
import { toSourceSeries, type SourceSeries } from '../src/main/interchange/source-series.js';
import { planVolumes } from '../src/main/studies/dicom/series-builder.js';
import { scanInputs } from '../src/main/studies/scan.js';
import type { MaskLabel } from '../src/shared/interchange.js';
import { defaultLabelColor } from '../src/shared/labels.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { medianMs, type Benchmark } from './harness.js';
import { syntheticCtDir } from './import.js';

const SEGMENTS = 20;

/**
 * 20 ellipsoids inside the body, of organ sizes from a liver (≈ 190 × 150 × 200 voxels) down to
 * small glands, spread over the 600 slices. Later ones overwrite earlier ones where they touch, as a
 * label map must.
 */
export function organMask(dims: [number, number, number]): Uint8Array {
  const [nx, ny, nz] = dims;
  const labels = new Uint8Array(nx * ny * nz);
  for (let s = 0; s < SEGMENTS; s++) {
    const centre = [150 + ((s * 97) % 220), 170 + ((s * 61) % 170), 60 + ((s * 173) % 480)];
    const radius = s === 0 ? [95, 75, 100] : [18 + ((s * 37) % 45), 15 + ((s * 23) % 35), 20 + ((s * 41) % 70)];
    const [k0, k1] = [Math.max(0, centre[2]! - radius[2]!), Math.min(nz - 1, centre[2]! + radius[2]!)];
    for (let k = k0; k <= k1; k++) {
      const dz = (k - centre[2]!) / radius[2]!;
      for (let j = Math.max(0, centre[1]! - radius[1]!); j <= Math.min(ny - 1, centre[1]! + radius[1]!); j++) {
        const dy = (j - centre[1]!) / radius[1]!;
        const rest = 1 - dz * dz - dy * dy;
        if (rest < 0) continue;
        const half = Math.floor(radius[0]! * Math.sqrt(rest));
        const row = (k * ny + j) * nx;
        labels.fill(s + 1, row + Math.max(0, centre[0]! - half), row + Math.min(nx - 1, centre[0]! + half) + 1);
      }
    }
  }
  return labels;
}

async function ctSource(): Promise<SourceSeries> {
  const extractDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-bench-seg-'));
  try {
    const scan = await scanInputs([syntheticCtDir()], { extractDir });
    const [volume] = planVolumes(scan.dicom);
    if (!volume) throw new Error('the synthetic CT did not plan as a series');
    return toSourceSeries(volume, scan.dicom);
  } finally {
    fs.rmSync(extractDir, { recursive: true, force: true });
  }
}

export const interchangeBenchmark: Benchmark = {
  name: 'interchange',
  description: 'DICOM SEG and RTSTRUCT export and import of a 20-segment mask on a 512×512×600 CT; de-identification of one CT file',
  async run() {
    const source = await ctSource();
    const labels = organMask(source.geometry.dims);
    const segments: MaskLabel[] = Array.from({ length: SEGMENTS }, (_, s) => ({
      value: s + 1,
      name: `Organ ${s + 1}`,
      color: defaultLabelColor(s + 1),
      algorithmType: 'AUTOMATIC',
      algorithmName: 'bench model 1.0',
    }));
    let exported = buildSeg({ source, labels, segments });
    const exportMs = await medianMs(async () => (exported = buildSeg({ source, labels, segments })), 5, 1);
    let imported = readSeg(exported.bytes, source, 'bench.dcm');
    const importMs = await medianMs(async () => (imported = readSeg(exported.bytes, source, 'bench.dcm')), 5, 1);
    let differ = 0;
    for (let n = 0; n < labels.length; n++) if (imported.labels[n] !== labels[n]) differ++;
    if (differ) throw new Error(`the imported SEG differs from the exported mask in ${differ} voxels`);

    // the same mask as RTSTRUCT (contours per slice) and back, also checked voxel for voxel
    let rt = buildRtstruct({ source, labels, segments });
    const rtExportMs = await medianMs(async () => (rt = buildRtstruct({ source, labels, segments })), 3, 1);
    let rtBack = readRtstruct(rt.bytes, source, 'bench-rt.dcm');
    const rtImportMs = await medianMs(async () => (rtBack = readRtstruct(rt.bytes, source, 'bench-rt.dcm')), 3, 1);
    for (let n = 0; n < labels.length; n++) if (rtBack.labels[n] !== labels[n]) differ++;
    if (differ) throw new Error(`the imported RTSTRUCT differs from the exported mask in ${differ} voxels`);

    // de-identification of one CT slice file (Part 10 in, Part 10 out)
    const slice = new Uint8Array(fs.readFileSync(source.files[0]!));
    const deidentifyCtFileMs = await medianMs(async () => void deidentifyPart10(slice, {}, new Map()), 20, 3);
    return {
      segExportMs: exportMs,
      segImportMs: importMs,
      segFileMiB: exported.bytes.byteLength / 2 ** 20,
      segFrames: exported.frames,
      segSegments: exported.segments,
      rtstructExportMs: rtExportMs,
      rtstructImportMs: rtImportMs,
      rtstructFileMiB: rt.bytes.byteLength / 2 ** 20,
      rtstructContours: rt.contours,
      deidentifyCtFileMs,
    };
  },
};
