/**
 * The model packages this installation can run: shipped ones under <appRoot>/native-models/<id>/
 * and the user's under <dataDir>/models/<id>/. Each folder is validated by readModelPackage; a broken
 * package is listed as unavailable with its problem and never hides the others. Validation results
 * are cached per folder until one of its files changes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import type { ModelManifest } from '../../shared/inference/manifest.js';
import type { ModelOrigin, ModelSummary } from '../../shared/inference/model-summary.js';
import { shippedModelsRoot } from '../paths.js';
import { LICENSE_FILE, MANIFEST_FILE, readModelManifest, readModelPackage, sha256File, type ModelPackage } from './model-package.js';

export type { ModelSummary } from '../../shared/inference/model-summary.js';

export interface ModelRegistryOptions {
  /** shipped packages, read-only: <appRoot>/native-models */
  shippedDir: string;
  /** user packages: <dataDir>/models (created on the first add) */
  userDir: string;
}

/** Beside the app; in a packaged desktop app electron-builder puts them in its resources folder (outside the asar, where ONNX Runtime can read them). */
export function shippedModelsDir(): string {
  return shippedModelsRoot();
}
export const userModelsDir = (dataDir: string): string => path.join(dataDir, 'models');

/** The registry of an installation: shipped models beside the app, user models in the data directory. */
export function modelRegistryFor(dataDir: string): ModelRegistry {
  return new ModelRegistry({ shippedDir: shippedModelsDir(), userDir: userModelsDir(dataDir) });
}

/** Ids are folder names: the manifest's id rule keeps them path-safe. */
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

type Validation = { ok: true; pkg: ModelPackage } | { ok: false; error: unknown };

export class ModelRegistry {
  readonly shippedDir: string;
  readonly userDir: string;
  private readonly cache = new Map<string, { key: string; result: Promise<Validation> }>();

  constructor(opts: ModelRegistryOptions) {
    this.shippedDir = path.resolve(opts.shippedDir);
    this.userDir = path.resolve(opts.userDir);
  }

  /** Every package, shipped first, then the user's, each sorted by id; broken ones as unavailable. */
  async list(): Promise<ModelSummary[]> {
    const summaries: ModelSummary[] = [];
    const shippedIds = new Set<string>();
    for (const origin of ['shipped', 'user'] as const) {
      for (const folder of await packageFolders(this.root(origin))) {
        const dir = path.join(this.root(origin), folder);
        const validation = await this.validate(dir, origin);
        let problem: string | undefined;
        if (!validation.ok) problem = messageOf(validation.error);
        else if (validation.pkg.manifest.id !== folder) problem = idMismatch(dir, folder, validation.pkg.manifest.id);
        else if (origin === 'user' && shippedIds.has(folder)) problem = `${dir}: the id "${folder}" is also a shipped model's; remove this copy (delineate models remove ${folder}) or give it another id`;
        if (origin === 'shipped') shippedIds.add(folder);
        if (validation.ok) summaries.push(summarize(validation.pkg.manifest, { dir, origin, sha256: validation.pkg.sha256, problem }));
        else summaries.push(summarize(await readModelManifest(dir).catch(() => null), { dir, origin, problem, folder }));
      }
    }
    return summaries;
  }

  /** A usable package by id (shipped first); not_found, or the package's own error when it is broken. */
  async get(id: string): Promise<ModelPackage> {
    const found = await this.locate(id);
    if (!found) throw new DelineateError('not_found', `no model "${id}" (installed: ${(await this.ids()).join(', ') || 'none'})`, { id });
    const validation = await this.validate(found.dir, found.origin);
    if (!validation.ok) throw validation.error;
    if (validation.pkg.manifest.id !== id) throw new DelineateError('invalid_input', idMismatch(found.dir, id, validation.pkg.manifest.id), { id, file: path.join(found.dir, MANIFEST_FILE) });
    return validation.pkg;
  }

  /**
   * Install a user package from a folder: validated fully first, refused when its id is taken, copied
   * into a temporary folder inside userDir and renamed into place, so a failed add leaves nothing.
   */
  async add(sourceDir: string): Promise<ModelSummary> {
    const source = await readModelPackage(sourceDir, { origin: 'user' });
    const id = source.manifest.id;
    await this.assertIdFree(id);
    await fs.mkdir(this.userDir, { recursive: true });
    const staging = path.join(this.userDir, `.adding-${id}-${randomBytes(4).toString('hex')}`);
    const dest = path.join(this.userDir, id);
    try {
      await fs.mkdir(staging);
      for (const name of [MANIFEST_FILE, source.manifest.file, LICENSE_FILE]) await fs.copyFile(path.join(source.dir, name), path.join(staging, name));
      const copied = await sha256File(path.join(staging, source.manifest.file));
      if (copied !== source.sha256) {
        throw new DelineateError('invalid_input', `${source.onnxPath}: changed while it was being copied (SHA-256 ${source.sha256} before, ${copied} after); add it again`, { file: source.onnxPath });
      }
      // The id may have been taken while we copied; rename refuses a non-empty destination.
      await this.assertIdFree(id);
      try {
        await fs.rename(staging, dest);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') await this.assertIdFree(id);
        throw err;
      }
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      if (err instanceof DelineateError) throw err;
      throw new DelineateError('storage', `cannot install model "${id}" into ${this.userDir}: ${(err as Error).message}`, { id, dir: this.userDir });
    }
    // The copy is byte-identical (same SHA-256) to what was just validated: cache it as validated.
    const installed: ModelPackage = { ...source, dir: dest, onnxPath: path.join(dest, source.manifest.file), origin: 'user' };
    this.cache.set(dest, { key: `user|${await folderKey(dest)}`, result: Promise.resolve({ ok: true, pkg: installed }) });
    return summarize(installed.manifest, { dir: dest, origin: 'user', sha256: installed.sha256 });
  }

  /** Delete a user package (shipped ones cannot be removed). */
  async remove(id: string): Promise<{ id: string; dir: string }> {
    const found = await this.locate(id);
    if (!found) throw new DelineateError('not_found', `no model "${id}" (installed: ${(await this.ids()).join(', ') || 'none'})`, { id });
    if (found.origin === 'shipped' && !(await isDir(path.join(this.userDir, id)))) {
      throw new DelineateError('invalid_params', `"${id}" is a shipped model (${found.dir}); only user models can be removed`, { id });
    }
    const dir = path.join(this.userDir, id);
    // Rename first so that a half-finished delete never looks like a (broken) package.
    const doomed = path.join(this.userDir, `.removing-${id}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(dir, doomed);
      await fs.rm(doomed, { recursive: true, force: true });
    } catch (err) {
      throw new DelineateError('storage', `cannot remove ${dir}: ${(err as Error).message}`, { id, dir });
    }
    this.cache.delete(dir);
    return { id, dir };
  }

  private root(origin: ModelOrigin): string {
    return origin === 'shipped' ? this.shippedDir : this.userDir;
  }

  private async locate(id: string): Promise<{ dir: string; origin: ModelOrigin } | null> {
    if (!ID_PATTERN.test(id)) return null;
    for (const origin of ['shipped', 'user'] as const) {
      const dir = path.join(this.root(origin), id);
      if (await isDir(dir)) return { dir, origin };
    }
    return null;
  }

  private async ids(): Promise<string[]> {
    const all = [...(await packageFolders(this.shippedDir)), ...(await packageFolders(this.userDir))];
    return [...new Set(all)].sort();
  }

  private async assertIdFree(id: string): Promise<void> {
    for (const origin of ['shipped', 'user'] as const) {
      const dir = path.join(this.root(origin), id);
      if (await exists(dir)) {
        const hint = origin === 'user' ? `; remove it first (delineate models remove ${id}) or give the new package another id` : '; give the new package another id';
        throw new DelineateError('conflict', `model id "${id}" is already used by a ${origin} model (${dir})${hint}`, { id, dir, origin });
      }
    }
  }

  /** readModelPackage, cached until manifest.json, LICENSE or an .onnx file of the folder changes. */
  private async validate(dir: string, origin: ModelOrigin): Promise<Validation> {
    const key = `${origin}|${await folderKey(dir)}`;
    const cached = this.cache.get(dir);
    if (cached && cached.key === key) return cached.result;
    const result = readModelPackage(dir, { origin }).then(
      (pkg): Validation => ({ ok: true, pkg }),
      (error: unknown): Validation => ({ ok: false, error }),
    );
    this.cache.set(dir, { key, result });
    return result;
  }
}

function summarize(
  manifest: ModelManifest | null,
  info: { dir: string; origin: ModelOrigin; sha256?: string | undefined; problem?: string | undefined; folder?: string },
): ModelSummary {
  const folder = info.folder ?? path.basename(info.dir);
  const summary: ModelSummary = {
    id: manifest?.id ?? folder,
    name: manifest?.name ?? folder,
    version: manifest?.version ?? '',
    license: manifest?.license ?? '',
    task: manifest?.task ?? '',
    modality: manifest?.modality ?? [],
    bodyPart: manifest?.bodyPart ?? '',
    description: manifest?.description ?? '',
    origin: info.origin,
    dir: info.dir,
    available: info.problem === undefined,
    labels: (manifest?.labels ?? []).map(({ value, name, color }) => ({ value, name, color })),
    inferenceMode: manifest?.inference.mode ?? null,
  };
  if (info.problem !== undefined) summary.problem = info.problem;
  if (info.sha256 !== undefined && info.problem === undefined) summary.sha256 = info.sha256;
  return summary;
}

const idMismatch = (dir: string, folder: string, id: string) =>
  `${path.join(dir, MANIFEST_FILE)}: id "${id}" differs from the folder name "${folder}" (a package lives in a folder named after its id)`;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Package folders of a root: subfolders, without hidden ones (staging and removal folders start with a dot). */
async function packageFolders(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DelineateError('storage', `cannot read the model folder ${root}: ${(err as Error).message}`, { dir: root });
  }
  const folders: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDir(path.join(root, entry.name))))) folders.push(entry.name);
  }
  return folders.sort();
}

/** What decides whether a cached validation still holds: size and mtime of the package's files. */
async function folderKey(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n === MANIFEST_FILE || n === LICENSE_FILE || n.endsWith('.onnx')).sort();
  } catch {
    return 'unreadable';
  }
  const parts = await Promise.all(
    names.map(async (n) => {
      const stat = await fs.stat(path.join(dir, n)).catch(() => null);
      return stat ? `${n}:${stat.size}:${stat.mtimeMs}` : `${n}:gone`;
    }),
  );
  return parts.join('|');
}

async function isDir(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function exists(p: string): Promise<boolean> {
  return (await fs.lstat(p).catch(() => null)) !== null;
}
