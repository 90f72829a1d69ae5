/**
 * Values are modality values (stored × slope + intercept). MONOCHROME1 is not inverted here: it is a
 * display instruction (low values white), so the series records it and the viewer inverts its grey
 * map, exactly as dcm2niix keeps the values.
 *
 * Fill a planned volume from decoded files: each file is decoded once by the worker pool, which
 * rescales its frames (or mosaic tiles) into slices and, when importing, writes them straight into the
 * volume cache file. Peak memory stays near the volume size (in memory) or the slices in flight (cache).
 */
import { allocateVoxels, type Volume, type VoxelArray, type VoxelType } from '../../../shared/volume.js';
import type { SliceSource } from './instance.js';
import type { NativePixelData } from './pixel-data-locator.js';
import type { OutputSpec, RescaledFile, SlicePlacement } from './pixels/worker-protocol.js';
import type { PlannedVolume } from './series-builder.js';

/** Decode a file's frames into the volume's voxel type (see OutputSpec); runs on the worker pool. */
export type DecodeFile = (file: string, output: OutputSpec) => Promise<RescaledFile>;

export interface AssembleOptions {
  signal?: AbortSignal;
  /** files decoded at once; keep about twice the worker count so workers never idle */
  concurrency?: number;
  onProgress?: (slicesDone: number, slicesTotal: number) => void;
  /** each source file's sha256, from the read that decoded it */
  onFileHashed?: (file: string, sha256: string) => void;
}

/** A rescaled value does not fit the chosen integer voxel type: assemble again with `wider`. */
export class VoxelRangeError extends Error {
  override name = 'VoxelRangeError';
  constructor(readonly wider: VoxelType) {
    super(`a rescaled value does not fit; retry as ${wider}`);
  }
}

const INTEGER_RANGES: Partial<Record<VoxelType, [number, number, VoxelType]>> = {
  uint8: [0, 255, 'int16'],
  int16: [-32768, 32767, 'int32'],
  uint16: [0, 65535, 'int32'],
  int32: [-(2 ** 31), 2 ** 31 - 1, 'float32'],
};

/** Run an assembly, widening the voxel type as often as a value overflows it. */
export async function withWidening<T>(volume: PlannedVolume, run: (v: PlannedVolume) => Promise<T>): Promise<T> {
  for (let current = volume; ; ) {
    try {
      return await run(current);
    } catch (err) {
      if (!(err instanceof VoxelRangeError)) throw err;
      current = { ...current, voxelType: err.wider };
    }
  }
}

export class SliceDecodeError extends Error {
  override name = 'SliceDecodeError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where finished slices go. `writeSlice` receives each slice (already rescaled, in the volume's voxel
 * type) exactly once and must copy it; with `fd` (an open volume cache file) the workers write the
 * decoded slices there themselves and `writeSlice` is left only the empty slots.
 */
export interface SliceTarget {
  writeSlice(k: number, slice: VoxelArray): void;
  readonly fd?: number;
}

/**
 * Decode every file of the plan once and place each slice in whatever order decoding finishes.
 * Empty slots (missing slices) get the volume minimum after all real slices are in.
 */
export async function assembleSlices(volume: PlannedVolume, decode: DecodeFile, target: SliceTarget, options: AssembleOptions = {}): Promise<void> {
  const { plan, voxelType, components } = volume;
  const sliceLength = plan.dims[0] * plan.dims[1] * components;

  const byFile = new Map<string, SlicePlacement[]>();
  const native = new Map<string, NativePixelData>();
  plan.slices.forEach((slice, k) => {
    if (!slice) return;
    byFile.set(slice.file, [...(byFile.get(slice.file) ?? []), placementOf(k, slice)]);
    if (slice.native) native.set(slice.file, slice.native);
  });
  const total = plan.slices.length;
  let done = total - [...byFile.values()].reduce((n, list) => n + list.length, 0); // empty slots
  let minimum = Infinity;

  const work = [...byFile.entries()];
  let next = 0;
  const widerType = INTEGER_RANGES[voxelType]?.[2];
  // Decodes write into target.fd from worker threads: on a failure or cancel, no new file starts, and
  // this returns only once every decode in flight has settled, so the caller may close the file.
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (next < work.length && !failure) {
      if (options.signal?.aborted) {
        failure = { error: options.signal.reason };
        return;
      }
      const [file, slices] = work[next++]!;
      try {
        let decoded: RescaledFile;
        try {
          const output: OutputSpec = { voxelType, sliceLength, slices };
          if (target.fd !== undefined) output.fd = target.fd;
          const located = native.get(file);
          if (located) output.native = located;
          decoded = await decode(file, output);
        } catch (err) {
          throw new SliceDecodeError(file, (err as Error).message);
        }
        if (failure) return;
        options.signal?.throwIfAborted();
        if (decoded.overflow && widerType) throw new VoxelRangeError(widerType);
        options.onFileHashed?.(file, decoded.sha256);
        minimum = Math.min(minimum, decoded.min);
        decoded.slices.forEach((slice, i) => target.writeSlice(slices[i]!.k, slice));
        done += slices.length;
        options.onProgress?.(done, total);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  if (failure) throw (failure as { error: unknown }).error;

  // Missing slices (planned empty slots) take the volume minimum: background, not a bright band.
  if (byFile.size > 0 && plan.slices.some((s) => s === null)) {
    const empty = allocateVoxels(voxelType, sliceLength).fill(minimum as never);
    plan.slices.forEach((s, k) => s === null && target.writeSlice(k, empty));
  }
}

function placementOf(k: number, slice: SliceSource): SlicePlacement {
  const tile = slice.tile >= 0 ? { index: slice.tile, columns: slice.columns, rows: slice.rows, mosaicColumns: slice.mosaicColumns } : null;
  return { k, frame: slice.frame, slope: slice.rescaleSlope, intercept: slice.rescaleIntercept, tile };
}

/** Assemble into one in-memory voxel buffer (convert, tests). */
export async function assembleVolume(volume: PlannedVolume, decode: DecodeFile, options: AssembleOptions = {}): Promise<Volume> {
  const { plan, components } = volume;
  const sliceLength = plan.dims[0] * plan.dims[1] * components;
  return withWidening(volume, async (v) => {
    const data = allocateVoxels(v.voxelType, sliceLength * plan.dims[2]);
    await assembleSlices(v, decode, { writeSlice: (k, slice) => data.set(slice as never, k * sliceLength) }, options);
    return { dims: plan.dims, spacing: plan.spacing, affineLps: plan.affineLps, voxelType: v.voxelType, components, data };
  });
}
