/**
 * Imported voxels are cached as raw little-endian files under <dataDir>/volumes so reopening a series
 * is one read, not a re-decode. Written to a temp name and renamed: a crash leaves no partial file
 * that the store points at.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { viewVoxels, type VoxelArray, type VoxelType } from '../../shared/volume.js';

export const VOLUMES_DIR = 'volumes';

export interface VolumeWriter {
  /** the open file: decode workers write slices into it directly (see OutputSpec.fd) */
  readonly fd: number;
  /** write slice k (sliceLength voxels) at its place in the file */
  writeSlice(k: number, slice: VoxelArray): void;
  /** flush, close and move into place; returns the path relative to the data dir */
  commit(): { volumeFile: string; bytes: number };
  /** close and delete the partial file */
  abort(): void;
}

/**
 * Stream a volume into the cache slice by slice (in any order) so import never holds the whole
 * volume in memory. The file is a derived cache: it is not fsynced (the sources can rebuild it), and
 * readVolumeFile rejects one of the wrong size.
 */
export function openVolumeWriter(dataDir: string, key: string, totalBytes: number): VolumeWriter {
  const dir = path.join(dataDir, VOLUMES_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const name = `${crypto.createHash('sha256').update(key).digest('hex').slice(0, 24)}-${crypto.randomBytes(4).toString('hex')}.raw`;
  const final = path.join(dir, name);
  const temp = `${final}.tmp`;
  const fd = fs.openSync(temp, 'w');
  fs.ftruncateSync(fd, totalBytes);
  let open = true;
  const close = () => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  return {
    fd,
    writeSlice(k, slice) {
      writeAt(fd, new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength), k * slice.byteLength);
    },
    commit() {
      close();
      fs.renameSync(temp, final);
      return { volumeFile: path.posix.join(VOLUMES_DIR, name), bytes: totalBytes };
    },
    abort() {
      close();
      fs.rmSync(temp, { force: true });
    },
  };
}

/** Write all of `bytes` at `position` (a positional write may be short). */
export function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.byteLength) written += fs.writeSync(fd, bytes, written, bytes.byteLength - written, position + written);
}

/** Write a whole in-memory volume (NIfTI import). */
export function writeVolumeFile(dataDir: string, key: string, data: VoxelArray): { volumeFile: string; bytes: number } {
  const writer = openVolumeWriter(dataDir, key, data.byteLength);
  try {
    writer.writeSlice(0, data);
    return writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

export function readVolumeFile(dataDir: string, volumeFile: string, voxelType: VoxelType, expectedBytes: number): VoxelArray {
  const file = path.join(dataDir, volumeFile);
  const bytes = fs.readFileSync(file);
  if (bytes.byteLength !== expectedBytes) throw new Error(`${file}: cached volume has ${bytes.byteLength} bytes, expected ${expectedBytes}`);
  return viewVoxels(voxelType, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Bytes [offset, offset+length) of a cached volume, read positionally (no whole-file read). */
export function readVolumeRange(dataDir: string, volumeFile: string, offset: number, length: number): Uint8Array {
  const fd = fs.openSync(path.join(dataDir, volumeFile), 'r');
  try {
    const out = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = fs.readSync(fd, out, read, length - read, offset + read);
      if (n === 0) throw new Error(`${volumeFile}: cached volume ends at ${offset + read} bytes, expected ${offset + length}`);
      read += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

export function removeVolumeFile(dataDir: string, volumeFile: string): void {
  fs.rmSync(path.join(dataDir, volumeFile), { force: true });
}

/** Delete cached volumes (and temp files) the store does not reference: leftovers of a crash. */
export function removeOrphanVolumes(dataDir: string, referenced: Set<string>): number {
  const dir = path.join(dataDir, VOLUMES_DIR);
  if (!fs.existsSync(dir)) return 0;
  let removed = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!referenced.has(path.posix.join(VOLUMES_DIR, name))) {
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
