/**
 * Local-only crash reporting for the desktop app: Crashpad minidumps go to <dataDir>/logs/crashpad
 * and are never uploaded; a renderer or child process that dies is logged, one line each, to
 * <dataDir>/logs/processes.log. (Uncaught exceptions of the main process: src/main/crash-log.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CrashReporterStartOptions } from 'electron';
import { crashLogDir } from '../crash-log.js';

export const crashDumpsDir = (dataDir: string): string => path.join(crashLogDir(dataDir), 'crashpad');
export const processLogFile = (dataDir: string): string => path.join(crashLogDir(dataDir), 'processes.log');

/** crashReporter.start options: collect minidumps locally, upload nothing, send no extra parameters. */
export function crashReporterOptions(): CrashReporterStartOptions {
  return { uploadToServer: false, compress: true, ignoreSystemCrashHandler: false, extra: {}, globalExtra: {} };
}

/** Keep the process log bounded: past this size it is cut to its newer half. */
export const MAX_PROCESS_LOG_BYTES = 1024 * 1024;

export interface GoneDetails {
  reason: string;
  exitCode: number;
  /** child-process-gone: 'GPU', 'Utility', ... */
  type?: string;
  serviceName?: string;
  name?: string;
}

/** One log line (no URLs, titles or arguments: nothing about the patient data on screen). */
export function processGoneLine(kind: 'render-process-gone' | 'child-process-gone', details: GoneDetails, at = new Date()): string {
  const what = kind === 'render-process-gone' ? 'renderer' : [details.type, details.serviceName || details.name].filter(Boolean).join(' ') || 'child';
  return `${at.toISOString()} ${kind} ${what}: reason=${details.reason} exitCode=${details.exitCode}\n`;
}

/** Append the line to <dataDir>/logs/processes.log; never throws (logging must not take the app down). */
export function logProcessGone(dataDir: string, kind: 'render-process-gone' | 'child-process-gone', details: GoneDetails, at = new Date()): string | null {
  const file = processLogFile(dataDir);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      if (fs.statSync(file).size > MAX_PROCESS_LOG_BYTES) {
        const text = fs.readFileSync(file, 'utf8');
        fs.writeFileSync(file, text.slice(text.indexOf('\n', text.length / 2) + 1), { mode: 0o600 });
      }
    } catch {
      // no log yet
    }
    fs.appendFileSync(file, processGoneLine(kind, details, at), { mode: 0o600 });
    return file;
  } catch {
    return null;
  }
}
