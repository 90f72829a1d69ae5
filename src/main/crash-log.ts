/**
 * Local crash logs: an uncaught exception or unhandled rejection is written to
 * <dataDir>/logs/crash-<iso time>.log (message, stack, versions, time) and only the newest 20 are
 * kept. Nothing is ever uploaded. Both hosts install it (serve, Electron main).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_VERSION } from './version.js';

export const MAX_CRASH_LOGS = 20;
const LOG_NAME = /^crash-.+\.log$/;

export const crashLogDir = (dataDir: string): string => path.join(dataDir, 'logs');

export interface CrashLogOptions {
  /** 'serve' or 'electron' */
  host: string;
  /** after writing the log: the default prints the error and exits with code 1 */
  after?: (err: unknown, file: string | null) => void;
}

/** The text of one crash log (no environment, no arguments, nothing but the error and the versions). */
export function crashReport(kind: 'uncaughtException' | 'unhandledRejection', err: unknown, host: string, at = new Date()): string {
  const e = err instanceof Error ? err : null;
  const versions = Object.entries(process.versions)
    .filter(([name]) => ['node', 'v8', 'electron', 'chrome', 'uv', 'openssl'].includes(name))
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `Delineate ${APP_VERSION} crash (${kind})`,
    `time: ${at.toISOString()}`,
    `host: ${host}`,
    `platform: ${process.platform} ${os.release()} ${process.arch}`,
    `versions: ${versions}`,
    `message: ${e ? `${e.name}: ${e.message}` : safeString(err)}`,
    'stack:',
    e?.stack ?? '(none)',
    '',
  ].join('\n');
}

/** Write one crash log and prune old ones; returns the file (null when it could not be written). */
export function writeCrashLog(dataDir: string, kind: 'uncaughtException' | 'unhandledRejection', err: unknown, host: string): string | null {
  const dir = crashLogDir(dataDir);
  const at = new Date();
  try {
    fs.mkdirSync(dir, { recursive: true });
    let file = path.join(dir, `crash-${at.toISOString().replace(/:/g, '-')}.log`);
    for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `crash-${at.toISOString().replace(/:/g, '-')}-${n}.log`);
    fs.writeFileSync(file, crashReport(kind, err, host, at), { mode: 0o600 });
    pruneCrashLogs(dir);
    return file;
  } catch {
    return null;
  }
}

/** Keep the newest MAX_CRASH_LOGS logs (names sort by time). */
export function pruneCrashLogs(dir: string, keep = MAX_CRASH_LOGS): void {
  const logs = fs.readdirSync(dir).filter((f) => LOG_NAME.test(f)).sort();
  for (const old of logs.slice(0, Math.max(0, logs.length - keep))) fs.rmSync(path.join(dir, old), { force: true });
}

/**
 * Install the handlers for this process. Returns the uninstall function. After logging, the default
 * prints the error to stderr and exits with 1 (the process state is unknown after an uncaught error).
 */
export function installCrashLog(dataDir: string, options: CrashLogOptions): () => void {
  const after =
    options.after ??
    ((err: unknown, file: string | null) => {
      process.stderr.write(`Delineate stopped on an unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : safeString(err)}\n`);
      process.stderr.write(file ? `A crash log was written to ${file} (it stays on this computer).\n` : 'The crash log could not be written.\n');
      process.exit(1);
    });
  const onException = (err: unknown) => after(err, writeCrashLog(dataDir, 'uncaughtException', err, options.host));
  const onRejection = (reason: unknown) => after(reason, writeCrashLog(dataDir, 'unhandledRejection', reason, options.host));
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
