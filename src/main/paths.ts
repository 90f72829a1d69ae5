import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (where package.json named "delineate" is), found from this module's location. */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'delineate') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the delineate package root');
    dir = parent;
  }
}

export const rendererDir = (): string => path.join(appRoot(), 'dist', 'renderer');
export const preloadFile = (): string => path.join(appRoot(), 'dist', 'preload', 'preload.cjs');

/**
 * Something electron-builder ships as an extra resource (beside app.asar, in process.resourcesPath:
 * models, sample data, license files), or where it lies in a development checkout
 * (<appRoot>/devRelative). The packaged place wins only where it exists: `electron .` in a checkout
 * has a resourcesPath too (Electron's own), without our resources.
 */
export function resourceDir(name: string, devRelative: string = name): string {
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const packaged = resources ? path.join(resources, name) : null;
  return packaged && fs.existsSync(packaged) ? packaged : path.join(appRoot(), devRelative);
}

/** The third-party list and license texts scripts/third-party-licenses.mjs writes (dist/ in a checkout). */
export function thirdPartyFiles(): { json: string; text: string } {
  return {
    json: resourceDir('third-party.json', 'dist/third-party.json'),
    text: resourceDir('THIRD_PARTY_LICENSES.txt', 'dist/THIRD_PARTY_LICENSES.txt'),
  };
}

/** The first-run sample study the build writes (dist/sample-data in a checkout, resources/sample-data packaged). */
export const sampleDataDir = (): string => resourceDir('sample-data', 'dist/sample-data');

/** The shipped model packages (native-models/ in a checkout, resources/native-models packaged). */
export const shippedModelsRoot = (): string => resourceDir('native-models');
