import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { dispatch } from '../../src/main/services/dispatch.js';
import { startBrowserHost, type BrowserHost } from '../../src/main/host/browser-host.js';
import { resolveDataDir } from '../../src/main/data-dir.js';
import { SettingsStore, DEFAULT_SETTINGS } from '../../src/main/settings/settings-store.js';
import { aboutInfo } from '../../src/main/about.js';
import { MAX_CRASH_LOGS } from '../../src/main/crash-log.js';
import { AboutInfoSchema, SettingsInfoSchema } from '../../src/shared/desktop.js';
import type { JobInfo } from '../../src/shared/jobs.js';
import type { SegmentResult } from '../../src/shared/inference/segment-result.js';
import type { ImportReport } from '../../src/shared/studies.js';
import { ballVolume, importCohort, typicalCase } from '../helpers/curation-fixtures.js';
import { testManifest, thresholdModel, writeModelPackage } from '../helpers/model-packages.js';
import { makeSeries } from '../helpers/dicom-fixtures.js';

const T = { timeout: 60_000 };
let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-desktop-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

async function call<R = any>(services: AppServices, method: string, params: unknown = {}): Promise<R> {
  const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
  if (!outcome.ok) throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
  return outcome.result as R;
}

async function callError(services: AppServices, method: string, params: unknown): Promise<{ code: string; message: string }> {
  const outcome = await dispatch(services.handlers, method, params, { host: 'test' });
  assert.equal(outcome.ok, false, `${method} should fail`);
  return (outcome as { ok: false; error: { code: string; message: string } }).error;
}

describe('settings', () => {
  test('defaults without a file; update writes JSON atomically and a new store reads it back', () => {
    const file = path.join(root, 's1', 'config', 'settings.json');
    const store = new SettingsStore({ file, activeDataDir: path.join(root, 's1', 'data') });
    assert.deepEqual(store.current, DEFAULT_SETTINGS);
    assert.equal(fs.existsSync(file), false, 'reading does not create the file');
    const info = store.update({ cpuThreads: 3, useGpu: false, defaultAuthor: '  Dr Who  ' });
    assert.deepEqual(info.settings, { dataDir: null, useGpu: false, cpuThreads: 3, defaultAuthor: 'Dr Who' });
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), info.settings);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['settings.json'], 'no temporary file is left behind');
    assert.deepEqual(new SettingsStore({ file, activeDataDir: '/x' }).current, info.settings);
  });

  test('a corrupt file: warning, defaults, and the bad file kept as settings.json.bad-<time>', () => {
    const dir = path.join(root, 's2');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, '{"useGpu": tru');
    const warnings: string[] = [];
    const store = new SettingsStore({ file, activeDataDir: dir, warn: (m) => warnings.push(m) });
    assert.deepEqual(store.current, DEFAULT_SETTINGS);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /settings\.json is invalid \(not JSON/);
    const kept = fs.readdirSync(dir).filter((f) => f.startsWith('settings.json.bad-'));
    assert.equal(kept.length, 1);
    assert.match(warnings[0]!, new RegExp(kept[0]!.replace(/\./g, '\\.')));
    assert.equal(fs.readFileSync(path.join(dir, kept[0]!), 'utf8'), '{"useGpu": tru');
    assert.equal(fs.existsSync(file), false);
  });

  test('a file with a wrong value is invalid too (named in the warning); unknown keys are ignored', () => {
    const dir = path.join(root, 's3');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, JSON.stringify({ cpuThreads: -4 }));
    const warnings: string[] = [];
    assert.deepEqual(new SettingsStore({ file, activeDataDir: dir, warn: (m) => warnings.push(m) }).current, DEFAULT_SETTINGS);
    assert.match(warnings[0]!, /cpuThreads/);
    fs.writeFileSync(file, JSON.stringify({ cpuThreads: 2, fromTheFuture: true }));
    assert.equal(new SettingsStore({ file, activeDataDir: dir, warn: (m) => warnings.push(m) }).current.cpuThreads, 2);
    assert.equal(warnings.length, 1);
  });

  test('dataDir must be absolute, creatable and writable; a change asks for a restart; resolveDataDir follows it', () => {
    const file = path.join(root, 's4', 'settings.json');
    const active = path.join(root, 's4', 'active');
    fs.mkdirSync(path.dirname(file));
    const store = new SettingsStore({ file, activeDataDir: active });
    assert.throws(() => store.update({ dataDir: 'relative/dir' }), /must be an absolute path/);
    const blocker = path.join(root, 's4', 'a-file');
    fs.writeFileSync(blocker, 'x');
    assert.throws(() => store.update({ dataDir: blocker }), /is not a folder/);
    assert.throws(() => store.update({ dataDir: path.join(blocker, 'below') }), /is not a folder|cannot be created/);
    if (process.getuid?.() !== 0) {
      const locked = path.join(root, 's4', 'locked');
      fs.mkdirSync(locked, { mode: 0o500 });
      assert.throws(() => store.update({ dataDir: locked }), /is not writable: EACCES/);
    }
    assert.equal(fs.existsSync(file), false, 'nothing was saved by the refused updates');
    const chosen = path.join(root, 's4', 'new-store');
    const info = store.update({ dataDir: chosen });
    assert.equal(info.settings.dataDir, chosen);
    assert.deepEqual(info.restartNeeded, ['dataDir']);
    assert.equal(info.activeDataDir, active);
    assert.ok(fs.statSync(chosen).isDirectory(), 'created');
    const env = { DELINEATE_SETTINGS_FILE: file, HOME: root } as NodeJS.ProcessEnv;
    assert.equal(resolveDataDir(undefined, env), chosen, 'the settings decide without a flag or DELINEATE_DATA_DIR');
    assert.equal(resolveDataDir(undefined, { ...env, DELINEATE_DATA_DIR: '/env/dir' }), '/env/dir');
    assert.equal(resolveDataDir('/flag/dir', { ...env, DELINEATE_DATA_DIR: '/env/dir' }), '/flag/dir');
    assert.deepEqual(store.update({ dataDir: null }).restartNeeded, [], 'back to the store in use: no restart');
  });

  test('through the contract: settings.update applies author, GPU and threads to app.info and the next AI run', T, async () => {
    const dataDir = path.join(root, 'svc');
    const settingsFile = path.join(root, 'svc-settings.json');
    const services = createServices({ dataDir, host: 'test', settingsFile });
    try {
      const [seriesId] = await importCohort(services, path.join(root, 'svc-cohort'), [ballVolume(typicalCase(0), 1)]);
      await call(services, 'models.add', { path: writeModelPackage(path.join(root, 'pkg'), testManifest('threshold-50'), thresholdModel(50)) });
      const bad = await callError(services, 'settings.update', { cpuThreads: 1.5 });
      assert.equal(bad.code, 'invalid_params');
      assert.equal((await callError(services, 'settings.update', { dataDir: 'nope' })).message, 'The data directory must be an absolute path, got "nope"');
      const info = SettingsInfoSchema.parse(await call(services, 'settings.update', { cpuThreads: 1, useGpu: false, defaultAuthor: 'Ada Lovelace' }));
      assert.equal(info.file, settingsFile);
      assert.equal(info.activeDataDir, dataDir);
      assert.deepEqual(await call(services, 'settings.get'), info);
      const appInfo = await call(services, 'app.info');
      assert.equal(appInfo.compute.cpuThreads, 1);
      assert.equal(appInfo.compute.active, 'cpu');
      assert.equal(appInfo.compute.reason, 'CPU: GPU use is turned off in settings.');
      assert.equal((await call(services, 'users.list')).current, 'Ada Lovelace');
      const job = await call<JobInfo>(services, 'inference.segment', { seriesId, modelId: 'threshold-50', provider: 'auto' });
      const done = await services.jobs.wait(job.id);
      assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
      const result = done.result as SegmentResult;
      assert.equal(result.providerReason, 'CPU (1 thread): GPU use is turned off in settings.');
      const versions = await call(services, 'segmentation.versions', { id: result.segmentationId });
      assert.equal(versions.at(-1).author, 'Ada Lovelace');
    } finally {
      await services.close();
    }
    // a new session starts as the default author
    const again = createServices({ dataDir, host: 'test', settingsFile });
    try {
      assert.equal((await call(again, 'users.list')).current, 'Ada Lovelace');
      assert.equal((await call(again, 'settings.get')).settings.cpuThreads, 1);
    } finally {
      await again.close();
    }
  });
});

describe('about', () => {
  test('components from the installed packages; third-party list and license text from the build', () => {
    const dist = path.join(root, 'about-dist');
    fs.mkdirSync(dist);
    const args = { sqliteVersion: '3.99.0', crashLogDir: '/data/logs', distDir: dist, root: process.cwd() };
    assert.throws(() => aboutInfo(args), /third-party license files were not built \(.*third-party\.json, .*THIRD_PARTY_LICENSES\.txt missing\)/);
    fs.writeFileSync(path.join(dist, 'third-party.json'), JSON.stringify([{ name: 'zod', version: '4.6.7', license: 'MIT' }]));
    fs.writeFileSync(path.join(dist, 'THIRD_PARTY_LICENSES.txt'), 'zod 4.6.7 MIT\nPermission is hereby granted...\n');
    assert.throws(() => aboutInfo(args), /third-party\.json is not a list of \{name, version, license, kind\}: 0\.kind/);
    fs.writeFileSync(path.join(dist, 'third-party.json'), JSON.stringify([{ name: 'zod', version: '4.6.7', license: 'MIT', kind: 'package' }]));
    const about = AboutInfoSchema.parse(aboutInfo(args));
    const version = (name: string) => about.components.find((c) => c.name === name)?.version;
    const pkg = (name: string) => (JSON.parse(fs.readFileSync(path.join('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(version('Node.js'), process.versions.node);
    assert.equal(version('Host'), 'browser host (delineate serve)');
    assert.equal(version('Electron'), undefined);
    assert.equal(version('SQLite'), '3.99.0');
    assert.equal(version('ONNX Runtime'), pkg('onnxruntime-node'));
    assert.equal(version('vtk.js'), pkg('@kitware/vtk.js'));
    assert.equal(version('Svelte'), pkg('svelte'));
    assert.equal(version('dcmjs'), pkg('dcmjs'));
    assert.equal(version('better-sqlite3'), pkg('better-sqlite3'));
    assert.deepEqual(about.thirdParty, [{ name: 'zod', version: '4.6.7', license: 'MIT', kind: 'package' }]);
    assert.match(about.licensesText, /Permission is hereby granted/);
    assert.equal(about.crashLogDir, '/data/logs');
    const electron = aboutInfo({ ...args, versions: { ...process.versions, electron: '45.4.1', chrome: '140.0.1', v8: '14.0' } as NodeJS.ProcessVersions });
    assert.deepEqual(electron.components.slice(1, 4), [
      { name: 'Electron', version: '45.4.1' },
      { name: 'Chromium', version: '140.0.1' },
      { name: 'V8', version: '14.0' },
    ]);
  });
});

describe('recent studies', () => {
  test('markOpened keeps the newest 10, newest first, emits store.changed recent; unknown study → not_found', T, async () => {
    const dataDir = path.join(root, 'recent');
    const services = createServices({ dataDir, host: 'test', settingsFile: path.join(root, 'recent-settings.json') });
    try {
      const insert = services.db.prepare(
        "INSERT INTO studies (study_instance_uid, patient_name, patient_id, patient_birth_date, patient_sex, study_date, study_time, description, accession_number, created_at) VALUES (?, ?, '', '', '', '', '', ?, '', 'now')",
      );
      const ids = Array.from({ length: 12 }, (_, i) => Number(insert.run(`1.2.${i}`, `Patient^${i}`, `Study ${i}`).lastInsertRowid));
      const events: unknown[] = [];
      services.bus.subscribe((name, payload) => name === 'store.changed' && events.push(payload));
      assert.deepEqual(await call(services, 'studies.recent'), []);
      for (const id of ids) await call(services, 'studies.markOpened', { studyId: id });
      await call(services, 'studies.markOpened', { studyId: ids[5]! }); // again: moves to the top
      const recent = await call<{ studyId: number; patientName: string; description: string; openedAt: string }[]>(services, 'studies.recent');
      assert.deepEqual(
        recent.map((r) => r.studyId),
        [ids[5], ids[11], ids[10], ids[9], ids[8], ids[7], ids[6], ids[4], ids[3], ids[2]],
      );
      assert.equal(recent[0]!.patientName, 'Patient^5');
      assert.equal(recent[0]!.description, 'Study 5');
      assert.ok(!Number.isNaN(Date.parse(recent[0]!.openedAt)));
      assert.equal(events.length, 13);
      assert.deepEqual(events.at(-1), { entity: 'recent', ids: [String(ids[5])] });
      assert.equal((await callError(services, 'studies.markOpened', { studyId: 999 })).code, 'not_found');
      services.db.prepare('DELETE FROM studies WHERE id = ?').run(ids[11]);
      assert.equal((await call<unknown[]>(services, 'studies.recent')).length, 9, 'a deleted study leaves the list');
    } finally {
      await services.close();
    }
  });
});

describe('crash logs', () => {
  // the compiled module beside this compiled test
  const moduleUrl = () => new URL('../../src/main/crash-log.js', import.meta.url).href;
  const crash = (dataDir: string, how: 'throw' | 'reject') =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { installCrashLog } = await import(${JSON.stringify(moduleUrl())});
         installCrashLog(${JSON.stringify(dataDir)}, { host: 'test' });
         setTimeout(() => { ${how === 'throw' ? "throw new TypeError('boom in a timer')" : "Promise.reject(new RangeError('rejected and nobody listened'))"}; }, 5);
         setTimeout(() => {}, 5000);`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );

  test('an uncaught exception in a child process writes logs/crash-<iso>.log and exits 1', () => {
    const dataDir = path.join(root, 'crash');
    const run = crash(dataDir, 'throw');
    assert.equal(run.status, 1, run.stderr);
    const logs = fs.readdirSync(path.join(dataDir, 'logs'));
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^crash-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.log$/);
    const text = fs.readFileSync(path.join(dataDir, 'logs', logs[0]!), 'utf8');
    assert.match(text, /crash \(uncaughtException\)/);
    assert.match(text, /message: TypeError: boom in a timer/);
    assert.match(text, /at Timeout\._onTimeout|at Timeout/);
    assert.match(text, new RegExp(`node ${process.versions.node.replace(/\./g, '\\.')}`));
    assert.match(text, /^time: \d{4}-\d\d-\d\dT/m);
    assert.match(run.stderr, /A crash log was written to .*crash-.*\.log \(it stays on this computer\)/);
  });

  test('an unhandled rejection is logged too, and only the newest 20 logs are kept', () => {
    const dataDir = path.join(root, 'crash-many');
    const logs = path.join(dataDir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    for (let i = 0; i < 25; i++) fs.writeFileSync(path.join(logs, `crash-2020-01-01T00-00-${String(i).padStart(2, '0')}.000Z.log`), 'old');
    fs.writeFileSync(path.join(logs, 'notes.txt'), 'not a crash log');
    const run = crash(dataDir, 'reject');
    assert.equal(run.status, 1, run.stderr);
    const left = fs.readdirSync(logs).filter((f) => f.startsWith('crash-')).sort();
    assert.equal(left.length, MAX_CRASH_LOGS);
    assert.equal(left[0], 'crash-2020-01-01T00-00-06.000Z.log', 'the oldest went first');
    assert.match(fs.readFileSync(path.join(logs, left.at(-1)!), 'utf8'), /unhandledRejection[\s\S]*RangeError: rejected and nobody listened/);
    assert.ok(fs.existsSync(path.join(logs, 'notes.txt')), 'other files are left alone');
  });
});

describe('uploads (browser host POST /upload/<batch>/<path>)', () => {
  let services: AppServices;
  let host: BrowserHost;
  let dataDir: string;
  let dicomDir: string;

  before(async () => {
    dataDir = path.join(root, 'upload-data');
    const rendererDir = path.join(root, 'upload-renderer');
    fs.mkdirSync(rendererDir);
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    services = createServices({ dataDir, host: 'browser', settingsFile: path.join(root, 'upload-settings.json') });
    host = await startBrowserHost({ services, rendererDir, uploadLimits: { maxFileBytes: 64 * 1024, maxBatchBytes: 256 * 1024 } });
    dicomDir = makeSeries(path.join(root, 'upload-dicom'), [{ name: 'ct', slices: 4, rows: 8, cols: 8, series_number: 7 }]);
  });
  after(async () => {
    await host?.close();
    await services?.close();
  });

  function post(requestPath: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: host.port, path: requestPath, method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)), ...headers }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve({ status: -1, body: err.code }) : reject(err)));
      req.end(body);
    });
  }
  const own = () => ({ cookie: `delineate_token_${host.port}=${host.token}`, origin: `http://127.0.0.1:${host.port}`, host: `127.0.0.1:${host.port}` });
  const batchDir = (batch: string) => path.join(dataDir, 'uploads', batch);

  test('no token → 401, foreign Origin or Host → 403, GET → 405; nothing written', async () => {
    const { cookie: _cookie, ...noToken } = own();
    assert.equal((await post('/upload/batch0001/a.dcm', 'x', noToken)).status, 401);
    assert.equal((await post('/upload/batch0001/a.dcm', 'x', { ...own(), cookie: `delineate_token_${host.port}=wrong` })).status, 401);
    const foreign = await post('/upload/batch0001/a.dcm', 'x', { ...own(), origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.match(foreign.body.error.message, /only from the Delineate page/);
    const { origin: _origin, ...noOrigin } = own();
    assert.equal((await post('/upload/batch0001/a.dcm', 'x', noOrigin)).status, 403);
    assert.equal((await post('/upload/batch0001/a.dcm', 'x', { ...own(), host: 'evil.example' })).status, 403);
    assert.equal(fs.existsSync(batchDir('batch0001')), false);
  });

  test("'../', absolute and encoded traversal paths and bad batch ids → 400", async () => {
    for (const bad of ['/upload/batch0002/../../escape.dcm', '/upload/batch0002/a/../../../escape.dcm', '/upload/batch0002//etc/passwd', '/upload/batch0002/%2e%2e/escape.dcm', '/upload/batch0002/a%2F..%2F..%2Fescape.dcm', '/upload/batch0002/C%3A%5Cwin.dcm', '/upload/ba/a.dcm', '/upload/../x/a.dcm', '/upload/batch0002']) {
      const res = await post(bad, 'x', own());
      assert.equal(res.status, 400, `${bad}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, /^Bad upload path: /);
    }
    assert.equal(fs.existsSync(path.join(dataDir, 'escape.dcm')), false);
    assert.equal(fs.existsSync(path.join(dataDir, 'uploads', 'escape.dcm')), false);
    assert.equal(fs.existsSync(batchDir('batch0002')), false);
  });

  test('a file over the cap → 413 and no file', async () => {
    const res = await post('/upload/batch0003/big.dcm', Buffer.alloc(65 * 1024), own());
    assert.ok(res.status === 413 || res.status === -1, String(res.status));
    if (res.status === 413) assert.match(res.body.error.message, /exceeds the 65536-byte limit/);
    assert.deepEqual(fs.existsSync(batchDir('batch0003')) ? fs.readdirSync(batchDir('batch0003')) : [], []);
  });

  test('happy path: files land under uploads/<batch>/<path>; uploads.import imports them and removes what no series uses', T, async () => {
    const files = fs.readdirSync(path.join(dicomDir, 'ct')).sort();
    assert.equal(files.length, 4);
    for (const name of files) {
      const res = await post(`/upload/batch0004/dropped%20folder/ct/${encodeURIComponent(name)}`, fs.readFileSync(path.join(dicomDir, 'ct', name)), own());
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body, { batchId: 'batch0004', path: `dropped folder/ct/${name}`, bytes: fs.statSync(path.join(dicomDir, 'ct', name)).size });
    }
    assert.equal((await post('/upload/batch0004/dropped%20folder/notes.txt', 'not an image', own())).status, 201);
    for (const name of files) assert.deepEqual(fs.readFileSync(path.join(batchDir('batch0004'), 'dropped folder', 'ct', name)), fs.readFileSync(path.join(dicomDir, 'ct', name)));
    assert.equal((await callError(services, 'uploads.import', { batchId: 'nothing-here' })).code, 'not_found');
    const job = await call<JobInfo>(services, 'uploads.import', { batchId: 'batch0004' });
    assert.equal(job.label, 'Import dropped files');
    const done = await services.jobs.wait(job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    const report = done.result as ImportReport;
    assert.equal(report.series.length, 1);
    assert.equal(report.series[0]!.dims.join('x'), '8x8x4');
    await new Promise((r) => setTimeout(r, 50)); // the clean-up follows the job's end
    assert.equal(fs.existsSync(path.join(batchDir('batch0004'), 'dropped folder', 'notes.txt')), false, 'the skipped file is gone');
    assert.deepEqual(fs.readdirSync(path.join(batchDir('batch0004'), 'dropped folder', 'ct')).sort(), files, 'the series keeps its source files (DICOM exports read them)');
  });
});
