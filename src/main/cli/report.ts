/** `delineate report agreement`: the agreement report (HTML with plots, CSV) of the store's accepted cases. */
import path from 'node:path';
import type { AgreementReportResult } from '../../shared/curation.js';
import { DelineateError } from '../../shared/errors.js';
import { AGREEMENT_REPORT_JOB } from '../curation/report-job.js';
import { resolveDataDir } from '../data-dir.js';
import { createServices } from '../services/app-services.js';
import { DATA_DIR_OPTION, type Command } from './command.js';
import { idList } from './list-options.js';
import { runJobToEnd } from './run-job.js';

export const reportCommand: Command = {
  name: 'report',
  summary: 'Write the agreement report: per label Dice, sensitivity, specificity, HD95 and volume difference of AI vs accepted versions, and between annotators, as HTML and CSV.',
  usage: 'delineate report agreement --out DIR [--series ID,…] [--data-dir DIR] [--json]',
  allowPositionals: true,
  options: {
    out: { type: 'string', valueName: 'DIR', description: 'folder to write agreement.html, agreement.csv (and inter-annotator.csv) into' },
    series: { type: 'string', valueName: 'ID,…', description: 'only these cases (default: every accepted case with an AI version)' },
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io) {
    const [kind, ...extra] = args.positionals;
    if (kind !== 'agreement' || extra.length) throw new DelineateError('invalid_params', 'report needs the report kind: delineate report agreement --out DIR');
    const out = args.values.out as string | undefined;
    if (!out) throw new DelineateError('invalid_params', '--out DIR is required');
    const seriesRaw = args.values.series as string | undefined;
    const seriesIds = seriesRaw === undefined ? undefined : idList(seriesRaw, '--series');
    const services = createServices({ dataDir: resolveDataDir(args.values['data-dir'] as string | undefined, io.env), host: 'cli' });
    try {
      return (await runJobToEnd(services, AGREEMENT_REPORT_JOB, { outDir: path.resolve(out), ...(seriesIds ? { seriesIds } : {}) }, io, args.json)) as AgreementReportResult;
    } finally {
      await services.close();
    }
  },
  human(r) {
    const res = r as AgreementReportResult;
    return [
      `${res.cases} cases, labels ${res.labels.join(', ') || 'none'}`,
      `wrote ${res.htmlFile}`,
      `wrote ${res.csvFile}`,
      ...(res.interAnnotatorCsvFile ? [`wrote ${res.interAnnotatorCsvFile}`] : []),
      ...res.skipped.map((s) => `skipped series ${s.seriesId}: ${s.reason}`),
    ].join('\n');
  },
};
