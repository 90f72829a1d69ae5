// Shared by the NIfTI and dataset export tests: import series into a real store, paint and save label
// maps through the contract handlers the UI calls, move them through review, and read NIfTI files back
// with nibabel.
import { execFileSync } from 'node:child_process';
import type { AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import type { Segment } from '../../src/shared/editing/segments.js';
import type { ImportReport, SeriesSummary } from '../../src/shared/studies.js';
import { DEBIAN_PYTHON } from './dicom-fixtures.js';

export async function call<T = Record<string, unknown>>(services: AppServices, method: string, params: unknown): Promise<T> {
  const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
  if (!outcome.ok) throw Object.assign(new Error(`${method}: ${outcome.error.message}`), { code: outcome.error.code });
  return outcome.result as T;
}

/** Import paths; the series by description (DICOM: the fixture's series name; NIfTI: the file name). */
export async function importSeries(services: AppServices, paths: string[]): Promise<Map<string, SeriesSummary>> {
  const job = services.jobs.start('studies.import', { paths });
  const report = (await services.jobs.wait(job.id)).result as ImportReport;
  if (report.failed.length) throw new Error(`import failed: ${JSON.stringify(report.failed)}`);
  const out = new Map<string, SeriesSummary>();
  for (const s of report.series) out.set(s.description, await call<SeriesSummary>(services, 'series.get', { seriesId: s.id }));
  return out;
}

export const segment = (value: number, name: string, extra: Partial<Segment> = {}): Segment => ({ value, name, color: [10 * value, 100, 200], visible: true, locked: false, ...extra });

/** Write a whole label map (stored voxel order) with its segments and save it as a version. */
export async function saveLabels(services: AppServices, series: SeriesSummary, labels: Uint8Array, segments: Segment[], name = 'v'): Promise<{ id: number; versionId: number }> {
  const opened = await call<{ id: number; revision: number }>(services, 'segmentation.open', { seriesId: series.id });
  const slices = Array.from({ length: series.dims[2] }, (_, k) => k);
  let info = await call<{ revision: number }>(services, 'segmentation.writeSlices', { id: opened.id, baseRevision: opened.revision, slices, data: labels });
  info = await call<{ revision: number }>(services, 'segmentation.setSegments', { id: opened.id, baseRevision: info.revision, segments });
  const saved = await call<{ version: { id: number } }>(services, 'segmentation.saveVersion', { id: opened.id, baseRevision: info.revision, name });
  return { id: opened.id, versionId: saved.version.id };
}

export async function accept(services: AppServices, id: number): Promise<void> {
  await call(services, 'segmentation.review', { id, to: 'submitted' });
  await call(services, 'segmentation.review', { id, to: 'accepted' });
}

/** Stored voxel (i, j, k) → RAS world position (mm), from the series' LPS affine. */
export function rasOf(series: SeriesSummary, i: number, j: number, k: number): [number, number, number] {
  const a = series.affineLps;
  const lps = [0, 1, 2].map((r) => a[r * 4]! * i + a[r * 4 + 1]! * j + a[r * 4 + 2]! * k + a[r * 4 + 3]!);
  return [-lps[0]!, -lps[1]!, lps[2]!];
}

export interface NiftiRead {
  shape: number[];
  affine: number[][];
  dtype: string;
  descrip: string;
  intentName: string;
  /** the voxel value at each world point (nearest voxel by nibabel's inverse affine) */
  values: number[];
  /** voxels per value */
  counts: Record<string, number>;
}

const READ = `
import sys, json, nibabel as nib, numpy as np
img = nib.load(sys.argv[1])
data = np.asarray(img.dataobj)
inv = np.linalg.inv(img.affine)
values = []
for p in json.loads(sys.argv[2]):
    ijk = np.rint(inv @ np.array([p[0], p[1], p[2], 1.0]))[:3].astype(int)
    values.append(float(data[tuple(ijk)]))
u, c = np.unique(data, return_counts=True)
print(json.dumps({"shape": list(data.shape), "affine": img.affine.tolist(), "dtype": str(img.get_data_dtype()),
  "descrip": img.header["descrip"].tobytes().rstrip(b"\\0").decode(), "intentName": img.header["intent_name"].tobytes().rstrip(b"\\0").decode(),
  "values": values, "counts": {str(int(k)): int(n) for k, n in zip(u, c)}}))
`;

export function readNifti(file: string, points: [number, number, number][] = []): NiftiRead {
  return JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', READ, file, JSON.stringify(points)], { encoding: 'utf8' })) as NiftiRead;
}
