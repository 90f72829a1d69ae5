/**
 * Electron host: the desktop app. Same services and contract as `delineate serve`, over IPC.
 * Loaded only by Electron (never by tests: its binary cannot be downloaded on CI machines).
 */
import { BrowserWindow, app, ipcMain, protocol, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import fs from 'node:fs';
import { dispatch } from '../services/dispatch.js';
import { createServices, type AppServices } from '../services/app-services.js';
import { resolveDataDir } from '../data-dir.js';
import { preloadFile, rendererDir } from '../paths.js';
import { CONTENT_SECURITY_POLICY } from '../security/csp.js';
import { resolveStaticFile } from '../host/static-files.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../shared/preload-api.js';
import { APP_ENTRY_URL, APP_SCHEME, isTrustedSenderUrl, mainWindowOptions } from './window-options.js';

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function serveRenderer(): void {
  const root = rendererDir();
  protocol.handle(APP_SCHEME, (request) => {
    const url = new URL(request.url);
    const found = url.host === 'delineate' ? resolveStaticFile(root, url.pathname) : null;
    if (!found) return new Response('Not found', { status: 404 });
    return new Response(fs.readFileSync(found.file), {
      headers: { 'Content-Type': found.contentType, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
    });
  });
}

function registerIpc(services: AppServices): void {
  ipcMain.handle(IPC_CALL_CHANNEL, (event: IpcMainInvokeEvent, method: unknown, params: unknown) => {
    if (!isTrustedSenderUrl(event.senderFrame?.url)) {
      return { ok: false, error: { code: 'bad_request', message: 'Calls are accepted only from the Delineate window' } };
    }
    return dispatch(services.handlers, method, params, { host: 'electron' });
  });
  services.bus.subscribe((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, name, payload);
    }
  });
}

async function start(): Promise<void> {
  await app.whenReady();
  const denyAll = session.defaultSession;
  denyAll.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  denyAll.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));

  const services = createServices({ dataDir: resolveDataDir(argValue('--data-dir')), host: 'electron', resumeBatches: true });
  serveRenderer();
  registerIpc(services);

  const win = new BrowserWindow(mainWindowOptions(preloadFile()));
  win.once('ready-to-show', () => win.show());
  await win.loadURL(APP_ENTRY_URL);

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => void services.close());
}

start().catch((err: unknown) => {
  console.error('Delineate failed to start:', err);
  app.exit(1);
});
