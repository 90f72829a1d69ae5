// Bundles the Electron preload to one CommonJS file: sandboxed preloads cannot load ES modules or
// anything from node_modules at run time.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/preload/preload.ts'],
  outfile: 'dist/preload/preload.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
