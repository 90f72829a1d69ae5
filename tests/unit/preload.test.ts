import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';
import { EVENT_NAMES, METHODS } from '../../src/shared/contract.js';
import { IPC_CALL_CHANNEL, IPC_DROP_CHANNEL, IPC_EVENT_CHANNEL, type PreloadApi } from '../../src/shared/preload-api.js';

const BUNDLE = 'dist/preload/preload.cjs';

/**
 * Electron cannot be loaded here, so the built preload bundle runs in a vm context whose
 * require('electron') records what the preload hands to contextBridge and sends over ipcRenderer.
 */
function loadPreload() {
  const exposed: Record<string, unknown> = {};
  const invoked: unknown[][] = [];
  const listeners = new Map<string, ((...args: unknown[]) => void)[]>();
  const required: string[] = [];
  /** Electron's webUtils.getPathForFile: the OS path of a File the user dropped or chose, '' for one a page made */
  const osFiles = new Map<object, string>();
  const electron = {
    webUtils: {
      getPathForFile: (file: object) => {
        if (typeof file !== 'object' || file === null) throw new TypeError('not a File');
        return osFiles.get(file) ?? '';
      },
    },
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: (...args: unknown[]) => (invoked.push(args), Promise.resolve(args[0] === IPC_DROP_CHANNEL ? args[1] : { ok: true, result: 'from-main' })),
      on: (channel: string, fn: (...args: unknown[]) => void) => listeners.set(channel, [...(listeners.get(channel) ?? []), fn]),
      removeListener: (channel: string, fn: (...args: unknown[]) => void) => listeners.set(channel, (listeners.get(channel) ?? []).filter((f) => f !== fn)),
    },
  };
  const module = { exports: {} };
  const require = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`preload required ${name}`);
  };
  vm.runInNewContext(fs.readFileSync(BUNDLE, 'utf8'), { require, module, exports: module.exports, TextEncoder, TextDecoder, console });
  return { exposed, invoked, listeners, required, osFiles };
}

describe('Electron preload bundle', () => {
  test('requires nothing but electron and exposes only window.delineate with call/onEvent/methods', () => {
    const { exposed, required } = loadPreload();
    assert.deepEqual([...new Set(required)], ['electron']);
    assert.deepEqual(Object.keys(exposed), ['delineate']);
    const api = exposed.delineate as PreloadApi;
    assert.deepEqual(Object.keys(api).sort(), ['call', 'droppedPaths', 'methods', 'onEvent']);
    assert.deepEqual([...api.methods], METHODS);
  });

  test('contract methods go to the one IPC channel; anything else is refused without reaching main', async () => {
    const { exposed, invoked } = loadPreload();
    const api = exposed.delineate as PreloadApi;
    assert.deepEqual(await api.call('app.info', {}), { ok: true, result: 'from-main' });
    assert.deepEqual(invoked, [[IPC_CALL_CHANNEL, 'app.info', {}]]);
    const refused = await api.call('fs.readFile', { path: '/etc/passwd' });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'unknown_method');
    assert.equal(invoked.length, 1);
  });

  test('only declared events reach the renderer, and unsubscribe works', () => {
    const { exposed, listeners } = loadPreload();
    const api = exposed.delineate as PreloadApi;
    const seen: string[] = [];
    const off = api.onEvent((name) => seen.push(name));
    const fire = (name: string) => listeners.get(IPC_EVENT_CHANNEL)!.forEach((fn) => fn({}, name, {}));
    fire(EVENT_NAMES[0]!);
    fire('internal.secret');
    assert.deepEqual(seen, [EVENT_NAMES[0]]);
    off();
    assert.equal(listeners.get(IPC_EVENT_CHANNEL)!.length, 0);
  });

  test('dropped files: only real OS paths go to main, on the drop channel; a page-made File sends nothing', async () => {
    const { exposed, invoked, osFiles } = loadPreload();
    const api = exposed.delineate as PreloadApi;
    const dropped = { name: 'ct' };
    const forged = { name: '/etc/passwd' };
    osFiles.set(dropped, '/home/user/ct');
    // (arrays made inside the vm context: copied into this realm to compare)
    assert.deepEqual([...(await api.droppedPaths([forged, 'not a file', null]))], []);
    assert.deepEqual(invoked, [], 'nothing reached main');
    assert.deepEqual([...(await api.droppedPaths([forged, dropped]))], ['/home/user/ct']);
    assert.deepEqual((invoked as unknown[][]).map(([channel, paths]) => [channel, [...(paths as string[])]]), [[IPC_DROP_CHANNEL, ['/home/user/ct']]]);
  });
});
