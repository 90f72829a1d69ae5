/** Contract handlers for segmentations: open, autosave, versions, conflicts, review, comparison, audit. */
import type { LabelArray } from '../../shared/editing/grid.js';
import { encodeRuns, labelArrayOf, labelsFromWire } from '../../shared/editing/label-runs.js';
import { DelineateError } from '../../shared/errors.js';
import { compareLabelMaps } from '../../shared/metrics/agreement.js';
import type { AgreementRow } from '../../shared/segmentation.js';
import type { Vec3 } from '../../shared/volume.js';
import type { EventBus } from '../services/event-bus.js';
import type { Handler } from '../services/dispatch.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import type { AuditLog } from '../store/audit-log.js';
import type { SegmentationStore } from './segmentation-store.js';

type Names =
  | 'segmentation.open'
  | 'segmentation.writeSlices'
  | 'segmentation.setSegments'
  | 'segmentation.saveVersion'
  | 'segmentation.keepMine'
  | 'segmentation.versions'
  | 'segmentation.loadVersion'
  | 'segmentation.compare'
  | 'segmentation.review'
  | 'audit.list';

const asBytes = (data: ArrayBuffer | ArrayBufferView): Uint8Array => (data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));

/** A label map for the wire: run-length coded when that is smaller. */
function wire(labels: LabelArray): { encoding: 'raw' | 'runs'; data: LabelArray | Uint32Array } {
  const runs = encodeRuns(labels);
  return runs ? { encoding: 'runs', data: runs } : { encoding: 'raw', data: labels };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

export function segmentationHandlers(store: SegmentationStore, studies: StudiesRepo, bus: EventBus, audit: AuditLog): { [N in Names]: Handler<N> } {
  const series = (seriesId: number) => {
    const found = studies.getSeries(seriesId);
    if (!found) throw new DelineateError('not_found', `No series ${seriesId}`);
    if (found.components !== 1) throw new DelineateError('invalid_params', `${found.description || `Series ${seriesId}`} is RGB: segment a scalar series`);
    return found;
  };
  const grid = (seriesId: number) => ({ dims: series(seriesId).dims });
  const gridOf = (id: number) => grid(store.seriesOf(id));
  const changed = (id: number) => bus.emit('store.changed', { entity: 'segmentation', ids: [String(id)] });
  const labelsOf = (id: number, ref: number | 'working') => {
    if (ref !== 'working') {
      const { labels } = store.loadVersion(id, ref, gridOf(id));
      return labelArrayOf(labels, store.labelTypeOf(id));
    }
    const { info, labels } = store.openForSeries(store.seriesOf(id), gridOf(id));
    return labelArrayOf(labels, info.labelType);
  };
  return {
    'segmentation.open': ({ seriesId }) => {
      const { info, labels, recovered } = store.openForSeries(seriesId, grid(seriesId));
      return { ...info, recovered, ...wire(labelArrayOf(labels, info.labelType)) };
    },
    'segmentation.writeSlices': ({ id, baseRevision, slices, data }) => {
      const info = store.writeSlices(id, baseRevision, slices, asBytes(data), gridOf(id));
      changed(id);
      return info;
    },
    'segmentation.setSegments': ({ id, baseRevision, segments }) => {
      const info = store.setSegments(id, baseRevision, segments);
      changed(id);
      return info;
    },
    'segmentation.saveVersion': ({ id, baseRevision, name }) => {
      const saved = store.saveVersion(id, baseRevision, name, gridOf(id));
      changed(id);
      return saved;
    },
    'segmentation.keepMine': ({ id, name, segments, encoding, data }) => {
      const g = gridOf(id);
      // raw bytes go to the store as they came (it checks their size); runs are decoded onto the grid
      let bytes = asBytes(data);
      if (encoding === 'runs') {
        const decoded = labelsFromWire({ encoding, data }, store.labelTypeOf(id), g.dims[0] * g.dims[1] * g.dims[2]);
        bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
      }
      const kept = store.keepMine(id, name, bytes, segments, g);
      changed(id);
      return kept;
    },
    'segmentation.versions': ({ id }) => store.listVersions(id),
    'segmentation.loadVersion': ({ id, versionId }) => {
      const { version, labels } = store.loadVersion(id, versionId, gridOf(id));
      return { version, ...wire(labelArrayOf(labels, store.labelTypeOf(id))) };
    },
    'segmentation.compare': ({ id, reference, test }) => {
      const { dims, spacing } = series(store.seriesOf(id));
      const rows = compareLabelMaps({ dims, spacing: spacing as Vec3, data: labelsOf(id, reference) }, { dims, spacing: spacing as Vec3, data: labelsOf(id, test) });
      return rows.map(
        (r): AgreementRow => ({
          ...r,
          sensitivity: finiteOrNull(r.sensitivity),
          specificity: finiteOrNull(r.specificity),
          hausdorff95Mm: finiteOrNull(r.hausdorff95Mm),
          averageSurfaceDistanceMm: finiteOrNull(r.averageSurfaceDistanceMm),
        }),
      );
    },
    'segmentation.review': ({ id, to, comment }) => {
      const info = store.review(id, to, comment);
      changed(id);
      return info;
    },
    'audit.list': ({ segmentationId, limit }) => audit.list({ limit, ...(segmentationId === undefined ? {} : { entity: 'segmentation', entityId: segmentationId }) }),
  };
}
