/**
 * Find importable files under the paths a user gave: DICOM instances (header only, pixel data is read
 * later by the decode workers) and NIfTI files. Everything else is reported in `skipped` with a reason
 * that names the file, never thrown: one bad file must not stop an import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import type { DicomInstance } from './dicom/instance.js';
import type { HeaderResult } from './dicom/pixels/worker-protocol.js';
import { readHeaderResult } from './dicom/read-header.js';
import { extractZip } from './zip.js';

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ScanResult {
  dicom: DicomInstance[];
  nifti: string[];
  skipped: SkippedFile[];
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** where .zip archives are unpacked */
  extractDir: string;
  onProgress?: (filesSeen: number, current: string) => void;
  /** header reader; the import passes the worker pool's, the default reads in this thread */
  readHeader?: (file: string) => Promise<HeaderResult>;
}

const IGNORED_NAMES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini', '.complete']);
const REGULAR_FILE = { isDirectory: () => false, isFile: () => true };
export const isNiftiName = (name: string) => /\.nii(\.gz)?$/i.test(name);

/** Every regular file under the inputs (directories recursively, zips unpacked), in a stable order. */
export async function listInputFiles(inputs: string[], options: ScanOptions): Promise<{ files: string[]; skipped: SkippedFile[] }> {
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  // `known`: a directory entry already typed as a regular file, so it needs no stat of its own (one
  // thread-pool round trip per file was most of listing a large series); links and the rest are stat'd.
  const visit = async (p: string, known?: 'file'): Promise<void> => {
    options.signal?.throwIfAborted();
    let stat: { isDirectory(): boolean; isFile(): boolean };
    try {
      stat = known === 'file' ? REGULAR_FILE : await fs.promises.stat(p);
    } catch (err) {
      skipped.push({ path: p, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (stat.isDirectory()) {
      const entries = (await fs.promises.readdir(p, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (IGNORED_NAMES.has(entry.name) || entry.name.startsWith('._')) continue;
        await visit(path.join(p, entry.name), entry.isFile() ? 'file' : undefined);
      }
    } else if (stat.isFile()) {
      if (/\.zip$/i.test(p)) {
        try {
          await visit(await extractZip(p, options.extractDir, options.signal));
        } catch (err) {
          if (options.signal?.aborted) throw err;
          skipped.push({ path: p, reason: (err as Error).message });
        }
      } else files.push(p);
    }
  };
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new DelineateError('not_found', `${input}: no such file or folder`);
    await visit(path.resolve(input));
  }
  return { files, skipped };
}

/** Scan inputs: classify every file, parse DICOM headers (in parallel when given a pool), collect skip reasons. */
export async function scanInputs(inputs: string[], options: ScanOptions): Promise<ScanResult> {
  const { files, skipped } = await listInputFiles(inputs, options);
  const result: ScanResult = { dicom: [], nifti: [], skipped };
  const readHeader = options.readHeader ?? ((file: string) => Promise.resolve(readHeaderResult(file)));
  const dicomFiles = files.filter((file) => {
    if (isNiftiName(file)) result.nifti.push(file);
    return !isNiftiName(file);
  });
  let seen = 0;
  const headers = await Promise.all(
    dicomFiles.map(async (file) => {
      options.signal?.throwIfAborted();
      const header = await readHeader(file);
      options.onProgress?.(++seen, file);
      return { file, header };
    }),
  );
  options.signal?.throwIfAborted();
  for (const { file, header } of headers) {
    if ('instance' in header) result.dicom.push(header.instance);
    else skipped.push({ path: file, reason: header.skip });
  }
  return result;
}
