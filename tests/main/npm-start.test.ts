// `npm start` on a machine without the Electron binary (as here): scripts/start.mjs says so in plain
// words, starts the browser host with `serve --open` and the arguments it was given, does not try to
// open a browser when told not to (DELINEATE_NO_OPEN=1), and the URL it prints serves the UI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { electronStatus } from '../../src/main/cli/doctor.js';
import { tempDir } from '../helpers/dicom-fixtures.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const electron = electronStatus();

test(
  'npm start without Electron: the plain message, then the browser host on the printed URL',
  { timeout: 60_000, skip: electron.installed ? `the Electron binary is installed (${electron.detail}): npm start launches the desktop app, see tests/e2e/electron-smoke.test.ts` : false },
  async () => {
    const root = tempDir('npm-start');
    const dataDir = path.join(root, 'data');
    // run from another folder: the script finds the app from its own location
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'start.mjs'), '--port', '0', '--data-dir', dataDir], {
      cwd: root,
      env: { ...process.env, DELINEATE_NO_OPEN: '1', DISPLAY: ':99', DELINEATE_SETTINGS_FILE: path.join(root, 'settings.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const deadline = Date.now() + 30_000;
      let url: string | null = null;
      while (!url) {
        if (child.exitCode !== null) assert.fail(`start.mjs exited with ${child.exitCode}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) assert.fail(`no URL printed in 30 s:\n${stdout}\n${stderr}`);
        url = /^Delineate listening on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(stdout)?.[1] ?? null;
        await new Promise((r) => setTimeout(r, 50));
      }
      // the sentence comes first, naming why
      const lines = stdout.split('\n');
      assert.match(lines[0]!, /^Electron is not installed on this machine: .*binary.*\. Delineate is starting its browser host instead/);
      // --open was passed to serve, and DELINEATE_NO_OPEN=1 kept it from starting a browser despite DISPLAY
      assert.match(stderr, /DELINEATE_NO_OPEN=1: not opening a browser/);
      // the arguments reached serve: the store is in the data dir given
      assert.ok(fs.existsSync(dataDir), `${dataDir} was created by serve`);

      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      assert.match(html, /<title>Delineate<\/title>/);
      assert.match(html, /<div id="app"><\/div>/);
      const noToken = await fetch(new URL('/', url));
      assert.equal(noToken.status, 401, 'the UI needs the token');

      // stopping npm start stops the host it started
      child.kill('SIGTERM');
      await once(child, 'exit');
      await assert.rejects(fetch(url), 'nothing listens on the port any more');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
);
