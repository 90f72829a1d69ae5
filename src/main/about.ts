/**
 * The about box: Delineate's version, the runtime and component versions (read from the installed
 * packages, never typed in by hand), the third-party list and license text the build wrote, and where
 * crash logs go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DelineateError } from '../shared/errors.js';
import { AboutInfoSchema, type AboutInfo } from '../shared/desktop.js';
import { appRoot, thirdPartyFiles } from './paths.js';
import { APP_VERSION } from './version.js';

/** Packages whose versions the about box lists, by the name shown. */
export const ABOUT_PACKAGES: readonly (readonly [string, string])[] = [
  ['ONNX Runtime', 'onnxruntime-node'],
  ['better-sqlite3', 'better-sqlite3'],
  ['vtk.js', '@kitware/vtk.js'],
  ['Svelte', 'svelte'],
  ['dcmjs', 'dcmjs'],
];

export interface AboutOptions {
  sqliteVersion: string;
  crashLogDir: string;
  /** a folder with third-party.json and THIRD_PARTY_LICENSES.txt (default: thirdPartyFiles(), dist/ in a checkout) */
  distDir?: string;
  /** the package root whose node_modules hold the components (default: the app root) */
  root?: string;
  versions?: NodeJS.ProcessVersions;
}

const ThirdPartyFileSchema = AboutInfoSchema.shape.thirdParty;

export function aboutInfo(options: AboutOptions): AboutInfo {
  const root = options.root ?? appRoot();
  const versions = options.versions ?? process.versions;
  const components: AboutInfo['components'] = [{ name: 'Delineate', version: APP_VERSION }];
  if (versions.electron) {
    components.push({ name: 'Electron', version: versions.electron }, { name: 'Chromium', version: versions.chrome ?? 'unknown' }, { name: 'V8', version: versions.v8 });
  }
  components.push({ name: 'Node.js', version: versions.node });
  if (!versions.electron) components.push({ name: 'Host', version: 'browser host (delineate serve)' });
  components.push({ name: 'SQLite', version: options.sqliteVersion });
  for (const [name, pkg] of ABOUT_PACKAGES) components.push({ name, version: installedVersion(root, pkg) });

  const built = options.distDir ? { json: path.join(options.distDir, 'third-party.json'), text: path.join(options.distDir, 'THIRD_PARTY_LICENSES.txt') } : thirdPartyFiles();
  const listFile = built.json;
  const licensesFile = built.text;
  const missing = [listFile, licensesFile].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new DelineateError('unavailable', `The third-party license files were not built (${missing.join(', ')} missing): run npm run build`, { missing });
  }
  let thirdParty: AboutInfo['thirdParty'];
  try {
    thirdParty = ThirdPartyFileSchema.parse(JSON.parse(fs.readFileSync(listFile, 'utf8')));
  } catch (err) {
    const why = err instanceof z.ZodError ? err.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message;
    throw new DelineateError('invalid_input', `${listFile} is not a list of {name, version, license, kind}: ${why}`, { file: listFile });
  }
  const licensesText = fs.readFileSync(licensesFile, 'utf8');
  if (thirdParty.length === 0 || licensesText.trim() === '') throw new DelineateError('invalid_input', `The third-party license files (${listFile}, ${licensesFile}) are empty: run npm run build`, { file: listFile });
  return { product: 'Delineate', version: APP_VERSION, components, thirdParty, licensesText, crashLogDir: options.crashLogDir };
}

/** The version in node_modules/<pkg>/package.json under root, or 'not installed'. */
export function installedVersion(root: string, pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', ...pkg.split('/'), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}
