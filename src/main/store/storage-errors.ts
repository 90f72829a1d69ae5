/**
 * Failures of the disk under the data directory, told as what they mean for the user's work. SQLite
 * rolls the transaction back on each of them, so nothing saved before is touched: the message says so.
 */
import { DelineateError } from '../../shared/errors.js';

export function storageError(err: unknown, dataDir: string): unknown {
  const code = String((err as { code?: unknown }).code ?? '');
  const keep = 'This change was not saved; everything saved before it is intact.';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new DelineateError('storage', `The disk holding ${dataDir} is full. ${keep} Free some space, then repeat the change.`, { reason: 'full', cause: code });
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new DelineateError('storage', `${dataDir} cannot be written (read-only: ${code}). ${keep} Make it writable, or choose another data directory.`, { reason: 'read-only', cause: code });
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'EIO') {
    return new DelineateError('storage', `Writing to ${dataDir} failed (${code}). ${keep} Check the disk, then repeat the change.`, { reason: 'io', cause: code });
  }
  return err;
}

/** Run a write, turning disk failures into storage errors. */
export function withStorageErrors<T>(dataDir: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw storageError(err, dataDir);
  }
}
