/**
 * Brings a series' voxels into the renderer once, as binary slabs (never JSON), middle slabs first so
 * the view shows an image long before the whole volume has arrived. One typed array per volume.
 */
import type { SeriesSummary } from '../../shared/studies.js';
import { allocateVoxels, bytesPerVoxel, type VoxelArray } from '../../shared/volume.js';
import type { HostClient } from '../lib/host-client.js';

const SLAB_BYTES = 8 * 2 ** 20;
const SLABS_IN_FLIGHT = 3;

export interface LoadedVolume {
  series: SeriesSummary;
  data: VoxelArray;
  /** 1 where slice k has arrived */
  sliceLoaded: Uint8Array;
}

/**
 * Requests [start, count] covering 0..depth-1: first the middle slice alone (the view opens on it, so
 * it is on screen after one small round trip), then slabs from the middle outwards.
 */
export function slabOrder(depth: number, perSlab: number): [number, number][] {
  const middle = Math.floor(depth / 2);
  const ranges: [number, number][] = [[middle, 1]];
  const starts = Array.from({ length: Math.ceil(depth / perSlab) }, (_, i) => i * perSlab);
  const centre = Math.floor(starts.length / 2);
  const ordered = starts.map((_, i) => starts[centre + (i % 2 === 0 ? i / 2 : -(i + 1) / 2)]).filter((s): s is number => s !== undefined);
  for (const start of ordered) {
    const end = Math.min(depth, start + perSlab);
    // skip the middle slice already fetched by splitting its slab around it
    if (middle >= start && middle < end) {
      if (middle > start) ranges.push([start, middle - start]);
      if (end > middle + 1) ranges.push([middle + 1, end - middle - 1]);
    } else ranges.push([start, end - start]);
  }
  return ranges;
}

export async function loadVolume(
  client: HostClient,
  series: SeriesSummary,
  onSlab: (volume: LoadedVolume, loadedSlices: number) => void,
  signal: AbortSignal,
): Promise<LoadedVolume> {
  const [nx, ny, nz] = series.dims;
  const sliceLength = nx * ny * series.components;
  const perSlab = Math.max(1, Math.floor(SLAB_BYTES / (sliceLength * bytesPerVoxel(series.voxelType))));
  const volume: LoadedVolume = { series, data: allocateVoxels(series.voxelType, sliceLength * nz), sliceLoaded: new Uint8Array(nz) };
  let loaded = 0;
  const fetchSlab = async ([start, count]: [number, number]) => {
    signal.throwIfAborted();
    const slab = await client.call('series.slab', { seriesId: series.id, start, count });
    signal.throwIfAborted();
    const values = slab.data as VoxelArray;
    if (values.length !== count * sliceLength) throw new Error(`slab ${start}+${count} has ${values.length} voxels, expected ${count * sliceLength}`);
    volume.data.set(values as never, start * sliceLength);
    volume.sliceLoaded.fill(1, start, start + count);
    loaded += count;
    onSlab(volume, loaded);
  };
  const [first, ...rest] = slabOrder(nz, perSlab);
  await fetchSlab(first!); // the slice the views open on, alone, so it shows first
  // then a few requests in flight: the host reads the next slab while this one travels
  let next = 0;
  await Promise.all(
    Array.from({ length: SLABS_IN_FLIGHT }, async () => {
      while (next < rest.length) await fetchSlab(rest[next++]!);
    }),
  );
  return volume;
}
