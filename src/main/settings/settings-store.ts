/**
 * User settings (data directory, GPU use, CPU threads, default author), kept as JSON in the per-user
 * config folder (settingsFilePath in data-dir.ts). Written atomically (temporary file + rename). A file
 * that cannot be read as settings is set aside as settings.json.bad-<time> with a warning, and the
 * defaults are used: a bad settings file never stops the app.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { DEFAULT_SETTINGS, SettingsSchema, parseSettings, type Settings, type SettingsInfo, type SettingsUpdate } from '../../shared/desktop.js';
import { defaultUserDataDir } from '../data-dir.js';
import { writeFileAtomically } from '../interchange/atomic-file.js';

export { DEFAULT_SETTINGS };

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

  /** Apply a partial update (validated) and write the file. */
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
    return this.info();
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
      const parsed = parseSettings(JSON.parse(text));
      if (parsed.ok) return parsed.settings;
      problem = parsed.problem;
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
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileAtomically(this.file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
    } catch (err) {
      throw new DelineateError('storage', `Cannot save the settings to ${this.file}: ${(err as Error).message}`, { file: this.file });
    }
  }

  private warn(message: string): void {
    (this.options.warn ?? ((m: string) => process.stderr.write(`Delineate: ${m}\n`)))(message);
  }
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
