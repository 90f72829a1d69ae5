import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_ENTRY_URL, isTrustedSenderUrl, mainWindowOptions } from '../../src/main/electron/window-options.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp.js';

// window-options.ts imports Electron's types only, so this runs without the Electron binary.
describe('Electron window hardening', () => {
  test('renderer is isolated, sandboxed and has no Node', () => {
    const prefs = mainWindowOptions('/app/preload.cjs').webPreferences!;
    assert.equal(prefs.preload, '/app/preload.cjs');
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.webviewTag, false);
  });

  test('only our own app:// document is a trusted IPC sender', () => {
    assert.equal(isTrustedSenderUrl(APP_ENTRY_URL), true);
    assert.equal(isTrustedSenderUrl('app://delineate/deep/page.html'), true);
    assert.equal(isTrustedSenderUrl('app://evil/index.html'), false);
    assert.equal(isTrustedSenderUrl('https://delineate/index.html'), false);
    assert.equal(isTrustedSenderUrl('file:///etc/passwd'), false);
    assert.equal(isTrustedSenderUrl(undefined), false);
    assert.equal(isTrustedSenderUrl('not a url'), false);
  });

  test('CSP allows only our own scripts and connections', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values] as const;
    }));
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('script-src'), ["'self'", "'wasm-unsafe-eval'"]);
    assert.deepEqual(directives.get('connect-src'), ["'self'"]);
    assert.deepEqual(directives.get('object-src'), ["'none'"]);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    assert.ok(!CONTENT_SECURITY_POLICY.includes("'unsafe-eval'"), 'no eval');
  });
});
