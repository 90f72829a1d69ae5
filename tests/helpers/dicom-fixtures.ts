import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Debian's Python (pydicom, nibabel, numpy); the `python3` on PATH may be another one. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface SeriesSpec {
  name: string;
  [key: string]: unknown;
}

/** Write synthetic DICOM series (tests/fixtures/make_series.py) into dir/<name>/; returns dir. */
export function makeSeries(dir: string, series: SeriesSpec[], extra: { enhanced?: SeriesSpec[]; mosaic?: SeriesSpec[] } = {}): string {
  execFileSync(DEBIAN_PYTHON, ['tests/fixtures/make_series.py', dir, JSON.stringify({ series, ...extra })], { stdio: ['ignore', 'ignore', 'pipe'] });
  return dir;
}

/** The value make_series.py writes at (column c, row r, slice k), before rescale. */
export const seriesValue = (c: number, r: number, k: number, signed = true) => ((c * 7 + r * 3 + k * 11) % 997) - (signed ? 500 : 0);

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `delineate-${prefix}-`));
}

export function compareNifti(a: string, b: string): { shapeA: number[]; shapeB: number[]; maxAffineDiff: number; maxValueDiff: number | null } {
  return JSON.parse(execFileSync(DEBIAN_PYTHON, ['tests/fixtures/compare_nifti.py', a, b], { encoding: 'utf8' })) as ReturnType<typeof compareNifti>;
}
