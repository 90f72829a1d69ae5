/**
 * Index-axis flips that keep every voxel at the same place in patient space (data and affine change
 * together). dcm2niix stores DICOM rows bottom-up, i.e. flips axis j; convert does the same.
 */
import type { Volume } from './volume.js';

export function flipAxis(volume: Volume, axis: 0 | 1 | 2): Volume {
  const [nx, ny, nz] = volume.dims;
  const c = volume.components;
  const data = new (volume.data.constructor as new (n: number) => Volume['data'])(volume.data.length);
  const src = volume.data;
  const row = nx * c;
  for (let k = 0; k < nz; k++) {
    const kk = axis === 2 ? nz - 1 - k : k;
    for (let j = 0; j < ny; j++) {
      const jj = axis === 1 ? ny - 1 - j : j;
      const from = (kk * ny + jj) * row;
      const to = (k * ny + j) * row;
      if (axis !== 0) {
        data.set(src.subarray(from, from + row) as never, to);
        continue;
      }
      for (let i = 0; i < nx; i++) for (let s = 0; s < c; s++) data[to + i * c + s] = src[from + (nx - 1 - i) * c + s]!;
    }
  }
  // new index n' = (N-1) - n along the axis: that column negates, the origin moves to the far end
  const a = [...volume.affineLps];
  const n = volume.dims[axis] - 1;
  for (let r = 0; r < 3; r++) {
    a[r * 4 + 3] = a[r * 4 + 3]! + a[r * 4 + axis]! * n;
    a[r * 4 + axis] = -a[r * 4 + axis]!;
  }
  return { ...volume, data, affineLps: a };
}
