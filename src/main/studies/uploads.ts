/**
 * Files dropped onto the browser host's window: the browser cannot name host paths, so it uploads
 * them (POST /upload/<batchId>/<relative path>, see host/upload-endpoint.ts) into
 * <dataDir>/uploads/<batchId>/, and uploads.import imports that folder. Once the import succeeds,
 * every uploaded file no series was made from (a .zip, which the importer keeps unpacked under
 * extracted/, or a skipped file) is removed; the files series were made from stay, since DICOM SEG and
 * RTSTRUCT exports read their source files again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { DelineateError } from '../../shared/errors.js';

export const UPLOAD_BATCH_ID = /^[A-Za-z0-9_-]{8,64}$/;

export const uploadsDir = (dataDir: string): string => path.join(dataDir, 'uploads');

/** The folder of one upload batch (the id is checked: letters, digits, - and _, 8 to 64 of them). */
export function uploadBatchDir(dataDir: string, batchId: string): string {
  if (!UPLOAD_BATCH_ID.test(batchId)) throw new DelineateError('invalid_params', `An upload batch id is 8 to 64 letters, digits, - or _; got ${JSON.stringify(batchId.slice(0, 80))}`);
  return path.join(uploadsDir(dataDir), batchId);
}

/** The batch folder when it holds at least one uploaded file; otherwise a not_found error. */
export function uploadedBatch(dataDir: string, batchId: string): string {
  const dir = uploadBatchDir(dataDir, batchId);
  if (!fs.existsSync(dir) || listFiles(dir).length === 0) throw new DelineateError('not_found', `No uploaded files in batch ${batchId}`);
  return dir;
}

/** Remove the batch's files that no series references as a source; then empty folders. Returns how many were removed. */
export function cleanUploadBatch(db: Database, dataDir: string, batchId: string): number {
  const dir = uploadBatchDir(dataDir, batchId);
  if (!fs.existsSync(dir)) return 0;
  const prefix = dir + path.sep;
  const referenced = new Set(
    (db.prepare("SELECT path FROM series_sources WHERE substr(path, 1, length(?)) = ?").all(prefix, prefix) as { path: string }[]).map((r) => r.path),
  );
  let removed = 0;
  for (const file of listFiles(dir)) {
    if (referenced.has(file)) continue;
    fs.rmSync(file, { force: true });
    removed++;
  }
  removeEmptyFolders(dir);
  return removed;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

function removeEmptyFolders(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeEmptyFolders(path.join(dir, entry.name));
  if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}
