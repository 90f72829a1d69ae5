import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';

/**
 * Unpack a .zip into extractDir/<sha256 of the archive>/ (reused when already there) and return that
 * folder. Entry names are sanitised: nothing can be written outside the folder.
 */
export async function extractZip(archive: string, extractDir: string, signal?: AbortSignal): Promise<string> {
  const bytes = await fs.promises.readFile(archive);
  const digest = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  const target = path.join(extractDir, digest);
  if (fs.existsSync(path.join(target, '.complete'))) return target;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new Error(`not a readable zip archive: ${(err as Error).message}`);
  }
  signal?.throwIfAborted();
  const partial = `${target}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  for (const [name, content] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    const safe = path.normalize(name).replace(/^(\.\.(\/|\\|$))+/, '');
    const out = path.join(partial, safe);
    if (!out.startsWith(partial + path.sep)) continue;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, content);
  }
  fs.writeFileSync(path.join(partial, '.complete'), archive);
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(partial, target);
  return target;
}
