import os from 'node:os';
import type { DecodeFile } from './dicom/assemble-volume.js';
import { DecodePool } from './dicom/pixels/decode-pool.js';
import type { HeaderResult } from './dicom/pixels/worker-protocol.js';

export interface Decoder {
  decode: DecodeFile;
  readHeader: (file: string) => Promise<HeaderResult>;
  /** start the worker threads now, so they are ready when the first file arrives */
  warm(): void;
  /** files in flight at once: enough to keep every worker busy while the main thread copies */
  concurrency: number;
  close(): Promise<void>;
}

/** A pixel decoder backed by worker threads (one per core by default), started on first use. */
export function createDecoder(threads = os.availableParallelism()): Decoder {
  let pool: DecodePool | null = null;
  const started = () => (pool ??= new DecodePool(threads));
  return {
    decode: (file, output) => started().decodeFileAs(file, output),
    readHeader: (file) => started().readHeader(file),
    warm: () => started().warm(),
    concurrency: threads * 2,
    async close() {
      await pool?.close();
      pool = null;
    },
  };
}
