/**
 * Electron host: the desktop app. Same services and contract as `delineate serve`, over IPC.
 * Loaded only by Electron (never by tests: its binary cannot be downloaded on CI machines).
 */
import { BrowserWindow, Menu, app, crashReporter, dialog, ipcMain, protocol, session } from 'electron';
import fs from 'node:fs';
import { dispatch } from '../services/dispatch.js';
import { createServices, type AppServices } from '../services/app-services.js';
import { utilityLauncher } from './utility-launcher.js';
import { resolveDataDir } from '../data-dir.js';
import { preloadFile, rendererDir } from '../paths.js';
import { installCrashLog } from '../crash-log.js';
import { IPC_CALL_CHANNEL, IPC_DROP_CHANNEL, IPC_EVENT_CHANNEL } from '../../shared/preload-api.js';
import { RecentStudySchema, type RecentStudy } from '../../shared/desktop.js';
import { APP_ENTRY_URL, APP_SCHEME, mainWindowOptions } from './window-options.js';
import { hardenContents, hardenSession } from './harden.js';
import { appProtocolAnswer } from './app-protocol.js';
import { PathGrants } from './path-grants.js';
import { createCallHandler, createDropHandler } from './ipc.js';
import { createPathPicker } from './dialogs.js';
import { buildAppMenuTemplate } from './app-menu.js';
import { pathsFromArgv } from './launch-args.js';
import { crashDumpsDir, crashReporterOptions, logProcessGone } from './crash-reporting.js';

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const dataDir = resolveDataDir(argValue('--data-dir'));
// local-only crash reports: minidumps and logs under <dataDir>/logs, never uploaded (docs/security.md)
app.setPath('crashDumps', crashDumpsDir(dataDir));
crashReporter.start(crashReporterOptions());
installCrashLog(dataDir, { host: 'electron' });
app.enableSandbox();

/** host paths the user picked in a dialog or dropped on the window; calls may use only these */
const grants = new PathGrants();
let mainWindow: BrowserWindow | null = null;
let services: AppServices | null = null;
/** paths to open that arrived before the services were up (macOS open-file at launch) */
const pendingOpen: string[] = [];

function serveRenderer(): void {
  const root = rendererDir();
  protocol.handle(APP_SCHEME, (request) => {
    const answer = appProtocolAnswer(root, request.url, request.method);
    if (answer.status !== 200) return new Response(answer.text, { status: answer.status, headers: answer.headers });
    return new Response(request.method === 'HEAD' ? null : fs.readFileSync(answer.file), { headers: answer.headers });
  });
}

function registerIpc(services: AppServices): void {
  ipcMain.handle(IPC_CALL_CHANNEL, createCallHandler(services.handlers, grants));
  ipcMain.handle(IPC_DROP_CHANNEL, createDropHandler(grants));
  services.bus.subscribe((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, name, payload);
    }
  });
}

/** Files and folders from the command line, a second launch or the OS: granted, then imported. */
function openPaths(paths: readonly string[]): void {
  if (!services) return void pendingOpen.push(...paths);
  const granted = grants.grantExisting(paths);
  if (granted.length === 0) return;
  if (mainWindow && !mainWindow.isDestroyed()) {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  }
  void dispatch(services.handlers, 'studies.import', { paths: granted }, { host: 'electron' }).then((outcome) => {
    if (!outcome.ok) console.error(`Could not open ${granted.join(', ')}: ${outcome.error.message}`);
  });
}

/** The application menu, rebuilt when the recent studies change. */
function installMenu(services: AppServices): void {
  let recent: RecentStudy[] = [];
  const build = () =>
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildAppMenuTemplate({ platform: process.platform, isPackaged: app.isPackaged, dev: !app.isPackaged, recent, send: (command) => services.bus.emit('ui.command', command) }),
      ),
    );
  const refresh = async () => {
    const outcome = await dispatch(services.handlers, 'studies.recent', {}, { host: 'electron' });
    const parsed = outcome.ok ? RecentStudySchema.array().safeParse(outcome.result) : null;
    recent = parsed?.success ? parsed.data : [];
    build();
  };
  build();
  void refresh();
  services.bus.subscribe((name, payload) => {
    if (name === 'store.changed' && (payload as { entity?: string }).entity === 'recent') void refresh();
  });
}

async function start(): Promise<void> {
  await app.whenReady();
  hardenSession(session.defaultSession);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app.on('render-process-gone', (_event, _contents, details) => void logProcessGone(dataDir, 'render-process-gone', details));
  app.on('child-process-gone', (_event, details) => void logProcessGone(dataDir, 'child-process-gone', details));

  const pickPaths = createPathPicker(
    {
      showOpen: (options) => (mainWindow ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options)),
      showSave: (options) => (mainWindow ? dialog.showSaveDialog(mainWindow, options) : dialog.showSaveDialog(options)),
    },
    grants,
  );
  const appServices = createServices({ dataDir, host: 'electron', resumeBatches: true, desktop: { pickPaths }, inferenceLauncher: utilityLauncher });
  services = appServices;
  serveRenderer();
  registerIpc(appServices);
  installMenu(appServices);

  const win = new BrowserWindow(mainWindowOptions(preloadFile()));
  mainWindow = win;
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => (mainWindow = null));
  await win.loadURL(APP_ENTRY_URL);
  openPaths([...pathsFromArgv(process.argv, { cwd: process.cwd(), defaultApp: process.defaultApp === true }), ...pendingOpen.splice(0)]);

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => void appServices.close());
}

// one app per user: a second launch hands its files to this one and exits
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
    openPaths(pathsFromArgv(argv, { cwd: workingDirectory, defaultApp: process.defaultApp === true }));
  });
  // macOS: files dropped on the Dock icon or opened with the app (may come before ready)
  app.on('open-file', (event, file) => {
    event.preventDefault();
    openPaths([file]);
  });
  start().catch((err: unknown) => {
    console.error('Delineate failed to start:', err);
    app.exit(1);
  });
}
