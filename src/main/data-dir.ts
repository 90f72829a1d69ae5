import os from 'node:os';
import path from 'node:path';

/**
 * Where the store lives: --data-dir, else DELINEATE_DATA_DIR, else the OS per-user data directory
 * (the same folder Electron's app.getPath('userData') gives for a product named Delineate, so the
 * desktop app and `delineate serve` share one store).
 */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.DELINEATE_DATA_DIR) return path.resolve(env.DELINEATE_DATA_DIR);
  return defaultUserDataDir(env);
}

export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Delineate');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Delineate');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Delineate');
}
