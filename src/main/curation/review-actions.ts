/**
 * A reviewer's actions on a case: a decision (accept, or request changes) taken in one keystroke from
 * any reviewable state, and fusing annotators' versions into one.
 */
import type { z } from 'zod';
import type { DecisionParamsSchema, FusionMethod } from '../../shared/curation.js';
import type { Segment } from '../../shared/editing/segments.js';
import { labelArrayOf } from '../../shared/editing/label-runs.js';
import { DelineateError } from '../../shared/errors.js';
import { majorityVote, staple } from '../../shared/metrics/label-fusion.js';
import type { ReviewState, SegmentationInfo, VersionInfo } from '../../shared/segmentation.js';
import type { SegmentationStore } from '../segmentation/segmentation-store.js';
import type { StudiesRepo } from '../store/studies-repo.js';

type Decision = z.output<typeof DecisionParamsSchema>;

/** The review steps from each state to the decision's target (each step is a recorded transition). */
const PATHS: Record<Decision['decision'], Partial<Record<ReviewState, ReviewState[]>>> = {
  accept: { draft: ['submitted', 'accepted'], 'changes-requested': ['submitted', 'accepted'], submitted: ['accepted'] },
  'request-changes': { draft: ['submitted', 'changes-requested'], submitted: ['changes-requested'] },
};

/**
 * Accept a case or request changes. Unsaved edits become a version first ("Reviewed"), so what was
 * accepted is a version; a draft is submitted on the way. Every step is one audited transition.
 */
export function decideCase(store: SegmentationStore, studies: StudiesRepo, { seriesId, decision, comment }: Decision): SegmentationInfo {
  const id = store.segmentationOfSeries(seriesId);
  const series = studies.getSeries(seriesId);
  if (!series) throw new DelineateError('not_found', `No series ${seriesId}`);
  const name = series.description || `series ${seriesId}`;
  if (id === null) throw new DelineateError('invalid_params', `${name} has no mask to review: segment it first`);
  let info = store.describe(id);
  if (!info.headVersion && info.unsavedSlices === 0) throw new DelineateError('invalid_params', `${name} has no mask to review: segment it first`);
  if (decision === 'request-changes' && !comment.trim()) throw new DelineateError('invalid_params', 'Say what should change: requesting changes needs a comment');
  const steps = PATHS[decision][info.reviewState];
  if (!steps) {
    const what = decision === 'accept' ? 'accepted' : 'sent back';
    throw new DelineateError('conflict', `${name} is ${info.reviewState} and cannot be ${what}${info.reviewState === 'accepted' ? ': reopen it as a draft first' : ''}`, { state: info.reviewState });
  }
  if (info.unsavedSlices > 0 && (info.reviewState === 'draft' || info.reviewState === 'changes-requested')) {
    info = store.saveVersion(id, info.revision, 'Reviewed', { dims: series.dims }).info;
  }
  for (const to of steps) info = store.review(id, to, to === steps.at(-1) ? comment : '');
  return info;
}

/**
 * Fuse versions of one segmentation voxel by voxel (majority vote or STAPLE) into a new merge
 * version; its provenance names the versions and, for STAPLE, each one's estimated sensitivity.
 */
export function mergeVersions(
  store: SegmentationStore,
  studies: StudiesRepo,
  params: { id: number; versionIds: number[]; method: FusionMethod; name: string },
): { info: SegmentationInfo; version: VersionInfo } {
  const { id, versionIds, method } = params;
  if (new Set(versionIds).size !== versionIds.length) throw new DelineateError('invalid_params', 'Merge needs different versions: one was named twice');
  const series = studies.getSeries(store.seriesOf(id))!;
  const grid = { dims: series.dims };
  const loaded = versionIds.map((versionId) => store.loadVersion(id, versionId, grid));
  const labelType = store.labelTypeOf(id);
  const maps = loaded.map((l) => labelArrayOf(l.labels, labelType));
  const stapled = method === 'staple' ? staple(maps, { maxIterations: 200 }) : null;
  const fused = stapled ?? majorityVote(maps);
  const raters = loaded.map((l, i) => ({
    versionId: l.version.id,
    author: l.version.author,
    ...(stapled ? { sensitivity: stapled.raters[i]!.sensitivity, specificity: stapled.raters[i]!.specificity } : {}),
  }));
  const labels = fused.labels;
  const bytes = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  const numbers = loaded.map((l) => l.version.number);
  return store.addVersion(
    id,
    bytes,
    {
      name: params.name || `${method === 'majority' ? 'Majority vote' : 'STAPLE'} of versions ${numbers.join(', ')}`,
      source: 'merge',
      segments: unionOfSegments(loaded.map((l) => l.version.segments)),
      provenance: {
        mergedFrom: versionIds,
        parameters: { method, disagreementVoxels: fused.disagreementVoxels, raters, ...(stapled ? { iterations: stapled.iterations, converged: stapled.converged } : {}) },
      },
    },
    grid,
  );
}

/** Every segment of the versions, the first version's name and colour winning for a value. */
function unionOfSegments(lists: readonly Segment[][]): Segment[] {
  const byValue = new Map<number, Segment>();
  for (const list of lists) for (const segment of list) if (!byValue.has(segment.value)) byValue.set(segment.value, segment);
  return [...byValue.values()].sort((a, b) => a.value - b.value);
}
