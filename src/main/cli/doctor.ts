import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import BetterSqlite3 from 'better-sqlite3';
import { onnxruntimeVersion, probeProvider } from '../compute/providers.js';
import { resolveDataDir } from '../data-dir.js';
import { APP_VERSION } from '../version.js';
import type { Command } from './command.js';

export interface DoctorReport {
  delineate: string;
  node: string;
  platform: string;
  electron: { installed: boolean; version: string | null; detail: string };
  onnxruntime: { version: string; providers: { name: 'cpu' | 'cuda'; available: boolean; detail: string }[] };
  sqlite: { version: string; betterSqlite3: string };
  dataDir: { path: string; exists: boolean; writable: boolean };
  chromium: { path: string | null; version: string | null };
}

const require = createRequire(import.meta.url);

/** Electron's npm package is installed without its binary when the download is skipped (as here). */
export function electronStatus(): DoctorReport['electron'] {
  let pkgDir: string;
  let version: string;
  try {
    const pkgFile = require.resolve('electron/package.json');
    pkgDir = path.dirname(pkgFile);
    version = (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version: string }).version;
  } catch {
    return { installed: false, version: null, detail: 'the electron package is not installed' };
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return { installed: false, version, detail: 'the Electron binary was not downloaded (node_modules/electron/dist is missing)' };
  const binary = path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  if (!fs.existsSync(binary)) return { installed: false, version, detail: `the Electron binary ${binary} is missing` };
  return { installed: true, version, detail: binary };
}

export function electronBinary(): string | null {
  const status = electronStatus();
  return status.installed ? status.detail : null;
}

function chromiumStatus(): DoctorReport['chromium'] {
  const candidates = [process.env.DELINEATE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((c) => fs.existsSync(c)) ?? null;
  if (!found) return { path: null, version: null };
  try {
    const version = execFileSync(found, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { path: found, version };
  } catch {
    return { path: found, version: null };
  }
}

function dataDirStatus(dir: string): DoctorReport['dataDir'] {
  const exists = fs.existsSync(dir);
  let probe = dir;
  while (!fs.existsSync(probe)) probe = path.dirname(probe);
  let writable = false;
  try {
    fs.accessSync(probe, fs.constants.W_OK);
    writable = true;
  } catch {
    writable = false;
  }
  return { path: dir, exists, writable };
}

export async function doctorReport(dataDir: string): Promise<DoctorReport> {
  const db = new BetterSqlite3(':memory:');
  const sqliteVersion = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const providers = await Promise.all((['cpu', 'cuda'] as const).map((p) => probeProvider(p)));
  return {
    delineate: APP_VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    electron: electronStatus(),
    onnxruntime: { version: onnxruntimeVersion(), providers: providers.map((p) => ({ name: p.provider, available: p.available, detail: p.detail })) },
    sqlite: { version: sqliteVersion, betterSqlite3: (require('better-sqlite3/package.json') as { version: string }).version },
    dataDir: dataDirStatus(dataDir),
    chromium: chromiumStatus(),
  };
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Report what this machine offers Delineate: Electron, compute providers, SQLite, data dir, test browser.',
  usage: 'delineate doctor [--data-dir DIR] [--json]',
  options: { 'data-dir': { type: 'string', valueName: 'DIR', description: 'data directory to check (default: DELINEATE_DATA_DIR, else the one chosen in Settings, else the OS user-data dir)' } },
  run: (args, io) => doctorReport(resolveDataDir(args.values['data-dir'] as string | undefined, io.env)),
  human(result) {
    const r = result as DoctorReport;
    const yes = (b: boolean) => (b ? 'yes' : 'no');
    return [
      `Delineate ${r.delineate} on Node ${r.node} (${r.platform})`,
      `Electron:     ${r.electron.installed ? `${r.electron.version} at ${r.electron.detail}` : `not available: ${r.electron.detail}`}`,
      `onnxruntime:  ${r.onnxruntime.version}`,
      ...r.onnxruntime.providers.map((p) => `  ${p.name.padEnd(5)} ${p.available ? 'available' : 'unavailable'}: ${p.detail}`),
      `SQLite:       ${r.sqlite.version} (better-sqlite3 ${r.sqlite.betterSqlite3})`,
      `Data dir:     ${r.dataDir.path} (exists: ${yes(r.dataDir.exists)}, writable: ${yes(r.dataDir.writable)})`,
      `Chromium:     ${r.chromium.path ? `${r.chromium.version ?? 'version unknown'} at ${r.chromium.path}` : 'not found (needed only for the end-to-end tests)'}`,
    ].join('\n');
  },
};
