/** Messages between DecodePool and decode-worker.js. */
import { PixelDataError } from './errors.js';
import type { DecodedFile } from './format.js';
import type { VoxelArray, VoxelType } from '../../../../shared/volume.js';
import type { DicomInstance } from '../instance.js';

/** What the volume needs from a file: its frames as `voxelType`, rescaled per frame (null: unused). */
export interface OutputSpec {
  voxelType: VoxelType;
  rescale: ([slope: number, intercept: number] | null)[];
}

/** Frames ready to place in the volume, with the file's content hash computed from the same read. */
export interface RescaledFile {
  frames: (VoxelArray | null)[];
  min: number;
  max: number;
  /** a value did not fit voxelType: the caller widens the type and assembles again */
  overflow: boolean;
  sha256: string;
}

/** A parsed header, or why the file is not an importable image. */
export type HeaderResult = { instance: DicomInstance } | { skip: string };

export type DecodeRequest =
  | { id: number; path: string; task?: 'decode' }
  | { id: number; path: string; task: 'rescale'; output: OutputSpec }
  | { id: number; path: string; task: 'header' };

export type TaskResult = DecodedFile | RescaledFile | HeaderResult;

export interface SerializedError {
  source: string;
  problem: string;
}

export type DecodeReply = { id: number; ok: true; result: TaskResult } | { id: number; ok: false; error: SerializedError };

/** Errors cross the thread boundary as plain data and become PixelDataErrors again. */
export function serializeError(thrown: unknown, path: string): SerializedError {
  if (thrown instanceof PixelDataError) return { source: thrown.source, problem: thrown.problem };
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { source: path, problem: `unexpected error while decoding: ${message}` };
}

export function reviveError(error: SerializedError): PixelDataError {
  return new PixelDataError(error.source, error.problem);
}
