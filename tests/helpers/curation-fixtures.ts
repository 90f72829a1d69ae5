/**
 * Cohorts for the curation tests: NIfTI volumes holding bright balls (value 100 on 0–20 noise), so
 * the threshold test model (tests/helpers/model-packages.ts) segments each ball as label 1 with a
 * predictable volume and island count; imported into a real store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeNiftiFile } from '../../src/main/studies/nifti-file.js';
import type { AppServices } from '../../src/main/services/app-services.js';
import type { ImportReport } from '../../src/shared/studies.js';
import type { Vec3, Volume } from '../../src/shared/volume.js';
import { random } from './random.js';

export interface Ball {
  center: Vec3;
  radius: number;
}

export const COHORT_DIMS: Vec3 = [32, 32, 16];

/** A float32 volume: noise 0–20 everywhere, 100 inside the balls. */
export function ballVolume(balls: readonly Ball[], seed: number, dims: Vec3 = COHORT_DIMS): Volume {
  const rand = random(seed);
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0, p = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, p++) {
        const inside = balls.some((b) => (i - b.center[0]) ** 2 + (j - b.center[1]) ** 2 + (k - b.center[2]) ** 2 <= b.radius ** 2);
        data[p] = inside ? 100 : Math.round(rand() * 200) / 10;
      }
    }
  }
  return { dims, spacing: [1, 1, 2], affineLps: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], voxelType: 'float32', components: 1, data };
}

/** A typical case: one ball of radius 5–6 near the centre. */
export const typicalCase = (index: number): Ball[] => [{ center: [16, 16, 8], radius: 5 + (index % 3) * 0.3 }];

/** Write the volumes as case-NN.nii.gz and import them; returns the series ids in that order. */
export async function importCohort(services: AppServices, dir: string, volumes: readonly Volume[]): Promise<number[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const [index, volume] of volumes.entries()) {
    const file = path.join(dir, `case-${String(index).padStart(2, '0')}.nii.gz`);
    await writeNiftiFile(file, volume, { description: `case ${index}` });
    files.push(file);
  }
  const job = services.jobs.start('studies.import', { paths: files });
  const done = await services.jobs.wait(job.id);
  if (done.state !== 'succeeded') throw new Error(`import failed: ${JSON.stringify(done.error)}`);
  const report = done.result as ImportReport;
  // the report lists series in import order, not necessarily file order: match by source file name
  return files.map((file) => {
    const series = report.series.find((s) => services.studies.sources(s.id).some((src) => path.basename(src.path) === path.basename(file)));
    if (!series) throw new Error(`${file} was not imported`);
    return series.id;
  });
}
