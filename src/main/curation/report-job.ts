/**
 * The reports.agreement job: collect the agreement data, write agreement.html, agreement.csv and (with
 * two or more annotators on a case) inter-annotator.csv into a folder, each file atomically.
 * `readReport` serves a written report back to the app, only from this store's reports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AgreementReportParamsSchema, type AgreementReportResult } from '../../shared/curation.js';
import { DelineateError } from '../../shared/errors.js';
import type { JobType } from '../jobs/job-manager.js';
import { writeFileAtomically } from '../interchange/atomic-file.js';
import { collectAgreement, type ReportSources } from './agreement-report.js';
import { agreementCsv, interAnnotatorCsv } from './report-csv.js';
import { renderAgreementHtml } from './report-html.js';

export const AGREEMENT_REPORT_JOB = 'reports.agreement';
export const REPORTS_DIR = 'reports';

/** reports/agreement-2026-11-23T10-04-05Z under the data directory */
const defaultDir = (dataDir: string) => path.join(dataDir, REPORTS_DIR, `agreement-${new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`);

export interface ReportDeps extends ReportSources {
  dataDir: string;
  /** HTML files the report job wrote in this session (outside the reports folder too) */
  written: Set<string>;
}

export function agreementReportJob(deps: ReportDeps): JobType<ReturnType<typeof AgreementReportParamsSchema.parse>> {
  return {
    type: AGREEMENT_REPORT_JOB,
    label: 'Agreement report',
    description: 'Per-label agreement of AI and accepted segmentations, and between annotators, as HTML and CSV',
    params: AgreementReportParamsSchema,
    async run(params, ctx): Promise<AgreementReportResult> {
      const data = collectAgreement(deps, {
        ...(params.seriesIds ? { seriesIds: params.seriesIds } : {}),
        signal: ctx.signal,
        onProgress: (fraction, message) => ctx.progress({ stage: 'compare', fraction: fraction * 0.95, message }),
      });
      if (ctx.signal.aborted) throw new DelineateError('cancelled', 'Report cancelled');
      if (data.cases.length === 0 && data.interAnnotator.length === 0) {
        throw new DelineateError('invalid_params', `Nothing to report: no accepted case with an AI version, and no case with two annotators${data.skipped.length ? ` (${data.skipped.length} skipped: ${data.skipped[0]!.reason}${data.skipped.length > 1 ? ', …' : ''})` : ''}`);
      }
      const dir = path.resolve(params.outDir ?? defaultDir(deps.dataDir));
      try {
        fs.mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new DelineateError('storage', `Cannot create ${dir}: ${(err as Error).message}`);
      }
      ctx.progress({ stage: 'write', fraction: 0.97, message: `Writing ${dir}` });
      const htmlFile = path.join(dir, 'agreement.html');
      const csvFile = path.join(dir, 'agreement.csv');
      const interFile = data.interAnnotator.length ? path.join(dir, 'inter-annotator.csv') : null;
      writeFileAtomically(csvFile, agreementCsv(data));
      if (interFile) writeFileAtomically(interFile, interAnnotatorCsv(data));
      writeFileAtomically(htmlFile, renderAgreementHtml(data));
      deps.written.add(htmlFile);
      const labels = [...new Set([...data.cases, ...data.interAnnotator].flatMap((c) => c.rows.map((r) => r.label)))].sort((a, b) => a - b);
      return {
        dir,
        htmlFile,
        csvFile,
        interAnnotatorCsvFile: interFile,
        cases: data.cases.length,
        labels,
        skipped: data.skipped.map(({ seriesId, reason }) => ({ seriesId, reason })),
      };
    },
  };
}

/** A report's HTML, if it is one this store wrote: under its reports folder, or written by this session's job. */
export function readReport(deps: Pick<ReportDeps, 'dataDir' | 'written'>, file: string): { file: string; html: string } {
  const resolved = path.resolve(file);
  const reportsRoot = path.resolve(deps.dataDir, REPORTS_DIR) + path.sep;
  let real: string;
  try {
    real = fs.realpathSync(resolved);
  } catch {
    throw new DelineateError('not_found', `No report at ${resolved}`);
  }
  const inReports = real.startsWith(fs.existsSync(reportsRoot) ? fs.realpathSync(reportsRoot) + path.sep : reportsRoot);
  if (!real.endsWith('.html') || !(inReports || deps.written.has(resolved))) {
    throw new DelineateError('invalid_params', `${resolved} is not a report of this store: only reports it wrote can be opened`);
  }
  return { file: resolved, html: fs.readFileSync(real, 'utf8') };
}
