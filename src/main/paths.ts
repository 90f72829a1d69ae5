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
