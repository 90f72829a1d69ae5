// App-level desktop integration in the browser host (real delineate serve + Chromium): files and a .zip
// dropped onto the window are uploaded, imported and opened; Settings persist across a reload and
// apply to the next AI run and the next saved version; About shows versions and the license text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { zipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, waitUntil } from '../helpers/browser.js';
import { makeSeries, tempDir } from '../helpers/dicom-fixtures.js';
import { testManifest, thresholdModel, writeModelPackage } from '../helpers/model-packages.js';
import { callStore } from '../helpers/store-call.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const T = { timeout: 90_000 };

/** Files for the page: name and bytes (base64, since page.evaluate arguments are JSON). */
type PageFile = { name: string; base64: string };
const pageFile = (name: string, bytes: Uint8Array): PageFile => ({ name, base64: Buffer.from(bytes).toString('base64') });

/** Dispatch real dragenter (then optionally drop) events carrying a DataTransfer of File objects (run in the page). */
const DRAG_SCRIPT = `({ files, drop }) => {
  const transfer = new DataTransfer();
  for (const f of files) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
  const target = document.querySelector('main') ?? document.body;
  target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  if (drop) target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
}`;

async function drag(page: Page, files: PageFile[], drop: boolean): Promise<void> {
  await page.evaluate(`(${DRAG_SCRIPT})(${JSON.stringify({ files, drop })})`);
}

describe('desktop integration in the browser host (real delineate serve + Chromium)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let root: string;
  let dataDir: string;
  let settingsFile: string;
  let folderFiles: PageFile[];
  let zipFile: PageFile;

  before(async () => {
    root = tempDir('e2e-desktop');
    dataDir = path.join(root, 'data');
    settingsFile = path.join(root, 'config', 'settings.json');
    makeSeries(path.join(root, 'in'), [
      { name: 'dropped', study_uid: '1.2.826.0.1.3680043.8.498.901', slices: 6, rows: 16, cols: 16, series_number: 4, patient_name: 'Drop^Folder' },
      { name: 'zipped', study_uid: '1.2.826.0.1.3680043.8.498.902', slices: 5, rows: 12, cols: 12, series_number: 5, patient_name: 'Zip^Archive' },
    ]);
    const read = (dir: string) => fs.readdirSync(path.join(root, 'in', dir)).sort().map((name) => [name, new Uint8Array(fs.readFileSync(path.join(root, 'in', dir, name)))] as const);
    folderFiles = read('dropped').map(([name, bytes]) => pageFile(name, bytes));
    zipFile = pageFile('zipped-study.zip', zipSync(Object.fromEntries(read('zipped').map(([name, bytes]) => [`zipped/${name}`, bytes]))));
    fs.mkdirSync(dataDir, { recursive: true });
    await callStore(dataDir, 'models.add', { path: writeModelPackage(path.join(root, 'model'), testManifest('threshold-desktop'), thresholdModel(-300)) });
    serve = await startServe({ dataDir, env: { DELINEATE_SETTINGS_FILE: settingsFile } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(serve.url);
    await page.locator('[data-testid="connection"]', { hasText: 'Connected' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('dropping a DICOM series: the overlay shows, the files upload, the study appears and its series opens', T, async () => {
    await drag(page, folderFiles, false);
    await page.locator('[data-testid="drop-overlay"]').waitFor();
    await screenshot(page, 'desktop-drop-overlay');
    await drag(page, folderFiles, true);
    await page.locator('[data-testid="drop-overlay"]').waitFor({ state: 'detached' });
    await page.locator('[data-testid="study-row"]', { hasText: 'Drop' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="series-row"].open', { hasText: 'dropped' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('[data-testid="drop-status"]').count(), 0, 'no error left on screen');
    // the upload went to <dataDir>/uploads/<batch>/ and the series was made from it
    const batches = fs.readdirSync(path.join(dataDir, 'uploads'));
    assert.equal(batches.length, 1);
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'uploads', batches[0]!)).sort(), folderFiles.map((f) => f.name));
    // opening the series made the study recent
    await page.locator('[data-testid="recent-study"]', { hasText: 'Drop' }).waitFor();
  });

  test('dropping a .zip: imported through the same upload, the uploaded archive removed afterwards', T, async () => {
    await drag(page, [zipFile], true);
    await page.locator('[data-testid="series-row"].open', { hasText: 'zipped' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid="study-row"]').count(), 2);
    const recent = await page.locator('[data-testid="recent-study"]').allInnerTexts();
    assert.equal(recent.length, 2);
    assert.match(recent[0]!, /Zip/);
    assert.match(recent[1]!, /Drop/);
    // the archive is unpacked under extracted/ by the importer; the uploaded copy is gone
    const leftovers = await waitUntil(
      async () => fs.readdirSync(path.join(dataDir, 'uploads')).flatMap((b) => fs.readdirSync(path.join(dataDir, 'uploads', b))),
      (names) => !names.includes('zipped-study.zip'),
    );
    assert.ok(!leftovers.includes('zipped-study.zip'));
    // File > Open recent opens the other study again
    await page.locator('[data-testid="app-menu-button"]').click();
    await page.getByRole('menuitem', { name: /Drop/ }).click();
    await page.locator('[data-testid="series-row"].open', { hasText: 'dropped' }).waitFor({ timeout: 15_000 });
  });

  test('dropping a folder from the OS (Chromium\'s own drag of a real path): it is walked, nested files uploaded with their folders, imported and opened', T, async () => {
    // a folder with the series one level down, as a user drags it from a file manager
    const osFolder = path.join(root, 'os', 'os-folder');
    makeSeries(osFolder, [{ name: 'nested', study_uid: '1.2.826.0.1.3680043.8.498.903', slices: 4, rows: 10, cols: 10, series_number: 6, patient_name: 'Os^Folder' }]);
    const names = fs.readdirSync(path.join(osFolder, 'nested')).sort();
    const before = new Set(fs.readdirSync(path.join(dataDir, 'uploads')));
    // CDP's drag goes through the browser's real drop path: DataTransfer items backed by the file
    // system, so webkitGetAsEntry() gives a directory entry to walk (a page script cannot make one)
    const cdp = await page.context().newCDPSession(page);
    const data = { items: [], files: [osFolder], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, x: 640, y: 420, data });
    await page.locator('[data-testid="series-row"].open', { hasText: 'nested' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="study-row"]', { hasText: 'Os, Folder' }).waitFor();
    const batch = fs.readdirSync(path.join(dataDir, 'uploads')).filter((b) => !before.has(b));
    assert.equal(batch.length, 1, 'one upload batch for the drop');
    const uploaded = (fs.readdirSync(path.join(dataDir, 'uploads', batch[0]!), { recursive: true }) as string[])
      .map((f) => f.split(path.sep).join('/'))
      .filter((f) => fs.statSync(path.join(dataDir, 'uploads', batch[0]!, f)).isFile())
      .sort();
    assert.deepEqual(uploaded, names.map((n) => `os-folder/nested/${n}`), 'the folder structure was kept');
    await cdp.detach();
  });

  test('Settings: change threads, GPU and author, save, reload: the values persist and the next AI run and version use them', T, async () => {
    await page.keyboard.press('Control+,');
    const dialog = page.locator('[data-testid="settings-dialog"]');
    await dialog.waitFor();
    await waitUntil(() => page.locator('[data-testid="settings-cpu-threads"]').inputValue(), (v) => v === '0');
    await page.locator('[data-testid="settings-cpu-threads"]').fill('1');
    await page.locator('[data-testid="settings-use-gpu"]').uncheck();
    await page.locator('[data-testid="settings-author"]').fill('Dr. Desktop E2E');
    await page.locator('[data-testid="settings-data-dir"]').fill('not/absolute');
    await page.locator('[data-testid="settings-save"]').click();
    await page.locator('[data-testid="settings-error"]', { hasText: 'The data directory must be an absolute path, got "not/absolute"' }).waitFor();
    const nextStore = path.join(root, 'next-store');
    await page.locator('[data-testid="settings-data-dir"]').fill(nextStore);
    await page.locator('[data-testid="settings-save"]').click();
    await page.locator('[data-testid="settings-saved"]').waitFor();
    await page.locator('[data-testid="settings-restart"]').waitFor();
    await screenshot(page, 'desktop-settings');
    assert.deepEqual(JSON.parse(fs.readFileSync(settingsFile, 'utf8')), { dataDir: nextStore, useGpu: false, cpuThreads: 1, defaultAuthor: 'Dr. Desktop E2E' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.reload();
    await page.locator('[data-testid="connection"]', { hasText: 'Connected' }).waitFor();
    await page.locator('[data-testid="app-menu-button"]').click();
    await page.locator('[data-testid="menu-settings"]').click();
    await waitUntil(() => page.locator('[data-testid="settings-cpu-threads"]').inputValue(), (v) => v === '1');
    assert.equal(await page.locator('[data-testid="settings-author"]').inputValue(), 'Dr. Desktop E2E');
    assert.equal(await page.locator('[data-testid="settings-use-gpu"]').isChecked(), false);
    assert.equal(await page.locator('[data-testid="settings-data-dir"]').inputValue(), nextStore);
    // back to the store in use: no restart pending
    await page.locator('[data-testid="settings-data-dir"]').fill('');
    await page.locator('[data-testid="settings-save"]').click();
    await page.locator('[data-testid="settings-saved"]').waitFor();
    assert.equal(await page.locator('[data-testid="settings-restart"]').count(), 0);
    await page.getByRole('button', { name: 'Close' }).click();
    assert.equal(await page.locator('[data-testid="author"]').inputValue(), 'Dr. Desktop E2E');
    assert.match((await page.locator('[data-testid="compute-provider"]').getAttribute('title')) ?? '', /GPU use is turned off in settings/);

    // the next AI run uses one CPU thread, and its version is recorded under the new author
    await page.locator('[data-testid="open-series"]', { hasText: 'dropped' }).click();
    await page.locator('[data-view="axial"][data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="start-segmenting"]').click();
    await page.locator('[data-testid="ai-model"] option[value="threshold-desktop"]').waitFor({ state: 'attached' });
    await page.locator('[data-testid="ai-model"]').selectOption('threshold-desktop');
    await page.locator('[data-testid="ai-run"]').click();
    await page.locator('[data-testid="ai-result"]').waitFor({ timeout: 45_000 });
    assert.equal(await page.locator('[data-testid="ai-provider-used"]').textContent(), 'CPU (1 thread): GPU use is turned off in settings.');
    await page.locator('[data-testid="version-1"]', { hasText: 'Dr. Desktop E2E' }).waitFor();
  });

  test('About: component versions, the third-party list and the full license text', T, async () => {
    await page.locator('[data-testid="app-menu-button"]').click();
    await page.locator('[data-testid="menu-about"]').click();
    const dialog = page.locator('[data-testid="about-dialog"]');
    await dialog.waitFor();
    const versions = page.locator('[data-testid="about-versions"]');
    await versions.waitFor();
    const text = await versions.innerText();
    const pkg = (name: string) => (JSON.parse(fs.readFileSync(path.join('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(text, new RegExp(`Node\\.js\\s+${process.versions.node.replace(/\./g, '\\.')}`));
    assert.match(text, /browser host \(delineate serve\)/);
    assert.match(text, new RegExp(`ONNX Runtime\\s+${pkg('onnxruntime-node').replace(/\./g, '\\.')}`));
    assert.match(text, new RegExp(`vtk\\.js\\s+${pkg('@kitware/vtk.js').replace(/\./g, '\\.')}`));
    assert.match(text, /SQLite\s+3\.\d+/);
    const listed = JSON.parse(fs.readFileSync(path.join('dist', 'third-party.json'), 'utf8')) as unknown[];
    assert.equal(await page.locator('[data-testid="about-third-party"] tbody tr').count(), listed.length);
    const licenses = await page.locator('[data-testid="about-licenses"]').innerText();
    assert.equal(licenses.trim(), fs.readFileSync(path.join('dist', 'THIRD_PARTY_LICENSES.txt'), 'utf8').trim());
    await screenshot(page, 'desktop-about');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('Ctrl+O in the browser host (no file dialog) focuses the typed-path import form', T, async () => {
    await page.locator('[data-testid="status-bar"]').click();
    await page.keyboard.press('Control+o');
    await waitUntil(() => page.evaluate<string>("document.activeElement?.id ?? ''"), (id) => id === 'import-paths');
  });
});
