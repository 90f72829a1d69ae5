import assert from 'node:assert/strict';
import { runCli } from '../../src/main/cli/main.js';

/**
 * Each agreement.csv row must carry exactly what `delineate metrics version:REFERENCE version:AI`
 * prints for its label (full-precision numbers; undefined values as empty cells).
 */
export async function assertCsvMatchesMetrics(rows: readonly Record<string, string>[], dataDir: string, what = ''): Promise<void> {
  for (const r of rows) {
    const out = { stdout: '', stderr: '' };
    const io = { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t), env: process.env };
    assert.equal(await runCli(['metrics', `version:${r.referenceVersionId}`, `version:${r.aiVersionId}`, '--data-dir', dataDir, '--json'], io), 0, out.stderr);
    const expected = (JSON.parse(out.stdout) as { labels: Record<string, number | null>[] }).labels.find((l) => l.label === Number(r.label))!;
    const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
    for (const [column, key] of [['dice', 'dice'], ['iou', 'iou'], ['sensitivity', 'sensitivity'], ['specificity', 'specificity'], ['hd95Mm', 'hausdorff95Mm'], ['asdMm', 'averageSurfaceDistanceMm'], ['referenceMl', 'volumeAMl'], ['aiMl', 'volumeBMl']] as const) {
      assert.equal(r[column], cell(expected[key]), `${what} series ${r.seriesId} label ${r.label} ${column}`);
    }
  }
}
