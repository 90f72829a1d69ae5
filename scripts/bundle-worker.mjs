// Bundles the decode worker (src/main/studies/dicom/pixels/decode-worker.ts) into one ES module that
// replaces tsc's decode-worker.js in the output tree. Every import starts its worker threads, and a
// worker resolving and compiling our ~40-module graph took longer than the empty worker itself; the
// bundle is one file. Packages stay external (dcmjs and the codecs load lazily from node_modules), and
// the bundle sits where tsc's file was, so import.meta.url-relative paths (the SIMD kernel, package
// resolution) are unchanged. Without this step the unbundled worker still works, only slower to start.
// Usage: node scripts/bundle-worker.mjs [outDir]   (default: dist)
import path from 'node:path';
import { build } from 'esbuild';

const outDir = process.argv[2] ?? 'dist';
const worker = 'src/main/studies/dicom/pixels/decode-worker';

await build({
  entryPoints: [`${worker}.ts`],
  outfile: path.join(outDir, `${worker}.js`),
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
console.log(`bundle-worker: ${path.join(outDir, `${worker}.js`)}`);
