/**
 * NIfTI files on disk: .nii or gzip-compressed .nii(.gz), read into a Volume and written atomically.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { NiftiFormatError, encodeNifti, parseNifti, type NiftiEncodeOptions, type NiftiImage } from '../../shared/nifti.js';
import type { Volume } from '../../shared/volume.js';

const gunzip = promisify(zlib.gunzip);
const gzip = promisify(zlib.gzip);

/** Gzip is recognised by its magic bytes, not the name: .nii files are often compressed and .nii.gz ones sometimes not. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function decompress(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    return await gunzip(bytes);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw new NiftiFormatError(name, 'the decompressed image is too large to load into memory');
    throw new NiftiFormatError(name, `the gzip stream is corrupt or truncated (${(err as Error).message})`);
  }
}

/** Reads a .nii or .nii.gz file; errors name the file (its base name) and the problem. */
export async function readNiftiFile(filePath: string): Promise<NiftiImage> {
  const name = path.basename(filePath);
  const raw = await fs.readFile(filePath);
  const bytes = isGzip(raw) ? await decompress(raw, name) : raw;
  // A plain Uint8Array view: Buffer's slice() does not copy, and the parser relies on Uint8Array semantics.
  return parseNifti(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
}

/**
 * Writes a single-file NIfTI-1, gzip-compressed when the path ends with .gz. The bytes go to path + '.tmp',
 * are flushed to disk, then renamed over the target, so a crash never leaves a partial file at the path.
 */
export async function writeNiftiFile(filePath: string, volume: Volume, options: NiftiEncodeOptions = {}): Promise<void> {
  const encoded = encodeNifti(volume, options);
  const bytes = filePath.toLowerCase().endsWith('.gz') ? await gzip(encoded, { level: 6 }) : encoded;
  const tmp = `${filePath}.tmp`;
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, filePath);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
