/**
 * Backups of the store with SQLite's online backup (consistent while the app keeps writing), into
 * <dataDir>/backups, each checked after writing; the newest few are kept. When the store cannot be
 * opened, the error names the newest backup so the user knows what to restore.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { DelineateError } from '../../shared/errors.js';

export const BACKUPS_DIR = 'backups';
const NAME = /^delineate-\d{8}T\d{6}\d{3}Z(-\d+)?\.sqlite$/;

export interface BackupResult {
  file: string;
  bytes: number;
  /** backups removed because more than `keep` were there */
  removed: string[];
}

export async function backupStore(db: Database, dataDir: string, keep = 10): Promise<BackupResult> {
  const dir = path.join(dataDir, BACKUPS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  let file = path.join(dir, `delineate-${stamp}.sqlite`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `delineate-${stamp}-${n}.sqlite`);
  await db.backup(file);
  const check = new BetterSqlite3(file, { readonly: true });
  try {
    const rows = check.pragma('integrity_check') as { integrity_check: string }[];
    if (rows.length !== 1 || rows[0]!.integrity_check !== 'ok') {
      throw new DelineateError('internal', `The backup ${file} failed its integrity check: ${rows.map((r) => r.integrity_check).join('; ')}`);
    }
  } finally {
    check.close();
  }
  const removed = listBackups(dataDir).slice(keep);
  for (const old of removed) fs.rmSync(old, { force: true });
  return { file, bytes: fs.statSync(file).size, removed };
}

/** Backups in the data dir, newest first. */
export function listBackups(dataDir: string): string[] {
  const dir = path.join(dataDir, BACKUPS_DIR);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => NAME.test(name))
    .sort()
    .reverse()
    .map((name) => path.join(dir, name));
}

/** A sentence for errors about an unusable store: which backup to restore, and how. */
export function restoreHint(dataDir: string, storeFile: string): string {
  const newest = listBackups(dataDir)[0];
  return newest ? `The newest backup is ${newest}: close Delineate and copy it over ${storeFile} to restore it.` : 'There is no backup in this data directory.';
}
