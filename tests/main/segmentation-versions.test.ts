// Versions, the autosave journal and conflicts, through the contract handlers over a real store:
// every saved version loads back bit for bit, deltas stay small, snapshots bound the chain, a stale
// write is a conflict that loses nothing, and unsaved work survives into the next session.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/main/cli/main.js';
import { SegmentationStore } from '../../src/main/segmentation/segmentation-store.js';
import { applySparseXor, encodeSparseXor } from '../../src/main/segmentation/slice-codec.js';
import { MAX_CHAIN } from '../../src/main/segmentation/version-store.js';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { AuditLog } from '../../src/main/store/audit-log.js';
import { integrityCheck, openDatabase } from '../../src/main/store/database.js';
import { MIGRATIONS } from '../../src/main/store/migrations.js';
import { BatchStore } from '../../src/main/curation/batch-store.js';
import { WorklistRepo } from '../../src/main/curation/worklist-repo.js';
import { decodeRuns, encodeRuns } from '../../src/shared/editing/label-runs.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { insertStudyAndSeries } from '../helpers/store-rows.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { random } from '../helpers/random.js';

const dims = [32, 24, 10] as const;
const sliceLength = dims[0] * dims[1];
const voxels = sliceLength * dims[2];

type Info = { id: number; revision: number; unsavedSlices: number; headVersion: { id: number; number: number } | null } & Record<string, unknown>;

describe('segmentation versions and autosave', () => {
  let dataDir: string;
  let inputDir: string;
  let services: AppServices;
  let seriesId: number;

  const callOn = async (s: AppServices, method: string, params: unknown) => {
    const outcome = await dispatch(s.handlers, method, params, { host: 'test' });
    if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code, details: outcome.error.details });
    return outcome.result as Info;
  };
  const call = (method: string, params: unknown) => callOn(services, method, params);
  const labelsOf = (result: Record<string, unknown>) => {
    const data = result.data as Uint8Array | Uint32Array;
    return result.encoding === 'runs' ? (decodeRuns(data as Uint32Array, new Uint8Array(voxels)) as Uint8Array) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  };
  const open = async (s = services) => {
    const result = await callOn(s, 'segmentation.open', { seriesId });
    return { info: result, labels: labelsOf(result) };
  };
  /** Paint a random box of one label into `labels` and autosave the slices it touched. */
  const paint = async (labels: Uint8Array, info: Info, rand: () => number, s = services): Promise<Info> => {
    const k0 = Math.floor(rand() * dims[2]);
    const k1 = Math.min(dims[2] - 1, k0 + Math.floor(rand() * 2));
    const x0 = Math.floor(rand() * 28), y0 = Math.floor(rand() * 20), value = 1 + Math.floor(rand() * 3);
    const slices: number[] = [];
    for (let k = k0; k <= k1; k++) {
      for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) labels[k * sliceLength + y * dims[0] + x] = value;
      slices.push(k);
    }
    const data = new Uint8Array(slices.length * sliceLength);
    slices.forEach((k, n) => data.set(labels.subarray(k * sliceLength, (k + 1) * sliceLength), n * sliceLength));
    return callOn(s, 'segmentation.writeSlices', { id: info.id, baseRevision: info.revision, slices, data });
  };

  before(async () => {
    dataDir = tempDir('versions');
    inputDir = makeSeries(tempDir('versions-in'), [{ name: 'ct', slices: dims[2], rows: dims[1], cols: dims[0] }]);
    services = createServices({ dataDir, host: 'test', author: 'Ann' });
    const job = services.jobs.start('studies.import', { paths: [inputDir] });
    seriesId = ((await services.jobs.wait(job.id)).result as ImportReport).series[0]!.id;
  });

  after(async () => {
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputDir, { recursive: true, force: true });
  });

  test('sparse XOR deltas round-trip random edits exactly, and cost bytes in proportion to the change', () => {
    const rand = random(99);
    for (let trial = 0; trial < 200; trial++) {
      const parent = new Uint8Array(512).map(() => (rand() < 0.3 ? Math.floor(rand() * 4) : 0));
      const child = parent.slice();
      const edits = Math.floor(rand() * 40);
      for (let e = 0; e < edits; e++) child[Math.floor(rand() * 512)] = Math.floor(rand() * 256);
      const delta = encodeSparseXor(parent, child);
      const back = parent.slice();
      applySparseXor(delta, back);
      assert.deepEqual(back, child, `trial ${trial}`);
      if (Buffer.from(parent).equals(Buffer.from(child))) assert.equal(delta.byteLength, 0);
    }
  });

  test('40 saved versions each load back bit for bit; deltas are small and snapshots bound every chain', async () => {
    const rand = random(7);
    let { info, labels } = await open();
    assert.equal(info.headVersion, null);
    const expected = new Map<number, Uint8Array>();
    for (let v = 0; v < 40; v++) {
      info = await paint(labels, info, rand);
      assert.ok(info.unsavedSlices >= 1);
      const saved = (await call('segmentation.saveVersion', { id: info.id, baseRevision: info.revision, name: `v${v + 1}` })) as unknown as { info: Info; version: { id: number; number: number; author: string } };
      assert.equal(saved.version.number, v + 1);
      assert.equal(saved.version.author, 'Ann');
      assert.equal(saved.info.unsavedSlices, 0, 'saving empties the journal');
      assert.equal(saved.info.headVersion?.id, saved.version.id);
      info = saved.info;
      expected.set(saved.version.id, labels.slice());
    }
    for (const [versionId, want] of expected) {
      const loaded = await call('segmentation.loadVersion', { id: info.id, versionId });
      assert.deepEqual(labelsOf(loaded), want, `version ${versionId}`);
    }
    assert.deepEqual((await open()).labels, labels, 'the working state is the head');
    const versions = (await call('segmentation.versions', { id: info.id })) as unknown as { id: number; snapshot: boolean; payloadBytes: number; parentId: number | null }[];
    assert.equal(versions.length, 40);
    let run = 0;
    for (const v of versions) {
      run = v.snapshot ? 0 : run + 1;
      assert.ok(run < MAX_CHAIN, 'a snapshot at least every MAX_CHAIN versions');
    }
    const deltas = versions.filter((v) => !v.snapshot);
    assert.ok(deltas.length === 39, `every version after the first is a delta (${deltas.length})`);
    assert.ok(deltas.every((d) => d.payloadBytes < 200), `a 4×4 edit costs a few bytes: ${deltas.map((d) => d.payloadBytes).join(',')}`);
    assert.deepEqual(versions.slice(1).map((v) => v.parentId), versions.slice(0, -1).map((v) => v.id), 'each version is the child of the one before');
  });

  test('with a small delta budget, snapshots come as deltas outweigh the last one; every version still loads exactly', async () => {
    const { info } = await open();
    const store = new SegmentationStore(services.db, dataDir, new AuditLog(services.db, 'Ann'), 'Ann', { maxChain: 5, minDeltaBudget: 0 });
    const grid = { dims: [...dims] as [number, number, number] };
    const rand = random(5);
    const labels = store.openForSeries(seriesId, grid).labels;
    let revision = info.revision;
    const expected: [number, Uint8Array][] = [];
    for (let v = 0; v < 12; v++) {
      const k = Math.floor(rand() * dims[2]);
      for (let i = 0; i < 40; i++) labels[k * sliceLength + Math.floor(rand() * sliceLength)] = 1 + Math.floor(rand() * 9);
      revision = store.writeSlices(info.id, revision, [k], labels.slice(k * sliceLength, (k + 1) * sliceLength), grid).revision;
      const saved = store.saveVersion(info.id, revision, `noisy ${v}`, grid);
      revision = saved.info.revision;
      expected.push([saved.version.id, labels.slice()]);
    }
    const versions = store.listVersions(info.id).filter((v) => v.name.startsWith('noisy'));
    const snapshots = versions.filter((v) => v.snapshot).length;
    assert.ok(snapshots >= 3 && snapshots < 12, `some, not all, are snapshots (${snapshots} of 12)`);
    for (const [versionId, want] of expected) assert.ok(Buffer.from(store.loadVersion(info.id, versionId, grid).labels).equals(want), `version ${versionId}`);
  });

  test('versions are immutable in the store itself', () => {
    assert.throws(() => services.db.prepare("UPDATE segmentation_versions SET author = 'Mallory'").run(), /immutable/);
    assert.throws(() => services.db.prepare('UPDATE version_slices SET payload = x\'00\'').run(), /immutable/);
  });

  test('an AI version keeps its provenance; unsaved edits are saved as a version before it', async () => {
    let { info, labels } = await open();
    info = await paint(labels, info, random(3));
    const store = new SegmentationStore(services.db, dataDir, new AuditLog(services.db, 'model runner'), 'model runner');
    const ai = new Uint8Array(voxels).fill(2, sliceLength * 3, sliceLength * 5);
    const provenance = { modelId: 'brainchop-gwm', modelVersion: '1.0.0', modelSha256: 'a'.repeat(64), executionProvider: 'cpu' as const, parameters: { tta: false }, runTimeMs: 1234 };
    const added = store.addVersion(info.id, ai, { name: 'AI: tissue', source: 'ai', provenance }, { dims: [...dims] });
    const versions = (await call('segmentation.versions', { id: info.id })) as unknown as { id: number; source: string; name: string; provenance: unknown; author: string }[];
    const [autosaved, aiVersion] = versions.slice(-2);
    assert.equal(autosaved!.name, 'Unsaved work of Ann');
    assert.deepEqual(labelsOf(await call('segmentation.loadVersion', { id: info.id, versionId: autosaved!.id })), labels, 'the unsaved edit was kept');
    assert.equal(aiVersion!.id, added.version.id);
    assert.equal(aiVersion!.source, 'ai');
    assert.equal(aiVersion!.author, 'model runner');
    assert.deepEqual(aiVersion!.provenance, provenance);
    assert.deepEqual((await open()).labels, ai);
  });

  test('two windows: the stale write is a conflict; "keep mine" saves theirs and mine as versions', async () => {
    const a = await open();
    const b = await open();
    const infoA = await paint(a.labels, a.info, random(11));
    await assert.rejects(paint(b.labels, b.info, random(12)), (err: Error & { code?: string; details?: { reason?: string } }) => err.code === 'conflict' && err.details?.reason === 'stale' && /changed by Ann/.test(err.message));
    assert.deepEqual((await open()).labels, a.labels, 'the refused write changed nothing');
    // b paints locally (the refused edit is still on b's screen) and keeps its own
    const runs = encodeRuns(b.labels)!;
    const kept = (await call('segmentation.keepMine', { id: b.info.id, name: 'mine', segments: b.info.segments, encoding: 'runs', data: runs })) as unknown as { info: Info; version: { id: number } };
    const versions = (await call('segmentation.versions', { id: b.info.id })) as unknown as { id: number; name: string }[];
    const theirs = versions.at(-2)!;
    assert.equal(theirs.name, 'Unsaved work of Ann');
    assert.deepEqual(labelsOf(await call('segmentation.loadVersion', { id: b.info.id, versionId: theirs.id })), a.labels, "theirs is a version: nothing lost");
    assert.deepEqual(labelsOf(await call('segmentation.loadVersion', { id: b.info.id, versionId: kept.version.id })), b.labels);
    assert.deepEqual((await open()).labels, b.labels);
    await assert.rejects(paint(a.labels, infoA, random(13)), /after you loaded it/, 'now a is the stale one');
    assert.equal(integrityCheck(services.db).ok, true);
  });

  test('unsaved work is recovered by the next session, and named as such', async () => {
    const { info, labels } = await open();
    assert.equal((await open()).info.recovered, null, 'this session wrote nothing unsaved yet');
    await paint(labels, info, random(21));
    await services.close();
    services = createServices({ dataDir, host: 'test', author: 'Ann' });
    const reopened = await open();
    assert.deepEqual(reopened.labels, labels);
    const recovered = reopened.info.recovered as { slices: number; authors: string[]; lastEditAt: string };
    assert.ok(recovered.slices >= 1);
    assert.deepEqual(recovered.authors, ['Ann']);
    assert.ok(Date.now() - Date.parse(recovered.lastEditAt) < 60_000);
  });

  test('compare: a version against the working state per label', async () => {
    const { info, labels } = await open();
    const saved = (await call('segmentation.saveVersion', { id: info.id, baseRevision: info.revision, name: 'reference' })) as unknown as { info: Info; version: { id: number } };
    labels.fill(0, 0, sliceLength); // erase slice 0 in the working state
    await call('segmentation.writeSlices', { id: info.id, baseRevision: saved.info.revision, slices: [0], data: labels.subarray(0, sliceLength) });
    const same = (await call('segmentation.compare', { id: info.id, reference: saved.version.id, test: saved.version.id })) as unknown as { dice: number }[];
    assert.ok(same.length > 0 && same.every((r) => r.dice === 1));
    const rows = (await call('segmentation.compare', { id: info.id, reference: saved.version.id, test: 'working' })) as unknown as { label: number; voxelsA: number; voxelsB: number }[];
    const reference = labelsOf(await call('segmentation.loadVersion', { id: info.id, versionId: saved.version.id }));
    for (const row of rows) {
      assert.equal(row.voxelsA, reference.filter((v) => v === row.label).length);
      assert.equal(row.voxelsB, labels.filter((v) => v === row.label).length);
    }
    // the CLI reads the same two label maps from the store and reports the same figures
    let stdout = '';
    const code = await runCli(['metrics', `version:${saved.version.id}`, `working:${info.id}`, '--data-dir', dataDir, '--json'], { stdout: (t) => (stdout += t), stderr: () => undefined, env: {} });
    assert.equal(code, 0, stdout);
    const cli = JSON.parse(stdout) as { labels: { label: number; dice: number; voxelsA: number; voxelsB: number }[] };
    assert.deepEqual(cli.labels.map((r) => [r.label, r.voxelsA, r.voxelsB, r.dice]), (rows as unknown as { label: number; voxelsA: number; voxelsB: number; dice: number }[]).map((r) => [r.label, r.voxelsA, r.voxelsB, r.dice]));
    let stderr = '';
    assert.equal(await runCli(['metrics', `version:${saved.version.id}`, 'x.nii', '--data-dir', dataDir], { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} }), 2);
    assert.match(stderr, /compare two store versions, or two NIfTI files/);
  });
});

describe('migration 5', () => {
  test('turns a version-4 label file into version 1 of its segmentation and removes the file', () => {
    const dir = tempDir('migrate5');
    const v4 = openDatabase(dir, MIGRATIONS.filter((m) => m.version <= 4));
    insertStudyAndSeries(v4.db, [6, 5, 4]);
    v4.db.exec(`INSERT INTO segmentations (series_id, label_type, segments, label_file, created_at, updated_at, review_state) VALUES (1, 'uint8', '[{"value":1,"name":"Liver","color":[1,2,3],"visible":true,"locked":false}]', 'segmentations/series-1.labels', 'now', '2026-01-02T03:04:05.000Z', 'submitted')`);
    v4.db.close();
    const labels = new Uint8Array(6 * 5 * 4);
    labels.fill(1, 31, 47); // slice 1 and 2
    fs.mkdirSync(path.join(dir, 'segmentations'));
    fs.writeFileSync(path.join(dir, 'segmentations', 'series-1.labels'), labels);
    const upgraded = openDatabase(dir);
    assert.deepEqual(upgraded.applied, MIGRATIONS.filter((m) => m.version >= 5).map((m) => m.version));
    const store = new SegmentationStore(upgraded.db, dir, new AuditLog(upgraded.db, 'x'), 'x');
    const versions = store.listVersions(1);
    assert.equal(versions.length, 1);
    assert.equal(versions[0]!.name, 'Before versioning');
    assert.equal(versions[0]!.segments[0]!.name, 'Liver');
    assert.deepEqual(store.loadVersion(1, versions[0]!.id, { dims: [6, 5, 4] }).labels, labels);
    const opened = store.openForSeries(1, { dims: [6, 5, 4] });
    assert.deepEqual(opened.labels, labels);
    assert.equal(opened.info.reviewState, 'submitted', 'the review state is kept');
    assert.equal(fs.existsSync(path.join(dir, 'segmentations', 'series-1.labels')), false, 'the legacy file is gone once copied');
    upgraded.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('migration 6', () => {
  test('a version-5 store keeps its segmentations and gains the worklist: a submitted case, unassigned, no batches', () => {
    const dir = tempDir('migrate6');
    const v5 = openDatabase(dir, MIGRATIONS.filter((m) => m.version <= 5));
    insertStudyAndSeries(v5.db, [6, 5, 4]);
    v5.db.exec(`UPDATE series SET imported_at = '2025-12-01T00:00:00.000Z'`);
    v5.db.exec(`INSERT INTO segmentations (series_id, label_type, segments, label_file, created_at, updated_at, review_state) VALUES (1, 'uint8', '[]', '', 'now', '2026-01-02T03:04:05.000Z', 'submitted')`);
    v5.db.close();
    const upgraded = openDatabase(dir);
    assert.deepEqual(upgraded.applied, MIGRATIONS.filter((m) => m.version >= 6).map((m) => m.version));
    const audit = new AuditLog(upgraded.db, 'x');
    const [row] = new WorklistRepo(upgraded.db, audit, 'x').list();
    assert.equal(row!.status, 'submitted');
    assert.equal(row!.assignee, null);
    assert.equal(row!.lastChange, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(new BatchStore(upgraded.db, dir).list(), []);
    upgraded.db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
