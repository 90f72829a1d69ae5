import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSettings } from '../shared/desktop.js';

/**
 * Where the store lives: --data-dir, else DELINEATE_DATA_DIR, else the data directory chosen in
 * Settings (settings.json), else the OS per-user data directory (the same folder Electron's
 * app.getPath('userData') gives for a product named Delineate, so the desktop app and `delineate
 * serve` share one store).
 */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.DELINEATE_DATA_DIR) return path.resolve(env.DELINEATE_DATA_DIR);
  return settingsDataDir(env) ?? defaultUserDataDir(env);
}

/**
 * The settings file: DELINEATE_SETTINGS_FILE, else settings.json in the per-user config folder
 * (never inside a chosen data directory, since that folder is itself a setting).
 */
export function settingsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DELINEATE_SETTINGS_FILE) return path.resolve(env.DELINEATE_SETTINGS_FILE);
  return path.join(defaultUserDataDir(env), 'settings.json');
}

/** settings.dataDir when the settings file is valid (as the settings service reads it) and names one. */
function settingsDataDir(env: NodeJS.ProcessEnv): string | null {
  try {
    const parsed = parseSettings(JSON.parse(fs.readFileSync(settingsFilePath(env), 'utf8')));
    return parsed.ok && parsed.settings.dataDir !== null && path.isAbsolute(parsed.settings.dataDir) ? path.resolve(parsed.settings.dataDir) : null;
  } catch {
    return null;
  }
}

export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Delineate');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Delineate');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Delineate');
}
