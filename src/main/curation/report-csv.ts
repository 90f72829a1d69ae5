/**
 * The agreement report's data as CSV, for statistics packages and spreadsheets: one row per case ×
 * label (AI vs accepted), and one per annotator pair × label.
 *
 * Conventions (shared with the audit log's export, auditCsv):
 * - RFC 4180: a header line; a cell holding a comma, a double quote, CR or LF is wrapped in double
 *   quotes with its quotes doubled; lines end in CRLF, as the RFC specifies (every CSV reader also
 *   accepts it, and a CR inside a quoted name cannot be mistaken for a line end).
 * - Numbers are written at full precision with String(v), the shortest text that reads back as the
 *   same double (Number(cell) === v), so a re-analysis sees exactly what the report summarised;
 *   very small or large values may use exponent form ("1e-7"), which spreadsheets read too.
 * - Undefined metrics (NaN, ±Infinity: a label in one map only, a ratio with nothing to divide by)
 *   are empty cells, which R, pandas and spreadsheets read as missing, not as a number.
 */
import type { AgreementReportData } from '../../shared/curation/agreement-data.js';
import { labelName } from './report-format.js';
import { volumeDifference } from './report-stats.js';

type Cell = string | number;

export const AGREEMENT_CSV_COLUMNS = [
  'seriesId', 'segmentationId', 'case', 'label', 'labelName', 'referenceVersionId', 'referenceAuthor', 'aiVersionId', 'model',
  'dice', 'iou', 'sensitivity', 'specificity', 'hd95Mm', 'asdMm', 'referenceMl', 'aiMl', 'volumeDiffMl', 'volumeDiffPercent',
  'referenceVoxels', 'aiVoxels',
] as const;

export const INTER_ANNOTATOR_CSV_COLUMNS = [
  'seriesId', 'case', 'label', 'labelName', 'annotatorA', 'versionA', 'annotatorB', 'versionB', 'dice', 'hd95Mm', 'volumeAMl', 'volumeBMl',
] as const;

/** One row per case × label, cases in the report's order, labels ascending. */
export function agreementCsv(data: AgreementReportData): string {
  const rows = data.cases.flatMap((c) =>
    c.rows.map((r) => {
      const diff = volumeDifference(r.volumeAMl, r.volumeBMl);
      return [
        c.seriesId, c.segmentationId, c.caseName, r.label, labelName(data, r.label), c.reference.id, c.reference.author, c.ai.id, c.ai.model,
        r.dice, r.iou, r.sensitivity, r.specificity, r.hausdorff95Mm, r.averageSurfaceDistanceMm, r.volumeAMl, r.volumeBMl, diff.ml, diff.percent,
        r.voxelsA, r.voxelsB,
      ];
    }),
  );
  return csv(AGREEMENT_CSV_COLUMNS, rows);
}

/** One row per annotator pair × label; versionA/versionB are version ids. */
export function interAnnotatorCsv(data: AgreementReportData): string {
  const rows = data.interAnnotator.flatMap((p) =>
    p.rows.map((r) => [
      p.seriesId, p.caseName, r.label, labelName(data, r.label), p.a.author, p.a.id, p.b.author, p.b.id,
      r.dice, r.hausdorff95Mm, r.volumeAMl, r.volumeBMl,
    ]),
  );
  return csv(INTER_ANNOTATOR_CSV_COLUMNS, rows);
}

/** RFC 4180 text of a header and rows, CRLF after every line. */
function csv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A number at full precision (empty when undefined), or text quoted where RFC 4180 needs it. */
export function csvCell(v: Cell): string {
  const text = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
