import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allowFrameNavigation, hardenContents, hardenSession, isAllowedRequestUrl, isTrustedSender } from '../../src/main/electron/harden.js';
import { appProtocolAnswer } from '../../src/main/electron/app-protocol.js';
import { APP_ENTRY_URL } from '../../src/main/electron/window-options.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp.js';
import { crashDumpsDir, crashReporterOptions, logProcessGone, processGoneLine } from '../../src/main/electron/crash-reporting.js';

/** What Electron passes to a preventable event listener. */
function preventable(extra: Record<string, unknown> = {}) {
  const e = { defaultPrevented: false, preventDefault() { e.defaultPrevented = true; }, ...extra };
  return e;
}

/** A WebContents stand-in: a real EventEmitter plus the window-open handler slot. */
class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' } | { action: 'allow' }) {
    this.openHandler = h;
  }
}

type RequestHandler = (c: unknown, p: string, cb: (g: boolean) => void, d: unknown) => void;
type CheckHandler = (c: unknown, p: string, o: string, d: unknown) => boolean;
type BeforeRequest = (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;

/** A Session stand-in: a real EventEmitter that keeps the handlers it is given. */
class FakeSession extends EventEmitter {
  request: RequestHandler | null = null;
  check: CheckHandler | null = null;
  device: ((d: unknown) => boolean) | null = null;
  display: ((r: unknown, cb: (s: Record<string, never>) => void) => void) | null = null;
  beforeRequest: BeforeRequest | null = null;
  setPermissionRequestHandler(h: RequestHandler | null) { this.request = h; }
  setPermissionCheckHandler(h: CheckHandler | null) { this.check = h; }
  setDevicePermissionHandler(h: ((d: unknown) => boolean) | null) { this.device = h; }
  setDisplayMediaRequestHandler(h: ((r: unknown, cb: (s: Record<string, never>) => void) => void) | null) { this.display = h; }
  webRequest = { onBeforeRequest: (h: BeforeRequest | null) => { this.beforeRequest = h; } };
}

describe('Electron web contents hardening', () => {
  test('navigation, redirects, webviews and new windows are refused', () => {
    const contents = new FakeContents();
    hardenContents(contents);
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const e = preventable({ url: 'https://evil.example/' });
      contents.emit(name, e, {}, {});
      assert.equal(e.defaultPrevented, true, name);
    }
    const main = preventable({ url: APP_ENTRY_URL, isMainFrame: true });
    contents.emit('will-frame-navigate', main);
    assert.equal(main.defaultPrevented, true, 'the main frame never navigates, not even within our origin');
    const remoteFrame = preventable({ url: 'https://evil.example/', isMainFrame: false });
    contents.emit('will-frame-navigate', remoteFrame);
    assert.equal(remoteFrame.defaultPrevented, true);
    const srcdoc = preventable({ url: 'about:srcdoc', isMainFrame: false });
    contents.emit('will-frame-navigate', srcdoc);
    assert.equal(srcdoc.defaultPrevented, false, 'the report iframe (srcdoc) may load');
    assert.deepEqual(contents.openHandler!({ url: APP_ENTRY_URL }), { action: 'deny' });
    assert.deepEqual(contents.openHandler!({ url: 'https://example.com' }), { action: 'deny' });
  });

  test('frame navigation rule', () => {
    assert.equal(allowFrameNavigation('about:srcdoc', false), true);
    assert.equal(allowFrameNavigation('about:blank', false), true);
    assert.equal(allowFrameNavigation('about:srcdoc', true), false);
    assert.equal(allowFrameNavigation('app://delineate/index.html', false), false);
    assert.equal(allowFrameNavigation('file:///etc/passwd', false), false);
  });

  test('the session denies every permission, download and remote request', () => {
    const session = new FakeSession();
    hardenSession(session);
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'hid', 'serial', 'fileSystem', 'openExternal']) {
      let granted: boolean | null = null;
      session.request!({}, permission, (g) => (granted = g), {});
      assert.equal(granted, false, permission);
      assert.equal(session.check!({}, permission, 'app://delineate', {}), false, permission);
    }
    assert.equal(session.device!({}), false);
    let streams: unknown = 'unset';
    session.display!({}, (s) => (streams = s));
    assert.deepEqual(streams, {});
    const download = preventable();
    session.emit('will-download', download, {}, {});
    assert.equal(download.defaultPrevented, true);
    const cancelled = (url: string) => {
      let answer: { cancel: boolean } | null = null;
      session.beforeRequest!({ url }, (r) => (answer = r));
      return answer!.cancel;
    };
    assert.equal(cancelled('app://delineate/assets/index.js'), false);
    assert.equal(cancelled('https://cdn.example.com/x.js'), true);
    assert.equal(cancelled('http://127.0.0.1:8080/'), true);
    assert.equal(cancelled('file:///etc/passwd'), true);
  });

  test('allowed request URLs: our origin and in-memory schemes only', () => {
    for (const ok of ['app://delineate/index.html', 'app://delineate/assets/a.wasm', 'data:image/png;base64,AA', 'blob:app://delineate/123', 'devtools://devtools/bundled/inspector.html']) {
      assert.equal(isAllowedRequestUrl(ok), true, ok);
    }
    for (const bad of ['app://evil/index.html', 'app://delineate.evil.com/', 'http://delineate/', 'https://example.com', 'ws://127.0.0.1:1/', 'file:///C:/Windows', 'ftp://x/', 'chrome://gpu', 'javascript:alert(1)', 'not a url', '']) {
      assert.equal(isAllowedRequestUrl(bad), false, bad);
    }
  });

  test('IPC sender: only the top-level frame of our origin', () => {
    const mainFrame = { url: APP_ENTRY_URL, parent: null };
    assert.equal(isTrustedSender({ senderFrame: mainFrame, sender: { mainFrame } }), true);
    const sub = { url: APP_ENTRY_URL, parent: mainFrame };
    assert.equal(isTrustedSender({ senderFrame: sub, sender: { mainFrame } }), false, 'a subframe of our origin');
    const other = { url: 'https://evil.example/', parent: null };
    assert.equal(isTrustedSender({ senderFrame: other, sender: { mainFrame: other } }), false, 'a navigated-away top frame');
    const orphan = { url: APP_ENTRY_URL, parent: null };
    assert.equal(isTrustedSender({ senderFrame: orphan, sender: { mainFrame } }), false, 'a top frame that is not the main frame of its contents');
    assert.equal(isTrustedSender({ senderFrame: null, sender: { mainFrame } }), false, 'a destroyed frame');
  });
});

describe('app:// protocol', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-appproto-'));
  const root = path.join(tmp, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'assets', 'a.js'), '1');
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'secret');

  test('serves files under the renderer folder with the CSP', () => {
    const a = appProtocolAnswer(root, APP_ENTRY_URL);
    assert.equal(a.status, 200);
    assert.equal(a.status === 200 && a.file, path.join(root, 'index.html'));
    assert.equal(a.headers['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
    assert.equal(a.headers['X-Content-Type-Options'], 'nosniff');
    const js = appProtocolAnswer(root, 'app://delineate/assets/a.js');
    assert.equal(js.status === 200 && js.headers['Content-Type'], 'text/javascript; charset=utf-8');
  });

  test('nothing outside it, no other host, no other method', () => {
    for (const url of ['app://delineate/../secret.txt', 'app://delineate/%2e%2e/secret.txt', 'app://delineate/..%2fsecret.txt', 'app://delineate/assets', 'app://other/index.html', 'app://delineate/nope.js', 'bogus']) {
      const a = appProtocolAnswer(root, url);
      assert.equal(a.status, 404, url);
      assert.equal(a.headers['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
    }
    assert.equal(appProtocolAnswer(root, APP_ENTRY_URL, 'POST').status, 405);
  });
});

describe('local crash reporting', () => {
  test('crash dumps stay in <dataDir>/logs and are never uploaded', () => {
    const options = crashReporterOptions();
    assert.equal(options.uploadToServer, false);
    assert.equal(options.submitURL, undefined);
    assert.equal(crashDumpsDir('/data'), path.join('/data', 'logs', 'crashpad'));
  });

  test('a gone renderer or child process is logged, one line each, under logs/', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-gone-'));
    const at = new Date('2026-01-02T03:04:05.000Z');
    const file = logProcessGone(dataDir, 'render-process-gone', { reason: 'crashed', exitCode: 139 }, at);
    logProcessGone(dataDir, 'child-process-gone', { reason: 'oom', exitCode: -1, type: 'Utility', serviceName: 'network.mojom.NetworkService' }, at);
    assert.equal(file, path.join(dataDir, 'logs', 'processes.log'));
    assert.deepEqual(fs.readFileSync(file!, 'utf8').split('\n'), [
      '2026-01-02T03:04:05.000Z render-process-gone renderer: reason=crashed exitCode=139',
      '2026-01-02T03:04:05.000Z child-process-gone Utility network.mojom.NetworkService: reason=oom exitCode=-1',
      '',
    ]);
    assert.equal(processGoneLine('child-process-gone', { reason: 'killed', exitCode: 9 }, at), '2026-01-02T03:04:05.000Z child-process-gone child: reason=killed exitCode=9\n');
  });

  test('logging never throws where the log cannot be written', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delineate-gone-'));
    fs.writeFileSync(path.join(dataDir, 'logs'), 'a file where the folder should be');
    assert.equal(logProcessGone(dataDir, 'render-process-gone', { reason: 'crashed', exitCode: 1 }), null);
  });
});
