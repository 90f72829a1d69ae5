/** Contract handlers for segmentations: open (creating on first use), store edited slices, set segments. */
import { encodeRuns } from '../../shared/editing/label-runs.js';
import { DelineateError } from '../../shared/errors.js';
import type { EventBus } from '../services/event-bus.js';
import type { Handler } from '../services/dispatch.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import type { AuditLog } from '../store/audit-log.js';
import type { SegmentationStore } from './segmentation-store.js';

type Names = 'segmentation.open' | 'segmentation.writeSlices' | 'segmentation.setSegments' | 'segmentation.review' | 'audit.list';

const asBytes = (data: ArrayBuffer | ArrayBufferView): Uint8Array => (data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));

export function segmentationHandlers(store: SegmentationStore, studies: StudiesRepo, bus: EventBus, audit: AuditLog): { [N in Names]: Handler<N> } {
  const grid = (seriesId: number) => {
    const series = studies.getSeries(seriesId);
    if (!series) throw new DelineateError('not_found', `No series ${seriesId}`);
    if (series.components !== 1) throw new DelineateError('invalid_params', `${series.description || `Series ${seriesId}`} is RGB: segment a scalar series`);
    return { dims: series.dims };
  };
  const changed = (id: number) => bus.emit('store.changed', { entity: 'segmentation', ids: [String(id)] });
  return {
    'segmentation.open': ({ seriesId }) => {
      const { labels, ...info } = store.openForSeries(seriesId, grid(seriesId));
      const runs = encodeRuns(labels);
      return runs ? { ...info, encoding: 'runs' as const, data: runs } : { ...info, encoding: 'raw' as const, data: labels };
    },
    'segmentation.writeSlices': ({ id, slices, data }) => {
      const result = store.writeSlices(id, slices, asBytes(data), grid(store.seriesOf(id)));
      changed(id);
      return { id, ...result };
    },
    'segmentation.review': ({ id, to, comment }) => {
      const info = store.review(id, to, comment);
      changed(id);
      return info;
    },
    'audit.list': ({ segmentationId, limit }) => audit.list({ limit, ...(segmentationId === undefined ? {} : { entity: 'segmentation', entityId: segmentationId }) }),
    'segmentation.setSegments': ({ id, segments }) => {
      const info = store.setSegments(id, segments);
      changed(id);
      return info;
    },
  };
}
