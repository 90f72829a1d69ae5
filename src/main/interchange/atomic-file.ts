/** Files an export writes: to a temporary name beside the target, flushed, then renamed into place. */
import fs from 'node:fs';
import { DelineateError } from '../../shared/errors.js';

/**
 * Write `data` to `file` so that the path never holds a partial file: a crash or a full disk leaves the
 * old file (or none), and the temporary file is removed. `mode` sets the permissions (e.g. 0o600).
 */
export function writeFileAtomically(file: string, data: string | Uint8Array, options: { mode?: number } = {}): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(temp, 'w', options.mode);
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new DelineateError('storage', `Cannot write ${file}: ${(err as Error).message}`);
  }
}
