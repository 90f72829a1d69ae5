import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** package.json sits three levels above dist/src/main (and src/main when run from source). */
function findPackageJson(): { version: string } {
  for (const candidate of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version: string };
      if (pkg.name === 'delineate') return pkg;
    } catch {
      // try the next layout
    }
  }
  return { version: '0.0.0' };
}

export const APP_VERSION = findPackageJson().version;
