/** `delineate audit`: the store's append-only audit log, as a table, JSON or CSV. */
import { DelineateError } from '../../shared/errors.js';
import type { AuditEntry } from '../../shared/segmentation.js';
import { resolveDataDir } from '../data-dir.js';
import { AuditLog, auditCsv } from '../store/audit-log.js';
import { openDatabase } from '../store/database.js';
import { DATA_DIR_OPTION, type Command } from './command.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Show the audit log (every write: who, when, what), as a table, --json or --csv.',
  usage: 'delineate audit [--data-dir DIR] [--segmentation ID] [--csv | --json]',
  options: {
    'data-dir': DATA_DIR_OPTION,
    segmentation: { type: 'string', valueName: 'ID', description: 'only the entries about this segmentation' },
    csv: { type: 'boolean', description: 'print CSV (RFC 4180) for spreadsheets and archives' },
  },
  async run(args, io) {
    const id = args.values.segmentation === undefined ? undefined : Number(args.values.segmentation);
    if (id !== undefined && (!Number.isInteger(id) || id < 1)) throw new DelineateError('invalid_params', `--segmentation takes an id, got ${String(args.values.segmentation)}`);
    const { db } = openDatabase(resolveDataDir(args.values['data-dir'] as string | undefined, io.env));
    try {
      const entries = new AuditLog(db, '').list(id === undefined ? {} : { entity: 'segmentation', entityId: id });
      if (args.values.csv) {
        io.stdout(auditCsv(entries));
        return { entries: entries.length };
      }
      return { entries };
    } finally {
      db.close();
    }
  },
  human(result) {
    const { entries } = result as { entries: AuditEntry[] | number };
    if (typeof entries === 'number') return '';
    if (entries.length === 0) return 'the audit log is empty';
    return entries.map((e) => `${e.at}  ${e.author}  ${e.action} ${e.entity}${e.entityId === null ? '' : ` ${e.entityId}`}: ${e.detail}`).join('\n');
  },
};
