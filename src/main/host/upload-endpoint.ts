/**
 * POST /upload/<batchId>/<relative path>: one dropped file, its bytes as the body, written to
 * <dataDir>/uploads/<batchId>/<relative path>. The browser host checks Host and the token before this;
 * here the Origin must be our own too (as for the WebSocket), the path must stay inside the batch
 * folder (no '..', '.', empty or absolute parts, no backslashes or drive letters), and sizes are capped.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { UPLOAD_BATCH_ID, uploadBatchDir } from '../studies/uploads.js';

export const UPLOAD_PREFIX = '/upload/';

export interface UploadLimits {
  /** one file; default 4 GiB */
  maxFileBytes: number;
  /** one batch, all files together; default 32 GiB */
  maxBatchBytes: number;
  /** files in one batch; default 200,000 */
  maxBatchFiles: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxFileBytes: 4 * 1024 ** 3, maxBatchBytes: 32 * 1024 ** 3, maxBatchFiles: 200_000 };

export type UploadOutcome = { status: number; body: Record<string, unknown> };

/** Split and check /upload/<batchId>/<a>/<b>…; returns the batch and the path parts, or why not. */
export function parseUploadPath(pathname: string): { batchId: string; parts: string[] } | { error: string } {
  if (!pathname.startsWith(UPLOAD_PREFIX)) return { error: 'not an upload path' };
  const raw = pathname.slice(UPLOAD_PREFIX.length).split('/');
  const batchId = raw.shift() ?? '';
  if (!UPLOAD_BATCH_ID.test(batchId)) return { error: 'the batch id must be 8 to 64 letters, digits, - or _' };
  if (raw.length === 0 || raw.length > 64) return { error: 'a relative file path of 1 to 64 parts must follow the batch id' };
  const parts: string[] = [];
  for (const encoded of raw) {
    let part: string;
    try {
      part = decodeURIComponent(encoded);
    } catch {
      return { error: 'the file path is not valid percent-encoding' };
    }
    if (part === '') return { error: 'the file path has an empty part (absolute paths and "//" are refused)' };
    if (part === '.' || part === '..') return { error: 'the file path may not contain "." or ".." parts' };
    // eslint-disable-next-line no-control-regex
    if (/[/\\\u0000-\u001f]/.test(part) || /^[A-Za-z]:/.test(part)) return { error: 'the file path may not contain slashes, backslashes, control characters or drive letters in a part' };
    if (Buffer.byteLength(part) > 255) return { error: 'a part of the file path is longer than 255 bytes' };
    parts.push(part);
  }
  return { batchId, parts };
}

/** Per-batch totals of this host process, to cap a batch. */
const batches = new Map<string, { bytes: number; files: number }>();

/** Receive one upload (the caller has checked Host, token and Origin). */
export async function receiveUpload(req: IncomingMessage, pathname: string, dataDir: string, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS): Promise<UploadOutcome> {
  const parsed = parseUploadPath(pathname);
  if ('error' in parsed) return { status: 400, body: { error: { code: 'invalid_params', message: `Bad upload path: ${parsed.error}` } } };
  const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
  if (declared !== null && (!Number.isSafeInteger(declared) || declared < 0)) return { status: 400, body: { error: { code: 'invalid_params', message: 'Bad Content-Length' } } };
  if (declared !== null && declared > limits.maxFileBytes) return tooLarge(`a file of ${declared} bytes exceeds the ${limits.maxFileBytes}-byte limit`);
  const batchDir = uploadBatchDir(dataDir, parsed.batchId);
  const target = path.join(batchDir, ...parsed.parts);
  if (!target.startsWith(batchDir + path.sep)) return { status: 400, body: { error: { code: 'invalid_params', message: 'Bad upload path: outside the batch folder' } } };
  const totals = batches.get(batchDir) ?? { bytes: 0, files: 0 };
  batches.set(batchDir, totals);
  if (totals.files + 1 > limits.maxBatchFiles) return tooLarge(`a batch holds at most ${limits.maxBatchFiles} files`);

  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  let written = 0;
  let over: string | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      const out = fs.createWriteStream(partial, { flags: 'w', mode: 0o600 });
      out.on('error', reject);
      req.on('error', reject);
      req.on('aborted', () => reject(new Error('the upload was aborted')));
      req.on('data', (chunk: Buffer) => {
        written += chunk.byteLength;
        if (written > limits.maxFileBytes) over = `the file exceeds the ${limits.maxFileBytes}-byte limit`;
        else if (totals.bytes + written > limits.maxBatchBytes) over = `the batch exceeds the ${limits.maxBatchBytes}-byte limit`;
        if (over) {
          req.pause();
          out.destroy();
          resolve();
          return;
        }
        if (!out.write(chunk)) {
          req.pause();
          out.once('drain', () => req.resume());
        }
      });
      req.on('end', () => out.end(() => resolve()));
    });
  } catch (err) {
    fs.rmSync(partial, { force: true });
    return { status: 400, body: { error: { code: 'invalid_params', message: `Upload failed: ${(err as Error).message}` } } };
  }
  if (over) {
    fs.rmSync(partial, { force: true });
    return tooLarge(over);
  }
  try {
    fs.renameSync(partial, target);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    return { status: 507, body: { error: { code: 'storage', message: `Cannot store the upload: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` } } };
  }
  totals.bytes += written;
  totals.files += 1;
  return { status: 201, body: { batchId: parsed.batchId, path: parsed.parts.join('/'), bytes: written } };
}

function tooLarge(message: string): UploadOutcome {
  return { status: 413, body: { error: { code: 'too_large', message: `Upload refused: ${message}` } } };
}
