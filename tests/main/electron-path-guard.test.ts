import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices, type AppServices } from '../../src/main/services/app-services.js';
import { createCallHandler, createDropHandler } from '../../src/main/electron/ipc.js';
import { createPathPicker } from '../../src/main/electron/dialogs.js';
import { PathGrants } from '../../src/main/electron/path-grants.js';
import { APP_ENTRY_URL } from '../../src/main/electron/window-options.js';
import type { CallOutcome } from '../../src/main/services/dispatch.js';

// The Electron IPC entry points over the real services: only IPC and the dialog are stand-ins.
const mainFrame = { url: APP_ENTRY_URL, parent: null };
const trusted = { senderFrame: mainFrame, sender: { mainFrame } };
const T = { timeout: 30_000 };

let tmp: string;
let services: AppServices;
let grants: PathGrants;
let call: (method: string, params: unknown) => Promise<CallOutcome>;
let dialogAnswer: string[] = [];

const errorOf = (o: CallOutcome) => (o.ok ? null : o.error);

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-guard-'));
  grants = new PathGrants();
  const pickPaths = createPathPicker(
    { showOpen: async () => ({ canceled: false, filePaths: dialogAnswer }), showSave: async () => ({ canceled: false, filePath: dialogAnswer[0] }) },
    grants,
  );
  services = createServices({ dataDir: path.join(tmp, 'data'), host: 'electron', desktop: { pickPaths } });
  const handler = createCallHandler(services.handlers, grants);
  call = (method, params) => handler(trusted, method, params);
  fs.mkdirSync(path.join(tmp, 'picked'));
  fs.mkdirSync(path.join(tmp, 'dropped', 'inner'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'secret.dcm'), 'not for the renderer');
});

after(async () => {
  await services?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('Electron IPC path guard (real services)', () => {
  test('a path the user never picked or dropped is refused, naming it, before any service runs', T, async () => {
    const secret = path.join(tmp, 'secret.dcm');
    const refused = errorOf(await call('studies.import', { paths: [secret] }));
    assert.equal(refused?.code, 'invalid_params');
    assert.match(refused!.message, /not given access to .*secret\.dcm.*studies\.import paths\[0\]/);
    assert.deepEqual(refused!.details, { reason: 'path_not_granted', param: 'paths[0]', path: secret, access: 'read' });
    assert.deepEqual(await services.jobs.list(), [], 'no import job was started');
    for (const [method, params] of [
      ['models.add', { path: tmp }],
      ['masks.import', { seriesId: 1, path: secret }],
      ['export.mask', { segmentationId: 1, format: 'nifti', out: path.join(tmp, 'x.nii.gz') }],
      ['export.dataset', { outDir: path.join(tmp, 'ds'), name: 'Dataset501_Liver' }],
      ['reports.agreement', { outDir: path.join(tmp, 'report') }],
      ['settings.update', { dataDir: path.join(tmp, 'elsewhere') }],
      ['studies.import', { paths: ['relative/path'] }],
    ] as const) {
      assert.equal(errorOf(await call(method, params))?.details?.reason, 'path_not_granted', method);
    }
  });

  test('a folder picked in the dialog is granted: the import runs', T, async () => {
    dialogAnswer = [path.join(tmp, 'picked')];
    const picked = await call('host.pickPaths', { purpose: 'import-folder' });
    assert.deepEqual(picked, { ok: true, result: { supported: true, paths: dialogAnswer } });
    const started = await call('studies.import', { paths: [path.join(tmp, 'picked')] });
    assert.equal(started.ok, true, JSON.stringify(started));
    assert.equal(services.jobs.list().length, 1);
  });

  test('a read grant does not allow writing there; an output folder picked for writing does', T, async () => {
    const handleDrop = createDropHandler(grants);
    const dropped = path.join(tmp, 'dropped');
    assert.deepEqual(handleDrop(trusted, [dropped, path.join(tmp, 'does-not-exist'), 42, 'relative']), [dropped]);
    // reading inside a dropped folder is granted: the call reaches the service (which finds no model there)
    const add = errorOf(await call('models.add', { path: path.join(dropped, 'inner') }));
    assert.notEqual(add?.details?.reason, 'path_not_granted');
    const out = path.join(dropped, 'mask.nii.gz');
    assert.equal(errorOf(await call('export.mask', { segmentationId: 99, format: 'nifti', out }))?.details?.reason, 'path_not_granted');
    dialogAnswer = [path.join(tmp, 'exports')];
    await call('host.pickPaths', { purpose: 'output-folder' });
    const ds = errorOf(await call('export.dataset', { outDir: path.join(tmp, 'exports', 'Dataset501_Liver'), name: 'Dataset501_Liver', mappingFile: path.join(tmp, 'map.csv') }));
    assert.equal(ds?.details?.param, 'mappingFile', 'outDir inside the picked folder passes; the mapping file outside it does not');
    assert.equal(errorOf(await call('export.dataset', { outDir: path.join(tmp, 'exports', '..', 'secret-dir'), name: 'Dataset501_Liver' }))?.details?.reason, 'path_not_granted', '.. does not escape');
  });

  test('untrusted senders are refused and cannot grant', T, async () => {
    const handler = createCallHandler(services.handlers, grants);
    const sub = { url: APP_ENTRY_URL, parent: mainFrame };
    const fromSubframe = await handler({ senderFrame: sub, sender: { mainFrame } }, 'app.info', {});
    assert.equal(errorOf(fromSubframe)?.code, 'bad_request');
    const evil = { url: 'https://evil.example/', parent: null };
    assert.equal(errorOf(await handler({ senderFrame: evil, sender: { mainFrame: evil } }, 'app.info', {}))?.code, 'bad_request');
    const secret = path.join(tmp, 'secret.dcm');
    assert.deepEqual(createDropHandler(grants)({ senderFrame: evil, sender: { mainFrame: evil } }, [secret]), []);
    assert.equal(grants.allows(secret, 'read'), false);
  });

  test('jobs.start cannot run a path-taking job around the guard', T, async () => {
    const outcome = await call('jobs.start', { type: 'studies.import', params: { paths: [path.join(tmp, 'secret.dcm')] } });
    assert.equal(outcome.ok, false);
    assert.deepEqual(services.jobs.startableTypes(), [], 'no production job type is startable by name');
  });

  test('without a desktop host, host.pickPaths answers unsupported', T, async () => {
    const plain = createServices({ dataDir: path.join(tmp, 'data2'), host: 'browser' });
    try {
      assert.deepEqual(await plain.handlers['host.pickPaths']({ purpose: 'import-files' }, { host: 'browser' }), { supported: false, paths: [] });
    } finally {
      await plain.close();
    }
  });
});
