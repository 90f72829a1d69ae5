/**
 * User settings (data directory, GPU use, CPU threads, default author), kept as JSON in the per-user
 * config folder (settingsFilePath in data-dir.ts). Written atomically (temporary file + rename). A file
 * that cannot be read as settings is set aside as settings.json.bad-<time> with a warning, and the
 * defaults are used: a bad settings file never stops the app.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { SettingsSchema, type Settings, type SettingsInfo, type SettingsUpdate } from '../../shared/desktop.js';
import { defaultUserDataDir } from '../data-dir.js';

export const DEFAULT_SETTINGS: Settings = Object.freeze({ dataDir: null, useGpu: true, cpuThreads: 0, defaultAuthor: null });

export interface SettingsStoreOptions {
  file: string;
  /** the data directory this process uses now */
  activeDataDir: string;
  /** where warnings about a bad settings file go (default: stderr) */
  warn?: (message: string) => void;
}

export class SettingsStore {
  readonly file: string;
  private settings: Settings;
  /** settings.dataDir as this process found it at start (a change to it applies at the next start) */
  private readonly startDataDir: string | null;
  private readonly listeners = new Set<(settings: Settings) => void>();

  constructor(private readonly options: SettingsStoreOptions) {
    this.file = path.resolve(options.file);
    this.settings = this.load();
    this.startDataDir = this.settings.dataDir;
  }

  get current(): Settings {
    return this.settings;
  }

  info(): SettingsInfo {
    const restartNeeded: SettingsInfo['restartNeeded'] = [];
    const wanted = this.settings.dataDir ?? defaultUserDataDir();
    if (this.settings.dataDir !== this.startDataDir && path.resolve(wanted) !== path.resolve(this.options.activeDataDir)) restartNeeded.push('dataDir');
    return { settings: { ...this.settings }, file: this.file, activeDataDir: this.options.activeDataDir, restartNeeded };
  }

  /** Apply a partial update (validated), write the file, and tell listeners. */
  update(patch: SettingsUpdate): SettingsInfo {
    const next: Settings = { ...this.settings, ...patch };
    if (patch.defaultAuthor !== undefined && patch.defaultAuthor !== null) {
      const author = patch.defaultAuthor.trim();
      // eslint-disable-next-line no-control-regex
      if (!author || author.length > 100 || /[\u0000-\u001f\u007f]/.test(author)) throw new DelineateError('invalid_params', 'The default author is 1 to 100 characters, without control characters');
      next.defaultAuthor = author;
    }
    if (patch.dataDir !== undefined && patch.dataDir !== null) next.dataDir = checkDataDir(patch.dataDir);
    const parsed = SettingsSchema.safeParse(next);
    if (!parsed.success) throw new DelineateError('invalid_params', `Invalid settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.write(parsed.data);
    this.settings = parsed.data;
    for (const listener of this.listeners) listener(this.settings);
    return this.info();
  }

  onChange(listener: (settings: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private load(): Settings {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_SETTINGS };
      this.warn(`Cannot read the settings file ${this.file} (${(err as Error).message}); using the defaults.`);
      return { ...DEFAULT_SETTINGS };
    }
    let problem: string;
    try {
      const raw = JSON.parse(text) as unknown;
      // settings a newer version added are ignored; missing ones take their defaults
      const parsed = SettingsSchema.safeParse(typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...DEFAULT_SETTINGS, ...pick(raw as Record<string, unknown>) } : raw);
      if (parsed.success) return parsed.data;
      problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    } catch (err) {
      problem = `not JSON (${(err as Error).message})`;
    }
    const kept = `${this.file}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      fs.renameSync(this.file, kept);
      this.warn(`The settings file ${this.file} is invalid (${problem}): using the defaults. The bad file was kept as ${kept}.`);
    } catch (err) {
      this.warn(`The settings file ${this.file} is invalid (${problem}): using the defaults (it could not be set aside: ${(err as Error).message}).`);
    }
    return { ...DEFAULT_SETTINGS };
  }

  private write(settings: Settings): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeFileSync(fd, `${JSON.stringify(settings, null, 2)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw new DelineateError('storage', `Cannot save the settings to ${this.file}: ${(err as Error).message}`, { file: this.file });
    }
  }

  private warn(message: string): void {
    (this.options.warn ?? ((m: string) => process.stderr.write(`Delineate: ${m}\n`)))(message);
  }
}

function pick(raw: Record<string, unknown>): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_SETTINGS)) if (Object.hasOwn(raw, key)) out[key] = raw[key];
  return out as Partial<Settings>;
}

/** A data directory must be absolute, creatable and writable; returns it normalised. */
export function checkDataDir(dir: string): string {
  if (!path.isAbsolute(dir)) throw new DelineateError('invalid_params', `The data directory must be an absolute path, got ${JSON.stringify(dir)}`, { field: 'dataDir' });
  const resolved = path.resolve(dir);
  try {
    fs.mkdirSync(resolved, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new DelineateError('invalid_params', `The data directory ${resolved} is not a folder (a file is in the way)`, { field: 'dataDir' });
    throw new DelineateError('invalid_params', `The data directory ${resolved} cannot be created: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { field: 'dataDir' });
  }
  if (!fs.statSync(resolved).isDirectory()) throw new DelineateError('invalid_params', `The data directory ${resolved} is not a folder`, { field: 'dataDir' });
  const probe = path.join(resolved, `.delineate-write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new DelineateError('invalid_params', `The data directory ${resolved} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { field: 'dataDir' });
  }
  return resolved;
}
