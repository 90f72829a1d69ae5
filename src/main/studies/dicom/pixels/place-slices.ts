/**
 * One file's share of a volume, on a decode worker: decode it, turn the frames the volume uses into
 * modality values of the volume's voxel type (fused with the stored-value step for grey data), cut
 * mosaic tiles, and either write each slice into the volume cache file or hand the slices back.
 */
import { allocateVoxels, voxelTypeOf, type VoxelArray } from '../../../../shared/volume.js';
import { writeAt } from '../../volume-cache.js';
import { decodeDicomFile } from './decode.js';
import { PixelDataError } from './errors.js';
import type { GreyFinish } from './frame-output.js';
import { rescaleFrame, samplesToVoxels } from './rescale.js';
import type { MosaicTile, OutputSpec, RescaledFile } from './worker-protocol.js';

const UNUSED = new Uint8Array(0);

export async function decodeSlices(bytes: Uint8Array, path: string, output: OutputSpec): Promise<Omit<RescaledFile, 'sha256'>> {
  const { voxelType, sliceLength } = output;
  const rescale = new Map<number, { slope: number; intercept: number }>();
  for (const s of output.slices) if (!rescale.has(s.frame)) rescale.set(s.frame, s);
  let min = Infinity;
  let max = -Infinity;
  let overflow = false;
  const converted = new Set<number>();
  const keep = (r: { data: VoxelArray; min: number; max: number; overflow: boolean }) => {
    min = Math.min(min, r.min);
    max = Math.max(max, r.max);
    overflow ||= r.overflow;
    return r.data;
  };
  // grey frames: stored values and rescale in one pass; frames the volume does not use are skipped
  const finish: GreyFinish = (samples, layout, signedValues, frame) => {
    const spec = rescale.get(frame);
    if (!spec) return UNUSED;
    converted.add(frame);
    return keep(samplesToVoxels(samples, layout, signedValues, voxelType, spec.slope, spec.intercept));
  };
  const decoded = await decodeDicomFile(bytes, path, finish);
  // colour and float frames arrive as stored values
  const frames = decoded.frames.map((frame, index) => {
    const spec = rescale.get(index);
    return !spec || converted.has(index) ? frame : keep(rescaleFrame(frame, voxelType, spec.slope, spec.intercept));
  });
  // an overflowing attempt is repeated with a wider type: writing its slices would be wasted
  if (overflow) return { slices: [], min, max, overflow };

  const slices: VoxelArray[] = [];
  for (const placement of output.slices) {
    const frame = frames[placement.frame];
    if (!frame) throw new PixelDataError(path, `frame ${placement.frame + 1} is missing (the file has ${frames.length})`);
    const slice = placement.tile ? extractTile(frame, placement.tile) : frame;
    if (slice.length !== sliceLength) throw new PixelDataError(path, `decoded ${slice.length} values where a slice of this series needs ${sliceLength}`);
    if (output.fd === undefined) slices.push(slice);
    else writeAt(output.fd, new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength), placement.k * slice.byteLength);
  }
  return { slices, min, max, overflow };
}

/** Copy one tile out of a mosaic frame. */
function extractTile(frame: VoxelArray, tile: MosaicTile): VoxelArray {
  const perRow = tile.mosaicColumns / tile.columns;
  const tileRow = Math.floor(tile.index / perRow);
  const tileCol = tile.index % perRow;
  const out = allocateVoxels(voxelTypeOf(frame), tile.columns * tile.rows);
  for (let r = 0; r < tile.rows; r++) {
    const start = (tileRow * tile.rows + r) * tile.mosaicColumns + tileCol * tile.columns;
    out.set(frame.subarray(start, start + tile.columns) as never, r * tile.columns);
  }
  return out;
}
