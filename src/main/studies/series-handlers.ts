/** Contract handlers that read series and their voxels from the store for the viewer. */
import { DelineateError } from '../../shared/errors.js';
import { bytesPerVoxel, viewVoxels } from '../../shared/volume.js';
import type { Handler } from '../services/dispatch.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import { readVolumeRange } from './volume-cache.js';

/** A slab larger than this is refused: the client asks in pieces (and shows the first one early). */
const MAX_SLAB_BYTES = 64 * 2 ** 20;

export function seriesHandlers(repo: StudiesRepo, dataDir: string): { 'series.get': Handler<'series.get'>; 'series.find': Handler<'series.find'>; 'series.slab': Handler<'series.slab'> } {
  const get = (seriesId: number) => {
    const series = repo.getSeries(seriesId);
    if (!series) throw new DelineateError('not_found', `No series ${seriesId}`);
    return series;
  };
  return {
    'series.get': ({ seriesId }) => {
      const { volumeFile: _f, volumeBytes: _b, ...summary } = get(seriesId);
      return summary;
    },
    'series.find': ({ seriesInstanceUid }) => {
      const id = repo.findSeriesId(seriesInstanceUid);
      if (id === null) throw new DelineateError('not_found', `No series ${seriesInstanceUid} in the store`);
      const { volumeFile: _f, volumeBytes: _b, ...summary } = get(id);
      return summary;
    },
    'series.slab': ({ seriesId, start, count }) => {
      const series = get(seriesId);
      const [nx, ny, nz] = series.dims;
      if (start + count > nz) throw new DelineateError('invalid_params', `Slices ${start}..${start + count - 1} are outside 0..${nz - 1}`);
      const sliceBytes = nx * ny * series.components * bytesPerVoxel(series.voxelType);
      if (sliceBytes * count > MAX_SLAB_BYTES) throw new DelineateError('too_large', `${count} slices are ${sliceBytes * count} bytes; ask for at most ${Math.floor(MAX_SLAB_BYTES / sliceBytes)}`);
      const bytes = readVolumeRange(dataDir, series.volumeFile, start * sliceBytes, count * sliceBytes);
      return { seriesId, start, count, data: viewVoxels(series.voxelType, bytes) };
    },
  };
}
