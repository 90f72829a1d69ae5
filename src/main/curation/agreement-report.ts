/**
 * Collects the agreement report's data from the store: per accepted case, its latest AI version (test,
 * B) against its accepted head version (reference, A), per label, with the same compareLabelMaps that
 * `delineate metrics version:A version:B` runs; and per case with two or more annotators, every pair
 * of their latest own versions.
 */
import type { WorklistRow } from '../../shared/curation.js';
import type { AgreementReportData, AnnotatorPair, CaseAgreement, VersionRef } from '../../shared/curation/agreement-data.js';
import type { LabelGrid } from '../../shared/editing/grid.js';
import { labelArrayOf } from '../../shared/editing/label-runs.js';
import { compareLabelMaps } from '../../shared/metrics/agreement.js';
import type { VersionInfo } from '../../shared/segmentation.js';
import type { SegmentationStore } from '../segmentation/segmentation-store.js';
import type { StudiesRepo } from '../store/studies-repo.js';
import { APP_VERSION } from '../version.js';

export interface ReportSources {
  store: SegmentationStore;
  studies: StudiesRepo;
  worklist: { list(): WorklistRow[] };
}

export interface CollectOptions {
  /** default: every accepted case with an AI version (and every case with two or more annotators) */
  seriesIds?: readonly number[];
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Authors that are not people: their versions never count as an annotator's. */
const NOT_ANNOTATORS = new Set(['migration']);

const refOf = (v: VersionInfo): VersionRef => ({
  id: v.id,
  number: v.number,
  author: v.author,
  model: v.source === 'ai' ? [v.provenance.modelId, v.provenance.modelVersion].filter(Boolean).join(' ') : '',
});

export const caseNameOf = (row: Pick<WorklistRow, 'patientName' | 'patientId' | 'description' | 'seriesId'>): string =>
  [row.patientName || row.patientId, row.description || `series ${row.seriesId}`].filter(Boolean).join(' · ');

/** Each annotator's latest manual version, by author name. */
export function annotatorVersions(versions: readonly VersionInfo[]): Map<string, VersionInfo> {
  const latest = new Map<string, VersionInfo>();
  for (const v of versions) if (v.source === 'manual' && !NOT_ANNOTATORS.has(v.author) && (latest.get(v.author)?.id ?? 0) < v.id) latest.set(v.author, v);
  return latest;
}

export function collectAgreement(sources: ReportSources, options: CollectOptions = {}): AgreementReportData {
  const { store, studies } = sources;
  const rows = sources.worklist.list();
  const byId = new Map(rows.map((r) => [r.seriesId, r]));
  const skipped: AgreementReportData['skipped'] = [];
  const chosen: WorklistRow[] = [];
  if (options.seriesIds) {
    for (const id of options.seriesIds) {
      const row = byId.get(id);
      if (row) chosen.push(row);
      else skipped.push({ seriesId: id, caseName: `series ${id}`, reason: 'no such series' });
    }
  } else {
    chosen.push(...rows.filter((r) => r.segmentationId !== null));
  }

  const labelNames: Record<number, string> = {};
  const cases: CaseAgreement[] = [];
  const interAnnotator: AnnotatorPair[] = [];
  for (const [index, row] of chosen.entries()) {
    if (options.signal?.aborted) break;
    options.onProgress?.(index / Math.max(chosen.length, 1), `Comparing ${caseNameOf(row)}`);
    const caseName = caseNameOf(row);
    const series = studies.getSeries(row.seriesId)!;
    const segmentationId = row.segmentationId;
    const versions = segmentationId === null ? [] : store.listVersions(segmentationId);
    const load = (v: VersionInfo): LabelGrid => ({
      dims: series.dims,
      spacing: series.spacing,
      data: labelArrayOf(store.loadVersion(segmentationId!, v.id, { dims: series.dims }).labels, store.labelTypeOf(segmentationId!)),
    });

    const reason = row.status !== 'accepted' ? `not accepted (${row.status})` : row.aiVersionId === null ? 'no AI version' : null;
    if (reason === null) {
      const head = store.describe(segmentationId!).headVersion!;
      const ai = versions.find((v) => v.id === row.aiVersionId)!;
      for (const s of head.segments) labelNames[s.value] ??= s.name || String(s.value);
      cases.push({ seriesId: row.seriesId, segmentationId: segmentationId!, caseName, reference: refOf(head), ai: refOf(ai), rows: compareLabelMaps(load(head), load(ai)) });
    } else if (options.seriesIds) {
      skipped.push({ seriesId: row.seriesId, caseName, reason });
    }

    const annotators = [...annotatorVersions(versions).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < annotators.length; i++) {
      for (let j = i + 1; j < annotators.length; j++) {
        const a = annotators[i]![1];
        const b = annotators[j]![1];
        for (const s of [...a.segments, ...b.segments]) labelNames[s.value] ??= s.name || String(s.value);
        interAnnotator.push({ seriesId: row.seriesId, segmentationId: segmentationId!, caseName, a: refOf(a), b: refOf(b), rows: compareLabelMaps(load(a), load(b)) });
      }
    }
  }
  return {
    title: 'Agreement: AI versus accepted segmentations',
    generatedAt: new Date().toISOString(),
    appVersion: APP_VERSION,
    labelNames,
    cases,
    interAnnotator,
    skipped,
  };
}
