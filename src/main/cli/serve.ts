import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { resolveDataDir, settingsFilePath } from '../data-dir.js';
import { installCrashLog } from '../crash-log.js';
import { startBrowserHost } from '../host/browser-host.js';
import { rendererDir } from '../paths.js';
import { createServices } from '../services/app-services.js';
import { DelineateError } from '../../shared/errors.js';
import { DATA_DIR_OPTION, type Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the Delineate UI to a browser on 127.0.0.1 (same contract as the desktop app).',
  usage: 'delineate serve [--port N] [--data-dir DIR] [--open]',
  options: {
    port: { type: 'string', valueName: 'N', description: 'port to listen on (default: a free one)' },
    'data-dir': DATA_DIR_OPTION,
    open: { type: 'boolean', description: 'open the UI in the default browser when a display is present (not when DELINEATE_NO_OPEN=1)' },
  },
  async run(args, io) {
    const port = args.values.port === undefined ? 0 : Number(args.values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DelineateError('invalid_params', `--port must be an integer 0-65535, got ${String(args.values.port)}`);
    const renderer = rendererDir();
    if (!fs.existsSync(`${renderer}/index.html`)) throw new DelineateError('unavailable', `The UI is not built (${renderer}/index.html missing): run npm run build`);
    const dataDir = resolveDataDir(args.values['data-dir'] as string | undefined, io.env);
    // an uncaught error ends the process with a local crash log in <dataDir>/logs (never uploaded)
    const uninstallCrashLog = installCrashLog(dataDir, { host: 'serve' });
    const services = createServices({ dataDir, host: 'browser', settingsFile: settingsFilePath(io.env), testJobs: io.env.DELINEATE_TEST_JOBS === '1', resumeBatches: true });
    const maxMessageBytes = io.env.DELINEATE_MAX_MESSAGE_BYTES ? Number(io.env.DELINEATE_MAX_MESSAGE_BYTES) : undefined;
    const host = await startBrowserHost({ services, rendererDir: renderer, port, ...(maxMessageBytes ? { maxMessageBytes } : {}) });
    io.stdout(`Delineate listening on ${host.url}\n`);
    if (args.values.open) openInBrowser(host.url, io);

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await host.close();
    await services.close();
    uninstallCrashLog();
    return { stopped: true };
  },
};

export function hasDisplay(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform === 'win32' || process.platform === 'darwin') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

export function openInBrowser(url: string, io: { stderr: (t: string) => void; env: NodeJS.ProcessEnv }): void {
  if (io.env.DELINEATE_NO_OPEN === '1') {
    io.stderr('DELINEATE_NO_OPEN=1: not opening a browser; open the URL above.\n');
    return;
  }
  if (!hasDisplay(io.env)) {
    io.stderr('No display found: open the URL above in a browser.\n');
    return;
  }
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => io.stderr(`Could not run ${opener}: open the URL above in a browser.\n`));
  child.unref();
}
