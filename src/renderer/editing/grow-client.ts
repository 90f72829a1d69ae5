/** Run grow from seeds in a Web Worker (a 256³ crop takes seconds; the UI must not freeze meanwhile). */
import type { LabelArray } from '../../shared/editing/grid.js';
import type { Vec3, VoxelArray } from '../../shared/volume.js';

export interface GrowRequest {
  dims: Vec3;
  spacing: Vec3;
  image: VoxelArray;
  seeds: LabelArray;
}

/** Grow on a crop; the arrays are moved to the worker (pass copies). */
export function growInWorker(request: GrowRequest): Promise<LabelArray> {
  const worker = new Worker(new URL('./grow.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<LabelArray>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<{ labels?: LabelArray; error?: string }>) => (data.labels ? resolve(data.labels) : reject(new Error(data.error ?? 'grow from seeds failed')));
    worker.onerror = (event) => reject(new Error(event.message || 'the grow-from-seeds worker failed to start'));
    worker.postMessage(request, [request.image.buffer as ArrayBuffer, request.seeds.buffer as ArrayBuffer]);
  }).finally(() => worker.terminate());
}
