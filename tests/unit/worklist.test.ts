import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CASE_STATUSES, type CaseStatus, type WorklistRow } from '../../src/shared/curation.js';
import { defaultDirection, filterWorklist, queueScores, sortWorklist } from '../../src/shared/worklist.js';

function row(seriesId: number, overrides: Partial<WorklistRow> = {}): WorklistRow {
  return {
    seriesId,
    studyId: 1,
    patientName: `Patient ${seriesId}`,
    patientId: `P${seriesId}`,
    studyDate: '20240101',
    modality: 'CT',
    description: 'Abdomen',
    seriesNumber: seriesId,
    status: 'no-mask',
    segmentationId: null,
    assignee: null,
    model: null,
    aiVersionId: null,
    uncertainty: null,
    lastChange: '2024-01-01T00:00:00.000Z',
    changedBy: '',
    ...overrides,
  };
}

const ids = (rows: WorklistRow[]) => rows.map((r) => r.seriesId);

describe('filterWorklist', () => {
  const rows = [
    row(1, { patientName: 'Doe^Jane', status: 'ai-done', model: 'TotalSeg-Lite', assignee: 'alice' }),
    row(2, { patientName: 'Roe^Richard', status: 'accepted', modality: 'MR', description: 'Brain T1', assignee: 'bob' }),
    row(3, { patientName: 'Doe^John', status: 'no-mask', patientId: 'X-77' }),
    row(4, { patientName: 'Poe^Edgar', status: 'submitted', description: 'Chest', assignee: 'alice', model: 'lung-net' }),
  ];

  test('no filter keeps every row, in order, as a new array', () => {
    const out = filterWorklist(rows, {});
    assert.deepEqual(ids(out), [1, 2, 3, 4]);
    assert.notEqual(out, rows);
  });

  test('statuses: any of them; an empty list means any status', () => {
    assert.deepEqual(ids(filterWorklist(rows, { statuses: ['ai-done', 'submitted'] })), [1, 4]);
    assert.deepEqual(ids(filterWorklist(rows, { statuses: [] })), [1, 2, 3, 4]);
  });

  test('assignee: undefined is anyone, null is unassigned, a name is exact', () => {
    assert.deepEqual(ids(filterWorklist(rows, { assignee: undefined })), [1, 2, 3, 4]);
    assert.deepEqual(ids(filterWorklist(rows, { assignee: null })), [3]);
    assert.deepEqual(ids(filterWorklist(rows, { assignee: 'alice' })), [1, 4]);
    assert.deepEqual(ids(filterWorklist(rows, { assignee: 'ali' })), []);
  });

  test('text matches name, patient id, description, modality, model and assignee, case-insensitive', () => {
    assert.deepEqual(ids(filterWorklist(rows, { text: 'doe' })), [1, 3]);
    assert.deepEqual(ids(filterWorklist(rows, { text: 'x-77' })), [3]);
    assert.deepEqual(ids(filterWorklist(rows, { text: 'BRAIN' })), [2]);
    assert.deepEqual(ids(filterWorklist(rows, { text: 'mr' })), [2]);
    assert.deepEqual(ids(filterWorklist(rows, { text: 'totalseg' })), [1]);
    assert.deepEqual(ids(filterWorklist(rows, { text: 'BOB' })), [2]);
    assert.deepEqual(ids(filterWorklist(rows, { text: '   ' })), [1, 2, 3, 4]);
  });

  test('every whitespace-separated term must match, in any field', () => {
    assert.deepEqual(ids(filterWorklist(rows, { text: 'doe alice' })), [1]);
    assert.deepEqual(ids(filterWorklist(rows, { text: '  alice   chest ' })), [4]);
    assert.deepEqual(ids(filterWorklist(rows, { text: 'doe bob' })), []);
  });

  test('a term does not match across two fields', () => {
    // patient id "P1" followed by description "Abdomen" must not make "p1abd" match
    assert.deepEqual(ids(filterWorklist([row(1)], { text: 'p1abd' })), []);
  });

  test('filters combine', () => {
    assert.deepEqual(ids(filterWorklist(rows, { statuses: ['ai-done', 'submitted', 'no-mask'], assignee: 'alice', text: 'chest' })), [4]);
  });
});

describe('sortWorklist', () => {
  test('strings case-insensitively, both directions', () => {
    const rows = [row(1, { patientName: 'beta' }), row(2, { patientName: 'Alpha' }), row(3, { patientName: 'gamma' })];
    assert.deepEqual(ids(sortWorklist(rows, 'patientName', 'asc')), [2, 1, 3]);
    assert.deepEqual(ids(sortWorklist(rows, 'patientName', 'desc')), [3, 1, 2]);
  });

  test('nulls (and empty text) last in both directions', () => {
    const rows = [row(1, { assignee: null }), row(2, { assignee: 'carol' }), row(3, { assignee: 'alice' }), row(4, { assignee: null })];
    assert.deepEqual(ids(sortWorklist(rows, 'assignee', 'asc')), [3, 2, 1, 4]);
    assert.deepEqual(ids(sortWorklist(rows, 'assignee', 'desc')), [2, 3, 1, 4]);
    const u = [row(1, { uncertainty: null }), row(2, { uncertainty: 0.2 }), row(3, { uncertainty: 0.9 }), row(4, { uncertainty: Number.NaN })];
    assert.deepEqual(ids(sortWorklist(u, 'uncertainty', 'asc')), [2, 3, 1, 4]);
    assert.deepEqual(ids(sortWorklist(u, 'uncertainty', 'desc')), [3, 2, 1, 4]);
    const d = [row(1, { studyDate: '' }), row(2, { studyDate: '20230101' }), row(3, { studyDate: '20240101' })];
    assert.deepEqual(ids(sortWorklist(d, 'studyDate', 'asc')), [2, 3, 1]);
    assert.deepEqual(ids(sortWorklist(d, 'studyDate', 'desc')), [3, 2, 1]);
  });

  test('status in CASE_STATUSES order, not alphabetically', () => {
    const statuses: CaseStatus[] = ['accepted', 'no-mask', 'submitted', 'changes-requested', 'ai-done', 'in-correction'];
    const rows = statuses.map((status, i) => row(i + 1, { status }));
    assert.deepEqual(sortWorklist(rows, 'status', 'asc').map((r) => r.status), [...CASE_STATUSES]);
    assert.deepEqual(sortWorklist(rows, 'status', 'desc').map((r) => r.status), [...CASE_STATUSES].reverse());
  });

  test('priority by the review-queue score; rows without one last', () => {
    const rows = [row(1), row(2), row(3), row(4)];
    const scores = queueScores([
      { seriesId: 2, segmentationId: 2, aiVersionId: 2, status: 'ai-done', score: 0.5, reasons: [] },
      { seriesId: 3, segmentationId: 3, aiVersionId: 3, status: 'ai-done', score: 0.9, reasons: [] },
      { seriesId: 4, segmentationId: 4, aiVersionId: 4, status: 'submitted', score: 0.1, reasons: [] },
    ]);
    assert.deepEqual(ids(sortWorklist(rows, 'priority', 'desc', scores)), [3, 2, 4, 1]);
    assert.deepEqual(ids(sortWorklist(rows, 'priority', 'asc', scores)), [4, 2, 3, 1]);
    // without a score map every row ties: seriesId order
    assert.deepEqual(ids(sortWorklist([row(3), row(1), row(2)], 'priority', 'desc')), [1, 2, 3]);
  });

  test('ties by seriesId in both directions, then stable (input order)', () => {
    const rows = [row(5, { modality: 'CT' }), row(2, { modality: 'MR' }), row(3, { modality: 'CT' }), row(1, { modality: 'MR' })];
    assert.deepEqual(ids(sortWorklist(rows, 'modality', 'asc')), [3, 5, 1, 2]);
    assert.deepEqual(ids(sortWorklist(rows, 'modality', 'desc')), [1, 2, 3, 5]);
    const a = row(7, { description: 'first' });
    const b = row(7, { description: 'second' });
    const c = row(7, { description: 'third' });
    for (const dir of ['asc', 'desc'] as const) {
      assert.deepEqual(sortWorklist([a, b, c], 'modality', dir), [a, b, c]);
      assert.deepEqual(sortWorklist([c, a, b], 'status', dir), [c, a, b]);
    }
  });

  test('does not change its input', () => {
    const rows = [row(3), row(1), row(2)];
    sortWorklist(rows, 'patientName', 'asc');
    assert.deepEqual(ids(rows), [3, 1, 2]);
  });

  test('10,000 rows sort and filter on every key', () => {
    const statuses = CASE_STATUSES;
    const rows = Array.from({ length: 10_000 }, (_, i) =>
      row(i + 1, {
        patientName: `Name${(i * 7919) % 10_000}`,
        status: statuses[i % statuses.length]!,
        assignee: i % 3 === 0 ? null : `user${i % 5}`,
        model: i % 4 === 0 ? null : 'm',
        uncertainty: i % 6 === 0 ? null : ((i * 37) % 100) / 100,
        lastChange: new Date(Date.UTC(2024, 0, 1) + ((i * 104729) % 10_000) * 60_000).toISOString(),
      }),
    );
    const scores = new Map(rows.filter((_, i) => i % 2 === 0).map((r) => [r.seriesId, (r.seriesId * 31) % 997]));
    for (const key of ['patientName', 'studyDate', 'description', 'modality', 'status', 'assignee', 'model', 'uncertainty', 'lastChange', 'priority'] as const) {
      for (const dir of ['asc', 'desc'] as const) {
        const sorted = sortWorklist(rows, key, dir, scores);
        assert.equal(sorted.length, rows.length);
        assert.equal(new Set(sorted).size, rows.length);
      }
    }
    const byUncertainty = sortWorklist(rows, 'uncertainty', 'desc');
    const known = byUncertainty.filter((r) => r.uncertainty !== null);
    assert.ok(byUncertainty.slice(known.length).every((r) => r.uncertainty === null), 'nulls last');
    for (let i = 1; i < known.length; i++) assert.ok(known[i - 1]!.uncertainty! >= known[i]!.uncertainty!);
    const found = filterWorklist(rows, { statuses: ['ai-done'], assignee: 'user1', text: 'name1' });
    assert.ok(found.every((r) => r.status === 'ai-done' && r.assignee === 'user1' && r.patientName.toLowerCase().includes('name1')));
  });
});

describe('defaultDirection', () => {
  test('dates, uncertainty and priority descending; text ascending', () => {
    assert.equal(defaultDirection('lastChange'), 'desc');
    assert.equal(defaultDirection('priority'), 'desc');
    assert.equal(defaultDirection('patientName'), 'asc');
  });
});
