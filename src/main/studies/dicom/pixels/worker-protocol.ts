/** Messages between DecodePool and decode-worker.js. */
import { PixelDataError } from './errors.js';
import type { DecodedFile } from './format.js';
import type { VoxelArray, VoxelType } from '../../../../shared/volume.js';
import type { DicomInstance } from '../instance.js';
import type { NativePixelData } from '../pixel-data-locator.js';

/** Where one slice of the volume comes from in a file: a frame, or a tile of a Siemens mosaic frame. */
export interface SlicePlacement {
  /** the slice's index in the volume */
  k: number;
  frame: number;
  slope: number;
  intercept: number;
  tile: MosaicTile | null;
}

export interface MosaicTile {
  /** row-major in a grid of mosaicColumns / columns tiles per row */
  index: number;
  columns: number;
  rows: number;
  mosaicColumns: number;
}

/** What the volume needs from a file: the slices it holds, as `voxelType` modality values. */
export interface OutputSpec {
  voxelType: VoxelType;
  /** values in one slice (columns × rows × components): a decoded slice of any other size is an error */
  sliceLength: number;
  slices: SlicePlacement[];
  /**
   * An open volume cache file (descriptors belong to the process, so a worker can write it): each
   * slice is written at k × slice bytes by the worker itself and not sent back.
   */
  fd?: number;
  /** where the header pass found the file's pixels: lets the worker skip parsing it (native-fast-path.ts) */
  native?: NativePixelData;
}

/** The file's slices placed or returned, with the file's content hash computed from the same read. */
export interface RescaledFile {
  /** the slices in `OutputSpec.slices` order; empty when they were written to `fd` */
  slices: VoxelArray[];
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

/** One message to a worker: a request, or a batch of header requests answered in one message. */
export type WorkerPost = DecodeRequest | DecodeRequest[];
export type WorkerReply = DecodeReply | DecodeReply[];

/** Errors cross the thread boundary as plain data and become PixelDataErrors again. */
export function serializeError(thrown: unknown, path: string): SerializedError {
  if (thrown instanceof PixelDataError) return { source: thrown.source, problem: thrown.problem };
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { source: path, problem: `unexpected error while decoding: ${message}` };
}

export function reviveError(error: SerializedError): PixelDataError {
  return new PixelDataError(error.source, error.problem);
}
