// Review states and the audit log, through the contract handlers: transitions, read-only states,
// every write recorded with its author, and a log nothing can alter.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { auditCsv } from '../../src/main/store/audit-log.js';
import { openDatabase } from '../../src/main/store/database.js';
import { MIGRATIONS } from '../../src/main/store/migrations.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { insertStudyAndSeries } from '../helpers/store-rows.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

describe('review states and audit log', () => {
  let services: AppServices;
  let dataDir: string;
  let inputDir: string;
  let seriesId: number;
  let id: number;
  const slice = new Uint8Array(8 * 8).fill(1);
  const call = async (method: string, params: unknown) => {
    const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
    if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
    return outcome.result as Record<string, unknown>;
  };
  const rejects = (p: Promise<unknown>, code: string, message: RegExp) => assert.rejects(p, (err: Error & { code?: string }) => err.code === code && message.test(err.message));

  before(async () => {
    dataDir = tempDir('review-store');
    inputDir = makeSeries(tempDir('review-in'), [{ name: 'ct', slices: 3, rows: 8, cols: 8 }]);
    services = createServices({ dataDir, host: 'test', author: 'Dr Test' });
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    seriesId = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!.id;
    id = (await call('segmentation.open', { seriesId })).id as number;
  });

  after(async () => {
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  const revision = async () => (await call('segmentation.open', { seriesId })).revision as number;

  test('draft → submitted → changes-requested → submitted → accepted → draft; read-only while submitted or accepted', async () => {
    assert.equal((await call('segmentation.open', { seriesId })).reviewState, 'draft');
    await call('segmentation.writeSlices', { id, baseRevision: await revision(), slices: [1], data: slice });
    await rejects(call('segmentation.review', { id, to: 'accepted' }), 'conflict', /A draft segmentation cannot become accepted \(it can become: submitted\)/);
    assert.equal((await call('segmentation.review', { id, to: 'submitted' })).reviewState, 'submitted');
    await rejects(call('segmentation.writeSlices', { id, baseRevision: await revision(), slices: [1], data: slice }), 'conflict', /is submitted and read-only/);
    await rejects(call('segmentation.review', { id, to: 'changes-requested' }), 'invalid_params', /needs a comment/);
    await call('segmentation.review', { id, to: 'changes-requested', comment: 'extend to the apex, "please", slices 1, 2' });
    await call('segmentation.writeSlices', { id, baseRevision: await revision(), slices: [2], data: slice });
    await call('segmentation.review', { id, to: 'submitted' });
    await call('segmentation.review', { id, to: 'accepted' });
    await rejects(call('segmentation.writeSlices', { id, baseRevision: await revision(), slices: [0], data: slice }), 'conflict', /is accepted and read-only: reopen it as a draft/);
    await rejects(call('segmentation.setSegments', { id, baseRevision: await revision(), segments: [] }), 'conflict', /read-only/);
    assert.equal((await call('segmentation.review', { id, to: 'draft' })).reviewState, 'draft');
    const reviews = services.db.prepare('SELECT from_state, to_state, author FROM segmentation_reviews WHERE segmentation_id = ? ORDER BY id').all(id) as { from_state: string; to_state: string; author: string }[];
    assert.deepEqual(reviews.map((r) => `${r.from_state}>${r.to_state}`), ['draft>submitted', 'submitted>changes-requested', 'changes-requested>submitted', 'submitted>accepted', 'accepted>draft']);
    assert.ok(reviews.every((r) => r.author === 'Dr Test'));
  });

  test('every write is in the audit log with its author, in order; refused writes are not', async () => {
    const entries = (await call('audit.list', { segmentationId: id })) as unknown as { action: string; author: string; detail: string }[];
    assert.deepEqual(entries.map((e) => e.action), ['create', 'write-slices', 'review', 'review', 'write-slices', 'review', 'review', 'review']);
    assert.ok(entries.every((e) => e.author === 'Dr Test'));
    assert.equal(entries[1]!.detail, 'slices 1');
    assert.match(entries[3]!.detail, /submitted → changes-requested: extend to the apex/);
  });

  test('the log cannot be altered, and exports as CSV with quoting', async () => {
    assert.throws(() => services.db.prepare('UPDATE audit_log SET author = ?').run('someone else'), /append-only/);
    assert.throws(() => services.db.prepare('DELETE FROM audit_log').run(), /append-only/);
    const csv = auditCsv((await call('audit.list', {})) as never);
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines[0], 'id,at,author,action,entity,entity_id,detail');
    assert.ok(lines.some((l) => l.endsWith(',"submitted → changes-requested: extend to the apex, ""please"", slices 1, 2"')), csv);
  });

  test('delineate audit prints the log as CSV for one segmentation', async () => {
    let stdout = '';
    const code = await runCli(['audit', '--data-dir', dataDir, '--segmentation', String(id), '--csv'], { stdout: (t) => (stdout += t), stderr: () => undefined, env: {} });
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\r\n');
    assert.equal(lines[0], 'id,at,author,action,entity,entity_id,detail');
    assert.equal(lines.length, 1 + 8);
    assert.ok(lines.slice(1).every((l) => l.includes(',Dr Test,')));
  });

  test('choosing another local user records the next writes as theirs; names are checked; the store remembers users', async () => {
    const listed = (await call('users.list', {})) as unknown as { current: string; known: { name: string }[] };
    assert.equal(listed.current, 'Dr Test');
    const chosen = (await call('users.select', { name: '  Dr Second  ' })) as unknown as { current: string; known: { name: string }[] };
    assert.equal(chosen.current, 'Dr Second');
    assert.deepEqual(chosen.known.map((u) => u.name).sort(), ['Dr Second', 'Dr Test']);
    await call('segmentation.writeSlices', { id, baseRevision: await revision(), slices: [1], data: slice });
    const last = ((await call('audit.list', { segmentationId: id })) as unknown as { author: string; action: string }[]).at(-1)!;
    assert.deepEqual([last.action, last.author], ['write-slices', 'Dr Second']);
    assert.equal((await call('segmentation.open', { seriesId })).changedBy, 'Dr Second');
    await rejects(call('users.select', { name: 'tab\there' }), 'invalid_params', /without control characters/);
    await call('users.select', { name: 'Dr Test' });
  });

  test('migration 4 upgrades a version-3 store with a segmentation in it to draft', () => {
    const dir = tempDir('review-migrate');
    const v3 = openDatabase(dir, MIGRATIONS.filter((m) => m.version <= 3));
    insertStudyAndSeries(v3.db, [1, 1, 1]);
    v3.db.exec(`INSERT INTO segmentations (series_id, label_type, segments, label_file, created_at, updated_at) VALUES (1, 'uint8', '[]', 'f', 'now', 'now')`);
    v3.db.close();
    const upgraded = openDatabase(dir, MIGRATIONS.filter((m) => m.version <= 4));
    assert.deepEqual(upgraded.applied, [4]);
    assert.equal((upgraded.db.prepare('SELECT review_state FROM segmentations').get() as { review_state: string }).review_state, 'draft');
    upgraded.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
