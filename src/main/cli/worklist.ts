/** `delineate worklist`: every case with its status, assignee, model and uncertainty; filtered and sorted as in the app. */
import { CASE_STATUSES, WORKLIST_SORT_KEYS, type WorklistRow, type WorklistSortKey } from '../../shared/curation.js';
import { DelineateError } from '../../shared/errors.js';
import { filterWorklist, sortWorklist } from '../../shared/worklist.js';
import { resolveDataDir } from '../data-dir.js';
import { createServices } from '../services/app-services.js';
import { DATA_DIR_OPTION, type Command } from './command.js';
import { statusList } from './list-options.js';

export const worklistCommand: Command = {
  name: 'worklist',
  summary: 'List cases (series) with status, assignee, model, uncertainty and last change; --review orders them as the review queue.',
  usage: 'delineate worklist [--status S,…] [--assignee NAME] [--search TEXT] [--sort KEY[:desc]] [--review] [--data-dir DIR] [--json]',
  options: {
    status: { type: 'string', valueName: 'S,…', description: `only these statuses: ${CASE_STATUSES.join(', ')}` },
    assignee: { type: 'string', valueName: 'NAME', description: 'only cases assigned to NAME' },
    search: { type: 'string', valueName: 'TEXT', description: 'only cases whose patient, description, modality, model or assignee match every word' },
    sort: { type: 'string', valueName: 'KEY[:desc]', description: `sort by ${WORKLIST_SORT_KEYS.join(', ')}` },
    review: { type: 'boolean', description: 'the review queue: cases to look at first, with the reasons' },
    'data-dir': DATA_DIR_OPTION,
  },
  async run(args, io) {
    const statusRaw = args.values.status as string | undefined;
    const statuses = statusRaw === undefined ? undefined : statusList(statusRaw);
    const [key, dir = 'asc'] = ((args.values.sort as string | undefined) ?? 'lastChange:desc').split(':');
    if (!(WORKLIST_SORT_KEYS as readonly string[]).includes(key!) || (dir !== 'asc' && dir !== 'desc')) throw new DelineateError('invalid_params', `--sort takes KEY or KEY:desc with KEY one of ${WORKLIST_SORT_KEYS.join(', ')}`);
    const services = createServices({ dataDir: resolveDataDir(args.values['data-dir'] as string | undefined, io.env), host: 'cli' });
    try {
      const rows = services.curation.worklist.list();
      if (args.values.review) {
        const queue = services.curation.reviewQueue();
        const byId = new Map(rows.map((r) => [r.seriesId, r]));
        return { queue: queue.map((e) => ({ ...e, case: byId.get(e.seriesId)! })) };
      }
      const filtered = filterWorklist(rows, {
        ...(statuses ? { statuses } : {}),
        ...(args.values.assignee === undefined ? {} : { assignee: args.values.assignee as string }),
        ...(args.values.search === undefined ? {} : { text: args.values.search as string }),
      });
      return { cases: sortWorklist(filtered, key as WorklistSortKey, dir) };
    } finally {
      await services.close();
    }
  },
  human(r) {
    const res = r as { cases?: WorklistRow[]; queue?: { seriesId: number; score: number; reasons: { text: string }[]; case: WorklistRow }[] };
    if (res.queue) {
      if (res.queue.length === 0) return 'the review queue is empty';
      return res.queue.map((e) => `${e.score.toFixed(2).padStart(6)}  series ${String(e.seriesId).padStart(5)}  ${e.case.status.padEnd(17)} ${e.case.patientName} · ${e.case.description}${e.reasons.length ? `\n        ${e.reasons.map((x) => x.text).join('; ')}` : ''}`).join('\n');
    }
    if (res.cases!.length === 0) return 'no cases';
    return res.cases!.map((c) => `series ${String(c.seriesId).padStart(5)}  ${c.status.padEnd(17)} ${(c.assignee ?? '—').padEnd(12)} ${(c.model ?? '—').padEnd(24)} ${c.uncertainty === null ? '   —' : c.uncertainty.toFixed(2)}  ${c.lastChange}  ${c.patientName} · ${c.description}`).join('\n');
  },
};
