/** `delineate backup`: an online backup of the store, checked, under <dataDir>/backups. */
import { DelineateError } from '../../shared/errors.js';
import { resolveDataDir } from '../data-dir.js';
import { backupStore } from '../store/backup.js';
import { openDatabase } from '../store/database.js';
import { DATA_DIR_OPTION, type Command } from './command.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Back up the store (SQLite online backup, integrity-checked) into <data dir>/backups, keeping the newest N.',
  usage: 'delineate backup [--data-dir DIR] [--keep N] [--json]',
  options: {
    'data-dir': DATA_DIR_OPTION,
    keep: { type: 'string', valueName: 'N', description: 'backups to keep, newest first (default 10)' },
  },
  async run(args, io) {
    const keep = Number(args.values.keep ?? 10);
    if (!Number.isInteger(keep) || keep < 1) throw new DelineateError('invalid_params', `--keep takes a whole number ≥ 1, got ${String(args.values.keep)}`);
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env);
    const { db } = openDatabase(dataDir);
    try {
      return await backupStore(db, dataDir, keep);
    } finally {
      db.close();
    }
  },
  human: (r) => `wrote ${(r as { file: string }).file}`,
};
