/**
 * Files and folders given on the command line (the first launch, a second launch forwarded by the
 * single-instance lock, or a file association): pure functions, tested without Electron.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Our own options that take the next argument as their value (never a path to open). */
export const OPTIONS_WITH_VALUE = new Set(['--data-dir']);

export interface LaunchArgsContext {
  /** the working directory of the process that was launched (relative paths resolve against it) */
  cwd: string;
  /** process.defaultApp: an unpackaged run (`electron .`), where argv[1] is the app path, not an input */
  defaultApp: boolean;
  exists?: (p: string) => boolean;
}

/**
 * The existing paths to open from an argv: drops the executable (and the app path when unpackaged),
 * every switch (`--x`, `--x=y`, Chromium's and ours; `--data-dir DIR` with its value), resolves the rest
 * against cwd (file:// URLs too) and keeps those that exist, once each, in order.
 */
export function pathsFromArgv(argv: readonly string[], ctx: LaunchArgsContext): string[] {
  const exists = ctx.exists ?? ((p: string) => fs.existsSync(p));
  const out: string[] = [];
  let optionsEnded = false;
  for (let i = ctx.defaultApp ? 2 : 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!optionsEnded) {
      if (arg === '--') {
        optionsEnded = true;
        continue;
      }
      if (arg.startsWith('-')) {
        if (OPTIONS_WITH_VALUE.has(arg)) i++;
        continue;
      }
    }
    if (arg === '' || arg.includes('\0')) continue;
    let resolved: string;
    try {
      resolved = arg.startsWith('file://') ? fileURLToPath(arg) : path.resolve(ctx.cwd, arg);
    } catch {
      continue;
    }
    if (!out.includes(resolved) && exists(resolved)) out.push(resolved);
  }
  return out;
}
