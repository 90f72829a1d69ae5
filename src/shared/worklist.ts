/**
 * Filtering and sorting of the worklist (one row per series), pure so the renderer and the tests share
 * it. Both are built for tens of thousands of rows: keys are computed once per row (lower-cased strings,
 * numbers), the sort compares them with plain operators, never localeCompare in the hot path.
 */
import { CASE_STATUSES, type CaseStatus, type ReviewQueueEntry, type WorklistRow, type WorklistSortKey } from './curation.js';

export type SortDirection = 'asc' | 'desc';

export interface WorklistFilter {
  /** keep rows with one of these statuses; undefined or empty: any status */
  statuses?: readonly CaseStatus[] | undefined;
  /** undefined: anyone; null: unassigned rows only; a name: rows assigned to exactly that name */
  assignee?: string | null | undefined;
  /** every whitespace-separated term must occur (case-insensitive) in the patient name, patient id,
   * description, modality, model or assignee */
  text?: string | undefined;
}

/** The statuses the review queue walks: AI results not yet decided on. */
export const REVIEW_STATUSES: readonly CaseStatus[] = ['ai-done', 'in-correction', 'submitted'];

const STATUS_RANK = new Map<CaseStatus, number>(CASE_STATUSES.map((s, i) => [s, i]));

/** The lower-cased text a search looks in, cached per row object (rows are replaced, never mutated). */
const searchTexts = new WeakMap<WorklistRow, string>();

export function searchTextOf(row: WorklistRow): string {
  let text = searchTexts.get(row);
  if (text === undefined) {
    // \u0001 between fields: a term never matches across two of them
    text = [row.patientName, row.patientId, row.description, row.modality, row.model ?? '', row.assignee ?? ''].join('\u0001').toLowerCase();
    searchTexts.set(row, text);
  }
  return text;
}

/** The search terms of a query: lower-cased, split on whitespace, empty ones dropped. */
export function searchTerms(text: string | undefined): string[] {
  return (text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
}

export function filterWorklist(rows: readonly WorklistRow[], filter: WorklistFilter): WorklistRow[] {
  const statuses = filter.statuses && filter.statuses.length > 0 ? new Set(filter.statuses) : null;
  const assignee = filter.assignee;
  const terms = searchTerms(filter.text);
  if (!statuses && assignee === undefined && terms.length === 0) return rows.slice();
  const out: WorklistRow[] = [];
  for (const row of rows) {
    if (statuses && !statuses.has(row.status)) continue;
    if (assignee !== undefined && row.assignee !== assignee) continue;
    if (terms.length > 0) {
      const text = searchTextOf(row);
      let all = true;
      for (const term of terms) {
        if (!text.includes(term)) {
          all = false;
          break;
        }
      }
      if (!all) continue;
    }
    out.push(row);
  }
  return out;
}

type SortValue = string | number | null;

/** The value a row sorts by: null for a missing value (null, empty text, NaN), which sorts last. */
function sortValue(row: WorklistRow, key: WorklistSortKey, priority: ReadonlyMap<number, number> | undefined): SortValue {
  switch (key) {
    case 'status':
      return STATUS_RANK.get(row.status) ?? null;
    case 'uncertainty':
      return row.uncertainty === null || Number.isNaN(row.uncertainty) ? null : row.uncertainty;
    case 'priority': {
      const score = priority?.get(row.seriesId);
      return score === undefined || Number.isNaN(score) ? null : score;
    }
    case 'studyDate':
    case 'lastChange':
      // ISO dates and DICOM YYYYMMDD both order as plain strings
      return row[key] ? row[key] : null;
    default: {
      const value = row[key];
      return value ? value.toLowerCase() : null;
    }
  }
}

/**
 * Rows ordered by `key`: missing values last in both directions, status in CASE_STATUSES order,
 * 'priority' by the review-queue score of each series (seriesId → score; rows without one last),
 * ties by seriesId (ascending), then by input order (stable).
 */
export function sortWorklist(rows: readonly WorklistRow[], key: WorklistSortKey, dir: SortDirection, priority?: ReadonlyMap<number, number>): WorklistRow[] {
  const n = rows.length;
  const values: SortValue[] = new Array<SortValue>(n);
  const ids = new Float64Array(n);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    values[i] = sortValue(row, key, priority);
    ids[i] = row.seriesId;
    order[i] = i;
  }
  const sign = dir === 'asc' ? 1 : -1;
  order.sort((a, b) => {
    const va = values[a]!;
    const vb = values[b]!;
    if (va !== vb) {
      if (va === null) return 1;
      if (vb === null) return -1;
      if (va < vb) return -sign;
      if (va > vb) return sign;
    }
    return ids[a]! - ids[b]! || a - b;
  });
  const out = new Array<WorklistRow>(n);
  for (let i = 0; i < n; i++) out[i] = rows[order[i]!]!;
  return out;
}

/** seriesId → review-queue score, the map sortWorklist takes for 'priority'. */
export function queueScores(entries: readonly ReviewQueueEntry[]): Map<number, number> {
  return new Map(entries.map((e) => [e.seriesId, e.score]));
}

/** The direction a fresh click on a column header sorts in: newest, most uncertain, most urgent first. */
export function defaultDirection(key: WorklistSortKey): SortDirection {
  return key === 'lastChange' || key === 'studyDate' || key === 'uncertainty' || key === 'priority' ? 'desc' : 'asc';
}
