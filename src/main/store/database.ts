import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { DelineateError } from '../../shared/errors.js';
import { restoreHint } from './backup.js';
import { MIGRATIONS, type Migration, type MigrationContext } from './migrations.js';

export const DATABASE_FILE = 'delineate.sqlite';

export interface OpenedDatabase {
  db: Database;
  file: string;
  /** migrations applied by this open (empty when the schema was current) */
  applied: number[];
}

/**
 * Open (creating if needed) the store in dataDir: WAL journal, foreign keys on, pending migrations
 * applied. A file written by a newer Delineate is refused rather than touched.
 */
export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): OpenedDatabase {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DATABASE_FILE);
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL'); // with WAL: durable at checkpoint, never corrupt on power loss
    db.pragma('busy_timeout = 5000');
    // damaged pages: refuse to write to the store at all rather than spread the damage
    const check = db.pragma('quick_check') as { quick_check: string }[];
    if (check.length !== 1 || check[0]!.quick_check !== 'ok') throw new Error(`it is damaged (${check.slice(0, 3).map((r) => r.quick_check).join('; ')})`);
  } catch (err) {
    // A file that is not SQLite opens fine and fails only at the first pragma: close the connection,
    // or its file handle stays open (and the file locked on Windows) for the life of the process.
    if (db?.open) db.close();
    const readOnly = readOnlyReason(dataDir);
    if (readOnly) throw new DelineateError('storage', `Cannot open the store ${file}: its folder cannot be written (${readOnly}). Nothing in it was changed. Make it writable, or choose another data directory.`, { file, reason: 'read-only' });
    throw new DelineateError('invalid_input', `Cannot open the store ${file}: ${(err as Error).message}. Nothing was written to it. ${restoreHint(dataDir, file)}`, { file });
  }
  try {
    const applied = migrate(db, migrations, { dataDir });
    return { db, file, applied };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Why dataDir cannot be written (EROFS: a read-only disk; EACCES: permissions), or null when it can. */
function readOnlyReason(dataDir: string): string | null {
  try {
    fs.accessSync(dataDir, fs.constants.W_OK);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'not writable';
  }
}

export function migrate(db: Database, migrations: readonly Migration[], context: MigrationContext): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const current = currentSchemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new DelineateError('conflict', `The store is at schema version ${current}, newer than this Delineate understands (${latest}). Update Delineate.`, {
      current,
      latest,
    });
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db, context);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    })();
    applied.push(migration.version);
  }
  return applied;
}

export function currentSchemaVersion(db: Database): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** PRAGMA integrity_check: ['ok'] when healthy, otherwise the problems SQLite lists. */
export function integrityCheck(db: Database): { ok: boolean; problems: string[] } {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const messages = rows.map((r) => r.integrity_check);
  const ok = messages.length === 1 && messages[0] === 'ok';
  return { ok, problems: ok ? [] : messages };
}

export function sqliteVersion(db: Database): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
}
